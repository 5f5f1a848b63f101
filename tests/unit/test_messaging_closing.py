"""Closing a signing request on fake ports: the client rejects it, the advisor withdraws it; notifications."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.errors import NotFound, NotOpen, ValidationFailed
from chalicelib.messaging import service
from chalicelib.signing.states import SigningStatus, advance
from tests.fakes.messaging import Office


@pytest.fixture
def office() -> Office:
    return Office()


@pytest.fixture
def sent(office: Office) -> dict:
    return office.send(deadline="2026-12-06")


def reject(office: Office, request_id: str, body: dict | None = None) -> dict:
    return service.reject_signing(office.ports, office.client, request_id, body or {})


def withdraw(office: Office, request_id: str) -> dict:
    return service.withdraw(office.ports, office.advisor, request_id)


def concurrent_event(office: Office, request_id: str, event_type: str = "code_sent") -> None:
    request = office.request(request_id)
    office.ports.signing.apply_step(advance(request, event_type, office.now, "client:k1"))


# --- the client rejects --------------------------------------------------------------------------


def test_a_rejection_closes_request_and_message_with_its_reason(office: Office, sent: dict):
    request_id = sent["signing"]["id"]
    assert reject(office, request_id, {"reason": "Bedrag klopt niet"}) == {"id": request_id, "status": "rejected"}
    request, message = office.request(request_id), office.message(sent["id"])
    assert (request.status, request.reject_reason, request.rejected_at) == (
        SigningStatus.REJECTED, "Bedrag klopt niet", "2026-12-01T10:00:00.000Z")
    assert (message.status, message.signing_status, message.reject_reason) == ("rejected", "rejected", "Bedrag klopt niet")
    assert message.signing_summary()["rejected_at"] == "2026-12-01T10:00:00.000Z"  # type: ignore[index]
    assert message.next_reminder_at is None


def test_a_rejection_is_an_audit_event_of_the_client_with_its_reason(office: Office, sent: dict):
    reject(office, sent["signing"]["id"], {"reason": "Fout"})
    event = office.ports.signing.audit_events("t1", sent["signing"]["id"])[-1]
    assert (event.type, event.actor, event.data) == ("rejected", "client:k1", {"reason": "Fout"})


def test_a_rejection_without_reason_has_an_event_without_one(office: Office, sent: dict):
    reject(office, sent["signing"]["id"])
    event = office.ports.signing.audit_events("t1", sent["signing"]["id"])[-1]
    assert event.data == {} and office.request(sent["signing"]["id"]).reject_reason is None


def test_a_rejection_tells_the_advisor_in_the_dashboard_and_by_email(office: Office, sent: dict):
    reject(office, sent["signing"]["id"], {"reason": "Bedrag klopt niet"})
    [notification] = office.ports.messages.notifications_of("t1", "a1")
    assert (notification["type"], notification["signing_request_id"]) == ("rejected", sent["signing"]["id"])
    [mail] = office.advisor_mails()
    assert mail.subject == 'Klant k1 heeft "Jaarrekening 2025" afgewezen' and "Bedrag klopt niet" in mail.text


def test_a_viewed_request_can_be_rejected(office: Office, sent: dict):
    service.open_message(office.ports, office.client, sent["id"])
    reject(office, sent["signing"]["id"])
    assert office.events(sent["signing"]["id"]) == ["sent", "viewed", "rejected"]


def test_a_request_is_rejected_once(office: Office, sent: dict):
    reject(office, sent["signing"]["id"])
    with pytest.raises(NotOpen):
        reject(office, sent["signing"]["id"])
    assert office.events(sent["signing"]["id"]) == ["sent", "rejected"] and len(office.advisor_mails()) == 1


def test_a_signed_request_cannot_be_rejected(office: Office, sent: dict):
    concurrent_event(office, sent["signing"]["id"], "signed")
    with pytest.raises(NotOpen):
        reject(office, sent["signing"]["id"])


def test_another_clients_request_is_not_found(office: Office, sent: dict):
    office.add_client("k2")
    with pytest.raises(NotFound):
        service.reject_signing(office.ports, office.client_principal("k2"), sent["signing"]["id"], {})
    with pytest.raises(NotFound):
        reject(office, "missing")
    assert office.request(sent["signing"]["id"]).status == SigningStatus.SENT


def test_a_too_long_reason_is_refused_before_anything_changes(office: Office, sent: dict):
    with pytest.raises(ValidationFailed):
        reject(office, sent["signing"]["id"], {"reason": "x" * 501})
    assert office.request(sent["signing"]["id"]).status == SigningStatus.SENT


def test_a_rejection_meeting_a_concurrent_event_reads_again_and_lands_after_it(office: Office, sent: dict, monkeypatch):
    request_id = sent["signing"]["id"]
    messages = office.ports.messages
    real_close, calls = messages.close_signing, []

    def another_event_lands_first(*args, **kwargs):
        if not calls:
            concurrent_event(office, request_id)  # a code was sent just before
        calls.append(1)
        return real_close(*args, **kwargs)

    monkeypatch.setattr(messages, "close_signing", another_event_lands_first)
    reject(office, request_id)
    assert len(calls) == 2
    assert office.events(request_id) == ["sent", "code_sent", "rejected"]
    events = office.ports.signing.audit_events("t1", request_id)
    assert events[2].prev_hash == events[1].hash


def test_a_rejection_gives_up_after_three_moved_chains(office: Office, sent: dict, monkeypatch):
    request_id = sent["signing"]["id"]
    messages = office.ports.messages
    real_close = messages.close_signing

    def always_moved(*args, **kwargs):
        concurrent_event(office, request_id)
        return real_close(*args, **kwargs)

    monkeypatch.setattr(messages, "close_signing", always_moved)
    with pytest.raises(NotOpen):
        reject(office, request_id)
    assert office.request(request_id).status == SigningStatus.SENT
    assert office.advisor_mails() == [] and office.notification_types() == []


def test_a_request_closed_while_the_rejection_was_under_way_is_not_open(office: Office, sent: dict, monkeypatch):
    request_id = sent["signing"]["id"]
    messages = office.ports.messages
    real_close = messages.close_signing

    def withdrawn_first(*args, **kwargs):
        monkeypatch.setattr(messages, "close_signing", real_close)
        withdraw(office, request_id)
        return real_close(*args, **kwargs)

    monkeypatch.setattr(messages, "close_signing", withdrawn_first)
    with pytest.raises(NotOpen):
        reject(office, request_id)
    assert office.request(request_id).status == SigningStatus.WITHDRAWN
    assert office.message(sent["id"]).status == "withdrawn"


# --- the advisor withdraws -----------------------------------------------------------------------


def test_a_withdrawal_closes_request_and_message_and_notifies_nobody(office: Office, sent: dict):
    request_id = sent["signing"]["id"]
    assert withdraw(office, request_id) == {"id": request_id, "status": "withdrawn"}
    assert office.request(request_id).status == SigningStatus.WITHDRAWN
    message = office.message(sent["id"])
    assert (message.status, message.signing_status, message.rejected_at) == ("withdrawn", "withdrawn", None)
    assert office.ports.signing.fields[("t1", request_id)]["withdrawn_at"] == "2026-12-01T10:00:00.000Z"
    assert office.notification_types() == [] and office.advisor_mails() == []
    event = office.ports.signing.audit_events("t1", request_id)[-1]
    assert (event.type, event.actor, event.data) == ("withdrawn", "advisor:a1", {})


def test_a_withdrawn_request_cannot_be_withdrawn_or_rejected(office: Office, sent: dict):
    withdraw(office, sent["signing"]["id"])
    with pytest.raises(NotOpen):
        withdraw(office, sent["signing"]["id"])
    with pytest.raises(NotOpen):
        reject(office, sent["signing"]["id"])
    assert office.events(sent["signing"]["id"]) == ["sent", "withdrawn"]


def test_a_rejected_request_cannot_be_withdrawn(office: Office, sent: dict):
    reject(office, sent["signing"]["id"])
    with pytest.raises(NotOpen):
        withdraw(office, sent["signing"]["id"])


def test_a_request_of_another_firm_cannot_be_withdrawn(office: Office, sent: dict):
    with pytest.raises(NotFound):
        service.withdraw(office.ports, replace(office.advisor, tenant_id="t2"), sent["signing"]["id"])
    assert office.request(sent["signing"]["id"]).status == SigningStatus.SENT


def test_a_withdrawal_takes_the_message_off_the_reminder_schedule(office: Office, sent: dict):
    withdraw(office, sent["signing"]["id"])
    assert office.ports.messages.due(office.ports.clock.now().replace(year=2027)) == []


# --- the advisor's notifications -----------------------------------------------------------------


def test_notifications_come_newest_first_and_page(office: Office):
    for n in range(3):
        sent = office.send("approve", subject=f"Vraag {n}")
        office.ports.clock.advance(minutes=1)
        service.answer_approval(office.ports, office.client, sent["id"], n % 2 == 0, {})
    first = service.notifications(office.ports, office.advisor, "2", None)
    rest = service.notifications(office.ports, office.advisor, "2", first["next_cursor"])
    every = [n["id"] for n in first["items"] + rest["items"]]
    assert every == sorted(every, reverse=True) and len(every) == 3 and rest["next_cursor"] is None
    assert all(n["read"] is False for n in first["items"])


def test_an_advisor_sees_only_their_own_notifications(office: Office):
    sent = office.send("approve")
    service.answer_approval(office.ports, office.client, sent["id"], True, {})
    other = replace(office.advisor, subject_id="a2")
    assert service.notifications(office.ports, other, None, None) == {"items": [], "next_cursor": None}


def test_a_bad_notification_limit_is_refused(office: Office):
    with pytest.raises(ValidationFailed):
        service.notifications(office.ports, office.advisor, "1000", None)
