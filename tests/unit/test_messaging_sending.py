"""'Versturen' on fake ports: every rule of a send, the one write, the notice, and the Idempotency-Key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import (
    DependencyFailed,
    DocumentNotReady,
    FeatureNotEnabled,
    IdempotencyKeyReused,
    NotFound,
    PhoneRequired,
    ValidationFailed,
)
from chalicelib.ids import new_id
from chalicelib.signing.states import SigningStatus
from tests.fakes.messaging import LANDLINE, Office


def fields_of(error: ValidationFailed) -> dict[str, str]:
    return {e.field: e.message for e in error.errors}


def refused(office: Office, **body) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        office.send(**body)
    return caught.value


@pytest.fixture
def office() -> Office:
    return Office()


def test_a_signing_request_is_stored_with_its_message_and_the_first_event_of_its_chain(office: Office):
    sent = office.send(deadline="2026-12-06")
    request = office.request(sent["signing"]["id"])
    assert sent["status"] == "sent" and sent["signing"]["status"] == "sent" and sent["notice_status"] == "sent"
    assert (request.status, request.message_id, request.deadline) == (SigningStatus.SENT, sent["id"], "2026-12-06")
    assert (request.client_id, request.advisor_id, request.signer_name) == ("k1", "a1", "Klant k1")
    assert office.events(request.id) == ["sent"]
    event = office.ports.signing.audit_events("t1", request.id)[0]
    assert event.actor == "advisor:a1"
    assert event.data == {"document_sha256": request.document.sha256, "document_version": request.document.version_id}


def test_the_answer_is_the_message_as_stored(office: Office):
    sent = office.send("approve")
    assert sent == office.message(sent["id"]).to_api()


def test_the_notice_names_firm_and_subject_and_links_to_the_portal_but_holds_no_body(office: Office):
    sent = office.send(body="Vertrouwelijk XYZ")
    [mail] = office.client_mails()
    assert mail.subject == "Nieuw bericht van Kantoor De Vries: Jaarrekening 2025"
    assert f"https://portal.example/#/messages/{sent['id']}" in mail.text
    assert "Vertrouwelijk" not in mail.text and "Vertrouwelijk" not in mail.html
    assert "jaarrekening.pdf" not in mail.text


def test_the_notice_speaks_the_clients_language():
    office = Office(language="en")
    office.send("none")
    assert office.client_mails()[0].subject == "New message from Kantoor De Vries: Jaarrekening 2025"


@pytest.mark.parametrize("response_type", ["none", "reply", "approve"])
def test_messages_that_are_not_for_signing_carry_no_signing_request(office: Office, response_type: str):
    sent = office.send(response_type)
    assert sent["signing"] is None and sent["response_type"] == response_type
    assert office.ports.signing.requests == {}


def test_documents_go_with_any_message(office: Office):
    documents = [office.document(), office.document(b"PK\x03\x04", "application/zip", filename="bijlage.zip")]
    sent = office.send("reply", document_ids=documents)
    assert [d["id"] for d in sent["documents"]] == documents


# --- the firm's feature and the client's phone ---------------------------------------------------


def test_a_firm_without_the_feature_cannot_send_for_signing_and_nothing_is_stored():
    office = Office(signing=False)
    with pytest.raises(FeatureNotEnabled):
        office.send()
    assert office.ports.messages.messages == {} and office.client_mails() == []


def test_a_firm_without_the_feature_can_still_ask_an_approval():
    office = Office(signing=False)
    assert office.send("approve")["status"] == "sent"


def test_signing_needs_a_phone():
    office = Office(phone=None)
    with pytest.raises(PhoneRequired) as caught:
        office.send()
    assert caught.value.message == "phone_required"
    assert office.ports.messages.messages == {} and office.ports.mailer.sent == []


@pytest.mark.parametrize("phone", [LANDLINE, "+3280012345", "+4915112345678"], ids=["landline", "service", "abroad"])
def test_signing_needs_a_mobile_number_in_an_allowed_country(phone: str):
    office = Office(phone=phone)
    with pytest.raises(PhoneRequired) as caught:
        office.send()
    assert caught.value.message == "phone_not_mobile"
    assert office.ports.messages.messages == {}


def test_a_country_the_settings_allow_can_receive_codes():
    from dataclasses import replace

    office = Office(phone="+4915112345678")
    office.ports.settings = replace(office.ports.settings, sms_allowed_country_codes=(31, 49))
    assert office.send()["signing"]["status"] == "sent"


def test_other_messages_need_no_phone():
    office = Office(phone=LANDLINE)
    assert office.send("approve")["status"] == "sent"


# --- the documents -------------------------------------------------------------------------------


def test_a_document_still_being_uploaded_is_refused_by_name(office: Office):
    pending = office.document(ready=False, filename="concept.pdf")
    with pytest.raises(DocumentNotReady) as caught:
        office.send(document_ids=[pending])
    assert (caught.value.message, caught.value.params) == ("document_not_uploaded", {"filename": "concept.pdf"})
    assert office.ports.messages.messages == {}


def test_an_unknown_document_is_not_found(office: Office):
    with pytest.raises(NotFound):
        office.send("approve", document_ids=[new_id()])


def test_signing_needs_a_pdf(office: Office):
    image = office.document(b"\x89PNG\r\n\x1a\n", "image/png", filename="scan.png")
    error = refused(office, document_ids=[image])
    assert fields_of(error) == {"document_ids": "sign_needs_one_pdf"}


@pytest.mark.parametrize("count", [0, 2])
def test_signing_needs_exactly_one_document(office: Office, count: int):
    error = refused(office, document_ids=[office.document() for _ in range(count)])
    assert fields_of(error)["document_ids"] == "sign_needs_one_pdf"


@pytest.mark.parametrize("ids", ["d1", [1, 2], ["d1", "d1"], [f"d{n}" for n in range(11)]],
                         ids=["not-a-list", "not-strings", "twice", "eleven"])
def test_document_ids_must_be_a_list_of_up_to_ten_different_ids(office: Office, ids):
    assert fields_of(refused(office, response_type="approve", document_ids=ids))["document_ids"] == "invalid_document_ids"


# --- the fields and the deadline -----------------------------------------------------------------


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"response_type": "maybe"}, "response_type", "invalid_response_type"),
    ({"subject": ""}, "subject", "required"),
    ({"subject": "x" * 201}, "subject", "too_long"),
    ({"body": None}, "body", "required"),
    ({"client_id": None}, "client_id", "required"),
    ({"subject": "Jaar\u202erekening"}, "subject", "invisible_characters"),
])
def test_each_field_is_checked(office: Office, change, field, message):
    assert fields_of(refused(office, **{"response_type": "approve", **change})) == {field: message}
    assert office.ports.messages.messages == {}


def test_every_bad_field_is_named_at_once(office: Office):
    error = refused(office, response_type="approve", subject="", deadline="morgen", document_ids="x")
    assert set(fields_of(error)) == {"subject", "deadline", "document_ids"}


def test_an_unknown_client_or_one_of_another_firm_is_not_found(office: Office):
    with pytest.raises(NotFound):
        office.send("approve", client_id="nobody")


@pytest.mark.parametrize(("deadline", "message"), [
    ("2026-11-30", "deadline_in_past"),
    ("31-12-2030", "invalid_date"),
    ("2030-02-30", "invalid_date"),
    ("2030-1-01", "invalid_date"),
    (20301231, "invalid_date"),
])
def test_a_deadline_is_a_date_from_today_on(office: Office, deadline, message):
    assert fields_of(refused(office, response_type="approve", deadline=deadline)) == {"deadline": message}


def test_a_deadline_of_today_is_fine(office: Office):
    assert office.send("approve", deadline="2026-12-01")["deadline"] == "2026-12-01"


def test_today_is_the_day_in_amsterdam(office: Office):
    office.ports.clock.at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 December in Amsterdam
    assert fields_of(refused(office, response_type="approve", deadline="2026-12-01")) == {"deadline": "deadline_in_past"}
    assert office.send("approve", deadline="2026-12-02")["deadline"] == "2026-12-02"


def test_information_takes_no_deadline(office: Office):
    error = refused(office, response_type="none", deadline="2099-01-01")
    assert fields_of(error) == {"deadline": "deadline_not_for_information"}


def test_no_deadline_is_fine(office: Office):
    sent = office.send()
    assert sent["deadline"] is None and sent["signing"]["deadline"] is None


# --- the notice ----------------------------------------------------------------------------------


def test_a_sent_notice_schedules_the_first_reminder_at_nine_in_amsterdam(office: Office):
    sent = office.send("approve", deadline="2026-12-06")
    stored = office.message(sent["id"])
    assert (stored.notice_status, stored.next_reminder_at) == ("sent", "2026-12-03T08:00:00.000Z")


def test_a_sent_notice_of_a_message_without_deadline_leaves_nothing_for_the_job(office: Office):
    sent = office.send("approve")
    assert office.message(sent["id"]).next_reminder_at is None
    assert office.ports.messages.due(office.ports.clock.now() + timedelta(days=365)) == []


def test_a_failed_notice_is_recorded_and_left_to_the_job(office: Office):
    office.ports.mailer.fail_next()
    sent = office.send(deadline="2026-12-06")
    stored = office.message(sent["id"])
    assert sent["notice_status"] == "failed" and sent["signing"]["status"] == "sent"
    assert (stored.notice_status, stored.next_reminder_at) == ("failed", "2026-12-01T10:00:00.000Z")
    assert [m.id for m in office.ports.messages.due(office.ports.clock.now())] == [sent["id"]]


def test_the_notice_is_queued_with_the_message_before_it_is_sent(office: Office, monkeypatch):
    from chalicelib.messaging import sending

    def dies(*args, **kwargs):
        raise RuntimeError("the function was stopped")

    monkeypatch.setattr(sending, "send_client_notice", dies)
    with pytest.raises(RuntimeError):
        office.send("none")
    [stored] = office.ports.messages.messages.values()
    assert (stored.notice_status, stored.next_reminder_at) == ("pending", "2026-12-01T10:05:00.000Z")


def test_a_failed_write_stores_nothing_and_sends_nothing(office: Office):
    office.ports.messages.fail_next(step="send")
    with pytest.raises(DependencyFailed):
        office.send()
    assert office.ports.messages.messages == {} and office.ports.signing.requests == {}
    assert office.ports.mailer.sent == []


# --- the Idempotency-Key -------------------------------------------------------------------------


def test_one_key_gives_one_message_and_one_notice(office: Office):
    body = office.body()
    key = new_id()
    from chalicelib.messaging.sending import send_message

    first = send_message(office.ports, office.advisor, body, key)
    again = send_message(office.ports, office.advisor, body, key)
    assert again == first
    assert len(office.ports.messages.messages) == 1 and len(office.client_mails()) == 1


def test_a_send_whose_write_landed_but_whose_answer_was_lost_goes_on_with_its_notice(office: Office):
    from chalicelib.messaging.sending import send_message

    body, key = office.body(), new_id()
    office.ports.messages.lose_next_answer("send")
    first = send_message(office.ports, office.advisor, body, key)
    [stored] = office.ports.messages.messages.values()
    assert first["id"] == stored.id and first["notice_status"] == "sent" and len(office.client_mails()) == 1
    assert send_message(office.ports, office.advisor, body, key) == first
    assert len(office.ports.signing.requests) == 1 and len(office.client_mails()) == 1


def test_a_retry_of_a_send_whose_outcome_was_unknown_replays_it_and_leaves_the_notice_to_the_job(office: Office):
    from chalicelib.messaging.sending import NOTICE_GRACE, send_message
    from chalicelib.reminders import job

    body, key = office.body(), new_id()
    office.ports.messages.lose_next_answer("send")
    office.ports.messages.fail_next(step="get_message")  # the write's outcome cannot be read back either
    with pytest.raises(DependencyFailed):
        send_message(office.ports, office.advisor, body, key)
    again = send_message(office.ports, office.advisor, body, key)
    assert again["notice_status"] == "pending" and office.client_mails() == [], "its sender may still be sending"
    office.ports.clock.advance(seconds=NOTICE_GRACE.total_seconds())
    job.run(office.ports)
    assert len(office.client_mails()) == 1 and send_message(office.ports, office.advisor, body, key) == again
    assert len(office.ports.messages.messages) == 1


def test_a_twin_that_committed_first_is_replayed_not_sent_again(office: Office, monkeypatch):
    from chalicelib.messaging.sending import send_message

    body, key = office.body(), new_id()
    first = send_message(office.ports, office.advisor, body, key)
    messages = office.ports.messages
    read = messages.outgoing
    monkeypatch.setattr(messages, "outgoing", lambda *args: replace(read(*args), earlier=None))  # read before it wrote
    assert send_message(office.ports, office.advisor, body, key) == first
    assert len(messages.messages) == 1 and len(office.client_mails()) == 1


def test_the_same_key_with_another_body_is_refused_and_sends_nothing(office: Office):
    from chalicelib.messaging.sending import send_message

    key = new_id()
    send_message(office.ports, office.advisor, office.body(), key)
    with pytest.raises(IdempotencyKeyReused):
        send_message(office.ports, office.advisor, {**office.body(), "subject": "Iets anders"}, key)
    assert len(office.ports.messages.messages) == 1 and len(office.client_mails()) == 1


def test_a_key_is_the_callers_own(office: Office):
    from chalicelib.auth.principal import Principal
    from chalicelib.messaging.sending import send_message
    from chalicelib.tenants.model import Advisor

    office.ports.tenants.add_advisor(Advisor(id="a2", tenant_id="t1", name="Bas", email="bas@kantoor.example"),
                                     "sub-a2", "Kantoor De Vries", office.now)
    colleague = Principal(sub="sub-a2", tenant_id="t1", role="advisor", subject_id="a2")
    body, key = office.body(), new_id()
    mine = send_message(office.ports, office.advisor, body, key)
    theirs = send_message(office.ports, colleague, body, key)
    assert mine["id"] != theirs["id"] and len(office.ports.messages.messages) == 2


def test_a_retry_after_midnight_of_a_send_due_today_gets_its_first_answer(office: Office):
    from chalicelib.messaging.sending import send_message

    office.ports.clock.at = datetime(2026, 12, 1, 22, 59, tzinfo=UTC)  # 23:59 in Amsterdam
    body, key = office.body(deadline="2026-12-01"), new_id()
    first = send_message(office.ports, office.advisor, body, key)
    office.ports.clock.advance(minutes=2)
    assert send_message(office.ports, office.advisor, body, key) == first
    with pytest.raises(ValidationFailed):
        send_message(office.ports, office.advisor, body, new_id())
    assert len(office.ports.messages.messages) == 1


def test_a_key_is_answered_for_a_day_then_forgotten(office: Office):
    from chalicelib.idempotency import KEPT
    from chalicelib.messaging.sending import send_message

    body, key = office.body("none"), new_id()
    first = send_message(office.ports, office.advisor, body, key)
    office.ports.clock.advance(seconds=KEPT.total_seconds() - 1)
    assert send_message(office.ports, office.advisor, body, key) == first
    office.ports.clock.advance(seconds=1)
    assert send_message(office.ports, office.advisor, body, key)["id"] != first["id"]


def test_a_retry_after_a_failed_notice_replays_the_first_answer_and_the_job_sends_the_notice(office: Office):
    from chalicelib.messaging.sending import send_message
    from chalicelib.reminders import job

    body, key = office.body("approve"), new_id()
    office.ports.mailer.fail_next()
    first = send_message(office.ports, office.advisor, body, key)
    assert first["notice_status"] == "failed" and send_message(office.ports, office.advisor, body, key) == first
    assert office.client_mails() == []
    job.run(office.ports)
    assert len(office.client_mails()) == 1 and office.message(first["id"]).notice_status == "sent"


@pytest.mark.parametrize("document_id", ["x" * 65, "", "d\u0000", 7])
def test_a_document_id_that_no_document_can_have_is_a_validation_error_not_a_lookup(office: Office, document_id):
    error = refused(office, response_type="approve", document_ids=[document_id])
    assert fields_of(error) == {"document_ids": "invalid_document_ids"}
