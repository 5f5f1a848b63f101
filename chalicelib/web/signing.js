// The signing ceremony of the portal: read → 'Akkoord en ondertekenen' → SMS code → signature → done.
// Or 'Afwijzen' with an optional reason. The state survives a re-render (a language switch).
// With several signers the reader signs their own request; in sequential order, only once it is their turn.

import { formatDate, formatDateTime, h, icon, mount, todayInAmsterdam, uuid } from './dom.js';
import { t } from './i18n.js';
import { OPEN_SIGNING_STATUSES, ownSigning, signersOf } from './model.js';
import { createPad } from './pad.js';
import { hasCoSigners, rejectedBy, signerProgress, waitingFor } from './signers.js';
import { alert, errorAlert, errorText, field, showFieldErrors } from './ui.js';

const STEPS = ['read', 'code', 'sign', 'done'];
const ceremonies = new Map();  // signing request id → state, for this page's lifetime only

function stateOf(id) {
  if (!ceremonies.has(id)) ceremonies.set(id, { step: 'read', strokes: [], city: null, resendAt: 0, request: null });
  return ceremonies.get(id);
}

/** The card that carries the whole ceremony for a `sign` message. */
export function signingPanel({ api, message, fetchedAt, refresh, documentCard }) {
  const signing = ownSigning(message);
  const section = h('section', { class: 'card', 'aria-labelledby': 'signing-title', id: 'signing' });
  const doc = message.documents[0];
  const state = stateOf(signing.id);
  const base = `/portal/signing-requests/${encodeURIComponent(signing.id)}`;
  const ctx = { api, base, section, state, signing, doc, fetchedAt, refresh, documentCard, message,
    several: hasCoSigners(message), turn: signing.turn !== false, waitingFor: waitingFor(message) };

  if (!OPEN_SIGNING_STATUSES.includes(signing.status) && state.step !== 'done') {
    closedView(ctx);
    return section;
  }
  if (!state.request || !ctx.turn) askRequest(ctx);
  show(ctx);
  return section;
}

/** The request itself: prefill (city), phone hint, and whom it waits for (`waiting_for`). The ceremony
 * goes on without it; while the reader waits for their turn, the read step shows the answer. */
function askRequest(ctx) {
  ctx.api.get(ctx.base).then((request) => {
    ctx.state.request = request;
    if (ctx.turn) return;
    ctx.turn = request.turn !== false;
    ctx.waitingFor = request.waiting_for || ctx.waitingFor;
    if (ctx.state.step === 'read' && ctx.section.isConnected) show(ctx);
  }).catch(() => {});
}

function show(ctx) {
  const view = { read: readView, rejecting: rejectView, code: codeView, sign: signView, done: doneView }[ctx.state.step];
  view(ctx);
}

function go(ctx, step, focusId = null) {
  ctx.state.step = step;
  show(ctx);
  const target = focusId ? ctx.section.querySelector(`#${focusId}`) : ctx.section.querySelector('h2');
  if (target) {
    if (target.tagName === 'H2') target.setAttribute('tabindex', '-1');
    target.focus();
  }
}

function stepper(step) {
  const index = STEPS.indexOf(step === 'rejecting' ? 'read' : step);
  return h('ol', { class: 'steps', 'aria-label': t('sign.steps') }, STEPS.map((name, i) => h('li', {
    class: i < index ? 'done' : '', 'aria-current': i === index ? 'step' : false, text: t(`sign.step.${name}`),
  })));
}

function header(ctx, titleKey) {
  return [stepper(ctx.state.step), h('h2', { id: 'signing-title', text: t(titleKey) })];
}

function deadlineLine(ctx) {
  const deadline = ctx.signing.deadline || ctx.message.deadline;
  if (!deadline) return null;
  const overdue = ctx.signing.overdue;
  return h('p', { class: overdue ? 'deadline overdue' : 'deadline',
    text: t(overdue ? 'deadline.overdue' : 'sign.deadline', { date: formatDate(deadline) }) });
}

// ---- 1. read, then agree or reject -----------------------------------------------------------------

