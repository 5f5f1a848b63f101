// 'Cliënten' of a bulk send: found with a filter (name or e-mail address), chosen one by one or all
// shown at once. A client without a mobile number is marked in words: for 'bestand laten ondertekenen'
// their message fails (phone_required) and the others are sent all the same.

import { searchClients } from './advisor-clients.js';
import { h, mount } from './dom.js';
import { plural, t } from './i18n.js';
import { alert, loading } from './ui.js';

/** A notice of `kind` saying `text` in `container` (none when `kind` is empty), put there again only when it
 * says something else: a warning is announced at once, and once. */
export function sayOnce(container, kind, text) {
  const said = kind ? `${kind}:${text}` : '';
  if (container.dataset.said === said) return;
  container.dataset.said = said;
  mount(container, kind ? alert(kind, text) : null);
}

/** The chosen clients without a mobile number (they cannot receive an SMS code). */
export function withoutPhone(draft) {
  return [...draft.chosen.values()].filter((c) => !c.phone);
}

/**
 * The picker. `draft.chosen` (client id → client) and `draft.filter` survive a re-render; `typeOf()`
 * is the response type chosen now; `onChange()` runs after every change of the choice.
 */
export function recipientPicker({ app, draft, typeOf, onChange }) {
  const search = h('input', { id: 'bulk-filter', name: 'q', type: 'search', autocomplete: 'off', value: draft.filter,
    'aria-describedby': 'bulk-filter-hint' });
  const results = h('div', { class: 'pick-results', 'aria-busy': 'false' });
  const count = h('p', { class: 'pick-count', role: 'status' });
  const phoneNote = h('div');
  const selectShown = h('button', { type: 'button', class: 'btn btn-secondary', text: t('bulk.clients.select_shown') });
  const clear = h('button', { type: 'button', class: 'btn btn-quiet', text: t('bulk.clients.clear') });
  let shown = [];

  function choose(client, on) {
    if (on) draft.chosen.set(client.id, client);
    else draft.chosen.delete(client.id);
  }
  function changed() {
    for (const box of results.querySelectorAll('input[type=checkbox]')) box.checked = draft.chosen.has(box.value);
    update();
    onChange();
  }
  selectShown.addEventListener('click', () => {
    for (const client of shown) choose(client, true);
    changed();
  });
  clear.addEventListener('click', () => {
    draft.chosen.clear();
    changed();
  });

  function row(client) {
    const id = `bulk-client-${client.id}`;
    const box = h('input', { type: 'checkbox', id, value: client.id, checked: draft.chosen.has(client.id),
      onchange: () => { choose(client, box.checked); update(); onChange(); } });
    return h('li', {}, box,
      h('label', { for: id },
        h('span', { class: 'pick-name', text: client.name }),
        h('span', { class: 'pick-meta' },
          h('span', { text: client.email }),
          client.phone ? null : h('span', { class: 'no-phone', text: t('clients.no_phone') }))));
  }

  const load = searchClients(app, search, results, (items, q) => {
    draft.filter = search.value;
    shown = items;
    selectShown.disabled = !shown.length;
    return shown.length
      ? h('fieldset', { class: 'pick-group' },
        h('legend', { class: 'visually-hidden', text: t('bulk.clients.found') }),
        h('ul', { class: 'pick-list' }, shown.map(row)))
      : h('p', { class: 'empty', text: q ? t('clients.none_found', { q }) : t('clients.empty') });
  });
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {  // Enter filters at once, and does not send the form
      event.preventDefault();
      load();
    }
  });

  /** The count and, for signing, who will fail for want of a mobile number. */
  function update() {
    const n = draft.chosen.size;
    count.textContent = n ? plural('bulk.clients.chosen', n) : t('bulk.clients.none_chosen');
    clear.hidden = !n;
    const missing = typeOf() === 'sign' ? withoutPhone(draft) : [];
    sayOnce(phoneNote, missing.length ? 'warn' : '',
      plural('bulk.clients.no_phone_warning', missing.length, { names: missing.map((c) => c.name).join(', ') }));
  }

  const element = h('section', { class: 'card', 'aria-labelledby': 'bulk-clients-title' },
    h('h2', { id: 'bulk-clients-title', text: t('bulk.clients.title') }),
    h('div', { class: 'field' },
      h('label', { for: 'bulk-filter', text: t('bulk.clients.filter') }), search,
      h('span', { class: 'hint', id: 'bulk-filter-hint', text: t('bulk.clients.filter_hint') })),
    h('div', { class: 'row pick-tools' }, selectShown, clear, count),
    results, phoneNote);
  mount(results, loading());
  load();
  update();
  return { element, update };
}
