// The advisor's notifications: what clients did, newest first. Opening one marks it read; 'Alles
// gelezen' marks every one; the header's count follows (advisor.js asks ?unread=true).

import { messageLink, receiptLink } from './advisor-messages.js';
import { formatDateTime, h, mount } from './dom.js';
import { plural, t } from './i18n.js';
import { errorAlert, errorText, loading } from './ui.js';

export async function notificationsView(app) {
  const { main } = app.frame;
  const list = h('section', { class: 'card', 'aria-labelledby': 'notes-title' }, loading());
  const actions = h('div', { class: 'page-actions' });
  mount(main, h('div', { class: 'page-head' }, h('div', {},
    h('h1', { id: 'notes-title', text: t('notifications.title') }), h('p', { class: 'lead', text: t('notifications.lead') })),
  actions), list);
  let answer;
  let subjects;
  let clientsById;
  try {
    const [notes, messages, clients] = await Promise.all([
      app.api.get('/advisor/notifications?limit=200'), app.api.get('/advisor/messages?limit=200'), app.clientsById(),
    ]);
    answer = notes;
    subjects = new Map(messages.items.map((m) => [m.id, m.subject]));
    clientsById = clients;
  } catch (error) {
    mount(list, errorAlert(error));
    return;
  }
  if (answer.items.some((n) => !n.read)) mount(actions, readAllButton(app));
  mount(list, answer.items.length
    ? h('ul', { class: 'rows' }, answer.items.map((n) => notificationRow(app, n, subjects, clientsById)))
    : h('p', { class: 'empty', text: t('notifications.empty') }));
}

function notificationTarget(n) {
  if (n.type === 'signed' && n.signing_request_id) return receiptLink(n.signing_request_id, n.message_id);
  return n.message_id ? messageLink({ id: n.message_id }) : '#/notifications';
}

/** A notification; opening it marks it read first (a failure to mark it does not stop the way there). */
function notificationRow(app, n, subjects, clientsById) {
  const who = clientsById.get(n.client_id)?.name || t('messages.unknown_client');
  const target = notificationTarget(n);
  const link = h('a', { class: 'row-link', href: target, 'data-notification-id': n.id },
    h('div', { class: 'row-main' },
      h('div', { class: n.read ? 'row-title' : 'row-title unread', text: t(`notifications.${n.type}`, { client: who }) }),
      h('div', { class: 'row-meta' },
        n.message_id ? h('span', { text: subjects.get(n.message_id) || '' }) : null,
        h('span', { text: formatDateTime(n.created_at) }))),
    h('div', { class: 'row-side' }, n.read ? null : h('span', { class: 'badge badge-open', text: t('notifications.unread_label') })),
    h('span', { class: 'chevron', 'aria-hidden': 'true', text: '›' }));
  if (!n.read) {
    link.addEventListener('click', async (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      try {
        await app.api.post(`/advisor/notifications/${encodeURIComponent(n.id)}/read`, {});
      } catch { /* it stays unread; the message opens all the same */ }
      app.refreshUnread();
      app.go(target);
    });
  }
  return h('li', {}, link);
}

function readAllButton(app) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary', text: t('notifications.read_all') });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const { marked } = await app.api.post('/advisor/notifications/read-all', {});
      app.refreshUnread();
      app.go('#/notifications', ['ok', plural('notifications.marked', marked)]);
    } catch (error) {
      app.flash('error', errorText(error));
      button.disabled = false;
    }
  });
  return button;
}
