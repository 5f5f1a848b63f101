// One endpoint of 'Koppelingen': its address, events and status; the secret right after it was made or
// renewed (once); 'Testbericht sturen', 'Geheim vernieuwen' and 'Verwijderen'; and its recent deliveries.

import { formatDateTime, h, mount } from './dom.js';
import { t } from './i18n.js';
import { alert, errorAlert, loading } from './ui.js';
import { allEndpoints, disabledSince, endpointBadge } from './webhooks.js';
import { deliveriesCard } from './webhooks-deliveries.js';
import { eventLabel } from './webhooks-form.js';
import { forgetSecret, keepSecret, keptSecret, showSecret } from './webhooks-secret.js';

export async function webhookView(app, id) {
  const { main } = app.frame;
  const back = h('a', { class: 'back', href: '#/webhooks', text: `‹ ${t('webhooks.back')}` });
  mount(main, back, loading());
  let endpoint;
  try {
    endpoint = (await allEndpoints(app)).find((e) => e.id === id);
  } catch (error) {
    mount(main, back, errorAlert(error));
    return;
  }
  if (!endpoint) {
    mount(main, back, h('h1', { text: t('webhooks.not_found_title') }), alert('error', t('webhooks.not_found')));
    return;
  }
  const secretSlot = h('div');
  const deliveries = deliveriesCard(app, id);
  // 'Ik heb het geheim bewaard': the card goes, the reader is back at the top of the screen.
  const hideSecret = () => {
    mount(secretSlot);
    main.querySelector('h1')?.focus();
  };
  mount(main, back,
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', { id: 'webhook-title', class: 'webhook-title', tabindex: '-1',
          text: t('webhooks.endpoint.title', { host: hostOf(endpoint.url) }) }),
        h('p', { class: 'lead', text: t('webhooks.added_on', { when: formatDateTime(endpoint.created_at) }) })),
      endpointBadge(endpoint)),
    endpoint.status === 'disabled' ? alert('warn', `${disabledSince(endpoint)}. ${t('webhooks.disabled_explained')}`) : null,
    secretSlot,
    detailsCard(endpoint),
    actionsCard(app, endpoint, { secretSlot, deliveries, hideSecret }),
    deliveries.element);
  const kept = keptSecret(id);
  if (kept) showSecret(secretSlot, kept, { onDone: hideSecret });
  deliveries.refresh();
}

function hostOf(url) {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

function detailsCard(endpoint) {
  const row = (label, ...value) => [h('dt', { text: label }), h('dd', {}, ...value)];
  return h('section', { class: 'card', 'aria-labelledby': 'webhook-details-title' },
    h('h2', { id: 'webhook-details-title', text: t('webhooks.details') }),
    h('dl', { class: 'details' },
      row(t('webhooks.form.url'), h('span', { class: 'mono', id: 'webhook-address', text: endpoint.url })),
      row(t('webhooks.form.events'), h('ul', { class: 'event-summary' }, endpoint.events.map((type) => h('li', {},
        h('span', { text: eventLabel(type) }), ' ', h('span', { class: 'event-code', text: type }))))),
      row(t('webhooks.col.status'), endpoint.status === 'disabled' ? disabledSince(endpoint) : t('webhooks.status.active_long'))));
}

/** 'Testbericht sturen', 'Geheim vernieuwen' and 'Koppeling verwijderen'; the outcome stays in view. */
function actionsCard(app, endpoint, { secretSlot, deliveries, hideSecret }) {
  const base = `/advisor/webhooks/${encodeURIComponent(endpoint.id)}`;
  const outcome = h('div', { class: 'webhook-outcome' });
  const test = h('button', { type: 'button', class: 'btn', text: t('webhooks.test') });
  const rotate = h('button', { type: 'button', class: 'btn btn-secondary', text: t('webhooks.rotate') });
  const remove = h('button', { type: 'button', class: 'btn btn-danger', text: t('webhooks.delete') });
  async function act(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      mount(outcome, errorAlert(error));
    } finally {
      button.disabled = false;
    }
  }
  test.addEventListener('click', () => act(test, async () => {
    const sent = await app.api.post(`${base}/test`, {});
    mount(outcome, alert('ok', t('webhooks.test_sent', { id: sent.event_id })));
    deliveries.refresh();
  }));
  rotate.addEventListener('click', () => {
    if (!window.confirm(t('webhooks.rotate_confirm'))) return;
    act(rotate, async () => {
      const answer = await app.api.post(`${base}/rotate-secret`, {});
      mount(outcome);
      showSecret(secretSlot, keepSecret(endpoint.id, answer, { rotated: true }), { onDone: hideSecret });
      secretSlot.scrollIntoView({ block: 'start' });
    });
  });
  remove.addEventListener('click', () => {
    if (!window.confirm(t('webhooks.delete_confirm', { url: endpoint.url }))) return;
    act(remove, async () => {
      await app.api.request('DELETE', base);
      forgetSecret();
      app.go('#/webhooks', ['ok', t('webhooks.deleted', { url: endpoint.url })]);
    });
  });
  // A disabled endpoint gets nothing any more, a test event neither: only deleting it is left.
  const disabled = endpoint.status === 'disabled';
  return h('section', { class: 'card', 'aria-labelledby': 'webhook-actions-title' },
    h('h2', { id: 'webhook-actions-title', text: t('webhooks.actions') }),
    h('p', { class: 'muted', text: t(disabled ? 'webhooks.actions_lead_disabled' : 'webhooks.actions_lead') }),
    h('div', { class: 'row webhook-actions' }, disabled ? null : [test, rotate], remove),
    outcome);
}