function readView(ctx) {
  const waiting = !ctx.turn;
  if (!waiting) ctx.state.turnNotice = null;
  mount(ctx.section, header(ctx, 'sign.read.title'),
    h('p', { text: t('sign.read.lead') }),
    deadlineLine(ctx),
    ctx.doc ? ctx.documentCard(ctx.doc, ctx.fetchedAt, ctx.refresh) : null,
    ctx.several ? signerProgress(ctx.message, { forClient: true }) : null,
    waiting ? h('div', { id: 'sign-waiting' }, alert('info', ctx.waitingFor
      ? t('sign.wait.for', { name: ctx.waitingFor }) : t('sign.wait.turn')))
      : h('p', { class: 'muted small', text: t('sign.read.how') }),
    h('div', { class: 'notice' }, ctx.state.turnNotice ? alert('warn', ctx.state.turnNotice) : null),
    h('div', { class: 'row actions-stack' },
      waiting
        ? h('button', { type: 'button', class: 'btn btn-secondary', text: t('sign.wait.check'), onclick: () => ctx.refresh() })
        : h('button', { type: 'button', class: 'btn', text: t('sign.agree'), onclick: (e) => requestCode(ctx, e.currentTarget) }),
      h('button', { type: 'button', class: 'btn btn-danger', text: t('sign.reject'), onclick: () => go(ctx, 'rejecting', 'reject-reason') })));
}

/** Sequential signing, and another signer comes first: back to reading, with the server's words and whom it waits for. */
function notYourTurn(ctx, error) {
  ctx.turn = false;
  ctx.state.turnNotice = errorText(error);
  go(ctx, 'read');
  askRequest(ctx);
}

async function requestCode(ctx, button) {
  const notice = ctx.section.querySelector('.notice');
  if (button) button.disabled = true;
  try {
    const answer = await ctx.api.post(`${ctx.base}/otp`, {});
    ctx.state.phoneHint = answer.phone_hint;
    ctx.state.resendAt = Date.now() + (answer.resend_after || 60) * 1000;
    ctx.state.codeNotice = null;
    go(ctx, 'code', 'otp-code');
  } catch (error) {
    if (error.code === 'not_your_turn') { notYourTurn(ctx, error); return; }
    if (error.code === 'rate_limited' && ctx.state.step === 'code') {
      ctx.state.resendAt = Date.now() + (error.problem.retry_after || 60) * 1000;
    }
    if (error.code === 'not_open') { ctx.refresh(); return; }
    if (notice) mount(notice, alert('error', errorText(error)));
    if (button) button.disabled = false;
  }
}

function rejectView(ctx) {
  const reason = h('textarea', { id: 'reject-reason', name: 'reason', maxlength: '500' });
  const counter = h('span', { class: 'hint', 'aria-live': 'polite', text: t('common.chars', { n: 0, max: 500 }) });
  reason.addEventListener('input', () => { counter.textContent = t('common.chars', { n: reason.value.length, max: 500 }); });
  const notice = h('div');
  const submit = h('button', { type: 'submit', class: 'btn btn-danger', text: t('sign.reject.confirm') });
  const form = h('form', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const text = reason.value.trim();
      await ctx.api.post(`${ctx.base}/reject`, text ? { reason: text } : {});
      ceremonies.delete(ctx.signing.id);
      ctx.refresh();
    } catch (error) {
      mount(notice, errorAlert(error));
      showFieldErrors(form, error);
      submit.disabled = false;
    }
  } },
  notice,
  h('div', { class: 'field' }, h('label', { for: 'reject-reason', text: t('common.reason_optional') }), reason, counter),
  h('div', { class: 'row actions-stack' }, submit,
    h('button', { type: 'button', class: 'btn btn-secondary', text: t('common.cancel'), onclick: () => go(ctx, 'read') })));
  mount(ctx.section, header(ctx, 'sign.reject.title'), h('p', { text: t('sign.reject.lead') }), form);
}

// ---- 2. the SMS code --------------------------------------------------------------------------------

