// The client portal (/): login, the overview, a message, and the signing ceremony.

import { createApi } from './api.js';
import { append, formatDate, formatDateTime, formatSize, h, icon, mount } from './dom.js';
import { chosenMembership, firmInHeader } from './firms.js';
import { t } from './i18n.js';
import { isOpenSigning, OPEN_MESSAGE_STATUSES, ownSigning, REPLYABLE_MESSAGE_STATUSES } from './model.js';
import { waitingFor } from './signers.js';
import { signingPanel } from './signing.js';
import {
  alert, currentRoute, errorAlert, errorText, field, flashMessage, focusHeading, loading,
  loginView, shell, startRouter, statusBadge,
} from './ui.js';

let frame = null;
const api = createApi({ onSignedOut: () => render({ expired: true }) });

async function render({ navigated = false, expired = false } = {}) {
  if (!api.session.get()) {
    frame = shell({ area: 'portal', narrow: true });
    loginView(frame.main, {
      api, role: 'client', title: t('portal.login.title'), lead: t('portal.login.lead'),
      notice: expired ? alert('info', t('login.expired')) : null,
      onSignedIn: () => render({ navigated: true }),
    });
    return;
  }
  if (!chosenMembership({ api, area: 'portal', role: 'client', onLogout: logout, onChosen: () => render({ navigated: true }) })) {
    return;
  }
  frame = shell({ area: 'portal', narrow: true, signedIn: true, onLogout: logout, switcher: firmInHeader(api) });
  const { parts } = currentRoute();
  const view = parts[0] === 'messages' && parts[1] ? messageView(parts[1]) : overview();
  await view;
  if (navigated) focusHeading(frame.main);
}

async function logout() {
  await api.logout();
  // A fresh page load: nothing of this session (ceremony state, lists, links) stays in memory.
  location.replace(location.pathname);
}

// ---- the overview: signing requests that wait first, then every message -----------------------

async function overview() {
  const { main } = frame;
  mount(main, h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: t('portal.overview.title') }),
    h('p', { class: 'lead', text: t('portal.overview.lead') }))), loading());
  let items;
  try {
    items = (await api.get('/portal/messages?limit=200')).items;
  } catch (error) {
    mount(main, errorAlert(error));
    return;
  }
  // 'Alle berichten' is all of them: a request that waits is listed there too, beside its place on top.
  const open = items.filter(isOpenSigning);
  main.querySelector('.loading').remove();
  if (open.length) {
    main.append(h('section', { class: 'card todo', 'aria-labelledby': 'todo-title' },
      h('h2', { id: 'todo-title', text: t('portal.overview.to_sign', { n: open.length }) }),
      open.map(todoItem)));
  }
  main.append(h('h2', { class: 'section-title', id: 'all-title', text: t('portal.overview.all') }),
    h('section', { class: 'card', 'aria-labelledby': 'all-title' },
      items.length ? h('ul', { class: 'rows' }, items.map(messageRow))
        : h('p', { class: 'empty', text: t('portal.overview.empty') })));
}

/** A request that waits for the reader's signature; in sequential order, maybe for someone else's first. */
function todoItem(m) {
  const signing = ownSigning(m);
  const waiting = signing.turn === false;
  const first = waiting ? waitingFor(m) : null;
  const open = t(waiting ? 'portal.overview.open_view' : 'portal.overview.open_sign');
  return h('div', { class: 'todo-item' },
    h('div', { class: 'row-main' },
      h('div', { class: 'row-title', text: m.subject }),
      h('div', { class: 'row-meta' },
        h('span', { text: t('portal.received', { date: formatDate(m.created_at) }) }),
        deadlineText(signing.deadline || m.deadline, signing.overdue),
        waiting ? h('span', { class: 'waiting',
          text: first ? t('portal.overview.waiting', { name: first }) : t('portal.overview.waiting_turn') }) : null)),
    h('a', { class: waiting ? 'btn btn-secondary' : 'btn', href: `#/messages/${encodeURIComponent(m.id)}`, text: open,
      'aria-label': `${open}: ${m.subject}` }));
}

