// Step 2 of the ceremony: the SMS code. 'Akkoord en ondertekenen' asks for one (or goes on with the one
// that still lives), the code step checks it, and 'Nieuwe code sturen' is always there: counting down
// while a new code may not be sent yet, worded as a wait.

import { h, mount } from './dom.js';
import { locale, plural, t } from './i18n.js';
import { alert, errorText } from './ui.js';

const LIVE_MARGIN_MS = 15_000;  // a code about to expire is not worth typing: send a new one

/** 'Akkoord en ondertekenen': a new code by SMS, or on to the code already sent while it lives. */
export async function requestCode(ctx, button) {
  const { state } = ctx;
  if (state.codeExpiresAt - Date.now() > LIVE_MARGIN_MS) {
    ctx.go('code', 'otp-code');
    return;
  }
  const notice = ctx.section.querySelector('.notice');
  if (button) button.disabled = true;
  try {
    sent(state, await ctx.api.post(`${ctx.base}/otp`, {}));
    state.codeNotice = null;
    ctx.go('code', 'otp-code');
  } catch (error) {
    if (error.code === 'not_your_turn') { ctx.notYourTurn(error); return; }
    if (error.code === 'not_open') { ctx.refresh(); return; }
    const shown = problemNotice(state, error);
    if (error.code === 'rate_limited' && await codeLives(ctx)) {
      // A code sent a moment ago (in another tab, or before a reload) still works: on to typing it in.
      state.codeNotice = shown;
      ctx.go('code', 'otp-code');
      return;
    }
    if (notice) mount(notice, shown);
    if (button) button.disabled = false;
  }
}

async function codeLives(ctx) {
  try {
    ctx.state.request = await ctx.api.get(ctx.base);
    learnCode(ctx.state, ctx.state.request.code);
  } catch { /* what the page knew stands */ }
  return ctx.state.codeExpiresAt - Date.now() > LIVE_MARGIN_MS;
}

/** What the request's `code` says of the moments the page counts down to. */
export function learnCode(state, code) {
  if (!code) return;
  const resendAt = Date.parse(code.resend_after);
  if (!Number.isNaN(resendAt)) state.resendAt = resendAt;
  state.codeExpiresAt = code.expires_at && !code.verified_until ? Date.parse(code.expires_at) || 0 : 0;
}

function sent(state, answer) {
  state.phoneHint = answer.phone_hint;
  state.resendAt = Date.now() + (answer.resend_after || 60) * 1000;
  state.codeExpiresAt = Date.now() + (answer.expires_in || 300) * 1000;
}

/** A refused send is a wait (the limits per minute, hour and day): say how long, not 'too many attempts'. */
function problemNotice(state, error) {
  if (error.code !== 'rate_limited') return alert('error', errorText(error));
  const seconds = Number(error.problem.retry_after) || 60;
  state.resendAt = Date.now() + seconds * 1000;
  return alert('info', t('sign.code.wait', { when: inTime(seconds) }));
}

/** 'over 57 seconden', 'over 3 minuten', 'in 2 hours': Intl's own words and plurals for the language. */
export function inTime(seconds) {
  const words = new Intl.RelativeTimeFormat(locale(), { numeric: 'always' });
  if (seconds < 90) return words.format(Math.max(1, Math.ceil(seconds)), 'second');
  if (seconds < 90 * 60) return words.format(Math.ceil(seconds / 60), 'minute');
  return words.format(Math.ceil(seconds / 3600), 'hour');
}

function resendLabel(left) {
  if (left <= 0) return t('sign.code.resend');
  return left < 100 ? t('sign.code.resend_in', { n: left }) : t('sign.code.resend_in_min', { n: Math.ceil(left / 60) });
}

export function codeView(ctx) {
  const { state } = ctx;
  const code = h('input', { id: 'otp-code', name: 'code', type: 'text', inputmode: 'numeric', class: 'code-input',
    autocomplete: 'one-time-code', maxlength: '6', pattern: '[0-9]{6}', required: true, 'aria-describedby': 'otp-hint' });
  const notice = h('div', { class: 'notice' }, state.codeNotice);
  const submit = h('button', { type: 'submit', class: 'btn', text: t('sign.code.verify') });
  const resend = h('button', { type: 'button', class: 'btn-link', id: 'otp-resend', onclick: () => resendCode(ctx, resend) });
  let timer = 0;
  let first = true;
  const tick = () => {
    // The countdown. Its first run is before this view is on the page (the panel is mounted after it is
    // built), so it always writes the label; later runs stop by themselves once the view is replaced.
    clearTimeout(timer);
    if (!first && !resend.isConnected) return;
    first = false;
    const left = Math.ceil((state.resendAt - Date.now()) / 1000);
    resend.disabled = left > 0;
    resend.textContent = resendLabel(left);
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
      state.codeExpiresAt = 0;  // a verified code is used up: a later 'Akkoord' asks for a new one
      ctx.go('sign', `sign-method-${state.method}`);
    } catch (error) {
      if (error.code === 'otp_locked') {
        state.resendAt = 0;
        state.codeExpiresAt = 0;
      }
      if (error.code === 'not_open') { ctx.refresh(); return; }
      if (error.code === 'not_your_turn') { ctx.notYourTurn(error); return; }
      mount(notice, alert('error', codeRefused(error)));
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
    h('button', { type: 'button', class: 'btn btn-secondary', text: t('common.cancel'), onclick: () => ctx.go('read') })),
  h('p', { class: 'small muted resend' }, `${t('sign.code.no_sms')} `, resend));
  const phone = state.phoneHint || state.request?.phone_hint || '';
  mount(ctx.section, ctx.header('sign.code.title'),
    h('p', { text: phone ? t('sign.code.sent_to', { phone }) : t('sign.code.sent') }),
    form);
  tick();
}

/** A wrong code with attempts left, in the language's own plural ('nog 1 poging', '4 more attempts');
 * any other refusal in the server's words. */
function codeRefused(error) {
  const left = Number(error.problem?.attempts_left);
  if (error.code === 'invalid_code' && Number.isInteger(left) && left > 0) return plural('sign.code.attempts_left', left);
  return errorText(error);
}

async function resendCode(ctx, button) {
  const { state } = ctx;
  button.disabled = true;
  try {
    sent(state, await ctx.api.post(`${ctx.base}/otp`, {}));
    state.codeNotice = alert('info', t('sign.code.resent'));
  } catch (error) {
    if (error.code === 'not_your_turn') { ctx.notYourTurn(error); return; }
    if (error.code === 'not_open') { ctx.refresh(); return; }
    state.codeNotice = problemNotice(state, error);
  }
  ctx.go('code', 'otp-code');
}
