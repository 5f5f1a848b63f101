"""One contract for the signing-request store: the same tests against the in-memory fake and DynamoDB (moto)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import AlreadySigned, InvalidCode, NotFound, NotOpen, OtpRequired, RateLimited
from chalicelib.ids import new_id
from chalicelib.messaging.model import DocumentRef, SigningRequest
from chalicelib.signing import otp
from chalicelib.signing.crypto import Sealed
from chalicelib.signing.otp import OtpState
from chalicelib.signing.ports import StoredReceipt
from chalicelib.signing.states import Settlement, SigningStatus, Step, advance, first_event

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
AT = "2026-12-01T10:00:00.000Z"


class Backend:
    """The repository under test, and how a test puts a request in front of it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "fake":
            from tests.fakes import FakePorts

            self.ports: Any = FakePorts()
        else:
            from chalicelib import aws

            self.ports = aws.ports()
        self.repository: Any = self.ports.signing

    def record_code_sent(self, step: Any, before: OtpState, after: OtpState, digest: str, now: datetime = NOW,
                         budget: int = 1000) -> None:
        self.repository.record_code_sent(step, before, after, digest, now, budget)

    def firm(self, tenant: str, sms_budget: int | None = None) -> None:
        """The firm and its client k1, whose cards the ceremony reads."""
        from chalicelib.clients.model import Client
        from chalicelib.tenants.model import Tenant

        self.ports.tenants.add(Tenant(id=tenant, name="Kantoor De Vries"), AT)
        if sms_budget is not None:
            self.ports.tenants.set_sms_budget(tenant, sms_budget)
        self.ports.clients.add(Client(id="k1", tenant_id=tenant, name="Eva de Jong", email=f"eva@{tenant}.example",
                                      phone="+31612345678", city="Haarlem", language="nl", portal_access="active",
                                      created_at=AT))

    def add(self, status: SigningStatus = SigningStatus.SENT, tenant: str | None = None) -> SigningRequest:
        tenant, request_id = tenant or f"t-{new_id()}", new_id()
        document = DocumentRef(id="d1", filename="aangifte.pdf", content_type="application/pdf", size=3,
                               sha256="ab" * 32, s3_key=f"tenants/{tenant}/documents/d1", version_id="1")
        sent = first_event(AT, "advisor:a1", {"document_sha256": document.sha256})
        request = SigningRequest(id=request_id, tenant_id=tenant, message_id=new_id(), conversation_id=new_id(),
                                 client_id="k1", advisor_id="a1", status=SigningStatus.SENT, deadline=None,
                                 document=document, created_at=AT, audit_seq=sent.seq, audit_head=sent.hash,
                                 signer_name="Eva de Jong")
        if self.kind == "fake":
            self.repository.add(request, sent)
        else:
            from chalicelib.store.signing_requests import audit_item, request_item
            from chalicelib.store.transaction import Transition

            transition = Transition()
            transition.put("request", request_item(request))
            transition.put("audit", audit_item(tenant, request_id, sent))
            transition.commit()
        if status != SigningStatus.SENT:
            self.apply(advance(self.repository.get(tenant, request_id), str(status), AT, "test"))
        return self.repository.get(tenant, request_id)

    def apply(self, step: Any) -> None:
        if self.kind == "fake":
            self.repository.apply_step(step)
        else:
            from chalicelib.store.signing_requests import record_step
            from chalicelib.store.transaction import Transition

            transition = Transition()
            record_step(transition, step)
            transition.commit()


@pytest.fixture(params=["fake", "moto"])
def store(request: pytest.FixtureRequest) -> Backend:
    if request.param == "moto":
        request.getfixturevalue("backend")
    return Backend(request.param)


def _issued(state: OtpState, now: datetime = NOW) -> OtpState:
    return otp.issue(state, "hmac-of-the-code", now, "+31 6 ****5678")



def sign(repository: Any, step: Step, before: OtpState, after: OtpState, receipt: StoredReceipt,
         notification: dict[str, Any], phone_changed_at: str | None, recorded: Any = None) -> None:
    """A signature of a request without co-signers: its settlement signs the message."""
    repository.sign(Settlement((step,), "signed"), None, before, after, receipt, [notification], phone_changed_at,
                    recorded)

def test_an_unknown_request_is_not_found(store):
    with pytest.raises(NotFound):
        store.repository.get("t-nobody", "r-nothing")


