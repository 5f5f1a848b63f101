// 'Bulkverzending' (the tax-return season): one message to many clients at once, each with their own
// name and, if need be, their own document; below the form, the bulk sends made earlier.

import { bulkComposeForm } from './bulk-sends-compose.js';
import { batchBadge, progressText } from './bulk-sends-progress.js';
import { formatDateTime, h, mount } from './dom.js';
import { t } from './i18n.js';
import { errorAlert, loading } from './ui.js';

export async function bulkSendsView(app, { fresh = true } = {}) {
  const { main } = app.frame;
  const head = h('div', { class: 'page-head' },
    h('div', {}, h('h1', { id: 'bulk-title', text: t('bulk.title') }), h('p', { class: 'lead', text: t('bulk.lead') })));
  mount(main, head, loading());
  let me;
  let allClients;
  try {
    const [who, clients] = await Promise.all([app.me(), app.clients({ fresh: true })]);
    me = who;
    allClients = new Map(clients.map((c) => [c.id, c]));
  } catch (error) {
    mount(main, head, errorAlert(error));
    return;
  }
  const history = h('section', { class: 'card', 'aria-labelledby': 'bulk-history-title' },
    h('h2', { id: 'bulk-history-title', text: t('bulk.history.title') }), loading());
  mount(main, head, bulkComposeForm(app, { me, allClients, fresh }), history);
  await earlierSends(app, history);
}

/** The earlier bulk sends, newest first, a page at a time. */
async function earlierSends(app, section) {
  const heading = section.querySelector('h2');
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'btn btn-secondary', text: t('bulk.history.more'), hidden: true });
  const notice = h('div');
  let cursor = null;
  async function load() {
    more.disabled = true;
    try {
      const answer = await app.api.get(`/advisor/bulk-sends?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      body.append(...answer.items.map(historyRow));
      cursor = answer.next_cursor;
      mount(notice);
      return answer.items.length;
    } catch (error) {
      mount(notice, errorAlert(error));
      return -1;
    } finally {
      more.disabled = false;
      more.hidden = !cursor;
    }
  }
  more.addEventListener('click', load);
  const first = await load();
  if (!first) {
    mount(section, heading, h('p', { class: 'empty', text: t('bulk.history.empty') }));
    return;
  }
  mount(section, heading, notice,
    first > 0 ? h('table', { class: 'data-table' },
      h('caption', { class: 'visually-hidden', text: t('bulk.history.title') }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('bulk.col.subject') }),
        h('th', { scope: 'col', text: t('bulk.col.status') }),
        h('th', { scope: 'col', text: t('bulk.col.result') }))),
      body) : null,
    more);
}

function historyRow(batch) {
  return h('tr', {},
    h('th', { scope: 'row' },
      h('a', { class: 'cell-title', href: `#/bulk-sends/${encodeURIComponent(batch.id)}`, text: batch.subject }),
      h('span', { class: 'cell-meta', text: formatDateTime(batch.created_at) })),
    h('td', {}, batchBadge(batch.status)),
    h('td', { text: progressText(batch) }));
}
