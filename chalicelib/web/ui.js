// The pieces every page shares: the header, the login form, notices, errors, badges, routing.

import { PAGES } from './api.js';
import { getLanguage, onLanguageChange, setLanguage, t } from './i18n.js';
import { h, icon, mount } from './dom.js';
import { isOpenSigning, ownSigning, signingStatusOf } from './model.js';

/** The page frame: skip link, header (brand, language switch, logout, firm switcher), optional nav, main. */
export function shell({ area, signedIn = false, onLogout, nav = null, narrow = false, switcher = null }) {
  const root = document.getElementById('app');
  const main = h('main', { id: 'main', class: narrow ? 'main narrow' : 'main', tabindex: '-1' });
  const flash = h('div', { class: narrow ? 'flash narrow' : 'flash', 'aria-live': 'polite' });
  const languageButtons = ['nl', 'en'].map((lang) => h('button', {
    type: 'button', lang, 'aria-pressed': String(getLanguage() === lang), text: lang.toUpperCase(),
    // The name starts with the visible text (WCAG 2.5.3), then says the language in full.
    'aria-label': `${lang.toUpperCase()} ${t(`lang.${lang}`)}`, onclick: () => setLanguage(lang),
  }));
  mount(root,
    h('a', { class: 'skip-link', href: '#main', text: t('common.skip'), onclick: skipToMain }),
    h('header', { class: 'topbar' },
      h('div', { class: 'topbar-inner' },
        h('div', { class: 'brand' },
          brandMark(),
          h('span', { class: 'brand-text' },
            h('span', { class: 'brand-name' },
              h('span', { class: 'wide-only', text: t(`brand.${area}`) }),
              h('span', { class: 'narrow-only', 'aria-hidden': 'true', text: t(`brand.${area}_short`, {}, t(`brand.${area}`)) })),
            h('span', { class: 'brand-sub', text: t('brand.tagline') }))),
        h('div', { class: 'topbar-tools' },
          h('div', { class: 'lang-switch', role: 'group', 'aria-label': t('lang.label') }, languageButtons),
          signedIn ? h('button', { type: 'button', class: 'btn btn-quiet', text: t('common.logout'), onclick: onLogout }) : null)),
      switcher ? h('div', { class: 'firm-bar' }, h('div', { class: 'firm-bar-inner' }, switcher)) : null),
    nav,
    flash,
    main,
  );
  document.title = t(`brand.${area}`);
  return { main, flash };
}

function skipToMain(event) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function brandMark() {
  const mark = h('img', { class: 'brand-mark', src: 'static/logo.svg', alt: '', width: '34', height: '34' });
  return mark;
}

/** Show a short-lived notice at the top of the page. */
export function flashMessage(container, kind, text) {
  mount(container, alert(kind, text));
  const shown = container.firstChild;
  setTimeout(() => { if (container.firstChild === shown) container.replaceChildren(); }, 6000);
}

/** A notice box; `kind` is error, warn, ok or info. Errors are announced at once (role=alert). */
export function alert(kind, text, extra = null) {
  const glyph = { error: 'alert', warn: 'alert', ok: 'checkCircle', info: 'info' }[kind];
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' || kind === 'warn' ? 'alert' : 'status' },
    icon(glyph, 'alert-icon'),
    h('div', {}, h('p', { text }), extra));
}

/** A person's sentence for an API error, in the chosen language.
 *
 * The server's `detail`: it is localised by our Accept-Language and knows what the page cannot
 * (which field, how many attempts are left, how long to wait). The page's own sentence only
 * where no answer says it: above the list of a validation error's fields (errorAlert lists
 * them), and for a failure without a problem document (no connection, a failed upload). */
export function errorText(error) {
  if (error?.code === 'validation_error' && error.fieldErrors.length) return t('error.check_fields');
  const detail = error?.problem?.detail;
  if (typeof detail === 'string' && detail) return detail;
  return t(`error.${error?.code}`, {}, t('error.internal_error'));
}