def test_a_request_reads_back_as_it_was_sent(store):
    request = store.add()
    again = store.repository.get(request.tenant_id, request.id)
    assert again == request and again.status is SigningStatus.SENT and again.is_open
    assert [e.type for e in store.repository.audit_events(request.tenant_id, request.id)] == ["sent"]


def test_a_new_request_has_no_code_state(store):
    request = store.add()
    assert store.repository.code_state(request.tenant_id, request.id) == OtpState()


def test_a_sent_code_is_stored_with_its_event(store):
    request = store.add()
    step = advance(request, "code_sent", AT, "client:k1")
    issued = _issued(OtpState())
    store.record_code_sent(step, OtpState(), issued, "phone-digest", NOW)
    assert store.repository.code_state(request.tenant_id, request.id) == issued
    assert store.repository.get(request.tenant_id, request.id).audit_seq == 2


def test_a_code_sent_from_a_stale_state_loses_to_the_one_that_wrote_first(store):
    request = store.add()
    first = _issued(OtpState())
    store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), first, "d", NOW)
    current = store.repository.get(request.tenant_id, request.id)
    with pytest.raises(RateLimited) as refused:
        store.record_code_sent(advance(current, "code_sent", AT, "c"), OtpState(), _issued(OtpState()),
                                          "d", NOW)
    assert refused.value.message == "too_many_codes"
    assert store.repository.code_state(request.tenant_id, request.id) == first


def _send_many(store: Backend, digest: str, client_requests: list[SigningRequest], count: int) -> None:
    for n in range(count):
        request = store.repository.get(client_requests[n % len(client_requests)].tenant_id,
                                       client_requests[n % len(client_requests)].id)
        before = store.repository.code_state(request.tenant_id, request.id)
        store.record_code_sent(advance(request, "code_sent", AT, "c"), before,
                               _issued(before, NOW + timedelta(minutes=n)), digest, NOW)


def test_a_phone_gets_at_most_ten_codes_a_day(store):
    digest = f"phone-{new_id()}"
    one = store.add()
    _send_many(store, digest, [one], otp.MAX_PER_PHONE_PER_DAY)
    current = store.repository.get(one.tenant_id, one.id)
    before = store.repository.code_state(one.tenant_id, one.id)
    with pytest.raises(RateLimited) as refused:
        store.record_code_sent(advance(current, "code_sent", AT, "c"), before, _issued(before), digest, NOW)
    assert refused.value.message in ("too_many_sms_for_phone", "too_many_sms_for_client")
    assert refused.value.retry_after > 3600


def test_a_client_gets_at_most_ten_codes_a_day_over_other_numbers(store):
    one = store.add()
    for n in range(otp.MAX_PER_CLIENT_PER_DAY):
        request = store.repository.get(one.tenant_id, one.id)
        before = store.repository.code_state(one.tenant_id, one.id)
        store.record_code_sent(advance(request, "code_sent", AT, "c"), before, _issued(before),
                                          f"phone-{n}-{new_id()}", NOW)
    request = store.repository.get(one.tenant_id, one.id)
    before = store.repository.code_state(one.tenant_id, one.id)
    with pytest.raises(RateLimited) as refused:
        store.record_code_sent(advance(request, "code_sent", AT, "c"), before, _issued(before),
                                          f"another-{new_id()}", NOW)
    assert refused.value.message == "too_many_sms_for_client"


def test_an_undone_send_restores_the_code_state_and_the_counts(store):
    request = store.add()
    digest = f"phone-{new_id()}"
    issued = _issued(OtpState())
    store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), issued, digest, NOW)
    sent = store.repository.get(request.tenant_id, request.id)
    restored = replace(OtpState(), version=issued.version + 1)
    store.repository.undo_code_sent(advance(sent, "code_failed", AT, "system:sms"), issued, restored, digest, NOW)
    assert store.repository.code_state(request.tenant_id, request.id) == restored
    _send_many(store, digest, [request], otp.MAX_PER_PHONE_PER_DAY)  # all ten still available


