"""What the messaging services and the reminder job need of the store: reads, and the steps of a message's life.

Each step holds its rule as its condition. The client's answers say no with NotOpen; the job's
claims (a reminder, the overdue notice, a retried notice) with False or None, when another run
moved the message first. A step that also moves the signing request takes the state machine's
`Step` and writes it together with the message, all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.bulk.model import Outcome
    from chalicelib.clients.model import Client
    from chalicelib.documents.model import Document
    from chalicelib.idempotency import Answer, IdempotencyKey, Recorded
    from chalicelib.messaging.model import Message, Reply, SigningRequest
    from chalicelib.signing.audit import AuditEvent
    from chalicelib.signing.states import Settlement, Step
    from chalicelib.tenants.model import Advisor, Tenant


@dataclass(frozen=True)
class Outgoing:
    """What a send acts on, read together in one round trip."""

    client: Client
    firm: Tenant
    advisor: Advisor | None  # the sender (None: no card of theirs, so their address is looked up when needed)
    documents: dict[str, Document]  # by id: those found of the ones asked for
    earlier: Answer | None = None  # what the call's Idempotency-Key answered before, if anything
    co_signers: dict[str, Client] = field(default_factory=dict)  # by id: those found of the ones asked for


class Messages(Protocol):
    """Messages, their replies and the advisors' notifications."""

    # --- reading ---------------------------------------------------------------------------

    def get_message(self, tenant_id: str, message_id: str) -> Message:
        """The message; NotFound for an unknown one."""
        ...

    def get_messages(self, tenant_id: str, message_ids: Sequence[str]) -> dict[str, Message]:
        """The messages found of these, by id."""
        ...

    def list_for_client(self, tenant_id: str, client_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]:
        """A client's messages, newest first; ValidationFailed for a cursor this list did not hand out."""
        ...

    def list_for_tenant(self, tenant_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]: ...

    def replies(self, tenant_id: str, conversation_id: str) -> list[Reply]: ...

    def list_notifications(self, tenant_id: str, advisor_id: str, limit: int, cursor: str | None,
                           unread_only: bool = False) -> tuple[list[dict[str, Any]], str | None]:
        """An advisor's notifications (only the unread ones, when asked), newest first, each with its `read` flag."""
        ...

    def mark_notification_read(self, tenant_id: str, advisor_id: str, notification_id: str) -> dict[str, Any]:
        """The advisor's notification, marked read; NotFound when the advisor has none by that id."""
        ...

    def mark_all_read(self, tenant_id: str, advisor_id: str) -> int:
        """Every unread notification of the advisor marked read; how many were."""
        ...

    def due(self, now: datetime) -> list[Message]:
        """Every message, of every firm, whose next step (`next_reminder_at`) is due by `now`."""
        ...

    # --- sending ---------------------------------------------------------------------------

    def outgoing(self, tenant_id: str, client_id: str, advisor_id: str, document_ids: Sequence[str], now: datetime,
                 key: IdempotencyKey | None = None, co_signer_ids: Sequence[str] = ()) -> Outgoing:
        """The client's card, the firm, the advisor, the documents and co-signers found and the key's earlier
        answer, in one read; NotFound for an unknown client."""
        ...

    def answer_under(self, key: IdempotencyKey, now: datetime) -> Answer | None:
        """The earlier answer under an Idempotency-Key, read on its own."""
        ...

    def send(self, message: Message, notice_due: datetime,
             signing: Sequence[tuple[SigningRequest, AuditEvent]] = (), recorded: Recorded | None = None,
             outcome: Outcome | None = None) -> Message:
        """Store a new message (with a signing request and first event per signer, and each co-signer's pointer
        to it), its notice queued at `notice_due`, and the answer of `recorded`; AlreadyAnswered when its key
        was answered meanwhile. With `outcome`, the bulk-send recipient's record: RecipientDone when it was
        recorded meanwhile, NotOpen when its batch was withdrawn."""
        ...

    def notice_sent(self, message: Message, next_check: datetime | None, recorded: Recorded | None = None,
                    sent_to: Sequence[str] = ()) -> None:
        """The notice is out (to the signers `sent_to`); the job looks again at `next_check` (None: never).
        `recorded`: the answer as sent."""
        ...

    def notice_failed(self, message: Message, retry_at: datetime, recorded: Recorded | None = None,
                      sent_to: Sequence[str] = ()) -> None: ...

    # --- the client's answers and the closing of a signing request ---------------------------

    def mark_read(self, message: Message, at: str, step: Step | None = None) -> Message:
        """sent → read (with the request's `viewed` step); NotOpen when it was read already."""
        ...

    def reply(self, message: Message, reply: Reply, notification: dict[str, Any]) -> None:
        """NotOpen unless the message is open or replied."""
        ...

    def answer(self, message: Message, status: str, at: str, reason: str | None,
               notification: dict[str, Any]) -> None:
        """Approved or rejected, once; NotOpen unless open."""
        ...

    def withdraw_message(self, message: Message, at: str) -> None:
        """An open approval withdrawn; NotOpen once it was answered."""
        ...

    def claim_bulk_reminder(self, message: Message, round_: str, steps: Sequence[Step] = ()) -> bool:
        """A batch's reminder round claimed for this open message (with its requests' `reminder` steps), once;
        False when claimed already or no longer open."""
        ...

    def unclaim_bulk_reminder(self, message: Message, round_: str) -> None:
        """A claimed reminder of round `round_` handed back (its e-mail failed)."""
        ...

    def mark_viewed(self, message: Message, step: Step) -> None:
        """A co-signer's `viewed` step, mirrored on the message; NotOpen when the request moved meanwhile."""
        ...

    def close_signing(self, settlement: Settlement, version: int | None, reason: str | None = None,
                      notification: dict[str, Any] | None = None) -> None:
        """A request's rejected or withdrawn step with what it means for its set and message; NotOpen when
        the request, its set or (with `version`) the set's message moved meanwhile."""
        ...

    # --- the reminder job's claims ---------------------------------------------------------

    def claim_reminder(self, message: Message, next_check: datetime, reminders_sent: frozenset[int],
                       steps: Sequence[Step] = ()) -> Message | None: ...

    def reschedule(self, message: Message, next_check: datetime, reminders_sent: frozenset[int]) -> bool: ...

    def unindex(self, message: Message) -> bool: ...

    def mark_overdue(self, message: Message, notification: dict[str, Any], steps: Sequence[Step] = ()) -> bool: ...

    def claim_notice(self, message: Message, lease_until: datetime) -> Message | None: ...
