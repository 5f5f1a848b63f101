// The advisor's clients: the searchable list and the client card (details, phone and city, invite, messages).

import { advisorMessageRow } from './advisor-messages.js';
import { parkedDraft } from './compose.js';
import { debounce, formatDate, h, mount } from './dom.js';
import { t } from './i18n.js';
import { alert, errorAlert, field, loading, showFieldErrors } from './ui.js';

export async function clientsView(app, query) {
  const { main } = app.frame;
  const search = h('input', { id: 'client-search', name: 'q', type: 'search', autocomplete: 'off', value: query.get('q') || '' });
  const results = h('section', { class: 'card', 'aria-label': t('clients.results'), 'aria-live': 'polite', 'aria-busy': 'false' });
  mount(main,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: t('clients.title') }), h('p', { class: 'lead', text: t('clients.lead') }))),
    h('form', { role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } }, field(t('clients.search'), search, t('clients.search_hint'))),
    results);

  const load = searchClients(app, search, results, (items, q) => (items.length
    ? h('ul', { class: 'rows' }, items.map(clientRow))
    : h('p', { class: 'empty', text: q ? t('clients.none_found', { q }) : t('clients.empty') })));
  mount(results, loading());
  await load();
}

/**
 * The firm's clients for the text in `search`, drawn into `results` by `show(items, q)`: asked again as
 * the advisor types (debounced), only the newest answer shown, `aria-busy` while one is on its way.
 * Returns the loader, to run at once or on Enter.
 */
export function searchClients(app, search, results, show) {
  let latest = 0;
  async function load() {
    const q = search.value.trim();
    const ticket = ++latest;
    results.setAttribute('aria-busy', 'true');
    try {
      const answer = await app.api.get(`/advisor/clients?limit=200${q ? `&q=${encodeURIComponent(q)}` : ''}`);
      if (ticket === latest) mount(results, show(answer.items, q));  // else a newer search has answered
    } catch (error) {
      if (ticket === latest) mount(results, errorAlert(error));
    } finally {
      if (ticket === latest) results.setAttribute('aria-busy', 'false');
    }
  }
  search.addEventListener('input', debounce(load, 250));
  return load;
}

function clientRow(client) {
  return h('li', {}, h('a', { class: 'row-link', href: `#/clients/${encodeURIComponent(client.id)}` },
    h('div', { class: 'row-main' },
      h('div', { class: 'row-title', text: client.name }),
      h('div', { class: 'row-meta' },
        h('span', { text: client.email }),
        h('span', { text: client.phone || t('clients.no_phone') }),
        client.city ? h('span', { text: client.city }) : null)),
    h('div', { class: 'row-side' }, accessBadge(client.portal_access)),
    h('span', { class: 'chevron', 'aria-hidden': 'true', text: '›' })));
}

function accessBadge(access) {
  const tone = { active: 'ok', invited: 'open', none: 'quiet' }[access] || 'quiet';
  return h('span', { class: `badge badge-${tone}`, text: t(`access.${access}`) });
}

/** The client card; `?phone=1` (from a message that needs the number) starts at the phone field, and
 * when a draft is waiting, saving goes back to it. */
export async function clientCardView(app, id, query = new URLSearchParams()) {
  const { main } = app.frame;
  mount(main, backLink(), loading());
  let card;
  try {
    card = await app.api.get(`/advisor/clients/${encodeURIComponent(id)}`);
  } catch (error) {
    mount(main, backLink(), errorAlert(error));
    return;
  }
  const clientsById = new Map([[card.id, card]]);
  const waiting = parkedDraft(card.id);
  mount(main,
    backLink(),
    waiting ? alert('info', waiting.subject ? t('messages.draft_waits', { subject: waiting.subject }) : t('messages.draft_waits_untitled'),
      h('a', { href: waiting.route, text: t('messages.back_to_draft') })) : null,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { text: card.name }), h('p', { class: 'lead', text: card.email })),
      h('a', { class: 'btn', href: `#/compose?client=${encodeURIComponent(card.id)}`, text: t('clients.new_message') })),
    h('div', { class: 'grid-aside' },
      h('div', {}, detailsCard(card), editCard(app, card, { focusPhone: query.get('phone') === '1' }), inviteCard(app, card)),
      h('section', { class: 'card', 'aria-labelledby': 'card-messages' },
        h('h2', { id: 'card-messages', text: t('clients.messages') }),
        card.messages.length
          ? h('ul', { class: 'rows' }, card.messages.map((m) => advisorMessageRow(m, clientsById, { showClient: false })))
          : h('p', { class: 'empty', text: t('clients.no_messages') }))));
}

function backLink() {
  return h('a', { class: 'back', href: '#/clients', text: `‹ ${t('clients.back')}` });
}

function detailsCard(card) {
  const row = (label, value) => [h('dt', { text: label }), h('dd', { text: value })];
  return h('section', { class: 'card', 'aria-labelledby': 'card-details' },
    h('div', { class: 'card-head' }, h('h2', { id: 'card-details', text: t('clients.details') }), accessBadge(card.portal_access)),
    h('dl', { class: 'details stacked' },
      row(t('field.email'), card.email),
      row(t('field.phone'), card.phone || t('clients.no_phone')),
      row(t('field.city'), card.city || '—'),
      row(t('field.language'), t(`lang.${card.language}`)),
      row(t('clients.since'), formatDate(card.created_at))));
}

function editCard(app, card, { focusPhone = false } = {}) {
  const phone = h('input', { id: 'client-phone', name: 'phone', type: 'tel', autocomplete: 'off', value: card.phone || '',
    'data-autofocus': focusPhone });
  const city = h('input', { id: 'client-city', name: 'city', type: 'text', autocomplete: 'off', maxlength: '100', value: card.city || '' });
  const notice = h('div');
  const save = h('button', { type: 'submit', class: 'btn', text: t('common.save') });
  const form = h('form', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const changes = { phone: phone.value.trim() || null, city: city.value.trim() || null };
      await app.api.patch(`/advisor/clients/${encodeURIComponent(card.id)}`, changes);
      app.forgetClients();
      const waiting = parkedDraft(card.id);
      if (waiting) {  // the message being written needed this number: back to it
        app.go(waiting.route, ['ok', t('clients.saved')]);
        return;
      }
      app.flash('ok', t('clients.saved'));
      await clientCardView(app, card.id);
    } catch (error) {
      mount(notice, errorAlert(error));
      showFieldErrors(form, error);
      save.disabled = false;
    }
  } },
  notice,
  field(t('field.phone'), phone, t('clients.phone_hint')),
  field(t('field.city'), city, t('clients.city_hint')),
  save);
  return h('section', { class: 'card', 'aria-labelledby': 'card-edit' }, h('h2', { id: 'card-edit', text: t('clients.edit') }), form);
}

function inviteCard(app, card) {
  if (card.portal_access === 'active') return null;
  const notice = h('div');
  const button = h('button', { type: 'button', class: 'btn btn-secondary',
    text: card.portal_access === 'invited' ? t('clients.invite_again') : t('clients.invite') });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await app.api.post(`/advisor/clients/${encodeURIComponent(card.id)}/invite`, {});
      app.forgetClients();
      app.flash('ok', t('clients.invited', { email: card.email }));
      await clientCardView(app, card.id);
    } catch (error) {
      mount(notice, errorAlert(error));
      button.disabled = false;
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'card-invite' },
    h('h2', { id: 'card-invite', text: t('clients.portal') }),
    h('p', { class: 'muted', text: t(`clients.portal_${card.portal_access}`) }),
    notice, button);
}
