"""One contract for the message store: the same tests against the in-memory fake and DynamoDB (moto).

Each test works in a firm of its own, so the shared table of the moto backend needs no cleaning;
the reminder index is shared by every firm, so the job's tests look at moments long past, which
nothing else schedules, and only at their own firm's messages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.clock import iso
from chalicelib.errors import NotFound, NotOpen, ValidationFailed
from chalicelib.idempotency import KEPT, AlreadyAnswered, Answer, IdempotencyKey, Recorded
from chalicelib.ids import new_id
from chalicelib.messaging.model import DocumentRef, Envelope, Message, Reply, Signer, SignerState, SigningRequest
from chalicelib.signing.states import Settlement, SigningStatus, Step, advance, first_event, settle

# Long past: no other test schedules anything this early, so `due` finds only what a test put there.
SENT = datetime(2001, 3, 1, 10, 0, tzinfo=UTC)
AT = iso(SENT)
MS = int(SENT.timestamp() * 1000)


class Store:
    """The ports of one backend (the fake's, or the real repositories on moto) and a firm of the test's own."""

    def __init__(self, kind: str, ports: Any) -> None:
        self.kind = kind
        self.ports = ports
        self.messages = ports.messages
        self.signing = ports.signing
        self.tenant = f"t-{new_id()}"
        self._made = 0

    def message(self, response_type: str = "approve", client_id: str = "k1", **changes: Any) -> Message:
        """A new message (not stored); ids rise with every call, so the newest is the last made."""
        self._made += 1
        made = Message(
            id=new_id(MS + self._made), tenant_id=self.tenant, conversation_id=new_id(), client_id=client_id,
            advisor_id="a1", subject="Begroting 2027", body="Gaat u akkoord?", response_type=response_type,
            documents=(), status="sent", deadline="2001-03-10", created_at=AT,
        )
        return replace(made, **changes)

    def sent(self, response_type: str = "approve", due: datetime = SENT, **changes: Any) -> Message:
        return self.messages.send(self.message(response_type, **changes), due)

    def signing_message(self, due: datetime = SENT) -> tuple[Message, SigningRequest]:
        """A sent `sign` message with its open request; (message, request as stored)."""
        document = DocumentRef(id="d1", filename="aangifte.pdf", content_type="application/pdf", size=3,
                               sha256="ab" * 32, s3_key=f"tenants/{self.tenant}/documents/d1", version_id="1")
        message = self.message("sign", documents=(document,), signing_request_id=new_id(), signing_status="sent")
        first = first_event(AT, "advisor:a1", {"document_sha256": document.sha256})
        request = SigningRequest(id=str(message.signing_request_id), tenant_id=self.tenant, message_id=message.id,
                                 conversation_id=message.conversation_id, client_id="k1", advisor_id="a1",
                                 status=SigningStatus.SENT, deadline=message.deadline, document=document,
                                 created_at=AT, audit_seq=first.seq, audit_head=first.hash, signer_name="Eva")
        stored = self.messages.send(message, due, signing=[(request, first)])
        return stored, self.signing.get(self.tenant, request.id)

    def set_message(self, order: str = "sequential") -> tuple[Message, list[SigningRequest]]:
        """A sent `sign` message for k1 and the co-signer k2, as sending composes it; (message, requests as stored)."""
        document = DocumentRef(id="d1", filename="aangifte.pdf", content_type="application/pdf", size=3,
                               sha256="ab" * 32, s3_key=f"tenants/{self.tenant}/documents/d1", version_id="1")
        message = self.message("sign", documents=(document,), deadline=None)
        envelope = Envelope(message.id, (Signer(new_id(), "k1", "Jan"), Signer(new_id(), "k2", "Els")), order)
        requests = []
        for n, signer in enumerate(envelope.signers):
            first = first_event(AT, "advisor:a1", {"document_sha256": document.sha256})
            requests.append((SigningRequest(
                id=signer.request_id, tenant_id=self.tenant, message_id=message.id,
                conversation_id=message.conversation_id, client_id=signer.client_id, advisor_id="a1",
                status=SigningStatus.SENT, deadline=None, document=document, created_at=AT, audit_seq=first.seq,
                audit_head=first.hash, signer_name=signer.name, turn=order == "parallel" or n == 0,
                stored_envelope=envelope), first))
        states = tuple(SignerState(r.id, r.client_id, r.signer_name, "sent", r.turn,
                                   notice="pending" if r.turn else "waiting") for r, _ in requests)
        message = replace(message, signing_request_id=envelope.signers[0].request_id, signing_status="sent",
                          signings=states, signing_order=order)
        stored = self.messages.send(message, SENT, signing=requests)
        return stored, [self.signing.get(self.tenant, r.id) for r, _ in requests]

    def get(self, message: Message) -> Message:
        return self.messages.get_message(self.tenant, message.id)

    def due(self, now: datetime = SENT) -> list[str]:
        return [m.id for m in self.messages.due(now) if m.tenant_id == self.tenant]

    def notifications(self, limit: int = 50, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        return self.messages.list_notifications(self.tenant, "a1", limit, cursor)

    def events(self, request: SigningRequest) -> list[str]:
        return [e.type for e in self.signing.audit_events(self.tenant, request.id)]


@pytest.fixture(params=["fake", "moto"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "fake":
        from tests.fakes import FakePorts

        return Store("fake", FakePorts())
    request.getfixturevalue("backend")
    from chalicelib import aws

    return Store("moto", aws.ports())


def note(kind: str, message: Message, n: int = 0) -> dict[str, Any]:
    return {"id": new_id(MS + 1000 + n), "type": kind, "message_id": message.id,
            "signing_request_id": message.signing_request_id, "client_id": message.client_id, "created_at": AT}


def reply_to(message: Message, n: int = 0, body: str = "Ja.") -> Reply:
    return Reply(id=new_id(MS + 2000 + n), message_id=message.id, author="client:k1", body=body, created_at=AT)


# --- sending and reading ---------------------------------------------------------------------



def alone(step: Step) -> Settlement:
    """A request's closing step with nothing else to settle: a request without co-signers."""
    return settle(step, (step.before,), step.event.at, step.event.actor)

def test_a_sent_message_reads_back_as_sent_with_its_notice_queued(store: Store):
    message = store.message()
    answer = store.messages.send(message, SENT + timedelta(minutes=5))
    assert answer == store.get(message)
    assert answer == replace(message, next_reminder_at=iso(SENT + timedelta(minutes=5)))
    assert answer.notice_status == "pending" and answer.reminders_sent == frozenset()


def test_a_message_stored_again_by_a_retry_of_its_own_is_no_error_and_stays_one(store: Store):
    message = store.message()
    first = store.messages.send(message, SENT)
    assert store.messages.send(message, SENT) == first  # its answer was lost, the write had landed
    assert [m.id for m in store.messages.list_for_client(store.tenant, "k1", 50, None)[0]] == [message.id]


def test_an_unknown_message_or_one_of_another_firm_is_not_found(store: Store):
    message = store.sent()
    with pytest.raises(NotFound):
        store.messages.get_message(store.tenant, new_id())
    with pytest.raises(NotFound):
        store.messages.get_message(f"t-{new_id()}", message.id)


def _key(tenant: str) -> IdempotencyKey:
    return IdempotencyKey(tenant_id=tenant, scope=new_id(), fingerprint="body-1")


def test_a_send_with_a_key_records_its_answer_and_a_second_send_with_it_writes_nothing(store: Store):
    key = _key(store.tenant)
    first = store.messages.send(store.message(), SENT, recorded=Recorded(key, {"id": "first"}))
    assert store.messages.answer_under(key, SENT) == Answer("body-1", {"id": "first"}, SENT + KEPT)
    with pytest.raises(AlreadyAnswered) as twin:
        store.messages.send(store.message(subject="Anders"), SENT, recorded=Recorded(key, {"id": "second"}))
    assert twin.value.answer.body == {"id": "first"}
    assert [m.id for m in store.messages.list_for_client(store.tenant, "k1", 50, None)[0]] == [first.id]


def test_a_keys_answer_is_kept_a_day_then_the_key_may_be_used_again(store: Store):
    key = _key(store.tenant)
    store.messages.send(store.message(), SENT, recorded=Recorded(key, {"id": "first"}))
    assert store.messages.answer_under(key, SENT + KEPT) is None
    later = store.message(created_at=iso(SENT + KEPT))
    store.messages.send(later, SENT + KEPT, recorded=Recorded(key, {"id": "later"}))
    assert store.messages.answer_under(key, SENT + KEPT).body == {"id": "later"}


def test_the_same_key_in_another_firm_is_another_send(store: Store):
    key = _key(store.tenant)
    first = store.messages.send(store.message(), SENT, recorded=Recorded(key, {"id": "first"}))
    elsewhere = replace(key, tenant_id=f"t-{new_id()}")
    other = replace(store.message(), tenant_id=elsewhere.tenant_id)
    assert store.messages.send(other, SENT, recorded=Recorded(elsewhere, {"id": "other"})).id == other.id != first.id


def test_the_answer_under_a_key_follows_the_notice(store: Store):
    key = _key(store.tenant)
    message = store.messages.send(store.message(), SENT, recorded=Recorded(key, {"notice_status": "pending"}))
    store.messages.notice_failed(message, SENT, Recorded(key, {"notice_status": "failed"}))
    assert store.messages.answer_under(key, SENT).body == {"notice_status": "failed"}
    store.messages.notice_sent(message, None, Recorded(key, {"notice_status": "sent"}))
    assert store.messages.answer_under(key, SENT).body == {"notice_status": "sent"}
    assert store.get(message).notice_status == "sent"


def test_a_send_reads_the_card_the_firm_the_advisor_the_documents_and_the_keys_answer_at_once(store: Store):
    from chalicelib.clients.model import Client
    from chalicelib.documents.model import Document
    from chalicelib.tenants.model import Advisor, Tenant

    ports = store.ports
    ports.tenants.add(Tenant(id=store.tenant, name="Kantoor De Vries"), AT)
    ports.tenants.add_advisor(Advisor(id="a1", tenant_id=store.tenant, name="Anne", email="anne@kantoor.example"),
                              f"sub-{new_id()}", "Kantoor De Vries", AT)
    ports.clients.add(Client(id="k1", tenant_id=store.tenant, name="Eva", email=f"eva@{store.tenant}.example",
                             phone="+31612345678", city=None, language="nl", portal_access="none", created_at=AT))
    ports.documents.add(Document(id="d1", tenant_id=store.tenant, filename="a.pdf", content_type="application/pdf",
                                 declared_size=3, status="pending", s3_key="tenants/x/documents/d1", sha256=None,
                                 size=None, version_id=None), "a1", AT)
    key = _key(store.tenant)
    found = store.messages.outgoing(store.tenant, "k1", "a1", ["d1", "d-nothing"], SENT, key)
    assert (found.client.name, found.firm.name, found.advisor.email) == ("Eva", "Kantoor De Vries", "anne@kantoor.example")
    assert list(found.documents) == ["d1"] and found.documents["d1"].status == "pending" and found.earlier is None
    store.messages.send(store.message(), SENT, recorded=Recorded(key, {"id": "first"}))
    assert store.messages.outgoing(store.tenant, "k1", "a-gone", [], SENT, key).earlier.body == {"id": "first"}
    assert store.messages.outgoing(store.tenant, "k1", "a-gone", [], SENT).advisor is None
    with pytest.raises(NotFound):
        store.messages.outgoing(store.tenant, "k-nobody", "a1", [], SENT)


def test_a_signing_message_is_stored_with_its_request_and_the_first_event_of_its_chain(store: Store):
    message, request = store.signing_message()
    assert store.get(message).signing_status == "sent"
    assert (request.status, request.message_id, request.audit_seq) == (SigningStatus.SENT, message.id, 1)
    assert store.events(request) == ["sent"]


def test_a_clients_messages_come_newest_first_page_by_page(store: Store):
    made = [store.sent() for _ in range(3)]
    store.sent(client_id="k2")
    first, cursor = store.messages.list_for_client(store.tenant, "k1", 2, None)
    assert [m.id for m in first] == [made[2].id, made[1].id] and cursor
    rest, end = store.messages.list_for_client(store.tenant, "k1", 2, cursor)
    assert ([m.id for m in rest], end) == ([made[0].id], None)


def test_a_status_filter_keeps_only_that_status(store: Store):
    approved, waiting = store.sent(), store.sent()
    store.messages.answer(approved, "approved", AT, None, note("approved", approved))
    items, _ = store.messages.list_for_client(store.tenant, "k1", 50, None, "approved")
    assert [m.id for m in items] == [approved.id]
    items, _ = store.messages.list_for_tenant(store.tenant, 50, None, "sent")
    assert [m.id for m in items] == [waiting.id]


def test_the_firms_messages_come_newest_first_page_by_page(store: Store):
    made = [store.sent(client_id=client) for client in ("k1", "k2", "k3")]
    first, cursor = store.messages.list_for_tenant(store.tenant, 2, None)
    assert [m.id for m in first] == [made[2].id, made[1].id]
    rest, end = store.messages.list_for_tenant(store.tenant, 2, cursor)
    assert ([m.id for m in rest], end) == ([made[0].id], None)


def test_a_cursor_of_another_list_is_refused(store: Store):
    for _ in range(2):
        store.sent()
    _, cursor = store.messages.list_for_client(store.tenant, "k1", 1, None)
    with pytest.raises(ValidationFailed):
        store.messages.list_for_client(store.tenant, "k2", 1, cursor)
    with pytest.raises(ValidationFailed):
        store.messages.list_for_tenant(store.tenant, 1, cursor)
    with pytest.raises(ValidationFailed):
        store.messages.list_for_tenant(store.tenant, 1, "not-a-cursor")


# --- the client's answers --------------------------------------------------------------------


def test_reading_marks_sent_as_read_once(store: Store):
    message = store.sent()
    assert store.messages.mark_read(message, AT).status == "read"
    assert store.get(message).status == "read"
    with pytest.raises(NotOpen):
        store.messages.mark_read(message, AT)


def test_reading_a_signing_message_views_its_request_in_the_same_step(store: Store):
    message, request = store.signing_message()
    read = store.messages.mark_read(message, AT, advance(request, "viewed", AT, "client:k1"))
    assert (read.status, read.signing_status) == ("read", "viewed")
    assert (store.get(message).signing_status, store.signing.get(store.tenant, request.id).status) == ("viewed", "viewed")
    assert store.events(request) == ["sent", "viewed"]


def test_a_read_whose_request_moved_meanwhile_changes_nothing(store: Store):
    message, request = store.signing_message()
    stale = advance(request, "viewed", AT, "client:k1")
    reminded = advance(request, "reminder", AT, "system:reminders", {"days_before": 3})
    moved = store.messages.claim_reminder(message, SENT + timedelta(days=1), frozenset({3}), [reminded])
    assert moved is not None
    with pytest.raises(NotOpen):
        store.messages.mark_read(moved, AT, stale)
    assert store.get(message).status == "sent"
    assert store.events(request) == ["sent", "reminder"]


def test_a_reply_is_kept_notified_and_takes_the_message_off_the_schedule(store: Store):
    message = store.sent("reply")
    store.messages.reply(message, reply_to(message, 0, "Ja."), note("replied", message, 0))
    store.messages.reply(message, reply_to(message, 1, "Nog iets."), note("replied", message, 1))
    assert [r.body for r in store.messages.replies(store.tenant, message.conversation_id)] == ["Ja.", "Nog iets."]
    assert store.get(message).status == "replied"
    assert [n["type"] for n in store.notifications()[0]] == ["replied", "replied"]
    assert store.due() == [] and store.get(message).next_reminder_at is None


def test_an_answered_message_takes_no_reply(store: Store):
    message = store.sent("reply")
    store.messages.answer(message, "approved", AT, None, note("approved", message))
    with pytest.raises(NotOpen):
        store.messages.reply(message, reply_to(message), note("replied", message))
    assert store.messages.replies(store.tenant, message.conversation_id) == []


def test_an_approval_is_answered_once(store: Store):
    message = store.sent()
    store.messages.answer(message, "approved", AT, None, note("approved", message, 0))
    with pytest.raises(NotOpen):
        store.messages.answer(message, "rejected", AT, "Nee", note("rejected", message, 1))
    assert store.get(message).status == "approved" and store.get(message).reject_reason is None
    assert [n["type"] for n in store.notifications()[0]] == ["approved"]


def test_a_rejection_keeps_its_reason(store: Store):
    message = store.sent()
    store.messages.answer(message, "rejected", AT, "Bedrag klopt niet", note("rejected", message))
    assert (store.get(message).status, store.get(message).reject_reason) == ("rejected", "Bedrag klopt niet")


def test_rejecting_a_signing_request_closes_request_and_message_together(store: Store):
    message, request = store.signing_message()
    step = advance(request, "rejected", AT, "client:k1", {"reason": "Fout"})
    store.messages.close_signing(alone(step), None, "Fout", note("rejected", message))
    stored, closed = store.get(message), store.signing.get(store.tenant, request.id)
    assert (stored.status, stored.signing_status, stored.rejected_at, stored.reject_reason) == (
        "rejected", "rejected", AT, "Fout")
    assert (closed.status, closed.reject_reason, closed.rejected_at) == (SigningStatus.REJECTED, "Fout", AT)
    assert store.events(request) == ["sent", "rejected"]
    assert [n["type"] for n in store.notifications()[0]] == ["rejected"]
    assert store.due() == []


def test_a_closing_step_computed_before_another_event_is_refused_whole(store: Store):
    message, request = store.signing_message()
    stale = advance(request, "withdrawn", AT, "advisor:a1")
    store.messages.mark_read(message, AT, advance(request, "viewed", AT, "client:k1"))
    with pytest.raises(NotOpen):
        store.messages.close_signing(alone(stale), None)
    assert store.get(message).status == "read"
    assert store.events(request) == ["sent", "viewed"]


def test_a_withdrawal_notifies_nobody(store: Store):
    message, request = store.signing_message()
    store.messages.close_signing(alone(advance(request, "withdrawn", AT, "advisor:a1")), None)
    assert (store.get(message).status, store.get(message).rejected_at) == ("withdrawn", None)
    assert store.signing.get(store.tenant, request.id).status == SigningStatus.WITHDRAWN
    assert store.notifications() == ([], None)


def test_notifications_come_newest_first_page_by_page_unread(store: Store):
    message = store.sent("reply")
    notes = [note("replied", message, n) for n in range(3)]
    for n, made in enumerate(notes):
        store.messages.reply(message, reply_to(message, n), made)
    first, cursor = store.notifications(limit=2)
    assert [n["id"] for n in first] == [notes[2]["id"], notes[1]["id"]] and cursor
    # A batch's notification names its batch, a webhook's its webhook.
    assert first[0] == {**notes[2], "bulk_send_id": None, "webhook_id": None, "read": False}
    rest, end = store.notifications(limit=2, cursor=cursor)
    assert ([n["id"] for n in rest], end) == ([notes[0]["id"]], None)


# --- the notice and the reminder job's claims --------------------------------------------------


def test_a_queued_notice_is_due_at_its_moment_and_not_before(store: Store):
    message = store.sent(due=SENT + timedelta(minutes=5))
    assert store.due(SENT) == []
    assert store.due(SENT + timedelta(minutes=5)) == [message.id]


def test_a_sent_notice_schedules_the_first_check_or_none(store: Store):
    scheduled, unscheduled = store.sent(), store.sent("none", deadline=None)
    store.messages.notice_sent(scheduled, SENT + timedelta(days=2))
    store.messages.notice_sent(unscheduled, None)
    assert store.get(scheduled).notice_status == store.get(unscheduled).notice_status == "sent"
    assert store.due(SENT + timedelta(days=1)) == []
    assert store.due(SENT + timedelta(days=2)) == [scheduled.id]


def test_a_failed_notice_is_due_again_for_the_job(store: Store):
    message = store.sent(due=SENT + timedelta(minutes=5))
    store.messages.notice_failed(message, SENT)
    assert store.get(message).notice_status == "failed" and store.due() == [message.id]


def test_recording_a_notice_of_a_message_that_is_not_stored_is_not_found_and_stores_nothing(store: Store):
    from chalicelib.errors import NotFound

    never_sent = store.message()
    for record in (lambda: store.messages.notice_sent(never_sent, None),
                   lambda: store.messages.notice_failed(never_sent, SENT)):
        with pytest.raises(NotFound):
            record()
    with pytest.raises(NotFound):
        store.get(never_sent)


def test_a_reminder_is_claimed_once_from_the_same_read(store: Store):
    message = store.sent()
    claimed = store.messages.claim_reminder(message, SENT + timedelta(days=2), frozenset({3}))
    assert claimed == store.get(message)
    assert (claimed.reminders_sent, claimed.next_reminder_at) == (frozenset({3}), iso(SENT + timedelta(days=2)))
    assert store.messages.claim_reminder(message, SENT + timedelta(days=2), frozenset({3})) is None
    assert store.due() == []


def test_a_reminder_claim_records_the_requests_event_or_nothing(store: Store):
    message, request = store.signing_message()
    step = advance(request, "reminder", AT, "system:reminders", {"days_before": 3})
    assert store.messages.claim_reminder(message, SENT + timedelta(days=1), frozenset({3}), [step])
    assert store.events(request) == ["sent", "reminder"]
    moved = store.get(message)
    stale = advance(request, "reminder", AT, "system:reminders", {"days_before": 1})
    assert store.messages.claim_reminder(moved, SENT + timedelta(days=2), frozenset({1, 3}), [stale]) is None
    assert store.get(message) == moved and store.events(request) == ["sent", "reminder"]


def test_a_closed_message_is_not_claimed(store: Store):
    message = store.sent()
    store.messages.answer(message, "approved", AT, None, note("approved", message))
    assert store.messages.claim_reminder(message, SENT, frozenset({3})) is None
    assert store.messages.reschedule(message, SENT, frozenset()) is False
    assert store.messages.mark_overdue(message, note("overdue", message)) is False


def test_rescheduling_moves_the_message_on_and_back(store: Store):
    message = store.sent()
    claimed = store.messages.claim_reminder(message, SENT + timedelta(days=3), frozenset({3}))
    assert claimed is not None
    assert store.messages.reschedule(claimed, SENT, frozenset())  # a failed reminder handed back
    back = store.get(message)
    assert (back.next_reminder_at, back.reminders_sent, store.due()) == (AT, frozenset(), [message.id])
    assert store.messages.reschedule(claimed, SENT, frozenset()) is False  # from a stale read


def test_unindexing_takes_the_message_off_the_schedule_unless_it_moved(store: Store):
    message, other = store.sent(), store.sent()
    store.messages.claim_reminder(other, SENT + timedelta(days=1), frozenset({3}))
    assert store.messages.unindex(message) is True
    assert store.messages.unindex(other) is False
    assert store.get(message).next_reminder_at is None
    assert store.due(SENT + timedelta(days=1)) == [other.id]


def test_overdue_is_claimed_once_with_its_notification_and_event(store: Store):
    message, request = store.signing_message()
    step = advance(request, "overdue", AT, "system:reminders", {"deadline": message.deadline})
    assert store.messages.mark_overdue(message, note("overdue", message, 0), [step]) is True
    assert store.messages.mark_overdue(message, note("overdue", message, 1)) is False
    stored = store.get(message)
    assert (stored.overdue, stored.next_reminder_at, stored.status) == (True, None, "sent")
    assert [n["type"] for n in store.notifications()[0]] == ["overdue"]
    assert store.events(request) == ["sent", "overdue"]


def test_a_notice_is_claimed_once_as_a_lease(store: Store):
    message = store.sent()
    lease = SENT + timedelta(minutes=15)
    claimed = store.messages.claim_notice(message, lease)
    assert claimed == store.get(message)
    assert (claimed.notice_status, claimed.next_reminder_at) == ("retrying", iso(lease))
    assert store.messages.claim_notice(message, lease) is None
    assert store.due(lease) == [message.id]
    assert store.messages.claim_notice(claimed, lease + timedelta(minutes=15)) is not None  # the lease ran out


# --- a set of signers -------------------------------------------------------------------------


def test_a_co_signer_finds_the_message_on_their_own_overview_and_nobody_else_does(store: Store):
    message, _ = store.set_message()
    assert [m.id for m in store.messages.list_for_client(store.tenant, "k2", 10, None)[0]] == [message.id]
    assert [m.id for m in store.messages.list_for_client(store.tenant, "k3", 10, None)[0]] == []
    assert [m.id for m in store.messages.list_for_tenant(store.tenant, 10, None)[0]] == [message.id]  # once


def test_two_steps_of_a_set_read_at_the_same_version_land_one_only(store: Store):
    message, (jan, els) = store.set_message("parallel")
    rejected = settle(advance(els, "rejected", AT, "client:k2"), (jan, els), AT, "client:k2")
    withdrawn = settle(advance(jan, "withdrawn", AT, "advisor:a1"), (jan, els), AT, "advisor:a1")
    store.messages.close_signing(rejected, message.signing_version, "Nee")
    with pytest.raises(NotOpen):
        store.messages.close_signing(withdrawn, message.signing_version)
    after = store.get(message)
    assert (after.status, [s.status for s in after.signings]) == ("rejected", ["withdrawn", "rejected"])
    assert after.reject_reason is None and after.signings[1].reject_reason == "Nee"  # the co-signer's own
    assert store.events(jan)[-1] == "withdrawn"


def test_a_notice_outcome_read_before_a_signers_turn_came_leaves_their_notice_due(store: Store):
    message, (jan, els) = store.set_message("sequential")
    signed = advance(jan, "signed", AT, "client:k1")
    settled = settle(signed, (jan, els), AT, "client:k1")
    assert settled.turn_to == (els.id,)
    # The turn as the signature writes it (without a receipt: the set's part of the write alone).
    store.messages.close_signing(Settlement(settled.steps, None, turn_to=settled.turn_to), message.signing_version)
    store.messages.notice_sent(message, None, sent_to=["k1"])  # the first notice, recorded late
    after = store.get(message)
    assert [s.notice for s in after.signings] == ["sent", "pending"]
    assert after.signings[1].turn and store.signing.get(store.tenant, els.id).turn
    # Still due for the job, which sends Els hers: the late outcome did not mark the message's notices done.
    assert (after.notice_status, after.next_reminder_at is not None) == ("pending", True)
    from chalicelib.messaging.notices import awaiting_notice

    assert awaiting_notice(after) == ["k2"]


# --- notifications read -----------------------------------------------------------------------


def test_a_notification_is_marked_read_once_opened_and_all_at_once(store: Store):
    for n in range(3):
        message = store.sent()
        store.messages.answer(message, "approved", AT, None, note("approved", message, n))
    every = store.notifications()[0]
    assert len(every) == 3 and not any(n["read"] for n in every)
    opened = store.messages.mark_notification_read(store.tenant, "a1", every[0]["id"])
    assert (opened["id"], opened["read"], opened["type"]) == (every[0]["id"], True, every[0]["type"])
    unread = store.messages.list_notifications(store.tenant, "a1", 50, None, unread_only=True)[0]
    assert [n["id"] for n in unread] == [n["id"] for n in every[1:]]
    assert store.messages.mark_all_read(store.tenant, "a1") == 2
    assert store.messages.list_notifications(store.tenant, "a1", 50, None, unread_only=True)[0] == []
    assert store.messages.mark_all_read(store.tenant, "a1") == 0


def test_another_advisors_notification_is_not_found_and_stays_unread(store: Store):
    message = store.sent()
    store.messages.answer(message, "approved", AT, None, note("approved", message))
    mine = store.notifications()[0][0]
    with pytest.raises(NotFound):
        store.messages.mark_notification_read(store.tenant, "a2", mine["id"])
    with pytest.raises(NotFound):
        store.messages.mark_notification_read(store.tenant, "a1", new_id())
    assert store.notifications()[0][0]["read"] is False
