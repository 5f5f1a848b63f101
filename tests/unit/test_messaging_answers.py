"""The client's answers on fake ports: replies, approvals and rejections, and what the advisor is told."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.errors import Conflict, NotFound, NotOpen, ValidationFailed
from chalicelib.messaging import service
from tests.fakes.messaging import Office


@pytest.fixture
def office() -> Office:
    return Office()


def reply(office: Office, message_id: str, text: str = "Ja, klopt.") -> dict:
    return service.reply(office.ports, office.client, message_id, {"body": text})


def approve(office: Office, message_id: str, body: dict | None = None) -> dict:
    return service.answer_approval(office.ports, office.client, message_id, True, body or {})


def reject(office: Office, message_id: str, body: dict | None = None) -> dict:
    return service.answer_approval(office.ports, office.client, message_id, False, body or {})


def close(office: Office, message_id: str, status: str) -> None:
    """The message is answered already, however (what the store would refuse)."""
    key = ("t1", message_id)
    office.ports.messages.messages[key] = replace(office.ports.messages.messages[key], status=status)


# --- replies ---------------------------------------------------------------------------------


def test_a_reply_is_kept_in_the_conversation_and_the_message_is_replied(office: Office):
    sent = office.send("reply")
    answer = reply(office, sent["id"])
    assert (answer["body"], answer["author"], answer["message_id"]) == ("Ja, klopt.", "client:k1", sent["id"])
    assert answer["created_at"] == "2026-12-01T10:00:00.000Z"
    assert office.message(sent["id"]).status == "replied"
    assert [r.body for r in office.ports.messages.replies("t1", sent["conversation_id"])] == ["Ja, klopt."]


def test_a_reply_notifies_the_advisor_in_the_dashboard_and_by_email(office: Office):
    sent = office.send("reply")
    reply(office, sent["id"])
    assert office.notification_types() == ["replied"]
    [mail] = office.advisor_mails()
    assert mail.subject == 'Klant k1 heeft gereageerd op "Jaarrekening 2025"'
    assert f"https://portal.example/advisor#/messages/{sent['id']}" in mail.text


def test_a_client_may_reply_again(office: Office):
    sent = office.send("reply")
    reply(office, sent["id"], "Eerste.")
    reply(office, sent["id"], "Tweede.")
    # In order of their ids, which know the millisecond only: the two may share one here.
    assert sorted(r.body for r in office.ports.messages.replies("t1", sent["conversation_id"])) == ["Eerste.", "Tweede."]
    assert office.notification_types() == ["replied", "replied"]


def test_a_reply_takes_the_message_off_the_reminder_schedule(office: Office):
    sent = office.send("reply", deadline="2026-12-06")
    assert office.message(sent["id"]).next_reminder_at is not None
    reply(office, sent["id"])
    assert office.message(sent["id"]).next_reminder_at is None


@pytest.mark.parametrize("response_type", ["none", "approve", "sign"])
def test_only_a_message_that_asks_a_reply_takes_one(office: Office, response_type: str):
    sent = office.send(response_type)
    with pytest.raises(Conflict) as caught:
        reply(office, sent["id"])
    assert caught.value.message == "reply_not_asked"


def test_a_closed_message_takes_no_reply(office: Office):
    sent = office.send("reply")
    close(office, sent["id"], "withdrawn")
    with pytest.raises(NotOpen):
        reply(office, sent["id"])
    assert office.ports.mailer.to("anne@kantoor.example") == []


def test_a_reply_the_store_refuses_tells_nobody(office: Office, monkeypatch):
    sent = office.send("reply")
    real_get = office.ports.messages.get_message
    stale = real_get("t1", sent["id"])
    close(office, sent["id"], "withdrawn")  # closed after the service read it
    monkeypatch.setattr(office.ports.messages, "get_message", lambda *a: stale)
    with pytest.raises(NotOpen):
        reply(office, sent["id"])
    assert office.notification_types() == [] and office.advisor_mails() == []


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "x" * 20_001}, {"body": 5}])
def test_a_reply_needs_a_text(office: Office, body: dict):
    sent = office.send("reply")
    with pytest.raises(ValidationFailed):
        service.reply(office.ports, office.client, sent["id"], body)


def test_a_reply_keeps_its_line_breaks(office: Office):
    sent = office.send("reply")
    assert reply(office, sent["id"], "Regel 1\nRegel 2")["body"] == "Regel 1\nRegel 2"


def test_another_client_cannot_reply(office: Office):
    office.add_client("k2")
    sent = office.send("reply")
    with pytest.raises(NotFound):
        service.reply(office.ports, office.client_principal("k2"), sent["id"], {"body": "Ik ook."})


def test_a_failed_advisor_email_leaves_the_reply_standing(office: Office):
    sent = office.send("reply")
    office.ports.mailer.fail_next()
    assert reply(office, sent["id"])["body"] == "Ja, klopt."
    assert office.notification_types() == ["replied"] and office.advisor_mails() == []


# --- approvals -------------------------------------------------------------------------------


def test_an_approval_is_recorded_once_and_tells_the_advisor(office: Office):
    sent = office.send("approve")
    assert approve(office, sent["id"]) == {"id": sent["id"], "status": "approved"}
    assert office.message(sent["id"]).status == "approved"
    assert office.notification_types() == ["approved"]
    assert office.advisor_mails()[0].subject == 'Klant k1 heeft "Jaarrekening 2025" goedgekeurd'
    with pytest.raises(NotOpen):
        approve(office, sent["id"])
    with pytest.raises(NotOpen):
        reject(office, sent["id"])
    assert office.notification_types() == ["approved"]


def test_a_rejection_keeps_its_reason_and_the_advisor_reads_it(office: Office):
    sent = office.send("approve")
    assert reject(office, sent["id"], {"reason": "Bedrag klopt niet"})["status"] == "rejected"
    stored = office.message(sent["id"])
    assert (stored.status, stored.reject_reason) == ("rejected", "Bedrag klopt niet")
    assert stored.to_api()["reject_reason"] == "Bedrag klopt niet"
    [mail] = office.advisor_mails()
    assert "afgewezen" in mail.subject and "Bedrag klopt niet" in mail.text


def test_a_rejection_without_reason_says_so_with_a_dash(office: Office):
    sent = office.send("approve")
    reject(office, sent["id"])
    assert office.message(sent["id"]).reject_reason is None
    assert "Reden: -" in office.advisor_mails()[0].text


def test_an_approval_does_not_keep_a_reason(office: Office):
    sent = office.send("approve")
    approve(office, sent["id"], {"reason": "Prima"})
    assert office.message(sent["id"]).reject_reason is None


def test_a_read_message_can_still_be_answered(office: Office):
    sent = office.send("approve")
    service.open_message(office.ports, office.client, sent["id"])
    assert approve(office, sent["id"])["status"] == "approved"


def test_an_answer_takes_the_message_off_the_reminder_schedule(office: Office):
    sent = office.send("approve", deadline="2026-12-06")
    approve(office, sent["id"])
    assert office.message(sent["id"]).next_reminder_at is None


@pytest.mark.parametrize("response_type", ["none", "reply", "sign"])
def test_only_an_approval_request_takes_an_approval(office: Office, response_type: str):
    sent = office.send(response_type)
    with pytest.raises(Conflict) as caught:
        approve(office, sent["id"])
    assert caught.value.message == "approval_not_asked"


@pytest.mark.parametrize("reason", ["x" * 501, 42])
def test_a_reason_is_a_text_of_at_most_500_characters(office: Office, reason):
    sent = office.send("approve")
    with pytest.raises(ValidationFailed):
        reject(office, sent["id"], {"reason": reason})
    assert office.message(sent["id"]).status == "sent"


def test_a_reason_of_500_characters_is_fine(office: Office):
    sent = office.send("approve")
    reject(office, sent["id"], {"reason": "x" * 500})
    assert office.message(sent["id"]).reject_reason == "x" * 500


def test_another_client_cannot_answer(office: Office):
    office.add_client("k2")
    sent = office.send("approve")
    with pytest.raises(NotFound):
        service.answer_approval(office.ports, office.client_principal("k2"), sent["id"], True, {})
    assert office.message(sent["id"]).status == "sent"
