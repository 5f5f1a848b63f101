"""Bulk sends in the table: the batch, its recipients a chunk per item, and one outcome record per recipient.

The batch and its chunks are written at once (at most 1,000 recipients make 40 chunks: one
transaction). A recipient's outcome is written once: with the message it made, in that message's
own transaction (`put_outcome`), or alone as a failure. That transaction checks the recipient's
chunk, not the batch, for a withdrawal: a chunk is written by its own job one recipient after the
other, while the batch's item, which every job counts into once per chunk, is never part of a
send. A write that meets another at that moment (DynamoDB's TransactionConflict) is tried again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, PynamoDBException, UpdateError

from chalicelib.bulk.model import CHUNK_SIZE, BulkSend, Failure, Outcome, Recipient, chunk_of
from chalicelib.clock import back_off, iso, parse_iso
from chalicelib.errors import DependencyFailed
from chalicelib.idempotency import AlreadyAnswered, Answer, IdempotencyKey, Recorded
from chalicelib.store import idempotency as records
from chalicelib.store import keys
from chalicelib.store.models import BulkChunkItem, BulkOutcomeItem, BulkSendItem, RecipientMap
from chalicelib.store.outbox import emit
from chalicelib.store.pages import decode_cursor, encode_cursor
from chalicelib.store.reads import get_item
from chalicelib.store.signing_requests import notification_item
from chalicelib.store.transaction import Transition, TransitionRefused, committed, condition_failed

OUTCOME = "bulk_outcome"  # the outcome's part in a message's transaction
BATCH = "bulk_batch"  # the check of the recipient's chunk in it: the batch not withdrawn
ATTEMPTS = 5  # of a write that meets another at the same moment


def to_bulk_send(tenant_id: str, item: BulkSendItem) -> BulkSend:
    return BulkSend(id=item.bulk_send_id, tenant_id=tenant_id, advisor_id=item.advisor_id, subject=item.subject,
                    body=item.body, response_type=item.response_type, deadline=item.deadline,
                    document_ids=tuple(item.document_ids or ()), total=int(item.total), created_at=item.created_at,
                    status=item.status, sent=int(item.sent or 0), failed=int(item.failed or 0),
                    chunks_done=int(item.chunks_done or 0), reminded_at=item.reminded_at,
                    withdrawn_at=item.withdrawn_at)


def _to_outcome(bulk_send_id: str, item: BulkOutcomeItem) -> Outcome:
    failure = (Failure(item.error_code, item.error_message or item.error_code, json.loads(item.error_params or "{}"))
               if item.error_code else None)
    return Outcome(bulk_send_id=bulk_send_id, index=int(item.index), client_id=item.client_id, status=item.status,
                   name=item.name, message_id=item.message_id, signing_request_id=item.signing_request_id,
                   failure=failure)


def _outcome_item(tenant_id: str, outcome: Outcome) -> BulkOutcomeItem:
    failure = outcome.failure
    return BulkOutcomeItem(
        keys.tenant(tenant_id), keys.bulk_outcome(outcome.bulk_send_id, outcome.index), index=outcome.index,
        client_id=outcome.client_id, name=outcome.name, status=outcome.status, message_id=outcome.message_id,
        signing_request_id=outcome.signing_request_id,
        error_code=failure.code if failure else None, error_message=failure.message if failure else None,
        error_params=json.dumps(failure.params, default=str) if failure else None)


def _batch_item(batch: BulkSend) -> BulkSendItem:
    return BulkSendItem(keys.tenant(batch.tenant_id), keys.bulk_send(batch.id))


def put_outcome(transition: Transition, tenant_id: str, outcome: Outcome) -> None:
    """A recipient's outcome into the transaction of the message it made: refused (OUTCOME) when one was
    recorded already, or (BATCH) when the batch was withdrawn meanwhile."""
    transition.put(OUTCOME, _outcome_item(tenant_id, outcome))
    chunk = BulkChunkItem(keys.tenant(tenant_id), keys.bulk_chunk(outcome.bulk_send_id, chunk_of(outcome.index)))
    transition.check(BATCH, chunk, BulkChunkItem.pk.exists() & BulkChunkItem.withdrawn.does_not_exist())


def _write(item: BulkSendItem | BulkChunkItem, actions: list[Any], condition: Any) -> bool:
    """One conditional update; False when its condition refused it."""
    for attempt in range(ATTEMPTS):
        if attempt:
            back_off(attempt)
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            if exc.cause_response_code == "TransactionConflictException" and attempt < ATTEMPTS - 1:
                continue  # a transaction on the item at that moment
            raise DependencyFailed() from exc
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return True
    raise AssertionError("unreachable")


class BulkSendRepository:
    """The batches of the table: read by key, by range or by index, changed by the steps of their life."""

    def create(self, batch: BulkSend, recipients: Sequence[Recipient], recorded: Recorded | None) -> None:
        pk = keys.tenant(batch.tenant_id)
        transition = Transition()
        transition.put("batch", BulkSendItem(
            pk, keys.bulk_send(batch.id), bulk_send_id=batch.id, advisor_id=batch.advisor_id, subject=batch.subject,
            body=batch.body, response_type=batch.response_type, deadline=batch.deadline,
            document_ids=list(batch.document_ids), total=batch.total, status=batch.status, created_at=batch.created_at,
            gsi2pk=keys.BULK_NOT_QUEUED, gsi2sk=f"{batch.created_at}#{batch.tenant_id}#{batch.id}"))
        for chunk in range(batch.chunks):
            part = recipients[chunk * CHUNK_SIZE:(chunk + 1) * CHUNK_SIZE]
            transition.put(f"chunk_{chunk}", BulkChunkItem(pk, keys.bulk_chunk(batch.id, chunk), first=part[0].index,
                                                           recipients=[_recipient_map(r) for r in part]))
        created = parse_iso(batch.created_at)
        if recorded is not None:
            records.put_record(transition, recorded, created)
        try:
            transition.commit(batch.id)
        except TransitionRefused as exc:
            answered = records.read_answer(recorded.key, created) if recorded is not None else None
            if answered is not None:
                raise AlreadyAnswered(answered) from exc
            raise DependencyFailed() from exc

    def answer_under(self, key: IdempotencyKey, now: datetime) -> Answer | None:
        return records.read_answer(key, now)

    def queued(self, batch: BulkSend) -> None:
        _write(_batch_item(batch), [BulkSendItem.gsi2pk.remove(), BulkSendItem.gsi2sk.remove()],
               BulkSendItem.pk.exists())

    def not_queued(self, created_before: datetime) -> list[BulkSend]:
        try:
            found = list(BulkSendItem.not_queued.query(keys.BULK_NOT_QUEUED,
                                                       BulkSendItem.gsi2sk < iso(created_before)))
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return [to_bulk_send(item.pk.removeprefix(keys.tenant("")), item) for item in found]

    def get(self, tenant_id: str, bulk_send_id: str) -> BulkSend:
        return to_bulk_send(tenant_id, get_item(BulkSendItem, keys.tenant(tenant_id), keys.bulk_send(bulk_send_id)))

    def page(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[BulkSend], str | None]:
        pk = keys.tenant(tenant_id)
        results = BulkSendItem.query(
            pk, BulkSendItem.sk.startswith(keys.bulk_send("")), scan_index_forward=False, limit=limit,
            last_evaluated_key=decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": keys.bulk_send("")}))
        try:
            found = [to_bulk_send(tenant_id, item) for item in results]
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return found, encode_cursor(results.last_evaluated_key if len(found) == limit else None)

    def recipients(self, tenant_id: str, bulk_send_id: str, first: int, last: int) -> list[Recipient]:
        pk = keys.tenant(tenant_id)
        chunks = BulkChunkItem.query(pk, BulkChunkItem.sk.between(keys.bulk_chunk(bulk_send_id, chunk_of(first)),
                                                                  keys.bulk_chunk(bulk_send_id, chunk_of(last))),
                                     consistent_read=True)
        try:
            everyone = [_recipient(int(item.first) + n, r) for item in chunks for n, r in enumerate(item.recipients)]
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return [r for r in everyone if first <= r.index <= last]

    def outcomes(self, tenant_id: str, bulk_send_id: str, first: int, last: int) -> dict[int, Outcome]:
        found = BulkOutcomeItem.query(keys.tenant(tenant_id),
                                      BulkOutcomeItem.sk.between(keys.bulk_outcome(bulk_send_id, first),
                                                                 keys.bulk_outcome(bulk_send_id, last)),
                                      consistent_read=True)
        try:
            return {int(item.index): _to_outcome(bulk_send_id, item) for item in found}
        except PynamoDBException as exc:
            raise DependencyFailed() from exc

    def record_failure(self, tenant_id: str, outcome: Outcome) -> bool:
        try:
            _outcome_item(tenant_id, outcome).save(condition=BulkOutcomeItem.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise DependencyFailed() from exc
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return True

    def start(self, batch: BulkSend) -> None:
        _write(_batch_item(batch), [BulkSendItem.status.set("running")], BulkSendItem.status == "queued")

    def finish_chunk(self, batch: BulkSend, chunk: int, sent: int, failed: int) -> bool:
        transition = Transition()
        transition.update("chunk", BulkChunkItem(keys.tenant(batch.tenant_id), keys.bulk_chunk(batch.id, chunk)),
                          [BulkChunkItem.done.set(True)], BulkChunkItem.pk.exists() & BulkChunkItem.done.does_not_exist())
        transition.update("batch", _batch_item(batch), [
            BulkSendItem.sent.add(sent), BulkSendItem.failed.add(failed), BulkSendItem.chunks_done.add(1)],
            BulkSendItem.pk.exists())
        return committed(transition)

    def complete(self, batch: BulkSend, at: str, notification: dict[str, Any]) -> bool:
        transition = Transition()
        transition.update("batch", _batch_item(batch), [BulkSendItem.status.set("done")],
                          BulkSendItem.pk.exists() & (BulkSendItem.status != "done"))
        transition.put("notification", notification_item(batch.tenant_id, batch.advisor_id, notification))
        emit(transition, batch.tenant_id, "bulk_send.done", at, bulk_send_id=batch.id, status="done",
             total=batch.total, sent=batch.sent, failed=batch.failed)
        return committed(transition)

    def claim_reminders(self, batch: BulkSend, at: datetime, not_since: datetime) -> bool:
        return _write(_batch_item(batch), [BulkSendItem.reminded_at.set(iso(at))],
                      BulkSendItem.pk.exists() & (BulkSendItem.reminded_at.does_not_exist()
                                                  | (BulkSendItem.reminded_at <= iso(not_since))))

    def release_reminders(self, batch: BulkSend, at: datetime) -> None:
        actions = ([BulkSendItem.reminded_at.set(batch.reminded_at)] if batch.reminded_at
                   else [BulkSendItem.reminded_at.remove()])
        _write(_batch_item(batch), actions, BulkSendItem.reminded_at == iso(at))

    def withdraw(self, batch: BulkSend, at: str) -> None:
        """The batch marked, then each of its chunks, which every send checks (a repeated call marks the rest)."""
        _write(_batch_item(batch), [BulkSendItem.withdrawn_at.set(at)],
               BulkSendItem.pk.exists() & BulkSendItem.withdrawn_at.does_not_exist())
        pk = keys.tenant(batch.tenant_id)
        for chunk in range(batch.chunks):
            _write(BulkChunkItem(pk, keys.bulk_chunk(batch.id, chunk)), [BulkChunkItem.withdrawn.set(True)],
                   BulkChunkItem.pk.exists())


def _recipient_map(recipient: Recipient) -> RecipientMap:
    return RecipientMap(client_id=recipient.client_id,
                        document_ids=list(recipient.document_ids) if recipient.document_ids is not None else None)


def _recipient(index: int, stored: RecipientMap) -> Recipient:
    documents = stored.document_ids
    return Recipient(index=index, client_id=stored.client_id,
                     document_ids=tuple(documents) if documents is not None else None)
