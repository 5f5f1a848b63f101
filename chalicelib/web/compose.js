// "Nieuw bericht": recipient, subject, 'soort reactie', deadline, body and attachments (straight to S3).
// 'Bestand laten ondertekenen' may add co-signers; a signer without a phone number blocks it at once.

import { coSignerPicker, emptyCoSigners } from './co-signers.js';
import { h, icon, mount, todayInAmsterdam, uuid } from './dom.js';
import { locale, t } from './i18n.js';
import { RESPONSE_TYPES } from './model.js';
import { ACCEPTED, contentTypeOf, showUploadProgress, uploadDocument, uploadItems } from './upload.js';
import { alert, errorAlert, errorText, field, loading, showFieldErrors } from './ui.js';

const PDF = 'application/pdf';
// The form being written survives a re-render of the same route (a language switch), uploads included,
// and a trip to a client card to add a mobile number ('parked' until the form is opened again).
let draft = null;

/** The draft waiting for a phone number on the card of `clientId`: {route, subject}, or null. */
export function parkedDraft(clientId) {
  return draft?.parked === clientId ? { route: draft.route, subject: draft.values?.subject?.trim() || '' } : null;
}

export async function composeView(app, query, { fresh = true } = {}) {
  const { main } = app.frame;
  mount(main, h('div', { class: 'page-head' }, h('h1', { text: t('compose.title') })), loading());
  let clients;
  let me;
  try {
    const [all, who] = await Promise.all([app.clients({ fresh: true }), app.me()]);
    clients = [...all].sort((a, b) => a.name.localeCompare(b.name));
    me = who;
  } catch (error) {
    mount(main, errorAlert(error));
    return;
  }
  const fromCard = query.get('client');
  const returning = Boolean(draft?.parked) && draft.route === location.hash;
  if (!returning && (fresh || !draft || draft.route !== location.hash)) {
    draft = { route: location.hash, uploads: [], values: null, coSigners: emptyCoSigners() };
  }
  const mine = draft;
  mine.parked = null;
  // Back from a client card: the co-signers chosen carry the numbers saved there.
  for (const chosen of mine.coSigners.chosen) Object.assign(chosen, clients.find((c) => c.id === chosen.id) || {});
  // Only what the firm has: 'Bestand laten ondertekenen' where it has signing.
  const types = RESPONSE_TYPES.filter((type) => type !== 'sign' || (me.firm?.features || []).includes('signing'));
  const { uploads } = mine;
  const el = controls(clients, mine.values?.client ?? fromCard, types);
  if (mine.values) {
    for (const name of ['subject', 'type', 'deadline', 'body']) el[name].value = mine.values[name];
    if (!el.type.value) el.type.value = types[0];
  }
  const phoneBlock = h('div', { id: 'phone-block', hidden: true });
  const notice = h('div');
  const uploadList = h('ul', { class: 'uploads', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', class: 'btn', text: t('compose.send') });
  const cancel = h('a', { class: 'btn btn-secondary', text: t('common.cancel'),
    href: fromCard ? `#/clients/${encodeURIComponent(fromCard)}` : '#/messages' });

  function remember() {
    mine.values = { client: el.client.value, subject: el.subject.value, type: el.type.value,
      deadline: el.deadline.value, body: el.body.value };
  }
  const chosenClient = () => clients.find((c) => c.id === el.client.value) || null;
  const needsPhone = () => el.type.value === 'sign' && chosenClient() && !chosenClient().phone;
  const coSigners = coSignerPicker({ api: app.api, state: mine.coSigners, mainClient: chosenClient, onChange: () => update() });
  const coSignerWithoutPhone = () => (el.type.value === 'sign' ? coSigners.withoutPhone() : null);
  /** 'Harry de Vries en Noor Jansen': everyone the message just went to. */
  function signerNames(body) {
    const names = [chosenClient().name, ...(body.co_signers ? coSigners.names() : [])];
    return new Intl.ListFormat(locale(), { type: 'conjunction' }).format(names);
  }

  function update() {
    const type = el.type.value;
    el.deadline.disabled = type === 'none';
    if (type === 'none') el.deadline.value = '';
    el.deadlineHint.textContent = type === 'none' ? t('compose.deadline_none') : t('compose.deadline_hint');
    el.typeHint.textContent = t(`compose.type_hint.${type}`);
    el.file.multiple = type !== 'sign';
    el.file.accept = type === 'sign' ? `.pdf,${PDF}` : ACCEPTED;
    el.fileHint.textContent = type === 'sign' ? t('compose.attach_sign') : t('compose.attach_hint');
    coSigners.element.hidden = type !== 'sign';
    const client = needsPhone() ? chosenClient() : coSignerWithoutPhone();
    const blocked = Boolean(client);
    phoneBlock.hidden = !blocked;
    if (blocked) {
      mount(phoneBlock, alert('warn', t(needsPhone() ? 'compose.phone_needed' : 'compose.co_signer_phone_needed', { name: client.name }),
        h('a', { href: `#/clients/${encodeURIComponent(client.id)}?phone=1`, text: t('compose.phone_fix'),
          onclick: () => { remember(); mine.parked = client.id; } })));
    }
    const busy = uploads.some((u) => u.status === 'uploading');
    send.disabled = blocked || busy;
    if (blocked) send.setAttribute('aria-describedby', 'phone-block');
    else send.removeAttribute('aria-describedby');
  }

  function renderUploads() {
    mount(uploadList, uploadItems(uploads, (u) => {
      uploads.splice(uploads.indexOf(u), 1);
      renderUploads();
    }));
    update();
  }

  function showProgress(u) {
    showUploadProgress(uploadList, uploads, u);
  }
  // Uploads report to whichever view of this draft is on screen now.
  mine.render = renderUploads;
  mine.progress = showProgress;

  el.file.addEventListener('change', () => {
    const files = [...el.file.files];
    el.file.value = '';
    if (el.type.value === 'sign') uploads.splice(0, uploads.length);  // one PDF only: a new choice replaces it
    for (const file of files) {
      const u = { file, status: 'uploading', progress: 0, document: null, error: '' };
      uploads.push(u);
      uploadDocument(app.api, file, (fraction) => {
        u.progress = fraction;
        mine.progress(u);
      }).then((document) => {
        Object.assign(u, { status: 'ready', document });
      }).catch((error) => {
        Object.assign(u, { status: 'failed', error: errorText(error) });
      }).finally(() => mine.render());
    }
    renderUploads();
  });
  el.client.addEventListener('change', () => {
    coSigners.mainChanged();
    update();
  });
  el.type.addEventListener('change', update);

  const form = h('form', { novalidate: true, 'aria-labelledby': 'compose-title', onsubmit: async (event) => {
    event.preventDefault();
    showFieldErrors(form, null);
    coSigners.showErrors(null);
    const problem = checkForm(el, uploads, needsPhone()) || (coSignerWithoutPhone() ? t('compose.check.co_signer_phone') : null);
    if (problem) {
      mount(notice, alert('error', problem));
      notice.scrollIntoView({ block: 'nearest' });
      return;
    }
    send.disabled = true;
    const body = {
      client_id: el.client.value, subject: el.subject.value.trim(), body: el.body.value, response_type: el.type.value,
      document_ids: uploads.filter((u) => u.status === 'ready').map((u) => u.document.id),
    };
    if (el.deadline.value) body.deadline = el.deadline.value;
    if (el.type.value === 'sign') Object.assign(body, coSigners.body());
    try {
      const message = await sendOnce(app, body);
      const failed = message.notice_status === 'failed';
      draft = null;
      app.go(fromCard ? `#/clients/${encodeURIComponent(fromCard)}` : '#/messages',
        [failed ? 'warn' : 'ok', t(failed ? 'compose.sent_notice_failed' : 'compose.sent', { name: signerNames(body) })]);
    } catch (error) {
      mount(notice, errorAlert(error));
      showFieldErrors(form, error);
      const aboutCoSigners = coSigners.showErrors(error);
      if (error.code === 'phone_required' && !aboutCoSigners) {
        app.forgetClients();
        phoneBlock.hidden = false;
        mount(phoneBlock, alert('warn', t('compose.phone_needed', { name: chosenClient()?.name || '' })));
      }
      notice.scrollIntoView({ block: 'nearest' });
      update();
    }
  } },
  notice,
  h('div', { class: 'form-grid' },
    h('div', { class: 'span-2' }, field(t('compose.recipient'), el.client)),
    h('div', { class: 'span-2' }, field(t('compose.subject'), el.subject)),
    h('div', { class: 'field' }, h('label', { for: 'compose-type', text: t('compose.type') }), el.type, el.typeHint),
    h('div', { class: 'field' }, h('label', { for: 'compose-deadline', text: t('compose.deadline') }), el.deadline, el.deadlineHint),
    h('div', { class: 'span-2' }, coSigners.element),
    h('div', { class: 'span-2' }, phoneBlock)),
  field(t('compose.body'), el.body),
  h('div', { class: 'field' },
    h('span', { class: 'label', text: t('compose.attachments') }),
    el.file,
    h('label', { for: 'compose-file', class: 'btn btn-secondary file-button' }, icon('file'), h('span', { text: t('compose.attach') })),
    el.fileHint, uploadList),
  h('div', { class: 'row' }, send, cancel));

  mount(main,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { id: 'compose-title', text: t('compose.title') }),
      h('p', { class: 'lead', text: t('compose.lead') }))),
    h('section', { class: 'card' }, form));
  form.addEventListener('input', remember);
  form.addEventListener('change', remember);
  renderUploads();
}