function messageRow(m) {
  const asked = ['reply', 'approve'].includes(m.response_type) && OPEN_MESSAGE_STATUSES.includes(m.status);
  return h('li', {}, h('a', { class: 'row-link', href: `#/messages/${encodeURIComponent(m.id)}` },
    h('div', { class: 'row-main' },
      h('div', { class: m.status === 'sent' ? 'row-title unread' : 'row-title', text: m.subject }),
      h('div', { class: 'row-meta' },
        h('span', { text: formatDate(m.created_at) }),
        asked ? h('span', { text: t(`type.${m.response_type}`) }) : null,
        asked && m.deadline ? deadlineText(m.deadline, m.overdue) : null)),
    h('div', { class: 'row-side' }, statusBadge(m, { forClient: true })),
    h('span', { class: 'chevron', 'aria-hidden': 'true', text: '›' })));
}

function deadlineText(deadline, overdue) {
  if (!deadline) return null;
  return h('span', { class: overdue ? 'deadline overdue' : 'deadline',
    text: overdue ? t('deadline.overdue', { date: formatDate(deadline) }) : t('deadline.until', { date: formatDate(deadline) }) });
}

// ---- one message -------------------------------------------------------------------------------

async function messageView(id) {
  const { main } = frame;
  mount(main, backLink(), loading());
  let message;
  try {
    message = await api.get(`/portal/messages/${encodeURIComponent(id)}`);
  } catch (error) {
    mount(main, backLink(), errorAlert(error));
    return;
  }
  const fetchedAt = Date.now();
  const refresh = () => messageView(id);
  let badge = statusBadge(message, { forClient: true });
  const onSigned = () => {  // the header's badge follows the signature at once, above 'Ondertekend'
    markOwnSigning(message, { status: 'signed' });
    const next = statusBadge(message, { forClient: true });
    badge.replaceWith(next);
    badge = next;
  };
  mount(main,
    backLink(),
    h('div', { class: 'page-head' }, h('div', {},
      h('h1', { text: message.subject }),
      h('p', { class: 'lead', text: t('portal.received', { date: formatDateTime(message.created_at) }) })),
    badge),
    h('section', { class: 'card', 'aria-label': t('portal.message.body') },
      h('div', { class: 'message-body', text: message.body }),
      message.documents.length && message.response_type !== 'sign'
        ? h('div', { class: 'stack' }, h('h2', { class: 'section-title', text: t('portal.message.documents') }),
          message.documents.map((d) => documentCard(d, fetchedAt, refresh)))
        : null),
    answerSection(message, fetchedAt, refresh, onSigned));
}

/** Change the reader's own signing request of `message` in place (the main one, or theirs among `signings`). */
function markOwnSigning(message, changes) {
  const own = ownSigning(message);
  for (const signing of [message.signing, ...(message.signings || [])]) {
    if (signing && signing.id === own?.id) Object.assign(signing, changes);
  }
}

function backLink() {
  return h('a', { class: 'back', href: '#/', text: `‹ ${t('portal.back')}` });
}

/** A document with its (short-lived) download link; a stale link is renewed by reloading the view. */
export function documentCard(doc, fetchedAt, refresh) {
  const link = h('a', { class: 'btn btn-secondary', href: doc.download_url, download: doc.filename,
    'aria-label': `${t('portal.document.download')}: ${doc.filename}`, rel: 'noopener' },
  icon('download'), h('span', { text: t('portal.document.download') }));
  link.addEventListener('click', (event) => {
    if (Date.now() - fetchedAt > 4 * 60 * 1000) {  // presigned links live 5 minutes
      event.preventDefault();
      refresh();
    }
  });
  return h('div', { class: 'doc' },
    icon('file', 'doc-icon'),
    h('div', { class: 'row-main' },
      h('div', { class: 'doc-name', text: doc.filename }),
      h('div', { class: 'row-meta', text: formatSize(doc.size) })),
    link);
}

function answerSection(message, fetchedAt, refresh, onSigned) {
  if (message.response_type === 'sign') return signingPanel({ api, message, fetchedAt, refresh, documentCard, onSigned });
  if (message.response_type === 'reply') return replySection(message);
  if (message.response_type === 'approve') return approveSection(message);
  return null;
}

