"""The signing ceremony on fakes: every branch of the code step, the code check and the signature."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import replace
from typing import Any

import pytest
import rfc8785

from chalicelib.auth.principal import Principal
from chalicelib.clients.model import Client
from chalicelib.errors import (
    AlreadySigned,
    DependencyFailed,
    DocumentNotReady,
    InvalidCode,
    InvalidSignatureImage,
    NotFound,
    NotOpen,
    OtpLocked,
    OtpRequired,
    PhoneRequired,
    RateLimited,
    ValidationFailed,
)
from chalicelib.messaging.model import DocumentRef, Message, SigningRequest
from chalicelib.signing import ceremony, otp
from chalicelib.signing.crypto import verify_seal
from chalicelib.signing.receipts import encryption_context, evidence_bundle, receipt_view
from chalicelib.signing.sign import sign
from chalicelib.signing.states import SigningStatus, advance, first_event
from chalicelib.tenants.model import SIGNING, Advisor, Tenant
from tests.fakes import FakePorts

TENANT, CLIENT, ADVISOR = "t1", "k1", "a1"
PHONE = "+31612345678"
PDF = b"%PDF-1.7 the signed document"


class World:
    """One firm, one client with a mobile number, one open signing request for one PDF."""

    def __init__(self, phone: str | None = PHONE) -> None:
        self.ports = FakePorts()
        self.ports.tenants.add(Tenant(id=TENANT, name="Demo Administratiekantoor", features=frozenset({SIGNING})),
                               "2026-11-01T10:00:00.000Z")
        self.ports.tenants.add_advisor(Advisor(id=ADVISOR, tenant_id=TENANT, name="Adviseur",
                                               email="adviseur@demo.example"), "sub-advisor", "Demo",
                                       "2026-11-01T10:00:00.000Z")
        self.ports.clients.add(Client(
            id=CLIENT, tenant_id=TENANT, name="Eva de Jong", email="eva@example.com", phone=phone, city="Haarlem",
            language="nl", portal_access="active", created_at="2026-11-01T10:00:00.000Z"))
        self.principal = Principal(sub="s1", tenant_id=TENANT, role="client", subject_id=CLIENT)
        self.request = self.new_request("r1")

    def set_client(self, **changes: Any) -> None:
        card = self.ports.clients.cards[(TENANT, CLIENT)]
        card.client = replace(card.client, **changes)

    def new_request(self, request_id: str, status: SigningStatus = SigningStatus.VIEWED) -> SigningRequest:
        key = f"tenants/{TENANT}/documents/{request_id}"
        version = self.ports.files.put(key, PDF)
        document = DocumentRef(id=f"d-{request_id}", filename="aangifte.pdf", content_type="application/pdf",
                               size=len(PDF), sha256=hashlib.sha256(PDF).hexdigest(), s3_key=key, version_id=version)
        sent = first_event("2026-12-01T09:00:00.000Z", f"advisor:{ADVISOR}", {"document_sha256": document.sha256})
        request = SigningRequest(id=request_id, tenant_id=TENANT, message_id=f"m-{request_id}", conversation_id="c1",
                                 client_id=CLIENT, advisor_id=ADVISOR, status=SigningStatus.SENT, deadline=None,
                                 document=document, created_at=sent.at, audit_seq=sent.seq, audit_head=sent.hash,
                                 signer_name="Eva de Jong")
        self.ports.signing.add(request, sent)
        self.ports.messages.messages[(TENANT, request.message_id)] = Message(
            id=request.message_id, tenant_id=TENANT, conversation_id="c1", client_id=CLIENT, advisor_id=ADVISOR,
            subject="Aangifte 2025", body="Graag tekenen.", response_type="sign", documents=(document,),
            status="read", deadline=None, created_at=sent.at, signing_request_id=request_id, signing_status="sent")
        if status != SigningStatus.SENT:
            self.move(request_id, "viewed")
        if status not in (SigningStatus.SENT, SigningStatus.VIEWED):
            self.move(request_id, str(status))
        return self.ports.signing.get(TENANT, request_id)

    def move(self, request_id: str, event_type: str) -> None:
        signing = self.ports.signing
        signing.apply_step(advance(signing.get(TENANT, request_id), event_type, "2026-12-01T09:30:00.000Z", "test"))

    def ask_code(self, request_id: str = "r1") -> dict[str, Any]:
        return ceremony.request_code(self.ports, self.principal, request_id)

    def last_code(self) -> str:
        return self.ports.sms.to(self.ports.clients.get(TENANT, CLIENT).phone)[-1].split(": ")[1][:6]

    def verify(self, code: str, request_id: str = "r1") -> dict[str, Any]:
        return ceremony.verify_code(self.ports, self.principal, request_id, {"code": code})

    def verified(self, request_id: str = "r1") -> None:
        self.ask_code(request_id)
        self.verify(self.last_code(), request_id)

    def sign(self, request_id: str = "r1", key: str | None = None, **body: Any) -> dict[str, Any]:
        fields = {"signature_image": signature_data_url(), "city": "Haarlem", **body}
        return sign(self.ports, self.principal, request_id, fields, "192.0.2.1", "pytest", key)

    def advisor_mails(self) -> int:
        return len(self.ports.mailer.to("adviseur@demo.example"))

    def later(self, **delta: float) -> None:
        self.ports.clock.advance(**delta)

    def event_types(self, request_id: str = "r1") -> list[str]:
        return [e.type for e in self.ports.signing.audit_events(TENANT, request_id)]


def signature_data_url() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 120), (90, 30), (160, 110), (260, 40), (380, 100)], fill=(20, 20, 60, 255),
                               width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def world() -> World:
    return World()


# --- asking for a code ----------------------------------------------------------------------


def test_a_code_goes_by_sms_with_the_firm_and_no_document_name(world):
    answer = world.ask_code()
    text = world.ports.sms.to(PHONE)[-1]
    assert answer == {"expires_in": 300, "phone_hint": "+31 6 ****5678", "resend_after": 60}
    assert "Demo Administratiekantoor" in text and "aangifte" not in text
    assert world.event_types()[-1] == "code_sent"


def test_the_code_is_kept_only_as_an_hmac(world):
    world.ask_code()
    state = world.ports.signing.code_state(TENANT, "r1")
    assert world.last_code() not in repr(state)
    assert state.code_hmac == otp.code_hmac(world.ports.secrets.otp_secret(), TENANT, "r1",
                                            world.request.document.sha256, world.last_code())


def test_another_clients_request_is_not_found(world):
    stranger = replace(world.principal, subject_id="someone-else")
    with pytest.raises(NotFound):
        ceremony.request_code(world.ports, stranger, "r1")


@pytest.mark.parametrize("status", [SigningStatus.SIGNED, SigningStatus.REJECTED, SigningStatus.WITHDRAWN])
def test_a_closed_request_gets_no_code(world, status):
    world.new_request("r2", status)
    with pytest.raises(NotOpen):
        world.ask_code("r2")
    assert world.ports.sms.sent == []


@pytest.mark.parametrize("phone", [None, "+31201234567", "+31900123456", "+4915123456789"])
def test_no_mobile_number_in_an_allowed_country_means_no_code(phone):
    world = World(phone=phone)
    with pytest.raises(PhoneRequired):
        world.ask_code()
    assert world.ports.sms.sent == []


def test_a_second_code_within_a_minute_waits(world):
    world.ask_code()
    world.later(seconds=30)
    with pytest.raises(RateLimited) as refused:
        world.ask_code()
    assert 1 <= refused.value.retry_after <= 30


def test_three_codes_an_hour_per_request(world):
    for _ in range(3):
        world.ask_code()
        world.later(seconds=61)
    with pytest.raises(RateLimited) as refused:
        world.ask_code()
    assert refused.value.retry_after > 60


def test_ten_codes_a_day_per_request(world):
    for _ in range(10):
        world.ask_code()
        world.later(minutes=21)
    with pytest.raises(RateLimited):
        world.ask_code()


def test_ten_codes_a_day_per_phone_over_all_requests(world):
    requests = ["r1", *(world.new_request(f"r{n}").id for n in range(2, 6))]
    for n in range(10):
        world.ask_code(requests[n % 5])
        world.later(seconds=61)
    with pytest.raises(RateLimited) as refused:
        world.ask_code(requests[0])
    assert refused.value.message in ("too_many_sms_for_phone", "too_many_sms_for_client")
    assert refused.value.retry_after > 3600


def test_ten_codes_a_day_per_client_whatever_the_number(world):
    requests = ["r1", *(world.new_request(f"r{n}").id for n in range(2, 6))]
    for n in range(10):
        if n == 5:
            world.set_client(phone="+31687654321")
        world.ask_code(requests[n % 5])
        world.later(seconds=61)
    with pytest.raises(RateLimited) as refused:
        world.ask_code(requests[0])
    assert refused.value.message == "too_many_sms_for_client"


def test_the_firms_daily_budget_stops_codes_and_warns_at_eighty_percent(world, monkeypatch):
    counted: list[str] = []
    monkeypatch.setattr(ceremony, "count", lambda metric, value=1: counted.append(metric))
    world.ports.tenants.set_sms_budget(TENANT, 5)
    requests = ["r1", *(world.new_request(f"r{n}").id for n in range(2, 7))]
    for request_id in requests[:5]:
        world.ask_code(request_id)
    with pytest.raises(RateLimited) as refused:
        world.ask_code(requests[5])
    assert refused.value.message == "sms_budget_exhausted"
    assert counted.count("SmsBudgetWarning") == 2, "the 4th and the 5th of 5: each at or past 80 %"
    assert counted.count("SmsBudgetExhausted") == 1
    assert len(world.ports.sms.sent) == 5


def test_a_firm_whose_budget_is_zero_sends_no_code_at_all(world):
    world.ports.tenants.set_sms_budget(TENANT, 0)
    with pytest.raises(RateLimited) as refused:
        world.ask_code()
    assert refused.value.message == "sms_budget_exhausted" and world.ports.sms.sent == []


def test_an_sms_that_never_left_takes_no_limit_and_says_so_in_the_chain(world):
    world.ports.sms.fail_next()
    with pytest.raises(DependencyFailed):
        world.ask_code()
    assert world.event_types()[-2:] == ["code_sent", "code_failed"]
    assert world.ask_code()["expires_in"] == 300, "no resend wait for a code that never left"
    assert world.ports.signing.counters[("firm", TENANT, "2026-12-01")] == 1


def test_a_refused_send_gives_the_budget_back(world):
    world.ask_code()
    with pytest.raises(RateLimited):
        world.ask_code()
    assert world.ports.signing.counters[("firm", TENANT, "2026-12-01")] == 1


def test_a_concurrent_code_request_that_wrote_first_wins(world, monkeypatch):
    signing = world.ports.signing
    original = signing.record_code_sent

    def overtaken(step, before, after, digest, now, budget):
        signing.codes[(TENANT, "r1")] = replace(before, version=before.version + 1)  # another send landed
        return original(step, before, after, digest, now, budget)

    monkeypatch.setattr(signing, "record_code_sent", overtaken)
    with pytest.raises(RateLimited) as refused:
        world.ask_code()
    assert refused.value.message == "too_many_codes"
    assert world.ports.sms.sent == []


# --- checking the code ----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 456"])
def test_a_code_of_the_wrong_shape_is_a_validation_error(world, code):
    with pytest.raises(ValidationFailed):
        world.verify(code)


def test_checking_before_any_code_was_sent_is_invalid(world):
    with pytest.raises(InvalidCode) as refused:
        world.verify("123456")
    assert refused.value.message == "no_code"


def test_the_right_code_verifies_for_ten_minutes(world):
    world.ask_code()
    assert world.verify(world.last_code()) == {"verified": True, "expires_in": 600}
    assert world.event_types()[-1] == "code_verified"
    state = world.ports.signing.code_state(TENANT, "r1")
    assert state.code_hmac is None and state.has_live_verification(world.ports.clock.now())


def test_a_wrong_code_tells_how_many_tries_are_left_and_the_fifth_burns_it(world):
    world.ask_code()
    wrong = "000000" if world.last_code() != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidCode) as refused:
            world.verify(wrong)
        assert refused.value.params["attempts_left"] == left
    with pytest.raises(OtpLocked):
        world.verify(wrong)
    with pytest.raises(OtpLocked):
        world.verify(world.last_code())
    assert world.event_types()[-2:] == ["code_failed", "code_locked"]


def test_an_expired_code_fails(world):
    world.ask_code()
    world.later(minutes=5, seconds=1)
    with pytest.raises(InvalidCode) as refused:
        world.verify(world.last_code())
    assert refused.value.message == "code_expired"


def test_a_new_phone_number_voids_the_unused_code(world):
    world.ask_code()
    code = world.last_code()
    world.later(seconds=1)
    world.set_client(phone="+31687654321", phone_changed_at="2026-12-01T10:00:01.000Z")
    with pytest.raises(InvalidCode) as refused:
        world.verify(code)
    assert refused.value.message == "code_void_phone_changed"


def test_a_code_for_one_request_does_not_open_another(world):
    world.new_request("r2")
    world.ask_code("r1")
    world.later(seconds=61)
    world.ask_code("r2")
    code_of_r2 = world.last_code()
    with pytest.raises(InvalidCode):
        world.verify(code_of_r2, "r1")


def test_a_concurrent_check_that_wrote_first_wins(world, monkeypatch):
    world.ask_code()
    signing = world.ports.signing
    original = signing.record_code_check

    def overtaken(step, before, after):
        signing.codes[(TENANT, "r1")] = replace(before, version=before.version + 1)
        return original(step, before, after)

    monkeypatch.setattr(signing, "record_code_check", overtaken)
    with pytest.raises(InvalidCode) as refused:
        world.verify(world.last_code())
    assert refused.value.message == "code_race"


def test_a_closed_request_takes_no_code(world):
    world.ask_code()
    world.move("r1", "withdrawn")
    with pytest.raises(NotOpen):
        world.verify(world.last_code())


# --- signing ----------------------------------------------------------------------------------


def test_signing_seals_a_receipt_that_verifies_and_holds_its_image(world):
    world.verified()
    answer = world.sign()
    assert answer == {"status": "signed", "signed_at": "2026-12-01T10:00:00.000Z"}
    request = world.ports.signing.get(TENANT, "r1")
    assert request.status == SigningStatus.SIGNED
    stored = world.ports.signing.stored_receipt(TENANT, "c1", "r1")
    bundle = json.loads(world.ports.vault.decrypt(stored.sealed, encryption_context(request)))
    digest = hashlib.sha256(rfc8785.dumps(bundle["receipt"])).digest()
    assert bundle["seal"]["digest"] == digest.hex()
    assert verify_seal(world.ports.sealer.public_key_pem, digest, bundle["seal"]["signature"])
    image = base64.b64decode(bundle["signature_image"])
    assert hashlib.sha256(image).hexdigest() == bundle["receipt"]["signature_image_sha256"]
    assert bundle["receipt"]["document"]["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_signing_marks_the_message_signed_and_tells_the_advisor(world):
    world.verified()
    world.sign()
    assert world.ports.messages.messages[(TENANT, "m-r1")].status == "signed"
    assert [n["type"] for n in world.ports.messages.notifications_of(TENANT, ADVISOR)] == ["signed"]
    assert len(world.ports.mailer.to("adviseur@demo.example")) == 1


def test_the_receipt_names_the_signer_as_sent_the_place_typed_and_the_place_prefilled(world):
    world.verified()
    world.set_client(name="Andere Naam")
    world.sign(city="Amsterdam")
    view = receipt_view(world.ports, replace(world.principal, role="advisor", subject_id=ADVISOR), "r1")
    assert view["signer"]["name"] == "Eva de Jong" and view["signer"]["phone_hint"] == "+31 6 ****5678"
    assert (view["place"], view["place_prefilled"]) == ("Amsterdam", "Haarlem")
    assert view["verification"]["seal_valid"] is True and view["verification"]["document_intact"] is True


@pytest.mark.parametrize("city", [None, "", "x" * 101])
def test_the_city_is_needed_and_short(world, city):
    world.verified()
    with pytest.raises(ValidationFailed):
        world.sign(city=city)


def test_signing_without_a_verified_code_is_refused(world):
    with pytest.raises(OtpRequired):
        world.sign()


def test_a_verification_older_than_ten_minutes_is_no_longer_enough(world):
    world.verified()
    world.later(minutes=10, seconds=1)
    with pytest.raises(OtpRequired):
        world.sign()


def test_a_new_phone_number_voids_the_verification(world):
    world.verified()
    world.later(seconds=1)
    world.set_client(phone="+31687654321", phone_changed_at="2026-12-01T10:00:01.000Z")
    with pytest.raises(OtpRequired):
        world.sign()


@pytest.mark.parametrize("image", ["not a data url", "data:image/png;base64,AAAA"])
def test_an_image_that_is_no_signature_is_refused_and_nothing_signed(world, image):
    world.verified()
    with pytest.raises(InvalidSignatureImage):
        world.sign(signature_image=image)
    assert world.ports.signing.get(TENANT, "r1").status == SigningStatus.VIEWED


def test_a_document_whose_sent_version_is_gone_is_not_sealed(world):
    world.verified()
    world.ports.files.remove_version(world.request.document.s3_key, world.request.document.version_id)
    with pytest.raises(DocumentNotReady):
        world.sign()
    assert world.ports.signing.stored_receipt(TENANT, "c1", "r1") is None


def test_a_second_signature_is_already_signed(world):
    world.verified()
    world.sign()
    with pytest.raises(AlreadySigned):
        world.sign()


@pytest.mark.parametrize("event_type", ["rejected", "withdrawn"])
def test_a_rejected_or_withdrawn_request_cannot_be_signed(world, event_type):
    world.verified()
    world.move("r1", event_type)
    with pytest.raises(NotOpen):
        world.sign()


@pytest.mark.parametrize("broken", ["sealer", "vault", "files"])
def test_a_failing_dependency_signs_nothing(world, broken):
    world.verified()
    getattr(world.ports, broken).fail_next()
    with pytest.raises(DependencyFailed):
        world.sign()
    assert world.ports.signing.get(TENANT, "r1").status == SigningStatus.VIEWED
    assert world.ports.signing.stored_receipt(TENANT, "c1", "r1") is None
    assert world.sign()["status"] == "signed", "the retry signs"


def test_a_request_withdrawn_while_sealing_is_not_signed(world, monkeypatch):
    world.verified()
    signing = world.ports.signing
    original = signing.sign

    def withdrawn_meanwhile(step, *args, **kwargs):
        world.move("r1", "withdrawn")
        return original(step, *args, **kwargs)

    monkeypatch.setattr(signing, "sign", withdrawn_meanwhile)
    with pytest.raises(NotOpen):
        world.sign()
    assert signing.stored_receipt(TENANT, "c1", "r1") is None


def test_the_chain_of_a_whole_ceremony(world):
    world.verified()
    world.sign()
    assert world.event_types() == ["sent", "viewed", "code_sent", "code_verified", "signed"]


# --- the advisor's view of the receipt ------------------------------------------------------


def advisor_of(world: World) -> Principal:
    return Principal(sub="s2", tenant_id=TENANT, role="advisor", subject_id=ADVISOR)


def test_the_receipt_of_an_unsigned_request_is_not_open(world):
    with pytest.raises(NotOpen):
        receipt_view(world.ports, advisor_of(world), "r1")


def test_a_changed_byte_in_the_stored_receipt_breaks_the_seal(world):
    world.verified()
    world.sign()
    stored = world.ports.signing.receipts[(TENANT, "r1")]
    sealed = stored.sealed
    world.ports.signing.receipts[(TENANT, "r1")] = replace(stored, sealed=replace(
        sealed, ciphertext=bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]))
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["verification"]["seal_valid"] is False and view["receipt_code"] is None


def test_a_removed_document_version_shows_the_document_is_not_intact(world):
    world.verified()
    world.sign()
    world.ports.files.remove_version(world.request.document.s3_key, world.request.document.version_id)
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["verification"]["document_intact"] is False and view["verification"]["seal_valid"] is True


def test_the_evidence_bundle_verifies_with_the_published_key_alone(world):
    world.verified()
    world.sign()
    bundle = evidence_bundle(world.ports, advisor_of(world), "r1")
    digest = hashlib.sha256(rfc8785.dumps(bundle["receipt"])).digest()
    assert verify_seal(bundle["public_key_pem"], digest, bundle["seal"]["signature"])
    assert [e["type"] for e in bundle["audit_events"]][-1] == "signed"
    assert bundle["firm"] == "Demo Administratiekantoor"


def test_the_verification_moment_is_the_clock_of_the_view(world):
    world.verified()
    world.sign()
    world.later(days=400)
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["verification"]["checked_at"] == (world.ports.clock.now()).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert view["signed_at"] == "2026-12-01T10:00:00.000Z"


# --- the signing screen ------------------------------------------------------------------------


def test_the_signing_screen_shows_the_document_the_prefilled_city_and_the_masked_phone(world):
    view = ceremony.signing_request_view(world.ports, world.principal, "r1")
    assert view["prefill"] == {"city": "Haarlem"} and view["phone_hint"] == "+31 6 ****5678"
    assert view["document"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert view["document"]["download_url"].startswith("https://files.example/")


def test_the_first_look_at_a_sent_request_opens_its_message_and_records_viewed(world):
    world.new_request("r2", SigningStatus.SENT)
    messages = world.ports.messages
    messages.messages[(TENANT, "m-r2")] = replace(messages.messages[(TENANT, "m-r2")], status="sent")
    assert ceremony.signing_request_view(world.ports, world.principal, "r2")["status"] == SigningStatus.VIEWED
    assert messages.messages[(TENANT, "m-r2")].status == "read"
    ceremony.signing_request_view(world.ports, world.principal, "r2")
    assert [e.type for e in world.ports.signing.audit_events(TENANT, "r2")] == ["sent", "viewed"], "only the first look"


def test_a_client_without_a_phone_sees_no_hint(world):
    world.set_client(phone=None)
    assert ceremony.signing_request_view(world.ports, world.principal, "r1")["phone_hint"] is None


def test_a_phone_number_changed_while_sealing_refuses_the_signature(world, monkeypatch):
    world.verified()
    signing = world.ports.signing
    original = signing.sign

    def changed_meanwhile(step, *args, **kwargs):
        world.set_client(phone="+31687654321", phone_changed_at="2026-12-01T10:00:00.500Z")
        return original(step, *args, **kwargs)

    monkeypatch.setattr(signing, "sign", changed_meanwhile)
    with pytest.raises(OtpRequired):
        world.sign()
    assert signing.get(TENANT, "r1").is_open and signing.stored_receipt(TENANT, "c1", "r1") is None


# --- the Idempotency-Key ------------------------------------------------------------------------


def test_one_key_gives_one_signature_one_receipt_and_one_advisor_email(world):
    world.verified()
    first = world.sign(key="k-1")
    assert world.sign(key="k-1") == first
    assert world.ports.signing.audit_events(TENANT, "r1")[-1].type == "signed"
    assert [e.type for e in world.ports.signing.audit_events(TENANT, "r1")].count("signed") == 1
    assert world.advisor_mails() == 1 and len(world.ports.signing.receipts) == 1


def test_a_key_is_one_requests_so_the_same_key_and_body_sign_another_request_anew(world):
    world.new_request("r2")
    world.verified("r1")
    world.verified("r2")
    world.sign("r1", key="k-1")
    assert world.sign("r2", key="k-1")["status"] == "signed"
    assert world.ports.signing.get(TENANT, "r2").status == SigningStatus.SIGNED and world.advisor_mails() == 2


def test_the_same_key_with_another_body_is_refused_and_signs_nothing_more(world):
    from chalicelib.errors import IdempotencyKeyReused

    world.verified()
    world.sign(key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        world.sign(key="k-1", city="Utrecht")
    assert world.advisor_mails() == 1


# --- the time stamp --------------------------------------------------------------------------


def test_a_signature_is_time_stamped_over_its_seal_and_the_receipt_shows_the_authoritys_time(world):
    world.verified()
    world.sign()
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["timestamp"] == {"gen_time": "2026-12-01T10:00:00.000Z", "tsa": "Fake TSA"}
    assert view["verification"]["timestamp_valid"] is True
    evidence = evidence_bundle(world.ports, advisor_of(world), "r1")
    token = base64.b64decode(evidence["timestamp"]["token"])
    assert world.ports.timestamper.check(token, base64.b64decode(evidence["seal"]["signature"])) is not None
    assert world.ports.signing.pending_stamps(10) == []


def test_with_the_authority_down_the_signature_completes_and_its_stamp_follows_within_minutes(world):
    from chalicelib.signing.stamping import stamp_pending

    world.ports.timestamper.down = True
    world.verified()
    assert world.sign()["status"] == "signed"
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["timestamp"] is None and view["verification"]["timestamp_valid"] is None
    assert evidence_bundle(world.ports, advisor_of(world), "r1")["timestamp"] is None, "no time no authority signed"
    world.later(minutes=7)
    assert stamp_pending(world.ports).to_api() == {"stamped": 0, "pending": 1, "oldest_pending_minutes": 7}
    world.ports.timestamper.down = False
    assert stamp_pending(world.ports).to_api() == {"stamped": 1, "pending": 0, "oldest_pending_minutes": 0}
    later = receipt_view(world.ports, advisor_of(world), "r1")
    assert later["verification"]["timestamp_valid"] is True
    assert later["timestamp"]["gen_time"] == "2026-12-01T10:07:00.000Z", "the authority's time, not the signing's"


def test_a_token_that_does_not_hold_for_the_seal_shows_the_time_stamp_as_invalid(world):
    world.verified()
    world.sign()
    stored = world.ports.signing.receipts[(TENANT, "r1")]
    world.ports.signing.receipts[(TENANT, "r1")] = replace(stored, timestamp=world.ports.timestamper.stamp(b"other"))
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["verification"]["timestamp_valid"] is False and view["timestamp"] is None
