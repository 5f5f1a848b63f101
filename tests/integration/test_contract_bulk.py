"""One contract for the bulk-send store: the same tests against the in-memory fake and DynamoDB (moto).

Each test works in a firm of its own; the index of batches not yet queued is shared by every
firm, so its test looks at a moment long past that nothing else stores a batch at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.bulk.model import CHUNK_SIZE, BulkSend, Failure, Outcome, Recipient, RecipientDone
from chalicelib.clock import iso
from chalicelib.errors import NotFound, NotOpen
from chalicelib.ids import new_id
from chalicelib.messaging.model import Message

CREATED = datetime(2001, 4, 2, 9, 0, tzinfo=UTC)  # long past: only this suite's batches are this old
AT = iso(CREATED)


class Store:
    def __init__(self, ports: Any) -> None:
        self.ports = ports
        self.bulk = ports.bulk_sends
        self.tenant = f"t-{new_id()}"

    def batch(self, total: int, **changes: Any) -> BulkSend:
        batch = BulkSend(id=new_id(int(CREATED.timestamp() * 1000)), tenant_id=self.tenant, advisor_id="a1",
                         subject="Aangifte {{naam}}", body="Graag uw akkoord.", response_type="approve", deadline=None,
                         document_ids=("d1",), total=total, created_at=AT, **changes)
        recipients = [Recipient(n, f"k{n}", ("d2",) if n % 2 else None) for n in range(total)]
        self.bulk.create(batch, recipients, None)
        return batch

    def message(self, client_id: str) -> Message:
        return Message(id=new_id(), tenant_id=self.tenant, conversation_id=new_id(), client_id=client_id,
                       advisor_id="a1", subject="Aangifte", body="Akkoord?", response_type="approve", documents=(),
                       status="sent", deadline=None, created_at=AT)


@pytest.fixture(params=["fake", "moto"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "fake":
        from tests.fakes import FakePorts

        return Store(FakePorts())
    request.getfixturevalue("backend")
    from chalicelib import aws

    return Store(aws.ports())


def test_a_batch_reads_back_with_its_recipients_in_order_over_its_chunks(store: Store):
    batch = store.batch(CHUNK_SIZE + 3)
    assert store.bulk.get(store.tenant, batch.id) == batch
    middle = store.bulk.recipients(store.tenant, batch.id, CHUNK_SIZE - 1, CHUNK_SIZE + 1)
    assert [(r.index, r.client_id, r.document_ids) for r in middle] == [
        (24, "k24", None), (25, "k25", ("d2",)), (26, "k26", None)]
    with pytest.raises(NotFound):
        store.bulk.get(f"t-{new_id()}", batch.id)  # another firm's is none of theirs


def test_a_batch_waits_on_the_not_queued_list_until_its_jobs_are_queued(store: Store):
    batch = store.batch(1)
    waiting = {b.id for b in store.bulk.not_queued(CREATED + timedelta(minutes=5))}
    assert batch.id in waiting and batch.id not in {b.id for b in store.bulk.not_queued(CREATED)}
    store.bulk.queued(batch)
    assert batch.id not in {b.id for b in store.bulk.not_queued(CREATED + timedelta(minutes=5))}


def test_an_outcome_is_written_with_its_message_once_and_never_after_a_withdrawal(store: Store):
    batch = store.batch(3)
    message = store.message("k0")
    sent = Outcome(batch.id, 0, "k0", "sent", name="Klant 0", message_id=message.id)
    store.ports.messages.send(message, CREATED, outcome=sent)
    with pytest.raises(RecipientDone):
        store.ports.messages.send(store.message("k0"), CREATED, outcome=sent)
    failed = Outcome(batch.id, 1, "k1", "failed", failure=Failure("phone_required", "phone_required", {"n": 1}))
    assert store.bulk.record_failure(store.tenant, failed) is True
    assert store.bulk.record_failure(store.tenant, failed) is False
    store.bulk.withdraw(batch, AT)
    with pytest.raises(NotOpen):
        store.ports.messages.send(store.message("k2"), CREATED, outcome=Outcome(batch.id, 2, "k2", "sent"))
    outcomes = store.bulk.outcomes(store.tenant, batch.id, 0, 2)
    assert sorted(outcomes) == [0, 1]
    assert outcomes[0].message_id == message.id and outcomes[0].name == "Klant 0"
    assert outcomes[1].failure == Failure("phone_required", "phone_required", {"n": 1})
    assert store.ports.messages.get_message(store.tenant, message.id).bulk_send_id is None  # as composed


def test_a_chunk_counts_once_and_the_batch_ends_once_with_its_notification(store: Store):
    batch = store.batch(CHUNK_SIZE + 1)
    store.bulk.start(batch)
    assert store.bulk.finish_chunk(batch, 0, 24, 1) is True
    assert store.bulk.finish_chunk(batch, 0, 24, 1) is False
    assert store.bulk.finish_chunk(batch, 1, 1, 0) is True
    counted = store.bulk.get(store.tenant, batch.id)
    assert (counted.status, counted.sent, counted.failed, counted.chunks_done) == ("running", 25, 1, 2)
    note = {"id": new_id(), "type": "bulk_send_done", "bulk_send_id": batch.id, "message_id": None,
            "signing_request_id": None, "client_id": None, "created_at": AT}
    assert store.bulk.complete(counted, AT, note) is True
    assert store.bulk.complete(counted, AT, {**note, "id": new_id()}) is False
    assert store.bulk.get(store.tenant, batch.id).status == "done"
    notes, _ = store.ports.messages.list_notifications(store.tenant, "a1", 10, None)
    assert [(n["type"], n["bulk_send_id"], n["message_id"]) for n in notes] == [("bulk_send_done", batch.id, None)]


def test_reminders_are_claimed_once_a_day_and_a_claim_can_be_undone(store: Store):
    batch = store.batch(1)
    assert store.bulk.claim_reminders(batch, CREATED, CREATED - timedelta(hours=24)) is True
    later = CREATED + timedelta(hours=1)
    assert store.bulk.claim_reminders(batch, later, later - timedelta(hours=24)) is False
    store.bulk.release_reminders(batch, CREATED)
    assert store.bulk.get(store.tenant, batch.id).reminded_at is None
    assert store.bulk.claim_reminders(batch, later, later - timedelta(hours=24)) is True


def test_the_firms_batches_list_newest_first_and_page(store: Store):
    made = []
    for n in range(3):
        batch = BulkSend(id=new_id(int(CREATED.timestamp() * 1000) + n), tenant_id=store.tenant, advisor_id="a1",
                         subject=f"Batch {n}", body="-", response_type="none", deadline=None, document_ids=(), total=1,
                         created_at=AT)
        store.bulk.create(batch, [Recipient(0, "k0")], None)
        made.append(batch.id)
    first, cursor = store.bulk.page(store.tenant, 2, None)
    rest, end = store.bulk.page(store.tenant, 2, cursor)
    assert [b.id for b in first + rest] == made[::-1] and end is None