function codeView(ctx) {
  const { state } = ctx;
  const code = h('input', { id: 'otp-code', name: 'code', type: 'text', inputmode: 'numeric', class: 'code-input',
    autocomplete: 'one-time-code', maxlength: '6', pattern: '[0-9]{6}', required: true, 'aria-describedby': 'otp-hint' });
  const notice = h('div', { class: 'notice' }, state.codeNotice);
  const submit = h('button', { type: 'submit', class: 'btn', text: t('sign.code.verify') });
  const resend = h('button', { type: 'button', class: 'btn-link', onclick: () => resendCode(ctx, resend) });
  let timer = 0;
  const tick = () => {  // the resend countdown; it stops by itself once this view is replaced
    clearTimeout(timer);
    if (!resend.isConnected) return;
    const left = Math.ceil((state.resendAt - Date.now()) / 1000);
    resend.disabled = left > 0;
    resend.textContent = left > 0 ? t('sign.code.resend_in', { n: left }) : t('sign.code.resend');
    if (left > 0) timer = setTimeout(tick, 1000);
  };
  const form = h('form', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const value = code.value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(value)) {
      mount(notice, alert('error', t('sign.code.format')));
      code.setAttribute('aria-invalid', 'true');
      code.focus();
      return;
    }
    submit.disabled = true;
    try {
      await ctx.api.post(`${ctx.base}/otp/verify`, { code: value });
      state.codeNotice = null;
      go(ctx, 'sign', 'signature-pad');
    } catch (error) {
      if (error.code === 'otp_locked') state.resendAt = 0;
      if (error.code === 'not_open') { ctx.refresh(); return; }
      if (error.code === 'not_your_turn') { notYourTurn(ctx, error); return; }
      mount(notice, alert('error', errorText(error)));
      code.setAttribute('aria-invalid', 'true');
      code.select();
      submit.disabled = false;
      tick();
    }
  } },
  notice,
  h('div', { class: 'field' },
    h('label', { for: 'otp-code', text: t('sign.code.label') }),
    code,
    h('span', { class: 'hint', id: 'otp-hint', text: t('sign.code.hint') })),
  h('div', { class: 'row actions-stack' }, submit,
    h('button', { type: 'button', class: 'btn btn-secondary', text: t('common.cancel'), onclick: () => go(ctx, 'read') })),
  h('p', { class: 'small muted resend' }, `${t('sign.code.no_sms')} `, resend));
  mount(ctx.section, header(ctx, 'sign.code.title'),
    h('p', { text: t('sign.code.sent_to', { phone: state.phoneHint || ctx.state.request?.phone_hint || '' }) }),
    form);
  tick();
}

async function resendCode(ctx, button) {
  button.disabled = true;
  try {
    const answer = await ctx.api.post(`${ctx.base}/otp`, {});
    ctx.state.phoneHint = answer.phone_hint;
    ctx.state.resendAt = Date.now() + (answer.resend_after || 60) * 1000;
    ctx.state.codeNotice = alert('info', t('sign.code.resent'));
  } catch (error) {
    if (error.code === 'not_your_turn') { notYourTurn(ctx, error); return; }
    if (error.code === 'rate_limited') ctx.state.resendAt = Date.now() + (error.problem.retry_after || 60) * 1000;
    ctx.state.codeNotice = alert('error', errorText(error));
  }
  go(ctx, 'code', 'otp-code');
}

// ---- 3. the signature and the place ------------------------------------------------------------------

function signView(ctx) {
  const { state } = ctx;
  const canvas = h('canvas', { id: 'signature-pad', role: 'img', tabindex: '0', 'aria-label': t('sign.pad.label') });
  const city = h('input', { id: 'sign-city', name: 'city', type: 'text', autocomplete: 'address-level2', maxlength: '100',
    required: true, value: state.city ?? state.request?.prefill?.city ?? '' });
  city.addEventListener('input', () => { state.city = city.value; });
  const notice = h('div', { class: 'notice' });
  const submit = h('button', { type: 'submit', class: 'btn', text: t('sign.submit') });
  const form = h('form', { novalidate: true, onsubmit: (event) => { event.preventDefault(); sign(ctx, { pad, city, notice, submit, form }); } },
    notice,
    h('div', { class: 'field' },
      h('span', { class: 'label', id: 'pad-label', text: t('sign.pad.title') }),
      h('div', { class: 'pad-frame' }, canvas,
        h('div', { class: 'pad-line', 'aria-hidden': 'true' }),
        h('div', { class: 'pad-hint', 'aria-hidden': 'true', text: t('sign.pad.hint') })),
      h('div', { class: 'row', id: 'pad-tools' },
        h('button', { type: 'button', class: 'btn btn-quiet', text: t('sign.pad.undo'), onclick: () => pad.undo() }),
        h('button', { type: 'button', class: 'btn btn-quiet', text: t('sign.pad.clear'), onclick: () => pad.clear() }))),
    field(t('sign.city'), city, t('sign.city_hint')),
    h('p', { class: 'small muted', text: t('sign.date', { date: formatDate(todayInAmsterdam()) }) }),
    h('p', { class: 'small', text: t('sign.statement', { filename: ctx.doc?.filename || '' }) }),
    h('div', { class: 'row actions-stack' }, submit));
  mount(ctx.section, header(ctx, 'sign.pad.heading'), h('p', { text: t('sign.pad.lead') }), form);
  const pad = createPad(canvas, { strokes: state.strokes, onChange: (strokes) => { state.strokes = strokes; } });
  if (!city.value && !state.request) {
    // The prefill may still be on its way.
    ctx.api.get(ctx.base).then((request) => {
      state.request = request;
      if (!city.value && state.city === null) city.value = request.prefill?.city || '';
    }).catch(() => {});
  }
}

