// 'Koppeling toevoegen': the address where the firm's software listens and the events it wants, each
// with its name in words and its technical name (what the integrator's code reads in `type`).

import { h, mount } from './dom.js';
import { t } from './i18n.js';
import { alert, errorAlert, field, showFieldErrors } from './ui.js';

/** The events an endpoint may ask for (chalicelib/webhooks/model.py EVENT_TYPES), in the server's order. */
export const WEBHOOK_EVENTS = Object.freeze([
  'message.sent', 'message.read', 'message.replied', 'message.approved', 'message.rejected',
  'signing.signed', 'signing.rejected', 'signing.withdrawn', 'signing.overdue', 'signing.completed',
  'bulk_send.done',
]);
// The checkboxes in three groups, by the first part of the technical name.
const GROUPS = Object.freeze([['messages', 'message.'], ['signing', 'signing.'], ['bulk', 'bulk_send.']]);
// What the form held, kept while the same route is drawn again (a language switch).
let draft = null;

/** An event type in words ('Ondertekend'), also for the test event; an unknown type as it is. */
export function eventLabel(type) {
  return t(`webhooks.event.${type}`, {}, type);
}

/** The add form; `onCreated(answer)` gets the 201 answer, the secret in it. */
export function addEndpointForm(app, { fresh = true, onCreated }) {
  if (fresh || !draft || draft.route !== location.hash) draft = { route: location.hash, url: '', events: new Set() };
  const mine = draft;
  const url = h('input', { id: 'webhook-url', name: 'url', type: 'url', inputmode: 'url', autocomplete: 'off',
    spellcheck: 'false', maxlength: '2000', required: true, value: mine.url });
  const eventsError = h('span', { class: 'field-error', id: 'webhook-events-error', hidden: true });
  const boxes = WEBHOOK_EVENTS.map((type) => h('input', {
    type: 'checkbox', id: `webhook-event-${type.replace(/\W/g, '-')}`, name: 'event', value: type, checked: mine.events.has(type),
  }));
  const events = h('fieldset', { class: 'field event-groups', 'aria-describedby': 'webhook-events-hint' },
    h('legend', { text: t('webhooks.form.events') }),
    h('span', { class: 'hint', id: 'webhook-events-hint', text: t('webhooks.form.events_hint') }),
    GROUPS.map(([group, prefix]) => h('fieldset', { class: 'event-group' },
      h('legend', { text: t(`webhooks.group.${group}`) }),
      h('ul', { class: 'event-list' }, boxes.filter((box) => box.value.startsWith(prefix)).map(eventChoice)))),
    eventsError);
  const notice = h('div');
  const submit = h('button', { type: 'submit', class: 'btn', text: t('webhooks.form.submit') });

  function showEventsError(message) {
    eventsError.textContent = message || '';
    eventsError.hidden = !message;
    if (message) events.setAttribute('aria-describedby', 'webhook-events-hint webhook-events-error');
    else events.setAttribute('aria-describedby', 'webhook-events-hint');
  }

  const form = h('form', { novalidate: true, 'aria-labelledby': 'webhook-add-title', onsubmit: async (event) => {
    event.preventDefault();
    showFieldErrors(form, null);
    showEventsError(null);
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    const problem = !url.value.trim() ? t('webhooks.check.url') : (!chosen.length ? t('webhooks.check.events') : null);
    if (problem) {
      mount(notice, alert('error', problem));
      (url.value.trim() ? boxes[0] : url).focus();
      return;
    }
    submit.disabled = true;
    try {
      const created = await app.api.post('/advisor/webhooks', { url: url.value.trim(), events: chosen });
      draft = null;
      onCreated(created);
    } catch (error) {
      mount(notice, errorAlert(error));
      showFieldErrors(form, error);
      const aboutEvents = error.fieldErrors.filter((f) => f.field === 'events' || f.field.startsWith('events['));
      showEventsError(aboutEvents.map((f) => f.message).join(' '));
      form.querySelector('[aria-invalid="true"]')?.focus();
      submit.disabled = false;
    }
  } },
  notice,
  field(t('webhooks.form.url'), url, t('webhooks.form.url_hint')),
  events,
  submit);
  form.addEventListener('input', () => {
    mine.url = url.value;
    mine.events = new Set(boxes.filter((box) => box.checked).map((box) => box.value));
  });
  return form;
}

function eventChoice(box) {
  return h('li', {}, box,
    h('label', { for: box.id },
      h('span', { class: 'event-name', text: eventLabel(box.value) }),
      h('span', { class: 'event-code', text: box.value })));
}
