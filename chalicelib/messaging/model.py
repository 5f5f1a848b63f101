"""Messages of the communication module and the signing requests they carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.signing.states import OPEN

RESPONSE_TYPES = ("none", "reply", "approve", "sign")
MESSAGE_STATES = ("sent", "read", "replied", "approved", "rejected", "signed", "withdrawn")
OPEN_MESSAGE_STATES = ("sent", "read")
# A reply is taken while the message is open, and after an earlier reply.
REPLYABLE_MESSAGE_STATES = (*OPEN_MESSAGE_STATES, "replied")
# The client's e-mail notice has not (yet) gone out: the reminder job sends it.
UNSENT_NOTICE_STATES = ("pending", "failed", "retrying")
SIGNING_ORDERS = ("parallel", "sequential")
MAX_CO_SIGNERS = 3


@dataclass(frozen=True)
class DocumentRef:
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    s3_key: str
    version_id: str | None

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "filename": self.filename, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Origin:
    """The message an answer is about and who sent it, as at sending (None: stored before it was kept)."""

    tenant_id: str
    advisor_id: str
    message_id: str
    subject: str | None
    firm_name: str | None
    advisor_email: str | None


@dataclass(frozen=True)
class Signer:
    """One signer of a message, in signing order: their request, and who they are as sent."""

    request_id: str
    client_id: str
    name: str | None


@dataclass(frozen=True)
class Envelope:
    """The set a signing request belongs to: every signer of its message, in order, and the order's mode.

    A message without co-signers has an envelope of one. `mirrored` says whether the message keeps
    each signer's state (false only for requests stored before co-signing existed).
    """

    message_id: str
    signers: tuple[Signer, ...]
    order: str = "parallel"
    mirrored: bool = True

    @property
    def shared(self) -> bool:
        return len(self.signers) > 1

    def position_of(self, request_id: str) -> int:
        """1 for the first signer."""
        return next(n for n, signer in enumerate(self.signers, start=1) if signer.request_id == request_id)

    def for_receipt(self, request_id: str) -> dict[str, Any]:
        """What each receipt seals of the set, so that every co-signer's names all the others."""
        return {"message_id": self.message_id, "signers": [s.client_id for s in self.signers],
                "position": self.position_of(request_id), "signing_order": self.order}


@dataclass(frozen=True)
class SignerState:
    """A signer's request as the message mirrors it, so that lists need no read of the requests."""

    request_id: str
    client_id: str
    name: str | None
    status: str
    turn: bool
    signed_at: str | None = None
    rejected_at: str | None = None
    reject_reason: str | None = None
    notice: str = "pending"  # the e-mail notice: waiting (not their turn yet), pending, sent

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def to_api(self) -> dict[str, Any]:
        return {"id": self.request_id, "client_id": self.client_id, "name": self.name, "status": self.status,
                "turn": self.turn and self.is_open, "signed_at": self.signed_at, "rejected_at": self.rejected_at,
                "reject_reason": self.reject_reason}


@dataclass(frozen=True)
class Message:
    id: str
    tenant_id: str
    conversation_id: str
    client_id: str
    advisor_id: str
    subject: str
    body: str
    response_type: str
    documents: tuple[DocumentRef, ...]
    status: str
    deadline: str | None
    created_at: str
    signing_request_id: str | None = None
    signing_status: str | None = None
    signed_at: str | None = None
    rejected_at: str | None = None
    reject_reason: str | None = None
    overdue: bool = False
    notice_status: str = "pending"
    # When the reminder job looks at it next (None: never again), and the reminders already sent,
    # by days before the deadline. The job claims a step by moving `next_reminder_at` on.
    next_reminder_at: str | None = None
    reminders_sent: frozenset[int] = frozenset()
    firm_name: str | None = None  # as at sending (None on messages stored before it was kept)
    advisor_email: str | None = None
    signings: tuple[SignerState, ...] = ()  # every signer in order (empty: not `sign`, or stored before)
    signing_order: str = "parallel"
    signing_version: int = 0  # moves with every signer's status: the set's steps write on it
    bulk_send_id: str | None = None  # the batch it is one of

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MESSAGE_STATES

    def signer(self, client_id: str) -> SignerState | None:
        return next((s for s in self.signings if s.client_id == client_id), None)

    def states(self) -> tuple[SignerState, ...]:
        """Every signer's state; a request stored before the message kept them is told from the message."""
        if self.signings or not self.signing_request_id:
            return self.signings
        return (SignerState(self.signing_request_id, self.client_id, None, str(self.signing_status),
                            turn=True, signed_at=self.signed_at, rejected_at=self.rejected_at,
                            reject_reason=self.reject_reason, notice=self.notice_status),)

    @property
    def origin(self) -> Origin:
        return Origin(self.tenant_id, self.advisor_id, self.id, self.subject, self.firm_name, self.advisor_email)

    def signing_summary(self) -> dict[str, Any] | None:
        if not self.signing_request_id:
            return None
        return {
            "id": self.signing_request_id, "status": self.signing_status, "deadline": self.deadline,
            "overdue": self.overdue, "signed_at": self.signed_at, "rejected_at": self.rejected_at,
            "reject_reason": self.reject_reason,
        }

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id, "conversation_id": self.conversation_id, "client_id": self.client_id,
            "subject": self.subject, "body": self.body, "response_type": self.response_type,
            "documents": [d.to_api() for d in self.documents], "status": self.status,
            "deadline": self.deadline, "created_at": self.created_at, "overdue": self.overdue,
            "reject_reason": self.reject_reason if self.response_type == "approve" else None,
            "notice_status": self.notice_status, "signing": self.signing_summary(),
            "signings": [state.to_api() for state in self.states()],
            "signing_order": self.signing_order if self.signing_request_id else None, "bulk_send_id": self.bulk_send_id,
        }


@dataclass(frozen=True)
class SigningRequest:
    id: str
    tenant_id: str
    message_id: str
    conversation_id: str
    client_id: str
    advisor_id: str
    status: str
    deadline: str | None
    document: DocumentRef
    created_at: str
    audit_seq: int
    audit_head: str
    signed_at: str | None = None
    rejected_at: str | None = None
    reject_reason: str | None = None
    signer_name: str | None = None  # the client's name when it was sent: what the receipt names
    subject: str | None = None  # the message's, and who sent it, as at sending
    firm_name: str | None = None
    advisor_email: str | None = None
    turn: bool = True  # false while, in sequential order, a signer before this one has not signed
    place: str | None = None  # where it was signed, as the signer wrote it (the client's confirmation)
    stored_envelope: Envelope | None = None  # None: stored before co-signing (an envelope of one)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def envelope(self) -> Envelope:
        """The signers this request is one of (itself alone, for a request stored before co-signing)."""
        if self.stored_envelope is not None:
            return self.stored_envelope
        return Envelope(self.message_id, (Signer(self.id, self.client_id, self.signer_name),), mirrored=False)

    @property
    def position(self) -> int:
        return self.envelope.position_of(self.id)

    @property
    def origin(self) -> Origin:
        return Origin(self.tenant_id, self.advisor_id, self.message_id, self.subject, self.firm_name,
                      self.advisor_email)


@dataclass(frozen=True)
class Reply:
    id: str
    message_id: str
    author: str
    body: str
    created_at: str

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "message_id": self.message_id, "author": self.author, "body": self.body,
                "created_at": self.created_at}
