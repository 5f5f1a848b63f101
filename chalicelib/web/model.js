// What a message is, as the pages see it: its response types, its statuses and those of its
// signing request, and which of them are still open. The values are the server's
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

/** A message that carries a signing request which is still open. */
export function isOpenSigning(message) {
  return Boolean(message.signing) && OPEN_SIGNING_STATUSES.includes(message.signing.status);
}

/** Still waiting for the client: an open signing request, or else an open message. */
export function isOpen(message) {
  return message.signing ? isOpenSigning(message) : OPEN_MESSAGE_STATUSES.includes(message.status);
}
