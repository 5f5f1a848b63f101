// The communication module: every message with its status and overdue mark (and, with several
// signers, each one's progress), and one message in full with its documents and audit trail.

import { fileBytes } from './api.js';
import { fileName, formatDate, formatDateTime, formatSize, h, icon, mount, saveBlob } from './dom.js';
import { t } from './i18n.js';
import { isOpen, MESSAGE_STATUSES, OPEN_SIGNING_STATUSES, signersOf } from './model.js';
import { hasCoSigners, signerProgress } from './signers.js';
import { alert, errorAlert, errorText, field, loading, statusBadge } from './ui.js';
import { contentTypeOf } from './upload.js';

const FILTERS = ['', ...MESSAGE_STATUSES];

export function messageLink(m) {
  return `#/messages/${encodeURIComponent(m.id)}`;
}

export function receiptLink(signingId, messageId) {
  return `#/receipts/${encodeURIComponent(signingId)}?message=${encodeURIComponent(messageId)}`;
}

function isOverdue(m) {
  return Boolean(m.overdue || m.signing?.overdue);
}

/** One message in a list; a signed request carries the 'Ondertekend en verzegeld' line to its receipt,
 * and with several signers each signer has a line of their own. */
export function advisorMessageRow(m, clientsById, { showClient = true } = {}) {
  const client = clientsById.get(m.client_id);
  const extra = hasCoSigners(m) ? [signerProgress(m, { receiptHref: (s) => receiptLink(s.id, m.id) })] : oneSigner(m);
  return h('li', { 'data-message-id': m.id },
    h('a', { class: 'row-link', href: messageLink(m) },
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title', text: m.subject }),
        h('div', { class: 'row-meta' },
          showClient ? h('span', { text: client ? client.name : t('messages.unknown_client') }) : null,
          h('span', { text: t(`type.${m.response_type}`) }),
          h('span', { text: t('messages.sent_on', { date: formatDate(m.created_at) }) }),
          m.deadline ? h('span', { class: isOverdue(m) ? 'deadline overdue' : 'deadline', text: t('deadline.until', { date: formatDate(m.deadline) }) }) : null)),
      h('div', { class: 'row-side' },
        statusBadge(m),
        isOverdue(m) && isOpen(m) ? h('span', { class: 'badge badge-bad', text: t('messages.overdue') }) : null),
      h('span', { class: 'chevron', 'aria-hidden': 'true', text: '›' })),
    extra.length ? h('div', { class: 'row-extra' }, extra) : null);
}

/** A message with one signer (or none): the receipt link once signed, the reason of a rejection. */
function oneSigner(m) {
  const reason = m.signing ? m.signing.reject_reason : m.reject_reason;
  const status = m.signing?.status || m.status;
  const extra = [];
  if (m.signing?.status === 'signed') {
    extra.push(h('a', { class: 'sealed', href: receiptLink(m.signing.id, m.id) },
      icon('seal'), h('span', { text: t('receipt.line') })));
    if (m.signing.signed_at) extra.push(h('span', { class: 'muted small', text: formatDateTime(m.signing.signed_at) }));
  }
  if (status === 'rejected' && reason) {
    extra.push(h('p', { class: 'reason' }, h('span', { class: 'reason-label', text: `${t('common.reason')}: ` }), reason));
  }
  return extra;
}

export async function messagesView(app, query) {
  const { main } = app.frame;
  const current = FILTERS.includes(query.get('status') || '') ? query.get('status') || '' : '';
  const filter = h('select', { id: 'status-filter', name: 'status' },
    FILTERS.map((s) => h('option', { value: s, selected: s === current, text: s ? t(`status.${s}`) : t('messages.all') })));
  filter.addEventListener('change', () => app.go(filter.value ? `#/messages?status=${filter.value}` : '#/messages'));
  const list = h('section', { class: 'card', 'aria-labelledby': 'messages-title' }, loading());
  mount(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { id: 'messages-title', text: t('messages.title') }), h('p', { class: 'lead', text: t('messages.lead') })),
      h('div', { class: 'filter' }, field(t('messages.filter'), filter))),
    list);
  try {
    const [answer, clientsById] = await Promise.all([
      app.api.get(`/advisor/messages?limit=200${current ? `&status=${current}` : ''}`), app.clientsById(),
    ]);
    mount(list, answer.items.length
      ? h('ul', { class: 'rows' }, answer.items.map((m) => advisorMessageRow(m, clientsById)))
      : h('p', { class: 'empty', text: t('messages.empty') }));
  } catch (error) {
    mount(list, errorAlert(error));
  }
}

export async function messageDetailView(app, id) {
  const { main } = app.frame;
  const back = h('a', { class: 'back', href: '#/messages', text: `‹ ${t('messages.back')}` });
  mount(main, back, loading());
  let m;
  let clientsById;
  try {
    [m, clientsById] = await Promise.all([app.api.get(`/advisor/messages/${encodeURIComponent(id)}`), app.clientsById()]);
  } catch (error) {
    mount(main, back, errorAlert(error));
    return;
  }
  const client = clientsById.get(m.client_id);
  const row = (label, value) => (value ? [h('dt', { text: label }), h('dd', {}, value)] : null);
  mount(main, back,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { text: m.subject }),
        h('p', { class: 'lead', text: t('messages.sent_on', { date: formatDateTime(m.created_at) }) })),
      statusBadge(m)),
    h('div', { class: 'grid-aside' },
      h('section', { class: 'card', 'aria-labelledby': 'msg-details' },
        h('h2', { id: 'msg-details', text: t('messages.details') }),
        h('dl', { class: 'details' },
          row(t('compose.recipient'), client
            ? h('a', { href: `#/clients/${encodeURIComponent(client.id)}`, text: client.name }) : t('messages.unknown_client')),
          row(t('compose.type'), t(`type.${m.response_type}`)),
          row(t('compose.deadline'), m.deadline ? formatDate(m.deadline) : null),
          row(t('messages.notice'), m.notice_status ? t(`notice.${m.notice_status}`, {}, m.notice_status) : null))),
      h('div', {},
        h('section', { class: 'card', 'aria-label': t('compose.body') },
          h('div', { class: 'message-body', text: m.body }),
          m.documents.length ? h('div', { class: 'stack' }, h('h2', { class: 'section-title', text: t('portal.message.documents') }),
            m.documents.map((d) => documentLine(app, d))) : null),
        m.signing ? signingCard(app, m) : null,
        conversationCard(m))));
}