def test_an_undone_send_gives_its_counts_back_even_when_a_newer_code_took_over(store):
    request = store.add()
    digest = f"phone-{new_id()}"
    issued = _issued(OtpState())
    store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), issued, digest, NOW)
    failed_send = store.repository.get(request.tenant_id, request.id)
    newer = _issued(issued, NOW + timedelta(minutes=1))
    store.record_code_sent(advance(failed_send, "code_sent", AT, "c", {"n": 2}), issued, newer, digest, NOW)
    store.repository.undo_code_sent(advance(failed_send, "code_failed", AT, "system:sms"), issued,
                                    replace(OtpState(), version=issued.version + 1), digest, NOW)
    assert store.repository.code_state(request.tenant_id, request.id) == newer, "the newer code keeps its state"
    others = [store.add() for _ in range(otp.MAX_PER_PHONE_PER_DAY - 1)]
    _send_many(store, digest, others, otp.MAX_PER_PHONE_PER_DAY - 1)  # 1 counted + 9 more: the undone one is back


def test_the_firms_budget_is_counted_with_each_code_and_given_back_with_one_that_never_left(store):
    tenant = f"t-{new_id()}"
    requests = [store.add(tenant=tenant) for _ in range(4)]
    digests = [f"phone-{new_id()}" for _ in requests]
    for request, digest in zip(requests[:3], digests, strict=False):
        store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), _issued(OtpState()), digest,
                               budget=3)
    with pytest.raises(RateLimited) as spent:
        store.record_code_sent(advance(requests[3], "code_sent", AT, "c"), OtpState(), _issued(OtpState()), new_id(),
                               budget=3)
    assert spent.value.message == "sms_budget_exhausted"
    assert store.repository.code_state(tenant, requests[3].id) == OtpState(), "a refused send writes nothing"
    sent = store.repository.get(tenant, requests[0].id)
    issued = store.repository.code_state(tenant, requests[0].id)
    store.repository.undo_code_sent(advance(sent, "code_failed", AT, "system:sms"), issued,
                                    replace(OtpState(), version=issued.version + 1), digests[0], NOW)
    store.record_code_sent(advance(requests[3], "code_sent", AT, "c"), OtpState(), _issued(OtpState()), new_id(),
                           budget=3)
    tomorrow = NOW + timedelta(days=1)
    again = store.repository.get(tenant, requests[1].id)
    before = store.repository.code_state(tenant, again.id)
    store.record_code_sent(advance(again, "code_sent", AT, "c"), before, _issued(before, tomorrow), new_id(),
                           tomorrow, budget=3)  # a new day, a new budget


def test_a_budget_of_zero_sends_no_code_and_counts_nothing(store):
    request = store.add()
    digest = f"phone-{new_id()}"
    with pytest.raises(RateLimited) as spent:
        store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), _issued(OtpState()), digest,
                               budget=0)
    assert spent.value.message == "sms_budget_exhausted"
    assert store.repository.code_state(request.tenant_id, request.id) == OtpState()
    _send_many(store, digest, [request], otp.MAX_PER_PHONE_PER_DAY)  # the phone's ten are all still there


def test_a_ceremony_reads_the_request_its_code_and_the_card_and_with_the_firm_its_sms_of_the_day(store):
    tenant = f"t-{new_id()}"
    store.firm(tenant, sms_budget=7)
    request = store.add(tenant=tenant)
    bare = store.repository.ceremony(tenant, request.id, "k1", NOW)
    assert (bare.request, bare.code, bare.client.city, bare.firm, bare.earlier) == (
        request, OtpState(), "Haarlem", None, None)
    issued = _issued(OtpState())
    store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), issued, new_id())
    full = store.repository.ceremony(tenant, request.id, "k1", NOW, with_firm=True)
    assert full.code == issued and full.request.audit_seq == request.audit_seq + 1
    assert (full.firm.name, full.firm.sms_daily_budget, full.sms_sent_today) == ("Kantoor De Vries", 7, 1)
    assert store.repository.ceremony(tenant, request.id, "k1", NOW + timedelta(days=1), with_firm=True).sms_sent_today == 0


def test_a_ceremony_without_its_request_or_card_is_not_found(store):
    tenant = f"t-{new_id()}"
    store.firm(tenant)
    request = store.add(tenant=tenant)
    with pytest.raises(NotFound):
        store.repository.ceremony(tenant, new_id(), "k1", NOW)
    with pytest.raises(NotFound):
        store.repository.ceremony(tenant, request.id, "k-nobody", NOW)
    with pytest.raises(NotFound):
        store.repository.ceremony(f"t-{new_id()}", request.id, "k1", NOW)


