// One bulk send as it goes out: a progress bar and '8 van 10 verzonden, 2 mislukt' (its counts asked
// again every 1.5 s until it is done), each recipient's result with the failures first (all of them
// read again at most every 10 s while it runs, and once when it is done), and for the whole batch
// 'Intrekken' (every request still open) and 'Herinnering sturen' (at most once per 24 hours).

import { messageLink } from './advisor-messages.js';
import { formatDateTime, h, mount } from './dom.js';
import { plural, t } from './i18n.js';
import { alert, errorAlert, errorText, loading } from './ui.js';

const POLL_MS = 1500;
const TABLE_EVERY_MS = 10000;  // the counts are one small read; every recipient's result is many
const PAGE = 200;
const ITEM_ORDER = { failed: 0, pending: 1, sent: 2 };
// The failures a recipient may have, in the advisor's words; the server's own detail follows.
const KNOWN_FAILURES = new Set(['phone_required', 'document_not_ready', 'not_found', 'validation_error']);

/** '8 van 10 verzonden, 2 mislukt'. */
export function progressText(batch) {
  return t('bulk.progress_text', { sent: batch.sent, total: batch.total, failed: batch.failed });
}

/** The status of a batch as a pill: the words say it, the colour only repeats it. */
export function batchBadge(status) {
  const tone = { queued: 'quiet', running: 'open', done: 'ok' }[status] || 'quiet';
  return h('span', { class: `badge badge-${tone}`, text: t(`bulk.status.${status}`, {}, status) });
}

/** The batch with every one of its items (the items come in pages). */
async function batchWithItems(app, id) {
  const base = `/advisor/bulk-sends/${encodeURIComponent(id)}?limit=${PAGE}`;
  const batch = await app.api.get(base);
  const items = [...(batch.items || [])];
  for (let cursor = batch.next_cursor; cursor;) {
    const page = await app.api.get(`${base}&cursor=${encodeURIComponent(cursor)}`);
    items.push(...(page.items || []));
    cursor = page.next_cursor;
  }
  return { ...batch, items };
}

export async function bulkSendView(app, id) {
  const { main } = app.frame;
  const back = h('a', { class: 'back', href: '#/bulk-sends', text: `‹ ${t('bulk.back')}` });
  mount(main, back, loading());
  let clientsById = new Map();
  let batch;
  try {
    [batch, clientsById] = await Promise.all([batchWithItems(app, id), app.clientsById().catch(() => new Map())]);
  } catch (error) {
    mount(main, back, errorAlert(error));
    return;
  }
  const title = h('h1', { id: 'bulk-send-title', text: batch.subject });
  const badge = h('span');
  const bar = h('progress', { id: 'bulk-progress', 'aria-labelledby': 'bulk-progress-label' });
  const counts = h('p', { class: 'bulk-counts', id: 'bulk-progress-text', 'aria-live': 'polite' });
  const state = h('p', { class: 'muted' });
  const pollError = h('div');
  const results = h('div');
  const actions = actionsCard(app, id);
  mount(main, back,
    h('div', { class: 'page-head' },
      h('div', {}, title, h('p', { class: 'lead', text: t('bulk.started_on', { when: formatDateTime(batch.created_at) }) })),
      badge),
    h('section', { class: 'card', 'aria-labelledby': 'bulk-progress-title' },
      h('h2', { id: 'bulk-progress-title', text: t('bulk.progress_title') }),
      h('p', { id: 'bulk-progress-label', class: 'label', text: t('bulk.progress_label') }),
      bar, counts, state, pollError),
    actions.element,
    h('section', { class: 'card', 'aria-labelledby': 'bulk-results-title' },
      h('h2', { id: 'bulk-results-title', text: t('bulk.results.title') }), results));

  let drawn = '';
  function show(current) {
    mount(badge, batchBadge(current.status));
    bar.max = Math.max(current.total, 1);
    bar.value = current.sent + current.failed;
    const text = progressText(current);
    if (counts.textContent !== text) counts.textContent = text;  // the live region speaks only on a change
    state.textContent = t(`bulk.state.${current.status}`, {}, '');
    actions.show(current.status === 'done');
    const signature = JSON.stringify(current.items.map((i) => [i.client_id, i.status, i.message_id]));
    if (signature !== drawn) mount(results, resultsTable(current.items, clientsById));  // unchanged: focus stays put
    drawn = signature;
  }
  show(batch);

  let tableAt = Date.now();
  async function poll() {
    if (!results.isConnected) return;  // another view (or a re-render of this one) has taken the page
    try {
      const { items: _page, next_cursor: _more, ...counts } = await app.api.get(`/advisor/bulk-sends/${encodeURIComponent(id)}?limit=1`);
      const moved = counts.sent + counts.failed !== batch.sent + batch.failed;
      if (counts.status === 'done' || (moved && Date.now() - tableAt >= TABLE_EVERY_MS)) {
        batch = await batchWithItems(app, id);
        tableAt = Date.now();
      } else {
        batch = { ...batch, ...counts };
      }
      mount(pollError);
    } catch (error) {
      mount(pollError, alert('error', errorText(error)));
      if ([401, 403, 404].includes(error.status)) return;
    }
    if (!results.isConnected) return;
    show(batch);
    if (batch.status !== 'done') setTimeout(poll, POLL_MS);
  }
  if (batch.status !== 'done') setTimeout(poll, POLL_MS);
}

