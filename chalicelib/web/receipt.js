// 'Ondertekend en verzegeld': the transaction receipt, with a fresh check of seal, document and
// the authority's time stamp; the evidence bundle (JSON) and the transactiebon (PDF) to download.

import { ApiError } from './api.js';
import { formatDate, formatDateTime, formatSize, h, icon, mount, saveBlob } from './dom.js';
import { locale, t } from './i18n.js';
import { errorAlert, loading } from './ui.js';

export async function receiptView(app, id, query) {
  const { main } = app.frame;
  const messageId = query.get('message');
  const back = h('a', { class: 'back', href: messageId ? `#/messages/${encodeURIComponent(messageId)}` : '#/messages',
    text: `‹ ${messageId ? t('receipt.back_message') : t('messages.back')}` });
  mount(main, back, loading());
  let receipt;
  let keys;
  try {
    [receipt, keys] = await Promise.all([
      app.api.get(`/advisor/signing-requests/${encodeURIComponent(id || '')}/receipt`),
      // The published keys give the seal key its date; without them the key gets a short label.
      app.api.get('/keys', { signedIn: false }).then((answer) => answer.seal_keys || []).catch(() => []),
    ]);
  } catch (error) {
    mount(main, back, errorAlert(error));
    return;
  }
  const v = receipt.verification || {};
  mount(main, back,
    h('div', { class: 'page-head' },
      h('div', { class: 'receipt-head' }, icon('seal'),
        h('div', {}, h('h1', { text: t('receipt.line') }),
          h('p', { class: 'lead', text: t('receipt.code', { code: receipt.receipt_code || '' }) }))),
      h('div', { class: 'receipt-actions' }, certificateButton(app, id, receipt.receipt_code), evidenceButton(app, id))),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'verify-title' },
        h('h2', { id: 'verify-title', text: t('receipt.verification') }),
        h('ul', { class: 'verify' },
          check('seal', v.seal_valid === true),
          check('document', v.document_intact === true),
          timestampCheck(receipt.timestamp, v.timestamp_valid)),
        v.checked_at ? h('p', { class: 'small muted', text: t('receipt.checked_at', { when: formatDateTime(v.checked_at) }) }) : null),
      signatureCard(receipt)),
    documentCard(receipt),
    sealCard(receipt, keys));
}

function check(what, ok) {
  return h('li', { class: ok ? 'ok' : 'bad', 'data-check': what, 'data-result': ok ? 'valid' : 'invalid' },
    icon(ok ? 'checkCircle' : 'crossCircle'),
    h('div', {},
      h('strong', { text: t(`receipt.${what}_${ok ? 'ok' : 'bad'}`) }),
      h('span', { class: 'small', text: t(`receipt.${what}_${ok ? 'ok' : 'bad'}_text`) })));
}

/**
 * The authority's time (RFC 3161): valid, pending (`timestamp_valid` null: the authority was not
 * reached yet, and no time is shown that nobody signed) or not matching the seal. The state is in
 * the words, not only in the colour and the icon.
 */
function timestampCheck(stamp, valid) {
  const state = valid === true ? 'valid' : valid === false ? 'invalid' : 'pending';
  const look = { valid: ['ok', 'checkCircle'], pending: ['pending', 'info'], invalid: ['warn', 'alert'] }[state];
  const params = { when: stamp?.gen_time ? formatSeconds(stamp.gen_time) : '—', tsa: stamp?.tsa || '—' };
  return h('li', { class: look[0], 'data-check': 'timestamp', 'data-result': state },
    icon(look[1]),
    h('div', {},
      h('strong', { text: t(`receipt.timestamp_${state}`, params) }),
      h('span', { class: 'small', text: t(`receipt.timestamp_${state}_text`) })));
}

