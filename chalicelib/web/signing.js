// The signing ceremony of the portal: read → 'Akkoord en ondertekenen' → SMS code → signature → done.
// Or 'Afwijzen' with an optional reason. The state survives a re-render (a language switch), and a
// reload: the server's `code` of the request says where the ceremony stands (a code that lives, a
// verification that still allows signing), so a page loaded anew continues at that step.
// With several signers the reader signs their own request; in sequential order, only once it is their turn.

import { formatDate, formatDateTime, h, icon, mount } from './dom.js';
import { t } from './i18n.js';
import { OPEN_SIGNING_STATUSES, ownSigning, signersOf } from './model.js';
import { documentViewer } from './pdf-viewer.js';
import { hasCoSigners, rejectedBy, signerProgress, waitingFor } from './signers.js';
import { codeView, learnCode, requestCode } from './signing-code.js';
import { signView } from './signing-signature.js';
import { alert, errorAlert, errorText, loading, showFieldErrors } from './ui.js';

const STEPS = ['read', 'code', 'sign', 'done'];
const ceremonies = new Map();  // signing request id → state, for this page's lifetime

function stateOf(id) {
  if (!ceremonies.has(id)) {
    ceremonies.set(id, {
      step: 'read', resumed: false, request: null, shown: false, view: { zoom: 0 },
      resendAt: 0, codeExpiresAt: 0, strokes: [], method: 'drawn', typedName: '', city: null, result: null,
    });
  }
  return ceremonies.get(id);
}

/** The card that carries the whole ceremony for a `sign` message. `onSigned()` follows a signature. */
export function signingPanel({ api, message, fetchedAt, refresh, documentCard, onSigned = () => {} }) {
  const signing = ownSigning(message);
  const section = h('section', { class: 'card', 'aria-labelledby': 'signing-title', id: 'signing' });
  const doc = message.documents[0];
  const state = stateOf(signing.id);
  const base = `/portal/signing-requests/${encodeURIComponent(signing.id)}`;
  const ctx = { api, base, section, state, signing, doc, fetchedAt, refresh, documentCard, message, onSigned,
    several: hasCoSigners(message), turn: signing.turn !== false, waitingFor: waitingFor(message) };
  ctx.go = (step, focusId) => go(ctx, step, focusId);
  ctx.header = (titleKey) => header(ctx, titleKey);
  ctx.notYourTurn = (error) => notYourTurn(ctx, error);
  ctx.finish = (result) => finish(ctx, result);

  if (signing.status === 'signed' || state.step === 'done') {
    signedView(ctx);
    askRequest(ctx);
  } else if (!OPEN_SIGNING_STATUSES.includes(signing.status)) {
    closedView(ctx);
  } else if (!state.resumed) {
    ctx.pending = true;  // the step waits for where the server says the ceremony stands
    mount(section, h('h2', { id: 'signing-title', class: 'visually-hidden', text: t('sign.read.title') }), loading());
    askRequest(ctx);
  } else {
    show(ctx);
    askRequest(ctx);
  }
  return section;
}

/** The request itself: prefill (city), phone hint, whom it waits for (`waiting_for`), where the code stands
 * (`code`) and, once signed, the `confirmation`. A page loaded anew waits for it to choose the step. */
function askRequest(ctx) {
  const { state } = ctx;
  ctx.api.get(ctx.base).then((request) => {
    state.request = request;
    learnCode(state, request.code);
    if (!state.resumed) {
      state.resumed = true;
      state.step = resumedStep(request.code, request.turn !== false);
    }
    if (!ctx.section.isConnected) return;  // a newer view took over
    if (ctx.signing.status === 'signed' || state.step === 'done') {
      signedView(ctx);
      return;
    }
    const waited = !ctx.turn;
    ctx.turn = request.turn !== false;
    ctx.waitingFor = request.waiting_for || ctx.waitingFor;
    if (ctx.pending || (waited && state.step === 'read')) {
      ctx.pending = false;
      show(ctx);
    }
  }).catch(() => {
    if (!ctx.pending) return;
    state.resumed = true;  // the ceremony goes on without it, from the start
    ctx.pending = false;
    show(ctx);
  });
}

/** Where a page loaded anew continues: the pad while a verification lives, code entry while a code does. */
function resumedStep(code, turn) {
  if (!code || !turn) return 'read';
  const now = Date.now();
  if (code.verified_until && Date.parse(code.verified_until) > now) return 'sign';
  if (!code.verified_until && code.expires_at && Date.parse(code.expires_at) > now) return 'code';
  return 'read';
}

