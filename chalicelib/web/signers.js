// Several signers on one document (fiscal partners, two directors): how far the signing is, and
// where each signer stands. The advisor's pages link each signed request to its receipt; the
// portal marks the reader's own request and never shows another signer's reason.

import { formatDateTime, h, icon } from './dom.js';
import { t } from './i18n.js';
import { OPEN_SIGNING_STATUSES, signersOf } from './model.js';
import { statusTone } from './ui.js';

/** More than one person signs this message. */
export function hasCoSigners(message) {
  return signersOf(message).length > 1;
}

/** The name of the other signer whose turn it is now (sequential order); null when there is none. */
export function waitingFor(message) {
  const next = signersOf(message).find((s) => s.turn && !s.own && OPEN_SIGNING_STATUSES.includes(s.status));
  return next ? next.name : null;
}

/** 'Noor Jansen has rejected': the other signer whose rejection withdrew the reader's request. */
export function rejectedBy(message) {
  return signersOf(message).find((s) => !s.own && s.status === 'rejected')?.name || null;
}

/**
 * '1 van 2 getekend' and, in signing order, each signer's name and status. With `receiptHref`
 * (the advisor's pages) a signed request links to its 'Ondertekend en verzegeld' view.
 */
export function signerProgress(message, { receiptHref = null, forClient = false } = {}) {
  const all = signersOf(message);
  const signed = all.filter((s) => s.status === 'signed').length;
  const order = message.signing_order === 'sequential' ? 'sequential' : 'parallel';
  return h('div', { class: 'signers', 'data-signers': String(all.length) },
    h('p', { class: 'signers-count' },
      h('strong', { text: t('signers.progress', { n: signed, total: all.length }) }),
      h('span', { class: 'muted', text: ` · ${t(`signers.order.${order}`)}` })),
    h(order === 'sequential' ? 'ol' : 'ul', { class: 'signers-list', 'aria-label': t('signers.title') },
      all.map((s) => signerLine(s, { receiptHref, forClient }))));
}

function signerLine(s, { receiptHref, forClient }) {
  const name = h('span', { class: 'signer-name', text: s.own ? t('signers.you', { name: s.name }) : s.name });
  const when = s.status === 'signed' && s.signed_at
    ? h('span', { class: 'muted small', text: formatDateTime(s.signed_at) }) : null;
  if (s.status === 'signed' && receiptHref) {
    return h('li', { 'data-signing-id': s.id }, name,
      h('a', { class: 'sealed', href: receiptHref(s), 'aria-label': `${t('receipt.line')}: ${s.name}` },
        icon('seal'), h('span', { text: t('receipt.line') })),
      when);
  }
  return h('li', { 'data-signing-id': s.id }, name,
    h('span', { class: `badge badge-${statusTone(s.status)}`, text: statusText(s, forClient) }),
    when,
    s.status === 'rejected' && s.reject_reason
      ? h('span', { class: 'reason' }, h('span', { class: 'reason-label', text: `${t('common.reason')}: ` }), s.reject_reason)
      : null);
}

function statusText(s, forClient) {
  if (!OPEN_SIGNING_STATUSES.includes(s.status)) return t(`status.${s.status}`);
  if (s.turn === false) return t('signers.waiting');
  return forClient ? t('signers.open') : t(`status.${s.status}`);
}
