// /activate: a client chooses a password with the one-time token from the invitation e-mail.
// The token is taken out of the address bar at once and kept in memory only.

import { createApi } from './api.js';
import { h, mount } from './dom.js';
import { t } from './i18n.js';
import { alert, errorAlert, field, shell, showFieldErrors, startRouter } from './ui.js';

const token = new URLSearchParams(location.search).get('token') || '';
history.replaceState(null, '', location.pathname);
const api = createApi({ key: 'activate.session' });
let done = false;

function render() {
  const { main } = shell({ area: 'activate', narrow: true });
  const card = h('section', { class: 'card login-card', 'aria-labelledby': 'activate-title' },
    h('h1', { id: 'activate-title', text: t('activate.title') }));
  mount(main, h('div', { class: 'login-wrap' }, card));
  if (done) {
    card.append(alert('ok', t('activate.done')), h('a', { class: 'btn btn-block', href: './', text: t('activate.to_portal') }));
    return;
  }
  if (!token) {
    card.append(alert('error', t('activate.no_token')));
    return;
  }
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
      done = true;
      render();
    } catch (error) {
      mount(notice, errorAlert(error));
      showFieldErrors(form, error);
      submit.disabled = false;
    }
  } },
  notice,
  field(t('activate.password'), password, t('activate.policy')),
  field(t('activate.repeat'), repeat),
  submit);
  card.append(h('p', { class: 'lead', text: t('activate.lead') }), form);
}

startRouter(render);