function show(ctx) {
  const view = { read: readView, rejecting: rejectView, code: codeView, sign: signView, done: signedView }[ctx.state.step];
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
  const { state } = ctx;
  const waiting = !ctx.turn;
  if (!waiting) state.turnNotice = null;
  if (!ctx.doc) state.shown = true;
  const hint = h('p', { class: 'small muted', id: 'agree-hint', hidden: state.shown || waiting, text: t('sign.read.first') });
  const agree = waiting ? null : h('button', { type: 'button', class: 'btn', text: t('sign.agree'), disabled: !state.shown,
    'aria-describedby': state.shown ? null : 'agree-hint', onclick: (e) => requestCode(ctx, e.currentTarget) });
  const shown = () => {  // the document was on the screen (or downloaded to read elsewhere): agreeing may follow
    state.shown = true;
    hint.hidden = true;
    if (agree) {
      agree.disabled = false;
      agree.removeAttribute('aria-describedby');
    }
  };
  const card = ctx.doc ? ctx.documentCard(ctx.doc, ctx.fetchedAt, ctx.refresh) : null;
  card?.querySelector('a')?.addEventListener('click', shown);
  mount(ctx.section, header(ctx, 'sign.read.title'),
    h('p', { text: t('sign.read.lead') }),
    deadlineLine(ctx),
    card,
    ctx.doc ? documentViewer(ctx.doc, { view: state.view, onShown: shown }) : null,
    ctx.several ? signerProgress(ctx.message, { forClient: true }) : null,
    waiting ? h('div', { id: 'sign-waiting' }, alert('info', ctx.waitingFor
      ? t('sign.wait.for', { name: ctx.waitingFor }) : t('sign.wait.turn')))
      : h('p', { class: 'muted small', text: t('sign.read.how') }),
    h('div', { class: 'notice' }, state.turnNotice ? alert('warn', state.turnNotice) : null),
    hint,
    h('div', { class: 'row actions-stack' },
      waiting
        ? h('button', { type: 'button', class: 'btn btn-secondary', text: t('sign.wait.check'), onclick: () => ctx.refresh() })
        : agree,
      h('button', { type: 'button', class: 'btn btn-danger', text: t('sign.reject'), onclick: () => go(ctx, 'rejecting', 'reject-reason') })));
}

/** Sequential signing, and another signer comes first: back to reading, with the server's words and whom it waits for. */
function notYourTurn(ctx, error) {
  ctx.turn = false;
  ctx.state.turnNotice = errorText(error);
  go(ctx, 'read');
  askRequest(ctx);
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

// ---- 4. signed: what, when and where, also after a reload --------------------------------------------

function signedView(ctx) {
  const { state, doc } = ctx;
  const justSigned = state.step === 'done';
  const known = state.request?.confirmation;
  const confirmation = known || {
    signed_at: state.result?.signed_at || ctx.signing.signed_at || null,
    place: state.result?.city || null,
    document_sha256: doc?.sha256 || null,
  };
  const when = formatDateTime(confirmation.signed_at);
  const lead = !confirmation.signed_at ? t('sign.done.already')
    : t(confirmation.place ? 'sign.done.text' : 'sign.done.text_no_place',
      { filename: doc?.filename || '', when, city: confirmation.place });
  const item = (label, value, cls = null) => (value ? [h('dt', { text: label }), h('dd', { class: cls, text: value })] : null);
  mount(ctx.section,
    justSigned ? stepper('done') : null,
    h('div', { class: 'confirmation', role: justSigned ? 'status' : null },
      icon('checkCircle', 'done-mark'),
      h('h2', { id: 'signing-title', text: t('sign.done.title') }),
      h('p', { text: lead })),
    h('dl', { class: 'details stacked signed-details' },
      item(t('sign.done.document'), doc?.filename),
      item(t('sign.done.when'), when),
      item(t('sign.done.place'), confirmation.place),
      item(t('sign.done.fingerprint'), confirmation.document_sha256, 'mono')),
    confirmation.document_sha256 ? h('p', { class: 'small muted', text: t('sign.done.fingerprint_hint') }) : null,
    h('p', { class: 'muted', text: t('sign.done.next') }),
    othersOpen(ctx) ? h('p', { class: 'muted', text: t('sign.done.others') }) : null,
    ctx.several ? signerProgress(ctx.message, { forClient: true }) : null,
    doc ? ctx.documentCard(doc, ctx.fetchedAt, ctx.refresh) : null,
    justSigned ? h('a', { class: 'btn btn-secondary', href: '#/', text: t('portal.back') }) : null);
}

/** After 'Ondertekenen': the confirmation, and the page's badge says it is signed. */
function finish(ctx, result) {
  ctx.state.result = result;
  ctx.state.strokes = [];
  ctx.onSigned();
  go(ctx, 'done');
  askRequest(ctx);  // the server's confirmation: the fingerprint of what was signed
}

/** Another signer still has to sign (the reader's own request is done). */
function othersOpen(ctx) {
  return signersOf(ctx.message).some((s) => s.id !== ctx.signing.id && OPEN_SIGNING_STATUSES.includes(s.status));
}

function closedView(ctx) {
  const { signing } = ctx;
  const rejecter = signing.status === 'withdrawn' ? rejectedBy(ctx.message) : null;
  const lines = {
    rejected: () => t('sign.closed.rejected', { when: formatDateTime(signing.rejected_at) }),
    withdrawn: () => (rejecter ? t('sign.closed.co_rejected', { name: rejecter }) : t('sign.closed.withdrawn')),
  };
  const title = rejecter ? 'sign.closed.title_co_rejected' : `sign.closed.title_${signing.status}`;
  mount(ctx.section,
    h('h2', { id: 'signing-title', text: t(title, {}, t(`status.${signing.status}`)) }),
    h('p', { text: (lines[signing.status] || (() => t(`status.${signing.status}`)))() }),
    signing.status === 'rejected' && signing.reject_reason
      ? h('p', { class: 'reason' }, h('span', { class: 'reason-label', text: `${t('common.reason')}: ` }), signing.reject_reason)
      : null,
    ctx.several ? signerProgress(ctx.message, { forClient: true }) : null,
    ctx.doc ? ctx.documentCard(ctx.doc, ctx.fetchedAt, ctx.refresh) : null);
}
