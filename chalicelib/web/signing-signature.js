// Step 3 of the ceremony: the signature and the place. Drawn on the pad, or 'Typ uw naam': the name
// typed and drawn in a handwriting font (`method: "typed"`), which needs nothing but a keyboard.

import { formatDate, h, mount, todayInAmsterdam, uuid } from './dom.js';
import { t } from './i18n.js';
import { createPad } from './pad.js';
import { drawTypedName, handwritingFont, typedPng } from './typed-signature.js';
import { alert, errorAlert, errorText, field, showFieldErrors } from './ui.js';

export function signView(ctx) {
  const { state } = ctx;
  const city = h('input', { id: 'sign-city', name: 'city', type: 'text', autocomplete: 'address-level2', maxlength: '100',
    required: true, value: state.city ?? state.request?.prefill?.city ?? '' });
  city.addEventListener('input', () => { state.city = city.value; });
  const notice = h('div', { class: 'notice' });
  const submit = h('button', { type: 'submit', class: 'btn', text: t('sign.submit') });
  // 'Zet eerst uw handtekening…' goes once there is one: the notice says what is still missing, no more.
  const signatureGiven = () => {
    if (notice.dataset.problem === 'empty') { notice.replaceChildren(); delete notice.dataset.problem; }
  };
  const drawn = drawnPanel(ctx, signatureGiven);
  const typed = typedPanel(ctx, signatureGiven);
  const choose = (method) => {
    state.method = method;
    drawn.panel.hidden = method !== 'drawn';
    typed.panel.hidden = method !== 'typed';
  };
  const parts = { drawn, typed, city, notice, submit };
  const form = h('form', { novalidate: true, onsubmit: (event) => { event.preventDefault(); sign(ctx, { ...parts, form }); } },
    notice,
    methodChoice(state.method, choose),
    drawn.panel,
    typed.panel,
    field(t('sign.city'), city, t('sign.city_hint')),
    h('p', { class: 'small muted', text: t('sign.date', { date: formatDate(todayInAmsterdam()) }) }),
    h('p', { class: 'small', text: t('sign.statement', { filename: ctx.doc?.filename || '' }) }),
    h('div', { class: 'row actions-stack' }, submit));
  mount(ctx.section, ctx.header('sign.pad.heading'), h('p', { text: t('sign.pad.lead') }), form);
  choose(state.method);
  drawn.attach();
  typed.attach();
  if (!city.value && !state.request) {
    // The prefill may still be on its way.
    ctx.api.get(ctx.base).then((request) => {
      state.request = request;
      if (!city.value && state.city === null) city.value = request.prefill?.city || '';
    }).catch(() => {});
  }
}

/** Two radio buttons, 'Tekenen' and 'Typ uw naam': arrow keys move between them, as in any radio group. */
function methodChoice(current, choose) {
  const option = (method) => {
    const input = h('input', { type: 'radio', name: 'method', id: `sign-method-${method}`, value: method,
      checked: current === method, onchange: () => choose(method) });
    return h('label', { class: 'segment', for: `sign-method-${method}` }, input, h('span', { text: t(`sign.method.${method}`) }));
  };
  return h('fieldset', { class: 'sign-methods' },
    h('legend', { text: t('sign.method.legend') }),
    h('div', { class: 'segments' }, option('drawn'), option('typed')));
}

function drawnPanel(ctx, onSigned) {
  const { state } = ctx;
  const hint = h('div', { class: 'pad-hint', 'aria-hidden': 'true', text: t('sign.pad.hint'), hidden: state.strokes?.length > 0 });
  const canvas = h('canvas', { id: 'signature-pad', role: 'img', 'aria-label': t('sign.pad.label') });
  let pad = null;
  const panel = h('div', { class: 'field', id: 'sign-drawn' },
    h('span', { class: 'label', id: 'pad-label', text: t('sign.pad.title') }),
    h('div', { class: 'pad-frame' }, canvas,
      h('div', { class: 'pad-line', 'aria-hidden': 'true' }),
      hint),
    h('div', { class: 'row', id: 'pad-tools' },
      h('button', { type: 'button', class: 'btn btn-quiet', text: t('sign.pad.undo'), onclick: () => pad.undo() }),
      h('button', { type: 'button', class: 'btn btn-quiet', text: t('sign.pad.clear'), onclick: () => pad.clear() })));
  return {
    panel,
    attach() {
      pad = createPad(canvas, { strokes: state.strokes, onChange: (strokes) => {
        state.strokes = strokes;
        hint.hidden = strokes.length > 0;  // 'Teken hier' only over an empty pad
        if (strokes.length) onSigned();
      } });
    },
    isEmpty: () => pad.isEmpty(),
    png: () => pad.toPng(),
  };
}

