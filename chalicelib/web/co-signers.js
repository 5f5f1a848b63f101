// 'Medeondertekenaars' in the compose form: up to three other clients of the firm, found by name,
// who sign the same document, and whether they sign at the same time or one after another.

import { debounce, h, mount } from './dom.js';
import { t } from './i18n.js';
import { alert, errorText } from './ui.js';

const MAX_CO_SIGNERS = 3;
const ORDERS = ['parallel', 'sequential'];

/** What the picker keeps in the draft, so it survives a re-render (a language switch). */
export function emptyCoSigners() {
  return { chosen: [], order: 'parallel' };
}

/**
 * The picker. `state` is the draft's ({chosen: [client], order}); `mainClient()` is the client of
 * 'Aan', who is never offered; `onChange()` runs after every change of the choice.
 */
export function coSignerPicker({ api, state, mainClient, onChange }) {
  const errors = new Map();  // client id → the server's words about them (422 phone_required)
  let general = null;  // the server's words about co-signers it did not say whose
  const announce = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const chosenList = h('ol', { class: 'co-signer-list', id: 'co-signer-list', 'aria-label': t('compose.co_signers') });
  const generalError = h('p', { class: 'signer-error', hidden: true });
  const search = h('input', { id: 'co-signer-search', name: 'co_signer_search', type: 'search', autocomplete: 'off',
    'aria-describedby': 'co-signer-search-hint', 'aria-controls': 'co-signer-results' });
  const results = h('ul', { class: 'co-signer-results', id: 'co-signer-results', 'aria-label': t('compose.co_signer_results') });
  const searchField = h('div', { class: 'field' },
    h('label', { for: 'co-signer-search', text: t('compose.co_signer_search') }), search,
    h('span', { class: 'hint', id: 'co-signer-search-hint', text: t('compose.co_signer_search_hint') }), results);
  const full = h('p', { class: 'hint', text: t('compose.co_signer_max', { n: MAX_CO_SIGNERS }) });
  const orderHint = h('span', { class: 'hint', id: 'signing-order-hint', 'aria-live': 'polite' });
  const order = h('fieldset', { class: 'field signing-order', 'aria-describedby': 'signing-order-hint' },
    h('legend', { text: t('compose.order') }),
    ORDERS.map((value) => h('div', { class: 'radio' },
      h('input', { type: 'radio', id: `signing-order-${value}`, name: 'signing_order', value, checked: state.order === value,
        'aria-describedby': `signing-order-${value}-hint`, onchange: () => { state.order = value; render(); onChange(); } }),
      h('div', {}, h('label', { for: `signing-order-${value}`, class: 'radio-title', text: t(`compose.order_${value}`) }),
        h('span', { class: 'hint', id: `signing-order-${value}-hint`, text: t(`compose.order_${value}_hint`) })))),
    orderHint);
  const element = h('fieldset', { class: 'co-signers', id: 'co-signers', 'aria-describedby': 'co-signers-hint' },
    h('legend', { text: t('compose.co_signers') }),
    h('p', { class: 'hint', id: 'co-signers-hint', text: t('compose.co_signers_hint', { n: MAX_CO_SIGNERS }) }),
    generalError, chosenList, searchField, full, order, announce);

  let latest = 0;
  async function find() {
    const q = search.value.trim();
    const ticket = ++latest;
    if (!q) { mount(results); return; }
    try {
      const answer = await api.get(`/advisor/clients?limit=20&q=${encodeURIComponent(q)}`);
      if (ticket !== latest) return;  // a newer search has already answered
      const taken = new Set([mainClient()?.id, ...state.chosen.map((c) => c.id)]);
      const found = answer.items.filter((c) => !taken.has(c.id)).slice(0, 8);
      mount(results, found.length ? found.map(option)
        : h('li', { class: 'muted small', text: t('compose.co_signer_none_found', { q }) }));
    } catch (error) {
      if (ticket === latest) mount(results, h('li', {}, alert('error', errorText(error))));
    }
  }

  function option(client) {
    return h('li', {}, h('button', { type: 'button', class: 'co-signer-option',
      'aria-label': t('compose.co_signer_add', { name: client.name }), onclick: () => add(client) },
    h('span', { class: 'row-title', text: client.name }),
    h('span', { class: 'row-meta', text: `${client.email} · ${client.phone || t('clients.no_phone')}` })));
  }

  function add(client) {
    if (state.chosen.length >= MAX_CO_SIGNERS || state.chosen.some((c) => c.id === client.id)) return;
    state.chosen.push(client);
    search.value = '';
    mount(results);
    announce.textContent = t('compose.co_signer_added', { name: client.name });
    render();
    onChange();
    (searchField.hidden ? chosenList.querySelector('li:last-child button') : search).focus();
  }

  function remove(client) {
    const index = state.chosen.indexOf(client);
    state.chosen.splice(index, 1);
    errors.delete(client.id);
    announce.textContent = t('compose.co_signer_removed', { name: client.name });
    render();
    onChange();
    (chosenList.querySelectorAll('li button')[index] || search).focus();
  }

  function render() {
    mount(chosenList, state.chosen.map((client, i) => h('li', { 'data-client-id': client.id },
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title', text: client.name }),
        h('div', { class: 'row-meta', text: client.email }),
        problemLine(client, i)),
      h('button', { type: 'button', class: 'btn btn-quiet', text: t('compose.remove'),
        'aria-label': `${t('compose.remove')}: ${client.name}`, onclick: () => remove(client) }))));
    chosenList.hidden = !state.chosen.length;
    searchField.hidden = state.chosen.length >= MAX_CO_SIGNERS;
    full.hidden = !searchField.hidden;
    order.hidden = !state.chosen.length;
    generalError.hidden = !general;
    generalError.textContent = general || '';
    const names = [mainClient()?.name || t('compose.order_main'), ...state.chosen.map((c) => c.name)];
    orderHint.textContent = state.order === 'sequential'
      ? t('compose.order_now', { names: names.map((name, i) => `${i + 1}. ${name}`).join(', ') }) : '';
  }

  function problemLine(client, i) {
    const text = errors.get(client.id) || (client.phone ? null : t('compose.co_signer_no_phone'));
    return text ? h('span', { class: 'signer-error', id: `co-signer-${i}-error`, text }) : null;
  }

  search.addEventListener('input', debounce(find, 250));
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); find(); }  // a search, never the form's submit
    if (event.key === 'ArrowDown') { event.preventDefault(); results.querySelector('button')?.focus(); }
    if (event.key === 'Escape') mount(results);
  });
  results.addEventListener('keydown', (event) => {
    const buttons = [...results.querySelectorAll('button')];
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = at + (event.key === 'ArrowDown' ? 1 : -1);
      (next < 0 ? search : buttons[Math.min(next, buttons.length - 1)]).focus();
    }
    if (event.key === 'Escape') { mount(results); search.focus(); }
  });
  render();

  return {
    element,
    /** The fields of the message body: none without co-signers, so a single signer reads as before. */
    body() {
      return state.chosen.length ? { co_signers: state.chosen.map((c) => c.id), signing_order: state.order } : {};
    },
    names: () => state.chosen.map((c) => c.name),
    /** The first co-signer who cannot sign (no mobile number on the card); null when all can. */
    withoutPhone: () => state.chosen.find((c) => !c.phone) || null,
    /** 'Aan' changed: the main client is not also a co-signer, and the order names them first. */
    mainChanged() {
      const main = mainClient();
      const index = state.chosen.findIndex((c) => c.id === main?.id);
      if (index >= 0) state.chosen.splice(index, 1);
      render();
    },
    /** Show what an error answer says about co-signers, beside each one it names; true when it named any. */
    showErrors(error) {
      errors.clear();
      general = null;
      const about = (error?.fieldErrors || []).filter((f) => String(f.field).startsWith('co_signers'));
      for (const f of about) {
        const position = /^co_signers\W*(\d+)/.exec(f.field);
        const client = state.chosen.find((c) => c.id === f.client_id)
          || (position ? state.chosen[Number(position[1])] : null)
          || state.chosen.find((c) => String(f.message).includes(c.name));
        if (client) errors.set(client.id, f.message);
        else general = f.message;
      }
      render();
      return about.length > 0;
    },
  };
}