function replySection(message) {
  const box = h('textarea', { id: 'reply-body', name: 'body', required: true, maxlength: '20000' });
  const notice = h('div');
  const send = h('button', { type: 'submit', class: 'btn', text: t('portal.reply.send') });
  const conversation = (message.conversation || []).map((r) => h('li', {},
    h('div', { class: 'row-meta', text: formatDateTime(r.created_at) }),
    h('div', { class: 'prewrap', text: r.body })));
  const form = h('form', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    if (!box.value.trim()) { mount(notice, alert('error', t('portal.reply.empty'))); box.focus(); return; }
    send.disabled = true;
    try {
      await api.post(`/portal/messages/${encodeURIComponent(message.id)}/reply`, { body: box.value });
      flashMessage(frame.flash, 'ok', t('portal.reply.sent'));
      await messageView(message.id);
    } catch (error) {
      mount(notice, errorAlert(error));
      send.disabled = false;
    }
  } }, notice, field(t('portal.reply.label'), box), h('div', { class: 'row' }, send));
  const canAnswer = REPLYABLE_MESSAGE_STATUSES.includes(message.status);
  return h('section', { class: 'card', 'aria-labelledby': 'reply-title' },
    h('h2', { id: 'reply-title', text: t('portal.reply.title') }),
    message.deadline ? h('p', {}, deadlineText(message.deadline, message.overdue)) : null,
    conversation.length ? h('ul', { class: 'conversation' }, conversation) : null,
    canAnswer ? form : h('p', { class: 'muted', text: t('portal.closed') }));
}

function approveSection(message) {
  const section = h('section', { class: 'card', 'aria-labelledby': 'approve-title' },
    h('h2', { id: 'approve-title', text: t('portal.approve.title') }));
  if (!OPEN_MESSAGE_STATUSES.includes(message.status)) {
    section.append(h('p', { text: t(`portal.approve.done_${message.status}`, {}, t(`status.${message.status}`)) }));
    if (message.reject_reason) section.append(h('p', { class: 'reason' }, h('span', { class: 'reason-label', text: `${t('common.reason')}: ` }), message.reject_reason));
    return section;
  }
  const notice = h('div');
  const reason = h('textarea', { id: 'approve-reason', name: 'reason', maxlength: '500' });
  const rejectForm = h('form', { hidden: true, novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    answer('reject', { reason: reason.value.trim() || undefined });
  } }, field(t('common.reason_optional'), reason, t('common.reason_hint')),
  h('div', { class: 'row actions-stack' },
    h('button', { type: 'submit', class: 'btn btn-danger', text: t('portal.approve.confirm_reject') }),
    h('button', { type: 'button', class: 'btn btn-secondary', text: t('common.cancel'), onclick: () => { rejectForm.hidden = true; buttons.hidden = false; } })));
  const buttons = h('div', { class: 'row actions-stack' },
    h('button', { type: 'button', class: 'btn', text: t('portal.approve.approve'), onclick: () => answer('approve', {}) }),
    h('button', { type: 'button', class: 'btn btn-danger', text: t('portal.approve.reject'), onclick: () => { buttons.hidden = true; rejectForm.hidden = false; reason.focus(); } }));
  async function answer(kind, body) {
    for (const b of section.querySelectorAll('button')) b.disabled = true;
    try {
      await api.post(`/portal/messages/${encodeURIComponent(message.id)}/${kind}`, body);
      flashMessage(frame.flash, 'ok', t(kind === 'approve' ? 'portal.approve.approved' : 'portal.approve.rejected'));
      await messageView(message.id);
    } catch (error) {
      mount(notice, alert('error', errorText(error)));
      for (const b of section.querySelectorAll('button')) b.disabled = false;
    }
  }
  append(section,
    message.deadline ? h('p', {}, deadlineText(message.deadline, message.overdue)) : null,
    h('p', { text: t('portal.approve.lead') }), notice, buttons, rejectForm);
  return section;
}

startRouter(render);
