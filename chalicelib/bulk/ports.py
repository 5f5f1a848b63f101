"""What bulk sends need of the world: the batches in the table, and the queue their jobs go through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.bulk.model import BulkSend, Job, Outcome, Recipient
    from chalicelib.idempotency import Answer, IdempotencyKey, Recorded


class BulkSends(Protocol):
    """The batches, their recipients by chunk, and each recipient's outcome."""

    def create(self, batch: BulkSend, recipients: Sequence[Recipient], recorded: Recorded | None) -> None:
        """The batch with every recipient, and the answer of its Idempotency-Key, all at once; it waits on the
        list of batches not yet queued until `queued`. AlreadyAnswered when a concurrent twin wrote it first."""
        ...

    def answer_under(self, key: IdempotencyKey, now: datetime) -> Answer | None: ...

    def queued(self, batch: BulkSend) -> None:
        """Its jobs are on the queue: off the list of batches not yet queued."""
        ...

    def not_queued(self, created_before: datetime) -> list[BulkSend]:
        """Batches of every firm, stored before `created_before`, whose jobs were never put on the queue."""
        ...

    def get(self, tenant_id: str, bulk_send_id: str) -> BulkSend:
        """NotFound for an unknown one (or another firm's)."""
        ...

    def page(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[BulkSend], str | None]:
        """The firm's batches, newest first."""
        ...

    def recipients(self, tenant_id: str, bulk_send_id: str, first: int, last: int) -> list[Recipient]:
        """The recipients from index `first` to `last` (inclusive), in order."""
        ...

    def outcomes(self, tenant_id: str, bulk_send_id: str, first: int, last: int) -> dict[int, Outcome]:
        """The outcomes recorded so far of the recipients from `first` to `last`, by index."""
        ...

    def record_failure(self, tenant_id: str, outcome: Outcome) -> bool:
        """A recipient's failure; False when its outcome was recorded already."""
        ...

    def start(self, batch: BulkSend) -> None:
        """queued → running (nothing when it is running already)."""
        ...

    def finish_chunk(self, batch: BulkSend, chunk: int, sent: int, failed: int) -> bool:
        """The chunk's counts added to the batch, once: False when the chunk was finished already."""
        ...

    def complete(self, batch: BulkSend, at: str, notification: dict[str, Any]) -> bool:
        """running → done with the advisor's notification, once: False when it was done already."""
        ...

    def claim_reminders(self, batch: BulkSend, at: datetime, not_since: datetime) -> bool:
        """The batch reminded at `at`, unless it was reminded after `not_since`."""
        ...

    def release_reminders(self, batch: BulkSend, at: datetime) -> None:
        """The claim of `at` undone (its jobs never reached the queue): the batch as reminded before."""
        ...

    def withdraw(self, batch: BulkSend, at: str) -> None:
        """From now on no recipient of the batch is sent (the sends' transactions check it)."""
        ...


class BulkQueue(Protocol):
    """The queue of bulk-send jobs (SQS): each job is delivered at least once."""

    def put(self, jobs: Sequence[Job]) -> None:
        """Every job on the queue; DependencyFailed when the queue refuses or fails."""
        ...