/** A document of the message, as sent: 'Openen' fetches that exact version (a link that lives minutes). */
function documentLine(app, d) {
  const open = h('button', { type: 'button', class: 'btn btn-secondary', 'aria-label': t('messages.open_document_label', { filename: d.filename }) },
    icon('download'), h('span', { text: t('messages.open_document') }));
  open.addEventListener('click', async () => {
    open.disabled = true;
    try {
      const { download_url: url } = await app.api.get(`/advisor/documents/${encodeURIComponent(d.id)}/download`);
      saveBlob(new Blob([await fileBytes(url)], { type: contentTypeOf({ name: d.filename }) || 'application/octet-stream' }), d.filename);
    } catch (error) {
      app.flash('error', errorText(error));
    } finally {
      open.disabled = false;
    }
  });
  return h('div', { class: 'doc' }, icon('file', 'doc-icon'),
    h('div', { class: 'row-main' },
      h('div', { class: 'doc-name' }, fileName(d.filename)),
      h('div', { class: 'row-meta' }, h('span', { text: formatSize(d.size) }), h('span', { class: 'mono', text: `SHA-256 ${d.sha256}` }))),
    open);
}

function signingCard(app, m) {
  const s = m.signing;
  const several = hasCoSigners(m);
  const notice = h('div');
  const withdraw = isOpen(m) ? h('button', { type: 'button', class: 'btn btn-danger', text: t('messages.withdraw'),
    onclick: async (event) => {
      const button = event.currentTarget;
      if (!window.confirm(t(several ? 'messages.withdraw_confirm_all' : 'messages.withdraw_confirm'))) return;
      button.disabled = true;
      try {
        await withdrawAll(app, m);
        app.flash('ok', t('messages.withdrawn'));
        await messageDetailView(app, m.id);
      } catch (error) {
        mount(notice, alert('error', errorText(error)));
        button.disabled = false;
      }
    } }) : null;
  return h('section', { class: 'card', 'aria-labelledby': 'signing-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'signing-title', text: t('messages.signing') }), statusBadge(m)),
    several ? signerProgress(m, { receiptHref: (signer) => receiptLink(signer.id, m.id) }) : null,
    !several && s.status === 'signed'
      ? h('p', {}, h('a', { class: 'sealed', href: receiptLink(s.id, m.id) }, icon('seal'), h('span', { text: t('receipt.line') }))) : null,
    !several && s.status === 'rejected' && s.reject_reason
      ? h('p', { class: 'reason' }, h('span', { class: 'reason-label', text: `${t('common.reason')}: ` }), s.reject_reason) : null,
    histories(m).map((signer) => [
      h('h3', { text: several ? t('messages.audit_of', { name: signer.name }) : t('messages.audit') }),
      h('ol', { class: 'timeline' }, signer.audit_events.map((e) => h('li', { 'data-event': e.type },
        h('span', { class: 'when', text: formatDateTime(e.at) }),
        h('span', { text: auditLine(e) }))))]),
    notice, withdraw);
}

/** An audit event in words: a reason the server names (`data.reason`) has its own line, else the type's. */
export function auditLine(event) {
  const reason = event.data?.reason;
  const own = typeof reason === 'string' && /^\w+$/.test(reason) ? t(`audit.${event.type}_${reason}`, {}, '') : '';
  return own || t(`audit.${event.type}`, {}, t('audit.unknown'));
}

/** Each signer's audit events where the answer lists them, else those of the main client's request. */
function histories(m) {
  const all = signersOf(m);
  const listed = all.filter((signer) => signer.audit_events?.length);
  if (listed.length) return listed;
  return m.signing?.audit_events?.length ? [{ ...m.signing, name: all[0]?.name || '' }] : [];
}

/** Withdrawing a signing withdraws every signer's open request. One that closed meanwhile is skipped,
 * unless none could be withdrawn: then the server's 'not open' is the answer. */
async function withdrawAll(app, m) {
  let closed = null;
  let withdrawn = 0;
  for (const signer of signersOf(m).filter((s) => OPEN_SIGNING_STATUSES.includes(s.status))) {
    try {
      await app.api.post(`/advisor/signing-requests/${encodeURIComponent(signer.id)}/withdraw`, {});
      withdrawn += 1;
    } catch (error) {
      if (error.code !== 'not_open') throw error;
      closed = error;
    }
  }
  if (!withdrawn && closed) throw closed;
}

function conversationCard(m) {
  const replies = m.conversation || [];
  if (!replies.length && m.response_type !== 'reply') return null;
  return h('section', { class: 'card', 'aria-labelledby': 'conv-title' },
    h('h2', { id: 'conv-title', text: t('messages.conversation') }),
    replies.length
      ? h('ul', { class: 'conversation' }, replies.map((r) => h('li', {},
        h('div', { class: 'row-meta', text: formatDateTime(r.created_at) }), h('div', { class: 'prewrap', text: r.body }))))
      : h('p', { class: 'muted', text: t('messages.no_reply') }));
}
