"""A bulk send: the batch, its recipients in chunks, and what became of each recipient.

The batch is stored with its recipients, a chunk of `CHUNK_SIZE` per item, in one write; the
queue carries one job per chunk, so a worker never reads the whole batch for one recipient.
Each recipient's outcome is a record of its own, written in the same transaction as the message
it made: that record is what makes a recipient sent once, however often a job is delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_RECIPIENTS = 1000
CHUNK_SIZE = 25
NAME_PLACEHOLDER = "{{naam}}"
BATCH_STATES = ("queued", "running", "done")


def chunk_count(total: int) -> int:
    return -(-total // CHUNK_SIZE)


def chunk_of(index: int) -> int:
    return index // CHUNK_SIZE


def personal(text: str, name: str) -> str:
    """`{{naam}}` replaced by the recipient's name: plain text, nothing else is expanded."""
    return text.replace(NAME_PLACEHOLDER, name)


@dataclass(frozen=True)
class Recipient:
    index: int  # the place in the batch, from 0: the recipient's key within it
    client_id: str
    document_ids: tuple[str, ...] | None = None  # None: the batch's shared documents


@dataclass(frozen=True)
class BulkSend:
    """The batch: what every recipient's message says, and how far the sending got."""

    id: str
    tenant_id: str
    advisor_id: str
    subject: str
    body: str
    response_type: str
    deadline: str | None
    document_ids: tuple[str, ...]
    total: int
    created_at: str
    status: str = "queued"
    sent: int = 0
    failed: int = 0
    chunks_done: int = 0
    reminded_at: str | None = None
    withdrawn_at: str | None = None  # from then on, no recipient is sent any more

    @property
    def chunks(self) -> int:
        return chunk_count(self.total)

    def request_for(self, recipient: Recipient, name: str) -> dict[str, Any]:
        """The body a single send of this recipient's message would have."""
        return {"client_id": recipient.client_id, "subject": personal(self.subject, name),
                "body": personal(self.body, name), "response_type": self.response_type,
                "document_ids": list(self.document_ids if recipient.document_ids is None else recipient.document_ids),
                **({"deadline": self.deadline} if self.deadline else {})}

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "subject": self.subject, "response_type": self.response_type, "status": self.status,
                "total": self.total, "sent": self.sent, "failed": self.failed, "created_at": self.created_at,
                "reminded_at": self.reminded_at}


@dataclass(frozen=True)
class Failure:
    """Why a recipient was not sent: an error code, and the catalogue's message for it with its values."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What became of one recipient: sent (with the message it made) or failed (with why)."""

    bulk_send_id: str
    index: int
    client_id: str
    status: str  # "sent" or "failed"
    name: str | None = None  # the client's, when the card was found
    message_id: str | None = None
    signing_request_id: str | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class Item:
    """One recipient as the batch's view lists it."""

    recipient: Recipient
    outcome: Outcome | None

    def to_api(self, detail: Callable[[Failure], str]) -> dict[str, Any]:
        outcome = self.outcome
        failure = outcome.failure if outcome is not None else None
        return {"client_id": self.recipient.client_id, "name": outcome.name if outcome is not None else None,
                "status": outcome.status if outcome is not None else "pending",
                "message_id": outcome.message_id if outcome is not None else None,
                "error": {"code": failure.code, "detail": detail(failure)} if failure is not None else None}


@dataclass(frozen=True)
class Job:
    """One queue message: send (or remind) one chunk of a batch."""

    kind: str  # "send" or "remind"
    tenant_id: str
    bulk_send_id: str
    chunk: int
    round: str | None = None  # a remind job's round: the moment the advisor asked

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "tenant_id": self.tenant_id, "bulk_send_id": self.bulk_send_id,
                "chunk": self.chunk, **({"round": self.round} if self.round else {})}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        return cls(kind=str(data["kind"]), tenant_id=str(data["tenant_id"]), bulk_send_id=str(data["bulk_send_id"]),
                   chunk=int(data["chunk"]), round=data.get("round"))


class RecipientDone(Exception):
    """The recipient's outcome was recorded meanwhile (by another delivery of the same job)."""