/** An RFC 3339 moment in Dutch time to the second, e.g. '1 december 2026 11:00:03'. */
function formatSeconds(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const zone = { timeZone: 'Europe/Amsterdam' };
  const day = new Intl.DateTimeFormat(locale(), { ...zone, day: 'numeric', month: 'long', year: 'numeric' }).format(date);
  const time = new Intl.DateTimeFormat(locale(), { ...zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    .format(date);
  return `${day} ${time}`;
}

function signatureCard(r) {
  const signer = r.signer || {};
  const image = r.signature?.image;
  const row = (label, ...value) => [h('dt', { text: label }), h('dd', {}, ...value)];
  return h('section', { class: 'card', 'aria-labelledby': 'signature-title' },
    h('h2', { id: 'signature-title', text: t('receipt.signature') }),
    h('div', { class: 'signature-box' },
      image && image.startsWith('data:image/png;base64,')
        ? h('img', { src: image, alt: t('receipt.signature_alt', { name: signer.name || '' }) })
        : h('p', { class: 'muted', text: t('receipt.no_image') })),
    h('dl', { class: 'details' },
      row(t('receipt.signer'), signer.name || '', signer.phone_hint ? h('span', { class: 'muted', text: ` · ${signer.phone_hint}` }) : null),
      row(t('receipt.time'), formatDateTime(r.signed_at)),
      row(t('receipt.place'), r.place || '', placeNote(r)),
      r.signature_method ? row(t('receipt.method'), h('span', { 'data-method': r.signature_method,
        text: t(`receipt.method_${r.signature_method}`, {}, r.signature_method) }),
      h('span', { class: 'muted', text: ` · ${t('receipt.confirmed_by')}` })) : null));
}

/** Whether the signer kept the suggested place (`place_prefilled` holds the suggestion). */
function placeNote(r) {
  const suggested = typeof r.place_prefilled === 'string' ? r.place_prefilled : null;
  let note = null;
  if (suggested && suggested !== r.place) note = t('receipt.place_changed', { suggested });
  else if (suggested || r.place_prefilled === true) note = t('receipt.place_prefilled');
  return note ? h('span', { class: 'muted', text: ` · ${note}` }) : null;
}

function documentCard(r) {
  const d = r.document || {};
  return h('section', { class: 'card', 'aria-labelledby': 'document-title' },
    h('h2', { id: 'document-title', text: t('receipt.document') }),
    h('div', { class: 'doc' }, icon('file', 'doc-icon'),
      h('div', { class: 'row-main' }, h('div', { class: 'doc-name', text: d.filename || '' }),
        h('div', { class: 'row-meta', text: formatSize(d.size) }))),
    h('h3', { class: 'section-title', id: 'fingerprint-label', text: t('receipt.fingerprint') }),
    h('p', { class: 'fingerprint', 'aria-labelledby': 'fingerprint-label', 'data-sha256': d.sha256 || '', text: d.sha256 || '' }),
    h('p', { class: 'small muted', text: t('receipt.fingerprint_text') }));
}

function sealCard(r, keys) {
  const seal = r.seal || {};
  const row = (label, value, cls = '') => [h('dt', { text: label }), h('dd', { class: cls, text: value || '—' })];
  return h('section', { class: 'card', 'aria-labelledby': 'seal-title' },
    h('h2', { id: 'seal-title', text: t('receipt.seal') }),
    h('dl', { class: 'details' },
      row(t('receipt.algorithm'), seal.algorithm),
      row(t('receipt.key'), keyLabel(seal.key_id, keys)),
      row(t('receipt.digest'), seal.digest, 'mono'),
      row(t('receipt.signature_sha'), r.signature?.sha256, 'mono')),
    h('details', {}, h('summary', { text: t('receipt.seal_value') }),
      seal.key_id ? h('p', { class: 'small mono', text: t('receipt.key_id', { id: seal.key_id }) }) : null,
      h('p', { class: 'mono', text: seal.signature || '' })));
}

/** A seal key as people can tell keys apart: the date it came into use, else the end of its id
 * (a KMS ARN's key id, a key alias's name), never the raw ARN. */
export function keyLabel(keyId, keys = []) {
  if (!keyId) return '';
  const published = keys.find((k) => k.key_id === keyId);
  if (published?.active_from) return t('receipt.key_dated', { date: formatDate(published.active_from) });
  const tail = String(keyId).split(/[/:]/).pop() || String(keyId);
  return t('receipt.key_short', { label: tail.slice(-8) });
}

/** The evidence bundle as a JSON file, for checking the seal outside this service. */
function evidenceButton(app, id) {
  return downloadButton(app, t('receipt.evidence'), async () => {
    const bundle = await app.api.get(`/advisor/signing-requests/${encodeURIComponent(id)}/evidence`);
    return [new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }), `bewijs-${id}.json`];
  });
}

/**
 * The transactiebon as a sealed PDF, for people. `Accept` names the binary type: only then does
 * the API answer with the PDF's bytes; an error still comes as problem+json (503 while the
 * time-stamping authority is down, for one).
 */
function certificateButton(app, id, code) {
  return downloadButton(app, t('receipt.certificate'), async () => {
    const pdf = await app.api.get(`/advisor/signing-requests/${encodeURIComponent(id)}/certificate`,
      { headers: { Accept: 'application/pdf' }, as: 'blob' });
    if (!(pdf instanceof Blob) || !pdf.size) throw new ApiError(502, {});
    const name = String(code || id).replace(/[^\w-]/g, '');
    return [new Blob([pdf], { type: 'application/pdf' }), `transactiebon-${name}.pdf`];
  });
}

/** A button that fetches a file ([blob, name]) and saves it; a failure shows as the page's notice. */
function downloadButton(app, label, fetchFile) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary' }, icon('download'), h('span', { text: label }));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const [blob, filename] = await fetchFile();
      saveBlob(blob, filename);
    } catch (error) {
      app.flash('error', errorAlert(error).textContent);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
