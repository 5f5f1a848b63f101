"""Bulk sends in memory, with the rules of `chalicelib.store.bulk_sends`; the queue as a list of jobs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.bulk.model import BulkSend, Job, Outcome, Recipient, RecipientDone, chunk_of
from chalicelib.clock import iso, parse_iso
from chalicelib.errors import DependencyFailed, NotFound, NotOpen
from chalicelib.idempotency import KEPT, AlreadyAnswered, Answer, IdempotencyKey, Recorded
from tests.fakes.adapters import Failing

Key = tuple[str, str]


class FakeBulkSends(Failing):
    """`bulk.ports.BulkSends` in memory."""

    def __init__(self, ports: Any) -> None:
        self.ports = ports
        self.batches: dict[Key, BulkSend] = {}
        self.recipients_of: dict[Key, list[Recipient]] = {}
        self.results: dict[Key, dict[int, Outcome]] = {}
        self.finished: set[tuple[str, str, int]] = set()
        self.waiting: set[Key] = set()  # not queued yet
        self.answers: dict[Key, Answer] = {}

    def create(self, batch: BulkSend, recipients: Sequence[Recipient], recorded: Recorded | None) -> None:
        self._maybe_fail()
        created = parse_iso(batch.created_at)
        if recorded is not None and (earlier := self.answer_under(recorded.key, created)) is not None:
            raise AlreadyAnswered(earlier)
        key = (batch.tenant_id, batch.id)
        self.batches[key], self.recipients_of[key], self.results[key] = batch, list(recipients), {}
        self.waiting.add(key)
        if recorded is not None:
            self.answers[(recorded.key.tenant_id, recorded.key.scope)] = Answer(
                recorded.key.fingerprint, recorded.body, created + KEPT)

    def answer_under(self, key: IdempotencyKey, now: datetime) -> Answer | None:
        answer = self.answers.get((key.tenant_id, key.scope))
        return answer if answer is not None and answer.expires_at > now else None

    def queued(self, batch: BulkSend) -> None:
        self._maybe_fail()
        self.waiting.discard((batch.tenant_id, batch.id))

    def not_queued(self, created_before: datetime) -> list[BulkSend]:
        return [self.batches[k] for k in sorted(self.waiting, key=lambda k: self.batches[k].created_at)
                if parse_iso(self.batches[k].created_at) < created_before]

    def get(self, tenant_id: str, bulk_send_id: str) -> BulkSend:
        self._maybe_fail()
        try:
            return self.batches[(tenant_id, bulk_send_id)]
        except KeyError:
            raise NotFound() from None

    def page(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[BulkSend], str | None]:
        mine = sorted((b for (t, _), b in self.batches.items() if t == tenant_id), key=lambda b: b.id, reverse=True)
        start = next((n + 1 for n, b in enumerate(mine) if b.id == cursor), 0) if cursor else 0
        page = mine[start:start + limit]
        return page, page[-1].id if len(page) == limit and start + limit < len(mine) else None

    def recipients(self, tenant_id: str, bulk_send_id: str, first: int, last: int) -> list[Recipient]:
        return [r for r in self.recipients_of.get((tenant_id, bulk_send_id), []) if first <= r.index <= last]

    def outcomes(self, tenant_id: str, bulk_send_id: str, first: int, last: int) -> dict[int, Outcome]:
        self._maybe_fail()
        found = self.results.get((tenant_id, bulk_send_id), {})
        return {n: o for n, o in sorted(found.items()) if first <= n <= last}

    def put_outcome(self, tenant_id: str, outcome: Outcome) -> None:
        """The store's part of a message's transaction: checked first, written with the message."""
        key = (tenant_id, outcome.bulk_send_id)
        if outcome.index in self.results.get(key, {}):
            raise RecipientDone()
        if self.batches[key].withdrawn_at is not None:
            raise NotOpen("bulk_send_withdrawn")

    def write_outcome(self, tenant_id: str, outcome: Outcome) -> None:
        self.results[(tenant_id, outcome.bulk_send_id)][outcome.index] = outcome

    def record_failure(self, tenant_id: str, outcome: Outcome) -> bool:
        self._maybe_fail()
        found = self.results[(tenant_id, outcome.bulk_send_id)]
        if outcome.index in found:
            return False
        found[outcome.index] = outcome
        return True

    def _change(self, batch: BulkSend, **changes: Any) -> None:
        key = (batch.tenant_id, batch.id)
        self.batches[key] = replace(self.batches[key], **changes)

    def start(self, batch: BulkSend) -> None:
        if self.get(batch.tenant_id, batch.id).status == "queued":
            self._change(batch, status="running")

    def finish_chunk(self, batch: BulkSend, chunk: int, sent: int, failed: int) -> bool:
        self._maybe_fail()
        if (batch.tenant_id, batch.id, chunk) in self.finished:
            return False
        self.finished.add((batch.tenant_id, batch.id, chunk))
        now = self.get(batch.tenant_id, batch.id)
        self._change(batch, sent=now.sent + sent, failed=now.failed + failed, chunks_done=now.chunks_done + 1)
        return True

    def complete(self, batch: BulkSend, at: str, notification: dict[str, Any]) -> bool:
        if self.get(batch.tenant_id, batch.id).status == "done":
            return False
        self._change(batch, status="done")
        self.ports.messages.notifications.setdefault((batch.tenant_id, batch.advisor_id), []).insert(
            0, {**notification, "read": False})
        return True

    def claim_reminders(self, batch: BulkSend, at: datetime, not_since: datetime) -> bool:
        last = self.get(batch.tenant_id, batch.id).reminded_at
        if last is not None and parse_iso(last) > not_since:
            return False
        self._change(batch, reminded_at=iso(at))
        return True

    def release_reminders(self, batch: BulkSend, at: datetime) -> None:
        if self.get(batch.tenant_id, batch.id).reminded_at == iso(at):
            self._change(batch, reminded_at=batch.reminded_at)

    def withdraw(self, batch: BulkSend, at: str) -> None:
        if self.get(batch.tenant_id, batch.id).withdrawn_at is None:
            self._change(batch, withdrawn_at=at)

    def chunk_of(self, index: int) -> int:
        return chunk_of(index)


class FakeBulkQueue(Failing):
    """The queue: the jobs put on it, in order, until a test hands them to the worker."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def put(self, jobs: Sequence[Job]) -> None:
        if self.failures:
            self.failures -= 1
            raise DependencyFailed()
        self.jobs.extend(jobs)

    def take(self) -> list[Job]:
        taken, self.jobs = self.jobs, []
        return taken
