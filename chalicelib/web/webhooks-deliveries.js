// An endpoint's recent deliveries, newest first: each event with its status, attempts and the last
// answer of the receiver. Read again on 'Vernieuwen', and every 3 s while one of them still waits.

import { formatDateTime, h, mount } from './dom.js';
import { locale, plural, t } from './i18n.js';
import { alert, errorText, loading } from './ui.js';
import { eventLabel } from './webhooks-form.js';

const POLL_MS = 3000;
const RECENT = 25;
const TONES = Object.freeze({ pending: 'open', delivered: 'ok', failed: 'bad' });

/** The card; `refresh()` reads the deliveries now (after a test event) and goes on polling while one waits. */
export function deliveriesCard(app, endpointId) {
  const path = `/advisor/webhooks/${encodeURIComponent(endpointId)}/deliveries?limit=${RECENT}`;
  const table = h('div', {}, loading());
  const problem = h('div');
  const checked = h('p', { class: 'muted small deliveries-checked' });
  const button = h('button', { type: 'button', class: 'btn btn-secondary', text: t('webhooks.deliveries.refresh') });
  const element = h('section', { class: 'card', 'aria-labelledby': 'webhook-deliveries-title' },
    h('div', { class: 'card-head deliveries-head' },
      h('h2', { id: 'webhook-deliveries-title', text: t('webhooks.deliveries.title') }),
      button),
    h('p', { class: 'muted', text: t('webhooks.deliveries.lead', { n: RECENT }) }),
    problem, table, checked);
  let timer = null;
  let drawn = null;
  let busy = false;
  let again = false;  // asked for while a read was under way: read once more after it

  function schedule() {
    timer = setTimeout(() => { if (element.isConnected) refresh(); }, POLL_MS);
  }
  // The button stays enabled while reading: a poll must not take the focus from it.
  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = null;
    busy = true;
    try {
      await read();
    } finally {
      busy = false;
    }
    if (again && element.isConnected) {
      again = false;
      clearTimeout(timer);
      refresh();
    }
  }
  async function read() {
    let items;
    try {
      items = (await app.api.get(path)).items || [];
      mount(problem);
    } catch (error) {
      mount(problem, alert('error', errorText(error)));
      if (drawn === null) mount(table);  // no list yet: the error alone, not a spinner for ever
      if (![401, 403, 404].includes(error.status) && element.isConnected) schedule();
      return;
    }
    if (!element.isConnected) return;  // another view (or this one drawn again) has taken the page
    const signature = JSON.stringify(items);
    if (signature !== drawn) mount(table, deliveriesTable(items));  // unchanged: nothing moves under the reader
    drawn = signature;
    const waiting = items.some((item) => item.status === 'pending');
    checked.textContent = t(waiting ? 'webhooks.deliveries.checked_polling' : 'webhooks.deliveries.checked',
      { when: new Intl.DateTimeFormat(locale(), { timeStyle: 'medium', timeZone: 'Europe/Amsterdam' }).format(new Date()) });
    if (waiting) schedule();
  }
  button.addEventListener('click', refresh);
  return { element, refresh };
}

function deliveriesTable(items) {
  if (!items.length) return h('p', { class: 'empty', text: t('webhooks.deliveries.empty') });
  return h('table', { class: 'data-table deliveries-table' },
    h('caption', { class: 'visually-hidden', text: t('webhooks.deliveries.caption') }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('webhooks.col.event') }),
      h('th', { scope: 'col', text: t('webhooks.col.status') }),
      h('th', { scope: 'col', class: 'col-attempts', text: t('webhooks.col.attempts') }),
      h('th', { scope: 'col', text: t('webhooks.col.answer') }))),
    h('tbody', {}, items.map(deliveryRow)));
}

function deliveryRow(item) {
  return h('tr', { 'data-event-id': item.event_id, 'data-status': item.status },
    h('th', { scope: 'row' },
      h('span', { class: 'cell-title', text: eventLabel(item.type) }),
      item.created_at ? h('span', { class: 'cell-meta', text: formatDateTime(item.created_at) }) : null,
      h('span', { class: 'cell-meta mono', text: item.event_id })),
    h('td', {},
      h('span', { class: `badge badge-${TONES[item.status] || 'quiet'}`, text: t(`webhooks.delivery.${item.status}`, {}, item.status) }),
      item.status === 'pending' && item.next_attempt_at
        ? h('span', { class: 'cell-meta', text: t('webhooks.deliveries.next', { when: formatDateTime(item.next_attempt_at) }) }) : null,
      // where the table is narrow, the attempts column folds into this cell
      h('span', { class: 'cell-meta attempts-inline', text: plural('webhooks.deliveries.attempts', item.attempts ?? 0) })),
    h('td', { class: 'attempts col-attempts', text: String(item.attempts ?? 0) }),
    h('td', { text: answerText(item) }));
}

/** 'HTTP 204', 'Geen antwoord' (a time-out or a refused connection) or 'Nog niet geprobeerd'. */
function answerText(item) {
  if (item.last_status_code) return t('webhooks.deliveries.http', { code: item.last_status_code });
  return t(item.attempts ? 'webhooks.deliveries.no_answer' : 'webhooks.deliveries.not_tried');
}