function typedPanel(ctx, onSigned) {
  const { state } = ctx;
  const name = h('input', { id: 'typed-name', name: 'typed_name', type: 'text', autocomplete: 'name', maxlength: '100',
    value: state.typedName || '', spellcheck: 'false' });
  const preview = h('canvas', { id: 'typed-preview', class: 'typed-preview', role: 'img' });
  const redraw = () => {
    drawTypedName(preview, name.value);
    preview.setAttribute('aria-label', name.value.trim()
      ? t('sign.typed.preview', { name: name.value.trim() }) : t('sign.typed.preview_empty'));
  };
  name.addEventListener('input', () => {
    state.typedName = name.value;
    redraw();
    if (name.value.trim()) {
      name.removeAttribute('aria-invalid');
      onSigned();
    }
  });
  const panel = h('div', { id: 'sign-typed' },
    field(t('sign.typed.label'), name, t('sign.typed.hint')),
    h('div', { class: 'typed-frame' }, preview, h('div', { class: 'pad-line', 'aria-hidden': 'true' })));
  return {
    panel,
    attach() {
      redraw();
      handwritingFont().then(redraw);
    },
    name: () => name.value.trim(),
    input: name,
    /** The PNG of the name, drawn once the font is there (so never in a fallback by accident). */
    async png() {
      await handwritingFont();
      redraw();
      return typedPng(preview);
    },
  };
}

async function sign(ctx, { drawn, typed, city, notice, submit, form }) {
  const { state } = ctx;
  showFieldErrors(form, null);
  delete notice.dataset.problem;
  const isTyped = state.method === 'typed';
  if (isTyped ? !typed.name() : drawn.isEmpty()) {
    mount(notice, alert('error', t(isTyped ? 'sign.typed.empty' : 'sign.pad.empty')));
    notice.dataset.problem = 'empty';
    const target = isTyped ? typed.input : ctx.section.querySelector('#sign-method-drawn');
    if (isTyped) target.setAttribute('aria-invalid', 'true');
    target.focus();
    return;
  }
  if (!city.value.trim()) {
    mount(notice, alert('error', t('sign.city_missing')));
    city.setAttribute('aria-invalid', 'true');
    city.focus();
    return;
  }
  submit.disabled = true;
  const body = isTyped
    ? { signature_image: await typed.png(), city: city.value.trim(), method: 'typed', typed_name: typed.name() }
    : { signature_image: drawn.png(), city: city.value.trim(), method: 'drawn' };
  const key = uuid();  // one key per attempt: a network retry of this attempt replays, never signs twice
  let answer;
  try {
    answer = await postSign(ctx, body, key);
  } catch (error) {
    submit.disabled = false;
    if (error.code === 'already_signed') { ctx.finish({ signed_at: null, city: body.city }); return; }
    if (error.code === 'not_open') { ctx.refresh(); return; }
    if (error.code === 'not_your_turn') { ctx.notYourTurn(error); return; }
    if (error.code === 'otp_required') {
      state.codeNotice = alert('warn', errorText(error));
      state.resendAt = 0;
      state.codeExpiresAt = 0;
      ctx.go('code', 'otp-code');
      return;
    }
    mount(notice, errorAlert(error));
    showFieldErrors(form, error);
    notice.scrollIntoView({ block: 'nearest' });
    return;
  }
  ctx.finish({ signed_at: answer.signed_at, city: body.city });
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
