// A new bulk send: the message (subject, body with {{naam}}, 'soort reactie', deadline), the clients,
// the documents, a preview for one recipient, and 'Versturen' (once: one Idempotency-Key per draft).

import { documentPicker, emptyDocuments } from './bulk-sends-documents.js';
import { recipientPicker, withoutPhone } from './bulk-sends-recipients.js';
import { formatDate, h, mount, todayInAmsterdam, uuid } from './dom.js';
import { plural, t } from './i18n.js';
import { RESPONSE_TYPES } from './model.js';
import { alert, errorAlert, field, showFieldErrors } from './ui.js';

export const NAME_PLACEHOLDER = '{{naam}}';
const MAX_RECIPIENTS = 1000;
// The draft survives a re-render of the same route (a language switch), uploads included.
let draft = null;

/** `text` as the recipient named `name` reads it: every {{naam}} replaced (plain text, nothing else expanded). */
export function personalised(text, name) {
  return String(text).split(NAME_PLACEHOLDER).join(name);
}

function newDraft() {
  return { route: location.hash, key: uuid(), values: null, chosen: new Map(), filter: '', previewFor: '', ...emptyDocuments() };
}

/** The compose form, for the firm of `me` (its features) and its clients `allClients` (id → client). */
export function bulkComposeForm(app, { me, allClients, fresh }) {
  if (fresh || !draft || draft.route !== location.hash) draft = newDraft();
  const mine = draft;
  const types = RESPONSE_TYPES.filter((type) => type !== 'sign' || (me.firm?.features || []).includes('signing'));
  const el = controls(types);
  if (mine.values) for (const name of ['subject', 'type', 'deadline', 'body']) el[name].value = mine.values[name];
  if (!el.type.value) el.type.value = types[0];
  const typeOf = () => el.type.value;
  const notice = h('div');
  const send = h('button', { type: 'submit', class: 'btn', text: t('bulk.send'), 'aria-describedby': 'bulk-send-summary' });
  const sendSummary = h('p', { class: 'muted', id: 'bulk-send-summary' });
  const previewFor = h('select', { id: 'bulk-preview-for', name: 'preview_for' });
  const previewBox = h('div', { class: 'bulk-preview' });  // not live: it follows every keystroke

  function remember() {
    mine.values = { subject: el.subject.value, type: el.type.value, deadline: el.deadline.value, body: el.body.value };
  }
  const recipients = recipientPicker({ app, draft: mine, typeOf, onChange: () => { documents.update(); update(); } });
  const documents = documentPicker({ app, draft: mine, typeOf, allClients, onChange: () => update() });

  function update() {
    const type = typeOf();
    el.deadline.disabled = type === 'none';
    if (type === 'none') el.deadline.value = '';
    el.deadlineHint.textContent = type === 'none' ? t('compose.deadline_none') : t('compose.deadline_hint');
    el.typeHint.textContent = t(`bulk.type_hint.${type}`, {}, t(`compose.type_hint.${type}`));
    renderPreview();
    const n = mine.chosen.size;
    const failing = type === 'sign' ? withoutPhone(mine).length : 0;
    sendSummary.textContent = n ? plural('bulk.send_summary', n, { failing: failing ? ` ${plural('bulk.send_failing', failing)}` : '' })
      : t('bulk.clients.none_chosen');
    send.disabled = documents.busy();
  }

  function renderPreview() {
    const chosen = [...mine.chosen.values()];
    if (!chosen.some((c) => c.id === mine.previewFor)) mine.previewFor = chosen[0]?.id || '';
    const offered = JSON.stringify(chosen.map((c) => c.id));
    if (offered !== previewFor.dataset.offered) {  // drawn again only when the choice changed: a choice made stays
      previewFor.dataset.offered = offered;
      mount(previewFor, chosen.length ? null : h('option', { value: '', text: t('bulk.preview.nobody') }),
        chosen.map((c) => h('option', { value: c.id, text: `${c.name} (${c.email})` })));
    }
    previewFor.value = mine.previewFor;
    previewFor.disabled = !chosen.length;
    const client = mine.chosen.get(mine.previewFor);
    if (!client) {
      mount(previewBox, h('p', { class: 'muted', text: t('bulk.preview.empty') }));
      return;
    }
    const files = documents.filenamesFor(client.id);
    const row = (label, value) => [h('dt', { text: label }), h('dd', { text: value })];
    mount(previewBox,
      h('dl', { class: 'details' },
        row(t('compose.recipient'), `${client.name} (${client.email})`),
        row(t('compose.subject'), personalised(el.subject.value.trim(), client.name) || '—'),
        row(t('compose.type'), t(`type.${typeOf()}`)),
        el.deadline.value ? row(t('compose.deadline'), formatDate(el.deadline.value)) : null,
        row(t('compose.attachments'), files.length ? files.join(', ') : t('bulk.preview.no_documents'))),
      h('div', { class: 'message-body', 'data-preview': 'body', text: personalised(el.body.value, client.name) || '—' }),
      typeOf() === 'sign' && !client.phone ? alert('warn', t('bulk.preview.no_phone', { name: client.name })) : null);
  }
  // 'input' comes before the form's own listener redraws the preview.
  previewFor.addEventListener('input', () => { mine.previewFor = previewFor.value; });
  el.type.addEventListener('change', () => {
    recipients.update();
    documents.update();
  });

  const form = h('form', { novalidate: true, 'aria-labelledby': 'bulk-title', onsubmit: async (event) => {
    event.preventDefault();
    showFieldErrors(form, null);
    const problem = checkForm(el, mine) || documents.check();
    if (problem) {
      mount(notice, alert('error', problem));
      notice.scrollIntoView({ block: 'nearest' });
      return;
    }
    send.disabled = true;
    try {
      const started = await sendOnce(app, mine, requestBody(el, mine, documents));
      draft = null;
      app.go(`#/bulk-sends/${encodeURIComponent(started.id)}`, ['ok', plural('bulk.started', started.total)]);
    } catch (error) {
      mount(notice, errorAlert(error));
      showFieldErrors(form, error);
      notice.scrollIntoView({ block: 'nearest' });
      update();
    }
  } },
  notice,
  h('section', { class: 'card', 'aria-labelledby': 'bulk-message-title' },
    h('h2', { id: 'bulk-message-title', text: t('bulk.message.title') }),
    h('div', { class: 'form-grid' },
      h('div', { class: 'span-2' }, field(t('compose.subject'), el.subject)),
      h('div', { class: 'field' }, h('label', { for: 'bulk-type', text: t('compose.type') }), el.type, el.typeHint),
      h('div', { class: 'field' }, h('label', { for: 'bulk-deadline', text: t('compose.deadline') }), el.deadline, el.deadlineHint)),
    field(t('compose.body'), el.body, t('bulk.body_hint', { placeholder: NAME_PLACEHOLDER }))),
  recipients.element,
  documents.element,
  h('section', { class: 'card', 'aria-labelledby': 'bulk-preview-title' },
    h('h2', { id: 'bulk-preview-title', text: t('bulk.preview.title') }),
    field(t('bulk.preview.for'), previewFor),
    previewBox),
  h('div', { class: 'row send-row' }, send, sendSummary));
  form.addEventListener('input', () => { remember(); renderPreview(); });
  form.addEventListener('change', () => { remember(); update(); });
  update();
  return form;
}