def test_a_code_check_from_a_stale_copy_is_a_race(store):
    request = store.add()
    issued = _issued(OtpState())
    store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), issued, "d", NOW)
    stale = request  # read before the code was sent
    with pytest.raises(InvalidCode) as refused:
        store.repository.record_code_check(advance(stale, "code_verified", AT, "c"), issued,
                                           replace(issued, verified_at=AT, version=issued.version + 1))
    assert refused.value.message == "code_race"


def _receipt(code: str, size: int = 64) -> StoredReceipt:
    return StoredReceipt(receipt_code=code, sealed=_sealed(size), seal_signature="c2VhbA==")


def _sealed(size: int = 64) -> Sealed:
    return Sealed(ciphertext=os.urandom(size), encrypted_data_key=b"key", nonce=os.urandom(12))


def _verified(store: Backend, tenant: str | None = None) -> tuple[SigningRequest, OtpState]:
    request = store.add(SigningStatus.VIEWED, tenant)
    issued = _issued(OtpState())
    store.record_code_sent(advance(request, "code_sent", AT, "c"), OtpState(), issued, new_id(), NOW)
    request = store.repository.get(request.tenant_id, request.id)
    verified = replace(issued, code_hmac=None, verified_at=AT, version=issued.version + 1)
    store.repository.record_code_check(advance(request, "code_verified", AT, "c"), issued, verified)
    return store.repository.get(request.tenant_id, request.id), verified


def _notification(request: SigningRequest) -> dict[str, Any]:
    return {"id": new_id(), "type": "signed", "message_id": request.message_id,
            "signing_request_id": request.id, "client_id": request.client_id, "created_at": AT}


@pytest.mark.parametrize("size", [64, 800_000], ids=["small", "split over items"])
def test_a_signature_stores_the_sealed_receipt_whole_and_closes_the_request(store, size):
    request, state = _verified(store)
    receipt = _receipt("TB-1", size)
    sealed = receipt.sealed
    sign(store.repository, advance(request, "signed", AT, "c"), state, replace(state, used_at=AT, version=state.version + 1),
                          receipt, _notification(request), None)
    signed = store.repository.get(request.tenant_id, request.id)
    assert signed.status is SigningStatus.SIGNED and signed.signed_at == AT
    stored = store.repository.stored_receipt(request.tenant_id, request.conversation_id, request.id)
    assert stored is not None and hashlib.sha256(stored.sealed.ciphertext).digest() == hashlib.sha256(sealed.ciphertext).digest()
    assert (stored.sealed.encrypted_data_key, stored.sealed.nonce) == (sealed.encrypted_data_key, sealed.nonce)
    assert (stored.receipt_code, stored.seal_signature, stored.timestamp) == ("TB-1", receipt.seal_signature, None)


def test_a_receipt_without_its_time_stamp_waits_for_it_and_gets_it_once(store):
    request, state = _verified(store)
    used = replace(state, used_at=AT, version=state.version + 1)
    sign(store.repository, advance(request, "signed", AT, "c"), state, used, _receipt("TB-1"), _notification(request),
                          None)
    [pending] = [p for p in store.repository.pending_stamps(1000) if p.request_id == request.id]
    assert (pending.tenant_id, pending.conversation_id, pending.seal_signature, pending.signed_at) == (
        request.tenant_id, request.conversation_id, "c2VhbA==", AT)
    assert store.repository.record_stamp(pending, b"token") is True
    assert store.repository.record_stamp(pending, b"another") is False, "another run was first"
    stored = store.repository.stored_receipt(request.tenant_id, request.conversation_id, request.id)
    assert stored is not None and stored.timestamp == b"token"
    assert request.id not in [p.request_id for p in store.repository.pending_stamps(1000)]


def test_a_receipt_stamped_at_signing_is_never_pending(store):
    request, state = _verified(store)
    used = replace(state, used_at=AT, version=state.version + 1)
    stamped = replace(_receipt("TB-1"), timestamp=b"token")
    sign(store.repository, advance(request, "signed", AT, "c"), state, used, stamped, _notification(request), None)
    assert request.id not in [p.request_id for p in store.repository.pending_stamps(1000)]
    assert store.repository.stored_receipt(request.tenant_id, request.conversation_id, request.id).timestamp == b"token"