function resultsTable(items, clientsById) {
  if (!items.length) return h('p', { class: 'empty', text: t('bulk.results.empty') });
  const sorted = [...items].sort((a, b) => (ITEM_ORDER[a.status] ?? 1) - (ITEM_ORDER[b.status] ?? 1));
  return h('table', { class: 'data-table results-table' },
    h('caption', { class: 'visually-hidden', text: t('bulk.results.caption') }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('bulk.col.client') }),
      h('th', { scope: 'col', text: t('bulk.col.status') }),
      h('th', { scope: 'col', text: t('bulk.col.outcome') }))),
    h('tbody', {}, sorted.map((item) => resultRow(item, clientsById))));
}

function resultRow(item, clientsById) {
  const name = item.name || clientsById.get(item.client_id)?.name || t('messages.unknown_client');
  const tone = { sent: 'ok', failed: 'bad', pending: 'quiet' }[item.status] || 'quiet';
  return h('tr', { 'data-status': item.status, 'data-client-id': item.client_id, 'data-error': item.error?.code || false },
    h('th', { scope: 'row', text: name }),
    h('td', {}, h('span', { class: `badge badge-${tone}`, text: t(`bulk.item.${item.status}`, {}, item.status) })),
    h('td', {}, outcome(item, name)));
}

function outcome(item, name) {
  if (item.status === 'sent' && item.message_id) {
    return h('a', { href: messageLink({ id: item.message_id }), text: t('bulk.results.open'),
      'aria-label': t('bulk.results.open_label', { name }) });
  }
  if (item.status !== 'failed') return h('span', { class: 'muted', text: t('bulk.results.waiting') });
  const code = item.error?.code || '';
  const detail = item.error?.detail || '';
  return [
    h('span', { class: 'cell-title', text: t(KNOWN_FAILURES.has(code) ? `bulk.failure.${code}` : 'bulk.failure.other') }),
    detail ? h('span', { class: 'cell-meta', text: detail }) : null,
  ];
}

/** 'Intrekken' and 'Herinnering sturen', once every recipient has been dealt with; their outcome stays in view. */
function actionsCard(app, id) {
  const outcomeBox = h('div', { class: 'bulk-outcome' });
  const base = `/advisor/bulk-sends/${encodeURIComponent(id)}`;
  const remind = h('button', { type: 'button', class: 'btn btn-secondary', text: t('bulk.remind') });
  const withdraw = h('button', { type: 'button', class: 'btn btn-danger', text: t('bulk.withdraw') });
  async function act(button, path, said) {
    button.disabled = true;
    try {
      mount(outcomeBox, alert('ok', said(await app.api.post(`${base}/${path}`, {}))));
    } catch (error) {
      mount(outcomeBox, error.code === 'rate_limited' ? alert('warn', remindLimited(error)) : errorAlert(error));
    } finally {
      button.disabled = false;
    }
  }
  remind.addEventListener('click', () => act(remind, 'remind',
    ({ reminded }) => (reminded ? plural('bulk.reminded', reminded) : t('bulk.reminded_none'))));
  withdraw.addEventListener('click', () => {
    if (!window.confirm(t('bulk.withdraw_confirm'))) return;
    act(withdraw, 'withdraw', ({ withdrawn }) => (withdrawn ? plural('bulk.withdrawn', withdrawn) : t('bulk.withdrawn_none')));
  });
  const element = h('section', { class: 'card', 'aria-labelledby': 'bulk-actions-title', hidden: true },
    h('h2', { id: 'bulk-actions-title', text: t('bulk.actions.title') }),
    h('p', { class: 'muted', text: t('bulk.actions.lead') }),
    h('div', { class: 'row' }, remind, withdraw),
    outcomeBox);
  return { element, show: (on) => { element.hidden = !on; } };
}

/** 429 on 'Herinnering sturen': once per batch per 24 hours, and when it may be sent again. */
function remindLimited(error) {
  const seconds = Number(error.problem?.retry_after) || 0;
  const again = seconds ? ` ${plural('bulk.remind_again_in', Math.max(1, Math.ceil(seconds / 3600)))}` : '';
  return `${t('bulk.remind_limited')}${again}`;
}