function controls(clients, selected, types) {
  const typeHint = h('span', { class: 'hint', id: 'compose-type-hint' });
  const deadlineHint = h('span', { class: 'hint', id: 'compose-deadline-hint' });
  const fileHint = h('span', { class: 'hint', id: 'compose-file-hint' });
  return {
    client: h('select', { id: 'compose-client', name: 'client_id', required: true },
      h('option', { value: '', text: t('compose.choose_client') }),
      clients.map((c) => h('option', { value: c.id, selected: c.id === selected, text: `${c.name} (${c.email})` }))),
    type: h('select', { id: 'compose-type', name: 'response_type', 'aria-describedby': 'compose-type-hint' },
      types.map((type) => h('option', { value: type, text: t(`type.${type}`) }))),
    typeHint,
    subject: h('input', { id: 'compose-subject', name: 'subject', type: 'text', maxlength: '200', required: true }),
    deadline: h('input', { id: 'compose-deadline', name: 'deadline', type: 'date', min: todayInAmsterdam(),
      'aria-describedby': 'compose-deadline-hint' }),
    deadlineHint,
    body: h('textarea', { id: 'compose-body', name: 'body', maxlength: '20000', required: true, rows: '7' }),
    file: h('input', { id: 'compose-file', name: 'document_ids', type: 'file', class: 'visually-hidden file-input',
      'aria-describedby': 'compose-file-hint' }),
    fileHint,
  };
}

/** The first thing that stops this form from being sent, as a sentence; null when it can go. */
function checkForm(el, uploads, needsPhone) {
  if (!el.client.value) return t('compose.check.client');
  if (needsPhone) return t('compose.check.phone');
  if (!el.subject.value.trim()) return t('compose.check.subject');
  if (!el.body.value.trim()) return t('compose.check.body');
  if (uploads.some((u) => u.status === 'uploading')) return t('compose.check.uploading');
  if (uploads.some((u) => u.status === 'failed')) return t('compose.check.failed');
  if (el.deadline.value && el.deadline.value < todayInAmsterdam()) return t('compose.check.deadline');
  if (el.type.value === 'sign') {
    const ready = uploads.filter((u) => u.status === 'ready');
    if (ready.length !== 1 || contentTypeOf(ready[0].file) !== PDF) return t('compose.check.one_pdf');
  }
  return null;
}

/** One Idempotency-Key per attempt; a network failure is retried once with the same key. */
async function sendOnce(app, body) {
  const key = uuid();
  const post = () => app.api.post('/advisor/messages', body, { headers: { 'Idempotency-Key': key } });
  try {
    return await post();
  } catch (error) {
    if (error.code !== 'network_error') throw error;
    return post();
  }
}
