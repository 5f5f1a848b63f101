// What a message is, as the pages see it: its response types, its statuses and those of its
// signing requests (one per signer), and which of them are still open. The values are the server's
// (chalicelib/messaging/model.py); tests/unit/test_vocabulary.py checks that they agree.

export const RESPONSE_TYPES = Object.freeze(['none', 'reply', 'approve', 'sign']);

export const MESSAGE_STATUSES = Object.freeze(['sent', 'read', 'replied', 'approved', 'rejected', 'signed', 'withdrawn']);
/** A reply or an approval is still asked for. */
export const OPEN_MESSAGE_STATUSES = Object.freeze(['sent', 'read']);
/** A reply may be sent: while open, and after an earlier reply. */
export const REPLYABLE_MESSAGE_STATUSES = Object.freeze(['sent', 'read', 'replied']);

export const SIGNING_STATUSES = Object.freeze(['sent', 'viewed', 'signed', 'rejected', 'withdrawn']);
/** The client may still sign or reject; the advisor may still withdraw. */
export const OPEN_SIGNING_STATUSES = Object.freeze(['sent', 'viewed']);

/** Every signer's request of a `sign` message in signing order; the main client's alone when no list came. */
export function signersOf(message) {
  if (Array.isArray(message.signings) && message.signings.length) return message.signings;
  return message.signing ? [message.signing] : [];
}

/** The request the reader acts on: in the portal the caller's own (`own`; a co-signer's is not `signing`). */
export function ownSigning(message) {
  const own = (message.signings || []).find((s) => s.own);
  if (!own || own.id === message.signing?.id) return message.signing || null;
  return { deadline: message.signing?.deadline ?? null, ...own };
}

/** The signing as a whole: signed once every signer has, rejected or withdrawn once one is, else open. */
export function signingStatusOf(message) {
  const all = signersOf(message);
  if (all.length <= 1) return message.signing?.status ?? all[0]?.status ?? null;
  const any = (status) => all.some((s) => s.status === status);
  if (all.every((s) => s.status === 'signed')) return 'signed';
  if (any('rejected')) return 'rejected';
  if (any('withdrawn')) return 'withdrawn';
  return any('viewed') || any('signed') ? 'viewed' : 'sent';
}

/** A message that carries a signing request of the reader's which is still open. */
export function isOpenSigning(message) {
  const signing = ownSigning(message);
  return Boolean(signing) && OPEN_SIGNING_STATUSES.includes(signing.status);
}

/** Still waiting for a client: a signing that is still open, or else an open message. */
export function isOpen(message) {
  return message.signing ? OPEN_SIGNING_STATUSES.includes(signingStatusOf(message))
    : OPEN_MESSAGE_STATUSES.includes(message.status);
}