function controls(types) {
  return {
    type: h('select', { id: 'bulk-type', name: 'response_type', 'aria-describedby': 'bulk-type-hint' },
      types.map((type) => h('option', { value: type, text: t(`type.${type}`) }))),
    typeHint: h('span', { class: 'hint', id: 'bulk-type-hint' }),
    subject: h('input', { id: 'bulk-subject', name: 'subject', type: 'text', maxlength: '200', required: true }),
    deadline: h('input', { id: 'bulk-deadline', name: 'deadline', type: 'date', min: todayInAmsterdam(),
      'aria-describedby': 'bulk-deadline-hint' }),
    deadlineHint: h('span', { class: 'hint', id: 'bulk-deadline-hint' }),
    body: h('textarea', { id: 'bulk-body', name: 'body', maxlength: '20000', required: true, rows: '7' }),
  };
}

/** The first thing about the message or its clients that stops the sending, as a sentence; null when it can go. */
function checkForm(el, mine) {
  if (!el.subject.value.trim()) return t('compose.check.subject');
  if (!el.body.value.trim()) return t('compose.check.body');
  if (el.deadline.value && el.deadline.value < todayInAmsterdam()) return t('compose.check.deadline');
  if (!mine.chosen.size) return t('bulk.check.clients');
  if (mine.chosen.size > MAX_RECIPIENTS) return t('bulk.check.too_many', { max: MAX_RECIPIENTS });
  return null;
}

function requestBody(el, mine, documents) {
  const body = { subject: el.subject.value.trim(), body: el.body.value, response_type: el.type.value };
  if (el.deadline.value) body.deadline = el.deadline.value;
  const shared = documents.sharedIds();
  if (mine.mode === 'shared' && shared.length) body.document_ids = shared;
  body.recipients = [...mine.chosen.keys()].map((clientId) => {
    const own = documents.ownDocument(clientId);
    return own ? { client_id: clientId, document_ids: [own.document.id] } : { client_id: clientId };
  });
  return body;
}

/** The draft's Idempotency-Key goes with every attempt, so a double click or a retry starts one bulk send.
 * A network failure is retried once; after a refusal (4xx, nothing was started) the next attempt, perhaps
 * of a corrected form, gets a key of its own. */
async function sendOnce(app, mine, body) {
  const post = () => app.api.post('/advisor/bulk-sends', body, { headers: { 'Idempotency-Key': mine.key } });
  try {
    try {
      return await post();
    } catch (error) {
      if (error.code !== 'network_error') throw error;
      return await post();
    }
  } catch (error) {
    if (error.status >= 400 && error.status < 500) mine.key = uuid();
    throw error;
  }
}