async function sign(ctx, { pad, city, notice, submit, form }) {
  showFieldErrors(form, null);
  if (pad.isEmpty()) {
    mount(notice, alert('error', t('sign.pad.empty')));
    ctx.section.querySelector('#signature-pad').focus();
    return;
  }
  if (!city.value.trim()) {
    mount(notice, alert('error', t('sign.city_missing')));
    city.setAttribute('aria-invalid', 'true');
    city.focus();
    return;
  }
  submit.disabled = true;
  const body = { signature_image: pad.toPng(), city: city.value.trim() };
  const key = uuid();  // one key per attempt: a network retry of this attempt replays, never signs twice
  let answer;
  try {
    answer = await postSign(ctx, body, key);
  } catch (error) {
    submit.disabled = false;
    if (error.code === 'already_signed') { finish(ctx, { signed_at: null, city: body.city }); return; }
    if (error.code === 'not_open') { ctx.refresh(); return; }
    if (error.code === 'not_your_turn') { notYourTurn(ctx, error); return; }
    if (error.code === 'otp_required') {
      ctx.state.codeNotice = alert('warn', errorText(error));
      ctx.state.resendAt = 0;
      go(ctx, 'code', 'otp-code');
      return;
    }
    mount(notice, errorAlert(error));
    showFieldErrors(form, error);
    notice.scrollIntoView({ block: 'nearest' });
    return;
  }
  finish(ctx, { signed_at: answer.signed_at, city: body.city });
}

async function postSign(ctx, body, key) {
  const send = () => ctx.api.post(`${ctx.base}/sign`, body, { headers: { 'Idempotency-Key': key } });
  try {
    return await send();
  } catch (error) {
    if (error.code !== 'network_error') throw error;
    return send();  // same key: if the first one arrived, this replays its answer
  }
}

function finish(ctx, result) {
  ctx.state.result = result;
  ctx.state.strokes = [];
  go(ctx, 'done');
}

// ---- 4. done, and the closed states ------------------------------------------------------------------

function doneView(ctx) {
  const { result } = ctx.state;
  mount(ctx.section, stepper('done'),
    h('div', { class: 'confirmation', role: 'status' },
      icon('checkCircle', 'done-mark'),
      h('h2', { id: 'signing-title', text: t('sign.done.title') }),
      h('p', { text: result.signed_at
        ? t('sign.done.text', { filename: ctx.doc?.filename || '', when: formatDateTime(result.signed_at), city: result.city })
        : t('sign.done.already') }),
      h('p', { class: 'muted', text: t('sign.done.next') }),
      othersOpen(ctx) ? h('p', { class: 'muted', text: t('sign.done.others') }) : null,
      h('a', { class: 'btn btn-secondary', href: '#/', text: t('portal.back') })));
}

/** Another signer still has to sign (the reader's own request is done). */
function othersOpen(ctx) {
  return signersOf(ctx.message).some((s) => s.id !== ctx.signing.id && OPEN_SIGNING_STATUSES.includes(s.status));
}

function closedView(ctx) {
  const { signing } = ctx;
  const rejecter = rejectedBy(ctx.message);
  const lines = {
    signed: () => t('sign.closed.signed', { when: formatDateTime(signing.signed_at) }),
    rejected: () => t('sign.closed.rejected', { when: formatDateTime(signing.rejected_at) }),
    withdrawn: () => (rejecter ? t('sign.closed.co_rejected', { name: rejecter }) : t('sign.closed.withdrawn')),
  };
  mount(ctx.section,
    h('h2', { id: 'signing-title', text: t('sign.closed.title') }),
    h('p', { text: (lines[signing.status] || (() => t(`status.${signing.status}`)))() }),
    signing.status === 'rejected' && signing.reject_reason
      ? h('p', { class: 'reason' }, h('span', { class: 'reason-label', text: `${t('common.reason')}: ` }), signing.reject_reason)
      : null,
    ctx.several ? signerProgress(ctx.message, { forClient: true }) : null,
    ctx.doc ? ctx.documentCard(ctx.doc, ctx.fetchedAt, ctx.refresh) : null);
}
