// The advisor dashboard (/advisor): login, then clients, the communication module, notifications,
// a new message, bulk sends, the integrations ('Koppelingen') and the receipt view, each behind a hash route.

import { clientCardView, clientsView } from './advisor-clients.js';
import { messageDetailView, messagesView } from './advisor-messages.js';
import { notificationsView } from './advisor-notifications.js';
import { createApi } from './api.js';
import { bulkSendsView } from './bulk-sends.js';
import { bulkSendView } from './bulk-sends-progress.js';
import { composeView } from './compose.js';
import { h } from './dom.js';
import { chosenMembership, firmInHeader } from './firms.js';
import { plural, t } from './i18n.js';
import { receiptView } from './receipt.js';
import { alert, currentRoute, flashMessage, focusHeading, loginView, shell, startRouter } from './ui.js';
import { webhooksView } from './webhooks.js';
import { webhookView } from './webhooks-endpoint.js';

const api = createApi({ onSignedOut: () => render({ expired: true }) });
const SECTIONS = {
  clients: 'clients', messages: 'messages', notifications: 'notifications', compose: 'compose', receipts: 'messages', 'bulk-sends': 'bulk',
  webhooks: 'webhooks',
};
let clientCache = null;
let unreadCache = null;
let meCache = null;
let pendingNotice = null;

const app = {
  api,
  frame: null,
  /** Every client of the firm (the list is small: one firm's clients), cached until a change. */
  async clients({ fresh = false } = {}) {
    if (!clientCache || fresh) {
      clientCache = api.get('/advisor/clients?limit=200').then((answer) => answer.items);
      clientCache.catch(() => { clientCache = null; });
    }
    return clientCache;
  },
  async clientsById() {
    return new Map((await app.clients()).map((c) => [c.id, c]));
  },
  forgetClients() {
    clientCache = null;
  },
  /** Who is logged in and what their firm has (`features`), asked once per page load. */
  async me() {
    if (!meCache) {
      meCache = api.get('/advisor/me');
      meCache.catch(() => { meCache = null; });
    }
    return meCache;
  },
  /** The header's unread count, asked afresh (after a notification was read). */
  refreshUnread() {
    unreadCache = null;
    return showUnreadCount();
  },
  flash(kind, text) {
    flashMessage(app.frame.flash, kind, text);
  },
  /** Navigate; `notice` ([kind, text]) is shown on the page navigated to. */
  go(hash, notice = null) {
    pendingNotice = notice;
    if (location.hash === hash) render({ navigated: true });
    else location.hash = hash;
  },
};

async function render({ navigated = false, expired = false } = {}) {
  if (!api.session.get()) {
    clientCache = null;
    unreadCache = null;
    meCache = null;
    app.frame = shell({ area: 'advisor', narrow: true });
    loginView(app.frame.main, {
      api, role: 'advisor', title: t('advisor.login.title'), lead: t('advisor.login.lead'),
      notice: expired ? alert('info', t('login.expired')) : null,
      onSignedIn: () => render({ navigated: true }),
    });
    return;
  }
  if (!chosenMembership({ api, area: 'advisor', role: 'advisor', onLogout: logout, onChosen: () => render({ navigated: true }) })) {
    return;
  }
  const { parts, query } = currentRoute();
  const section = SECTIONS[parts[0]] || 'messages';
  app.frame = shell({ area: 'advisor', signedIn: true, onLogout: logout, nav: navigation(section), switcher: firmInHeader(api) });
  if (pendingNotice) {
    app.flash(...pendingNotice);
    pendingNotice = null;
  }
  const views = {
    clients: () => (parts[1] ? clientCardView(app, parts[1], query) : clientsView(app, query)),
    messages: () => (parts[1] ? messageDetailView(app, parts[1]) : messagesView(app, query)),
    notifications: () => notificationsView(app),
    compose: () => composeView(app, query, { fresh: navigated }),
    'bulk-sends': () => (parts[1] ? bulkSendView(app, parts[1]) : bulkSendsView(app, { fresh: navigated })),
    receipts: () => receiptView(app, parts[1], query),
    webhooks: () => (parts[1] ? webhookView(app, parts[1]) : webhooksView(app, { fresh: navigated })),
  };
  await (views[parts[0]] || views.messages)();
  if (navigated) {
    // A view may name the control to start at (the phone field, when a number is to be added).
    const start = app.frame.main.querySelector('[data-autofocus]');
    if (start) start.focus();
    else focusHeading(app.frame.main);
  }
  showUnreadCount();
}

function navigation(current) {
  const link = (name, hash) => h('a', { href: hash, 'aria-current': current === name ? 'page' : false },
    h('span', { text: t(`advisor.nav.${name}`) }),
    name === 'notifications' ? h('span', { class: 'count', id: 'unread-count', hidden: true }) : null);
  return h('nav', { class: 'nav', 'aria-label': t('advisor.nav.label') },
    h('div', { class: 'nav-inner' },
      link('messages', '#/messages'),
      // 'Bulk' where the bar is narrow, so that the sections take fewer rows there.
      h('a', { href: '#/bulk-sends', 'aria-current': current === 'bulk' ? 'page' : false },
        h('span', { class: 'wide-only', text: t('advisor.nav.bulk') }),
        h('span', { class: 'narrow-only', text: t('advisor.nav.bulk_short') })),
      link('clients', '#/clients'),
      link('notifications', '#/notifications'),
      link('webhooks', '#/webhooks'),
      h('span', { class: 'nav-action' },
        h('a', { class: 'btn', href: '#/compose', 'aria-current': current === 'compose' ? 'page' : false, 'aria-label': t('advisor.nav.compose') },
          h('span', { class: 'wide-only', text: t('advisor.nav.compose') }),
          h('span', { class: 'narrow-only', 'aria-hidden': 'true', text: t('advisor.nav.compose_short') })))));
}

async function showUnreadCount() {
  try {
    unreadCache = unreadCache || api.get('/advisor/notifications?unread=true&limit=200')
      .then((answer) => answer.items.filter((n) => !n.read).length);
    const unread = await unreadCache;
    const badge = document.getElementById('unread-count');
    if (!badge) return;
    badge.hidden = !unread;
    badge.textContent = unread ? String(unread) : '';
    if (unread) badge.setAttribute('aria-label', plural('advisor.nav.unread', unread));
    else badge.removeAttribute('aria-label');
  } catch {
    unreadCache = null;
  } finally {
    setTimeout(() => { unreadCache = null; }, 30000);
  }
}

async function logout() {
  await api.logout();
  // A fresh page load: nothing of this session (ceremony state, lists, links) stays in memory.
  location.replace(location.pathname);
}

startRouter(render);
