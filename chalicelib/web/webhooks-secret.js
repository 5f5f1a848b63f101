// An endpoint's signing secret, shown once: the server gives it only in the answer that made it (the
// new endpoint, or a rotation), so the page keeps it in memory for the endpoint's screen and forgets it
// as soon as the advisor goes anywhere else (a reload forgets it too). A language switch draws the same
// route again and keeps it.

import { formatDateTime, h, mount } from './dom.js';
import { t } from './i18n.js';
import { alert } from './ui.js';

let revealed = null;  // { endpointId, route, secret, rotated, previousValidUntil }

window.addEventListener('hashchange', () => {
  if (revealed && location.hash !== revealed.route) revealed = null;
});

/** Keep the secret of `answer` (a create answer, or with `rotated` a rotate answer) for the screen of endpoint
 * `endpointId`; what is kept. */
export function keepSecret(endpointId, answer, { rotated = false } = {}) {
  revealed = {
    endpointId, route: `#/webhooks/${encodeURIComponent(endpointId)}`, secret: answer.secret,
    rotated, previousValidUntil: answer.previous_valid_until || null,
  };
  return revealed;
}

/** The secret kept for `endpointId`, if this is still its screen; else null. */
export function keptSecret(endpointId) {
  if (!revealed || revealed.endpointId !== endpointId || location.hash !== revealed.route) return null;
  return revealed;
}

export function forgetSecret() {
  revealed = null;
}

/** The card with the secret in a read-only field, 'Kopiëren' (or, where the clipboard is refused, the
 * text selected for Ctrl+C), the warning that it is not shown again and, after a rotation, until when the
 * previous secret signs beside it. `onDone` runs after 'Ik heb het geheim bewaard'. */
export function secretCard({ secret, rotated, previousValidUntil }, { onDone }) {
  const input = h('input', { id: 'webhook-secret', name: 'secret', type: 'text', class: 'secret-input', readonly: true,
    autocomplete: 'off', spellcheck: 'false', value: secret, 'aria-describedby': 'webhook-secret-warning webhook-secret-hint' });
  input.addEventListener('focus', () => input.select());
  const said = h('p', { class: 'copy-state', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn', text: t('webhooks.secret.copy') });
  copy.addEventListener('click', async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      said.textContent = t('webhooks.secret.copied');
    } catch {
      input.focus();
      input.select();
      said.textContent = t('webhooks.secret.copy_by_hand');
    }
  });
  const done = h('button', { type: 'button', class: 'btn btn-secondary', text: t('webhooks.secret.done') });
  done.addEventListener('click', () => {
    forgetSecret();
    onDone();
  });
  const previous = previousValidUntil
    ? t('webhooks.secret.previous_until', { when: formatDateTime(previousValidUntil) }) : t('webhooks.secret.previous_24h');
  return h('section', { class: 'card secret-card', id: 'webhook-secret-card', 'aria-labelledby': 'webhook-secret-title' },
    h('h2', { id: 'webhook-secret-title', tabindex: '-1', 'data-autofocus': true,
      text: t(rotated ? 'webhooks.secret.title_new' : 'webhooks.secret.title') }),
    h('div', { id: 'webhook-secret-warning' }, alert('warn', t('webhooks.secret.once'))),
    rotated ? alert('info', previous) : null,
    h('div', { class: 'field' },
      h('label', { for: input.id, text: t('webhooks.secret.label') }),
      input,
      h('span', { class: 'hint', id: 'webhook-secret-hint', text: t('webhooks.secret.hint') })),
    h('div', { class: 'row' }, copy, done),
    said);
}

/** Put the card in `slot` (in the page already), and focus its heading so that it is read first. */
export function showSecret(slot, kept, { onDone }) {
  mount(slot, secretCard(kept, { onDone }));
  slot.querySelector('h2')?.focus();
}
