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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MESSAGE_STATES

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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

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