/** An error notice for an ApiError; a validation error also lists the server's own field messages. */
export function errorAlert(error) {
  const fields = error?.fieldErrors || [];
  const list = fields.length
    ? h('ul', {}, fields.map((f) => h('li', { text: `${t(`field.${f.field}`, {}, f.field)}: ${f.message}` })))
    : null;
  return alert('error', errorText(error), list);
}

/** Mark the form's fields named in a validation error (aria-invalid plus a message under the field). */
export function showFieldErrors(form, error) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  for (const { field, message } of error?.fieldErrors || []) {
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (!input) continue;
    const id = `${input.id || field}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    input.closest('.field')?.append(h('span', { class: 'field-error', id, text: message }));
  }
}

/** A labelled form field. `control` is the input/select/textarea; its id ties it to the label. */
export function field(label, control, hint = null) {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' },
    h('label', { for: control.id, text: label }),
    control,
    hint ? h('span', { class: 'hint', id: hintId, text: hint }) : null);
}

/** The colour of a status pill; the words say the status, the colour only repeats it. */
export function statusTone(status) {
  return {
    sent: 'open', viewed: 'open', read: 'quiet', replied: 'ok', approved: 'ok', signed: 'ok',
    rejected: 'bad', withdrawn: 'quiet',
  }[status] || 'quiet';
}

/** The status pill of a message (for a signing request: the signing status, the whole of it for the
 * advisor, the reader's own request for a client). The client reads 'Nieuw' and 'Te ondertekenen'
 * where the advisor reads 'Verstuurd' and 'Bekeken'. */
export function statusBadge(message, { forClient = false } = {}) {
  const status = (forClient ? ownSigning(message)?.status : signingStatusOf(message)) || message.status;
  let label = t(`status.${status}`);
  if (forClient && isOpenSigning(message)) label = t('status.to_sign');
  else if (forClient && status === 'sent') label = t('status.new');
  return h('span', { class: `badge badge-${statusTone(status)}`, text: label });
}

/** A login card. After a login, `onSignedIn` runs when the page can go on as the membership
 * chosen (or the chooser is due); a single membership of the other role goes to its own page. */
export function loginView(main, { api, role, title, lead, notice = null, onSignedIn }) {
  const { form, email } = loginForm({
    api, notice, submitText: t('login.submit'),
    onLogin: (answer) => {
      api.session.set(answer);
      const membership = api.session.membership();
      if (membership && membership.role !== role) location.assign(PAGES[membership.role]);
      else onSignedIn();
    },
  });
  mount(main, h('div', { class: 'login-wrap' },
    h('section', { class: 'card login-card', 'aria-labelledby': 'login-title' },
      h('h1', { id: 'login-title', text: title }),
      h('p', { class: 'lead', text: lead }),
      form)));
  email.focus();
}

/** E-mail, password and a button; `onLogin(answer)` gets a successful login answer, and may be async. */
export function loginForm({ api, notice = null, submitText, onLogin }) {
  const email = h('input', { id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', {}, notice);
  const submit = h('button', { type: 'submit', class: 'btn btn-block', text: submitText });
  const form = h('form', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      mount(message, alert('error', t('login.missing')));
      return;
    }
    submit.disabled = true;
    try {
      await onLogin(await api.login(email.value.trim(), password.value));
    } catch (error) {
      mount(message, errorAlert(error));
      password.select();
    } finally {
      submit.disabled = false;
    }
  } },
  message,
  field(t('login.email'), email),
  field(t('login.password'), password),
  submit);
  return { form, email, message };
}

/** Hash routes: '#/messages/123?x=1' → { parts: ['messages', '123'], query }. */
export function currentRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

/** Run `render` now, on every hash change and on a language switch. */
export function startRouter(render) {
  window.addEventListener('hashchange', () => render({ navigated: true }));
  onLanguageChange(() => render({ navigated: false }));
  render({ navigated: false });
}

/** Move focus to the new view's heading, so keyboard and screen-reader users land on it. */
export function focusHeading(main) {
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
  }
}

export function loading() {
  return h('p', { class: 'loading', role: 'status', text: t('common.loading') });
}
