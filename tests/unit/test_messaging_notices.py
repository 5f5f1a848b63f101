"""Who is told what, on fake ports: the client's e-mail notice, the advisor's notification and e-mail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.errors import NotFound
from chalicelib.messaging.notices import email_advisor, notification, send_client_notice
from chalicelib.messaging.sending import NOTICE_GRACE
from tests.fakes.messaging import Office


@pytest.fixture
def office() -> Office:
    return Office()


def queued(office: Office, response_type: str = "approve", deadline: str | None = "2026-12-06"):
    """A message stored as a send stores it, its notice not yet sent."""
    from chalicelib.ids import new_id
    from chalicelib.messaging.model import Message

    message = Message(id=new_id(), tenant_id="t1", conversation_id=new_id(), client_id="k1", advisor_id="a1",
                      subject="Begroting", body="Akkoord?", response_type=response_type, documents=(), status="sent",
                      deadline=deadline, created_at=office.now)
    return office.ports.messages.send(message, office.ports.clock.now() + NOTICE_GRACE)


def test_a_sent_notice_is_recorded_and_the_first_reminder_scheduled(office: Office):
    message = queued(office)
    client = office.ports.clients.get("t1", "k1")
    assert send_client_notice(office.ports, message, [client], "Kantoor De Vries") == "sent"
    stored = office.message(message.id)
    assert (stored.notice_status, stored.next_reminder_at) == ("sent", "2026-12-03T08:00:00.000Z")
    assert office.client_mails()[0].subject == "Nieuw bericht van Kantoor De Vries: Begroting"


def test_the_first_check_of_a_late_send_is_the_next_reminder_still_ahead(office: Office):
    office.ports.clock.at = office.ports.clock.at.replace(day=4)  # D-2: the D-3 reminder has passed
    message = queued(office)
    send_client_notice(office.ports, message, [office.ports.clients.get("t1", "k1")], "Kantoor")
    assert office.message(message.id).next_reminder_at == "2026-12-05T08:00:00.000Z"


def test_the_first_check_follows_the_configured_offsets(office: Office):
    office.ports.settings = replace(office.ports.settings, reminder_offsets_days=(5,))
    message = queued(office, deadline="2026-12-20")
    send_client_notice(office.ports, message, [office.ports.clients.get("t1", "k1")], "Kantoor")
    assert office.message(message.id).next_reminder_at == "2026-12-15T08:00:00.000Z"


@pytest.mark.parametrize(("response_type", "deadline"), [("none", None), ("approve", None)])
def test_a_message_without_deadline_is_off_the_schedule_once_its_notice_is_out(office: Office, response_type, deadline):
    message = queued(office, response_type, deadline)
    send_client_notice(office.ports, message, [office.ports.clients.get("t1", "k1")], "Kantoor")
    assert office.message(message.id).next_reminder_at is None


def test_a_failed_notice_is_recorded_and_due_for_the_job_at_once(office: Office):
    message = queued(office)
    office.ports.mailer.fail_next()
    assert send_client_notice(office.ports, message, [office.ports.clients.get("t1", "k1")], "Kantoor") == "failed"
    stored = office.message(message.id)
    assert (stored.notice_status, stored.next_reminder_at) == ("failed", office.now)


def test_the_notice_links_to_the_message_in_the_portal(office: Office):
    message = queued(office)
    send_client_notice(office.ports, message, [office.ports.clients.get("t1", "k1")], "Kantoor")
    [mail] = office.client_mails()
    assert f"https://portal.example/#/messages/{message.id}" in mail.text
    assert f"https://portal.example/#/messages/{message.id}" in mail.html


def test_the_notice_escapes_what_the_advisor_typed_in_its_html(office: Office):
    message = replace(queued(office), subject="<script>x</script>")
    send_client_notice(office.ports, message, [office.ports.clients.get("t1", "k1")], "Kantoor & Co")
    [mail] = office.client_mails()
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html and "Kantoor &amp; Co" in mail.html


def test_a_notification_names_the_message_its_request_and_its_client(office: Office):
    sent = office.send()
    message = office.message(sent["id"])
    made = notification("signed", message, "2026-12-01T11:00:00.000Z")
    assert made == {"id": made["id"], "type": "signed", "message_id": message.id,
                    "signing_request_id": sent["signing"]["id"], "client_id": "k1",
                    "created_at": "2026-12-01T11:00:00.000Z"}
    assert notification("signed", message, "x")["id"] != made["id"]


def test_the_advisor_is_emailed_about_the_message_they_sent(office: Office):
    sent = office.send("approve")
    email_advisor(office.ports, "approved", office.message(sent["id"]).origin, "Eva de Jong")
    [mail] = office.advisor_mails()
    assert mail.subject == 'Eva de Jong heeft "Jaarrekening 2025" goedgekeurd'
    assert f"https://portal.example/advisor#/messages/{sent['id']}" in mail.text


@pytest.mark.parametrize("kind", ["approved", "rejected", "replied", "overdue", "signed"])
def test_every_kind_of_advisor_email_has_its_template(office: Office, kind: str):
    sent = office.send("approve")
    email_advisor(office.ports, kind, office.message(sent["id"]).origin, "Eva de Jong", "Te duur")
    [mail] = office.advisor_mails()
    assert "Jaarrekening 2025" in mail.subject


def test_a_failed_advisor_email_is_only_logged(office: Office):
    sent = office.send("approve")
    office.ports.mailer.fail_next()
    email_advisor(office.ports, "approved", office.message(sent["id"]).origin, "Eva de Jong")
    assert office.advisor_mails() == []


def test_the_advisor_is_told_at_the_address_the_message_was_sent_from_without_a_lookup(office: Office):
    sent = office.send("approve")
    message = office.message(sent["id"])
    office.ports.tenants.advisors.clear()  # nothing to look up: the message carries it
    email_advisor(office.ports, "approved", message.origin, "Eva de Jong")
    assert message.advisor_email and len(office.ports.mailer.to(message.advisor_email)) == 1


def test_a_message_stored_before_it_kept_the_sender_has_the_advisor_looked_up(office: Office):
    sent = office.send("approve")
    older = replace(office.message(sent["id"]), firm_name=None, advisor_email=None)
    email_advisor(office.ports, "approved", older.origin, "Eva de Jong")
    assert len(office.advisor_mails()) == 1
    with pytest.raises(NotFound):
        email_advisor(office.ports, "approved", replace(older, advisor_id="gone").origin, "Eva")