def test_a_second_signature_is_already_signed(store):
    request, state = _verified(store)
    used = replace(state, used_at=AT, version=state.version + 1)
    sign(store.repository, advance(request, "signed", AT, "c"), state, used, _receipt("TB-1"), _notification(request), None)
    with pytest.raises(AlreadySigned):
        sign(store.repository, advance(request, "signed", AT, "c", {"receipt_digest": "another"}), state, used,
                              _receipt("TB-2"), _notification(request), None)


def test_a_signature_committed_again_by_a_retry_of_its_own_is_no_error_and_stays_one(store):
    request, state = _verified(store)
    used = replace(state, used_at=AT, version=state.version + 1)
    step = advance(request, "signed", AT, "c", {"receipt_digest": "d1"})
    sign(store.repository, step, state, used, _receipt("TB-1"), _notification(request), None)
    sign(store.repository, step, state, used, _receipt("TB-1"), _notification(request), None)  # its answer was lost
    assert [e.type for e in store.repository.audit_events(request.tenant_id, request.id)].count("signed") == 1


def test_a_request_withdrawn_meanwhile_is_not_signed(store):
    request, state = _verified(store)
    store.apply(advance(request, "withdrawn", AT, "advisor:a1"))
    with pytest.raises(NotOpen):
        sign(store.repository, advance(request, "signed", AT, "c"), state,
                              replace(state, used_at=AT, version=state.version + 1), _receipt("TB-1"),
                              _notification(request), None)
    assert store.repository.stored_receipt(request.tenant_id, request.conversation_id, request.id) is None


def test_a_code_used_meanwhile_is_no_verification_for_a_signature(store):
    request, state = _verified(store)
    moved = store.repository.get(request.tenant_id, request.id)
    store.record_code_sent(advance(moved, "code_sent", AT, "c"), state, _issued(state), new_id(), NOW)
    current = store.repository.get(request.tenant_id, request.id)
    with pytest.raises(OtpRequired):
        sign(store.repository, advance(current, "signed", AT, "c"), state,
                              replace(state, used_at=AT, version=state.version + 1), _receipt("TB-1"),
                              _notification(request), None)


def test_there_is_no_receipt_before_a_signature(store):
    request = store.add()
    assert store.repository.stored_receipt(request.tenant_id, request.conversation_id, request.id) is None


def test_a_phone_number_changed_since_the_code_was_checked_refuses_the_signature(store):
    request, state = _verified(store)
    with pytest.raises(OtpRequired):
        sign(store.repository, advance(request, "signed", AT, "c"), state,
                              replace(state, used_at=AT, version=state.version + 1), _receipt("TB-1"),
                              _notification(request), "2026-12-01T09:59:00.000Z")
    assert store.repository.get(request.tenant_id, request.id).is_open


def test_a_signature_with_a_key_records_its_answer_which_a_ceremony_and_a_second_attempt_find(store):
    from chalicelib.idempotency import KEPT, AlreadyAnswered, IdempotencyKey, Recorded

    tenant = f"t-{new_id()}"
    store.firm(tenant)
    request, state = _verified(store, tenant)
    key = IdempotencyKey(tenant_id=tenant, scope=new_id(), fingerprint="body-1")
    assert store.repository.ceremony(tenant, request.id, "k1", NOW, key=key).earlier is None
    used = replace(state, used_at=AT, version=state.version + 1)
    answer = {"status": "signed", "signed_at": AT}
    sign(store.repository, advance(request, "signed", AT, "c"), state, used, _receipt("TB-1"), _notification(request),
                          None, Recorded(key, answer))
    earlier = store.repository.ceremony(tenant, request.id, "k1", NOW, key=key).earlier
    assert earlier is not None and (earlier.body, earlier.fingerprint, earlier.expires_at) == (answer, "body-1", NOW + KEPT)
    with pytest.raises(AlreadyAnswered) as twin:
        sign(store.repository, advance(request, "signed", AT, "c", {"receipt_digest": "another"}), state, used,
                              _receipt("TB-2"), _notification(request), None, Recorded(key, {"status": "other"}))
    assert twin.value.answer == earlier
    assert store.repository.ceremony(tenant, request.id, "k1", NOW + KEPT, key=key).earlier is None, "kept a day"
