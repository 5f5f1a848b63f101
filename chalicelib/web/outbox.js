// /outbox (local stage only): the e-mails and SMS messages the app sent, and the reminder job on demand.

import { createApi } from './api.js';
import { formatDateTime, h, mount } from './dom.js';
import { plural, t } from './i18n.js';
import { alert, errorAlert, field, shell, startRouter } from './ui.js';

const api = createApi();  // the outbox needs no login: it never sends the session's token
const URL_PATTERN = /(https?:\/\/[^\s<>"']+)/g;
let lastSeen = '';
let lists = null;

function render() {
  const { main } = shell({ area: 'outbox' });
  const moment = h('input', { id: 'reminder-at', name: 'at', type: 'datetime-local', step: '60', required: true, value: localNow() });
  const result = h('div', { 'aria-live': 'polite' });
  const run = h('button', { type: 'submit', class: 'btn', text: t('outbox.run') });
  const form = h('form', { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const at = new Date(moment.value);
    if (Number.isNaN(at.getTime())) { mount(result, alert('error', t('outbox.bad_moment'))); return; }
    run.disabled = true;
    try {
      const iso = `${at.toISOString().slice(0, 19)}Z`;
      const answer = await api.post('/dev/reminders/run', { at: iso }, { signedIn: false });
      mount(result, alert('ok', t('outbox.ran', { when: formatDateTime(iso), reminders: plural('outbox.reminders_n', answer.reminders_sent), notices: plural('outbox.notices_n', answer.overdue_notices) })));
      await load(true);
    } catch (error) {
      mount(result, errorAlert(error));
    } finally {
      run.disabled = false;
    }
  } }, field(t('outbox.moment'), moment, t('outbox.moment_hint')), h('div', { class: 'row' }, run));
  lists = { sms: h('div', {}), emails: h('div', {}) };
  mount(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { text: t('outbox.title') }), h('p', { class: 'lead', text: t('outbox.lead') })),
      h('button', { type: 'button', class: 'btn btn-secondary', text: t('outbox.refresh'), onclick: () => load(true) })),
    h('div', { class: 'grid-aside' },
      h('div', {},
        h('section', { class: 'card', 'aria-labelledby': 'reminders-title' },
          h('h2', { id: 'reminders-title', text: t('outbox.reminders') }), h('p', { class: 'small muted', text: t('outbox.reminders_lead') }), result, form),
        h('section', { class: 'card', 'aria-labelledby': 'sms-title' }, h('h2', { id: 'sms-title', text: t('outbox.sms') }), lists.sms)),
      h('section', { class: 'card', 'aria-labelledby': 'mail-title' }, h('h2', { id: 'mail-title', text: t('outbox.emails') }), lists.emails)));
  lastSeen = '';
  load(true);
}

async function load(force = false) {
  let outbox;
  try {
    outbox = await api.get('/dev/outbox', { signedIn: false });
  } catch (error) {
    if (lists) mount(lists.emails, errorAlert(error));
    return;
  }
  const seen = `${outbox.emails.length}/${outbox.sms.length}`;
  if (!force && seen === lastSeen) return;  // nothing new: leave the page (and its scroll) alone
  lastSeen = seen;
  mount(lists.sms, outbox.sms.length
    ? [...outbox.sms].reverse().map((s) => h('div', { class: 'mail' },
      h('div', { class: 'row-meta', text: t('outbox.to', { to: s.to }) }),
      h('p', { class: 'sms-text', text: s.message })))
    : h('p', { class: 'empty', text: t('outbox.no_sms') }));
  mount(lists.emails, outbox.emails.length
    ? [...outbox.emails].reverse().map((m) => h('article', { class: 'mail' },
      h('h3', { text: m.subject }),
      h('div', { class: 'row-meta', text: t('outbox.to', { to: (m.to || []).join(', ') }) }),
      h('pre', {}, /<\/?[a-z][^>]*>/i.test(m.body || '') ? readableHtml(m.body) : linkify(m.body || ''))))
    : h('p', { class: 'empty', text: t('outbox.no_emails') }));
}

/**
 * An HTML e-mail shown as text plus its http(s) links. The markup is never parsed into a DOM
 * (nor inserted): tags are stripped as text, and only link targets become new anchors.
 */
function readableHtml(html) {
  const text = html
    .replace(/<(head|style|script|title)[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\s[^>]*?href\s*=\s*["'](https?:\/\/[^"']+)["'][^>]*>([\s\S]*?)<\/a>/gi,
      (_, href, label) => `\u0000${href}\u0001${label.replace(/<[^>]*>/g, '')}\u0000`)
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?(p|div|h[1-6]|li|tr|table|ul|ol|section|article)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/[ \t\r]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text.split('\u0000').map((part, i) => {
    if (i % 2 === 0) return decodeEntities(part);
    const [href, label] = part.split('\u0001');
    return h('a', { href: decodeEntities(href), text: decodeEntities(label).trim() || decodeEntities(href) });
  });
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === '#') {
      const code = name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Text with its http(s) links made clickable; everything stays text. */
function linkify(text) {
  return text.split(URL_PATTERN).map((part, i) => (i % 2 ? h('a', { href: part, text: part }) : part));
}

function localNow() {
  const now = new Date();
  now.setSeconds(0, 0);
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

startRouter(render);
setInterval(() => { if (document.visibilityState === 'visible' && lists) load(false); }, 4000);
