// 'Koppelingen': the firm's webhook endpoints (where its tax and practice software learns at once that
// a client signed, rejected or let a deadline pass), each linking to its own screen, and the form that
// adds one. A new endpoint's secret is shown once, on that endpoint's screen.

import { formatDateTime, h, mount } from './dom.js';
import { plural, t } from './i18n.js';
import { errorAlert, loading } from './ui.js';
import { addEndpointForm } from './webhooks-form.js';
import { keepSecret } from './webhooks-secret.js';

const PAGE = 200;

export function webhookLink(id) {
  return `#/webhooks/${encodeURIComponent(id)}`;
}

/** 'Actief' or 'Uitgeschakeld' as a pill: the words say it, the colour only repeats it. */
export function endpointBadge(endpoint) {
  const disabled = endpoint.status === 'disabled';
  return h('span', { class: `badge badge-${disabled ? 'bad' : 'ok'}`, text: t(`webhooks.status.${disabled ? 'disabled' : 'active'}`) });
}

/** 'Uitgeschakeld sinds 3 maart 2026 om 14:05' (or without the moment, when none came). */
export function disabledSince(endpoint) {
  return endpoint.disabled_at ? t('webhooks.disabled_since', { when: formatDateTime(endpoint.disabled_at) }) : t('webhooks.status.disabled');
}

/** Every endpoint of the firm (a firm has few; the list comes in pages all the same). */
export async function allEndpoints(app) {
  const items = [];
  let cursor = null;
  do {
    const answer = await app.api.get(`/advisor/webhooks?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...(answer.items || []));
    cursor = answer.next_cursor;
  } while (cursor);
  return items;
}

export async function webhooksView(app, { fresh = true } = {}) {
  const { main } = app.frame;
  const list = h('section', { class: 'card', 'aria-labelledby': 'webhooks-list-title' },
    h('h2', { id: 'webhooks-list-title', text: t('webhooks.list.title') }), loading());
  const form = addEndpointForm(app, {
    fresh,
    onCreated: (created) => {
      keepSecret(created.id, created);
      app.go(webhookLink(created.id), ['ok', t('webhooks.created')]);
    },
  });
  mount(main,
    h('div', { class: 'page-head' }, h('div', {},
      h('h1', { id: 'webhooks-title', text: t('webhooks.title') }), h('p', { class: 'lead', text: t('webhooks.lead') }))),
    list,
    h('section', { class: 'card', 'aria-labelledby': 'webhook-add-title' },
      h('h2', { id: 'webhook-add-title', text: t('webhooks.form.title') }),
      h('p', { class: 'muted', text: t('webhooks.form.lead') }),
      form));
  const heading = list.querySelector('h2');
  try {
    const endpoints = await allEndpoints(app);
    mount(list, heading, endpoints.length
      ? h('ul', { class: 'rows webhook-rows' }, endpoints.map(endpointRow))
      : h('p', { class: 'empty', text: t('webhooks.list.empty') }));
  } catch (error) {
    mount(list, heading, errorAlert(error));
  }
}

function endpointRow(endpoint) {
  const disabled = endpoint.status === 'disabled';
  return h('li', { 'data-webhook-id': endpoint.id, 'data-status': endpoint.status },
    h('a', { class: 'row-link', href: webhookLink(endpoint.id) },
      h('div', { class: 'row-main' },
        h('div', { class: 'row-title webhook-url', text: endpoint.url }),
        h('div', { class: 'row-meta' },
          h('span', { text: plural('webhooks.list.events', endpoint.events.length) }),
          h('span', { text: t('webhooks.added_on', { when: formatDateTime(endpoint.created_at) }) }),
          disabled ? h('span', { class: 'webhook-off', text: disabledSince(endpoint) }) : null)),
      h('div', { class: 'row-side' }, endpointBadge(endpoint)),
      h('span', { class: 'chevron', 'aria-hidden': 'true', text: '›' })));
}
