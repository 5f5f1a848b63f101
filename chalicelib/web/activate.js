// /activate: a client chooses a password with the one-time token from the invitation e-mail.
// The token is taken out of the address bar at once and kept in memory only.
// When the address already has a login, nothing is set: the person logs in here with their own
// password and accepts the invitation (POST /auth/accept-invite), then chooses where to go on.

import { createApi, PAGES } from './api.js';
import { h, mount } from './dom.js';
import { firmChooser } from './firms.js';
import { t } from './i18n.js';
import { alert, errorAlert, field, loginForm, shell, showFieldErrors, startRouter } from './ui.js';

const token = new URLSearchParams(location.search).get('token') || '';
history.replaceState(null, '', location.pathname);
const api = createApi();
// 'choose' → 'exists' (409: log in to accept) → 'accepted' (which firm to go on as); or 'done'.
let step = 'choose';
let acceptedFirm = '';

function render() {
  const { main } = shell({ area: 'activate', narrow: true });
  const card = h('section', { class: 'card login-card', 'aria-labelledby': 'activate-title' });
  mount(main, h('div', { class: 'login-wrap' }, card));
  if (step === 'accepted' && api.session.get()) {
    card.replaceWith(firmChooser({
      api, lead: t('activate.continue'), notice: alert('ok', t('activate.accepted', { firm: acceptedFirm })),
    }));
    return;
  }
  if (step === 'done') {
    card.append(h('h1', { id: 'activate-title', text: t('activate.title') }),
      alert('ok', t('activate.done')), h('a', { class: 'btn btn-block', href: PAGES.client, text: t('activate.to_portal') }));
    return;
  }
  if (!token) {
    card.append(h('h1', { id: 'activate-title', text: t('activate.title') }), alert('error', t('activate.no_token')));
    return;
  }
  if (step === 'exists') {
    existingLogin(card);
    return;
  }
  choosePassword(card);
}

function choosePassword(card) {
  const password = h('input', { id: 'new-password', name: 'password', type: 'password', autocomplete: 'new-password', required: true });
  const repeat = h('input', { id: 'repeat-password', name: 'repeat', type: 'password', autocomplete: 'new-password', required: true });
  const notice = h('div');
  const submit = h('button', { type: 'submit', class: 'btn btn-block', text: t('activate.submit') });
  const form = h('form', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    showFieldErrors(form, null);
    if (password.value.length < 12) { mount(notice, alert('error', t('activate.too_short'))); password.focus(); return; }
    if (password.value !== repeat.value) { mount(notice, alert('error', t('activate.mismatch'))); repeat.focus(); return; }
    submit.disabled = true;
    try {
      await api.post('/auth/activate', { token, password: password.value }, { signedIn: false });
      step = 'done';
      render();
    } catch (error) {
      if (error.status === 409) {  // the address has a login: nothing was set, the person accepts instead
        step = 'exists';
        render();
        return;
      }
      mount(notice, errorAlert(error));
      showFieldErrors(form, error);
      submit.disabled = false;
    }
  } },
  notice,
  field(t('activate.password'), password, t('activate.policy')),
  field(t('activate.repeat'), repeat),
  submit);
  card.append(h('h1', { id: 'activate-title', text: t('activate.title') }), h('p', { class: 'lead', text: t('activate.lead') }), form);
}

function existingLogin(card) {
  const { form, email } = loginForm({
    api, submitText: t('activate.accept_submit'),
    onLogin: async (answer) => {
      api.session.set(answer);
      const before = new Set(answer.memberships.map((m) => m.tenant_id));
      try {
        const accepted = await api.post('/auth/accept-invite', { token });
        api.session.setMemberships(accepted.memberships);
        acceptedFirm = accepted.memberships.find((m) => !before.has(m.tenant_id))?.firm || '';
      } catch (error) {
        api.session.clear();  // logged in only to accept: a refused acceptance leaves no session behind
        throw error;
      }
      step = 'accepted';
      render();
    },
  });
  card.append(h('h1', { id: 'activate-title', text: t('activate.exists_title') }),
    h('p', { class: 'lead', text: t('activate.exists') }), form);
  email.focus();
}

startRouter(render);
