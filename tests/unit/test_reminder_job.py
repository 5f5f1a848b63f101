"""The reminder job on fake ports with a fixed clock: each step once, at the right moment, claimed first."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import ValidationFailed
from chalicelib.messaging import notices as notice_sending
from chalicelib.messaging import service
from chalicelib.messaging.model import Message
from chalicelib.messaging.notices import NOTICE_LEASE
from chalicelib.messaging.sending import NOTICE_GRACE
from chalicelib.reminders import job
from chalicelib.signing.states import SigningStatus, advance
from tests.fakes.messaging import Office


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def office() -> Office:
    office = Office()
    office.ports.clock.at = at("2026-12-01T09:00:00")
    return office


def run(office: Office, moment: str) -> job.RunResult:
    """A run at `moment` (UTC), with the clock reading it too."""
    office.ports.clock.at = at(moment)
    return job.run(office.ports)


def reminders(office: Office, client: str = "k1") -> list:
    return [m for m in office.client_mails(client) if m.subject.startswith(("Herinnering", "Reminder"))]


def notices(office: Office, client: str = "k1") -> list:
    return [m for m in office.client_mails(client) if m.subject.startswith(("Nieuw bericht", "New message"))]


def dies(*args, **kwargs):
    raise RuntimeError("the function was stopped")


# --- when reminders fall due -----------------------------------------------------------------


def test_a_five_day_deadline_reminds_at_d3_and_d1_at_nine_in_amsterdam_once_each(office: Office):
    office.send(deadline="2026-12-06")
    run(office, "2026-12-03T07:59:00")  # D-3 08:59 in Amsterdam
    assert reminders(office) == []
    assert run(office, "2026-12-03T08:00:00").reminders_sent == 1
    assert run(office, "2026-12-03T09:30:00").reminders_sent == 0
    run(office, "2026-12-05T08:05:00")
    run(office, "2026-12-05T20:00:00")
    assert len(reminders(office)) == 2


def test_the_reminder_names_firm_subject_and_deadline_and_links_to_the_message(office: Office):
    sent = office.send("approve", deadline="2026-12-06")
    run(office, "2026-12-03T08:30:00")
    [mail] = reminders(office)
    assert mail.subject == 'Herinnering: "Jaarrekening 2025" van Kantoor De Vries (deadline 6 december 2026)'
    assert f"https://portal.example/#/messages/{sent['id']}" in mail.text


def test_an_english_reminder_writes_the_date_in_english():
    office = Office(language="en")
    office.ports.clock.at = at("2026-12-01T09:00:00")
    office.send("approve", deadline="2026-12-06")
    run(office, "2026-12-03T08:30:00")
    assert reminders(office)[0].subject == 'Reminder: "Jaarrekening 2025" from Kantoor De Vries (deadline 6 December 2026)'


def test_each_reminder_is_an_audit_event_of_the_request(office: Office):
    sent = office.send(deadline="2026-12-06")
    run(office, "2026-12-03T08:30:00")
    run(office, "2026-12-05T08:30:00")
    events = office.ports.signing.audit_events("t1", sent["signing"]["id"])
    assert [(e.type, e.actor, e.data) for e in events[1:]] == [
        ("reminder", "system:reminders", {"days_before": 3}), ("reminder", "system:reminders", {"days_before": 1})]


def test_a_request_sent_at_d2_gets_only_the_d1_reminder(office: Office):
    office.ports.clock.at = at("2026-12-04T11:00:00")
    office.send(deadline="2026-12-06")
    run(office, "2026-12-04T12:00:00")
    assert reminders(office) == []
    run(office, "2026-12-05T08:05:00")
    assert len(reminders(office)) == 1


def test_a_job_that_was_down_sends_one_reminder_for_the_nearest_deadline(office: Office):
    sent = office.send(deadline="2026-12-06")
    assert run(office, "2026-12-05T10:00:00").reminders_sent == 1  # D-3 and D-1 both passed
    assert run(office, "2026-12-05T11:00:00").reminders_sent == 0
    assert office.events(sent["signing"]["id"]) == ["sent", "reminder"]
    assert office.ports.signing.audit_events("t1", sent["signing"]["id"])[1].data == {"days_before": 1}
    assert office.message(sent["id"]).reminders_sent == frozenset({1, 3})


def test_a_deadline_across_the_october_change_reminds_at_nine_local(office: Office):
    office.ports.clock.at = at("2026-10-20T09:00:00")
    office.send("reply", deadline="2026-10-27")
    run(office, "2026-10-24T06:59:00")  # 08:59 CEST
    assert reminders(office) == []
    run(office, "2026-10-24T07:01:00")  # 09:01 CEST
    run(office, "2026-10-26T07:30:00")  # 08:30 CET, after the change
    assert len(reminders(office)) == 1
    run(office, "2026-10-26T08:01:00")  # 09:01 CET
    assert len(reminders(office)) == 2


def test_the_offsets_come_from_the_settings(office: Office):
    office.ports.settings = replace(office.ports.settings, reminder_offsets_days=(2,))
    office.send("approve", deadline="2026-12-06")
    run(office, "2026-12-03T08:30:00")
    assert reminders(office) == []
    run(office, "2026-12-04T08:30:00")
    assert len(reminders(office)) == 1


def test_a_message_due_for_a_reminder_no_longer_planned_moves_on_to_the_next(office: Office):
    sent = office.send("approve", deadline="2026-12-06")  # scheduled for D-3
    office.ports.settings = replace(office.ports.settings, reminder_offsets_days=(1,))
    assert run(office, "2026-12-03T08:30:00").reminders_sent == 0
    assert office.message(sent["id"]).next_reminder_at == "2026-12-05T08:00:00.000Z"
    assert run(office, "2026-12-05T08:30:00").reminders_sent == 1


def test_information_is_never_reminded(office: Office):
    office.send("none")
    for moment in ("2026-12-01T09:06:00", "2026-12-03T08:30:00", "2027-01-01T00:00:00"):
        run(office, moment)
    assert reminders(office) == [] and office.ports.messages.due(at("2030-01-01T00:00:00")) == []


# --- overdue ---------------------------------------------------------------------------------


def test_a_request_goes_overdue_once_when_its_day_has_ended_in_amsterdam(office: Office):
    sent = office.send(deadline="2026-12-06")
    run(office, "2026-12-03T08:30:00")
    run(office, "2026-12-05T08:30:00")
    assert run(office, "2026-12-06T22:59:00").overdue_notices == 0  # 23:59 on D in Amsterdam
    assert office.message(sent["id"]).overdue is False
    assert run(office, "2026-12-06T23:00:00").overdue_notices == 1
    assert run(office, "2026-12-07T10:00:00").overdue_notices == 0
    stored = office.message(sent["id"])
    assert stored.overdue and stored.to_api()["signing"]["overdue"] and stored.status == "sent"
    assert office.notification_types().count("overdue") == 1
    [mail] = office.advisor_mails()
    assert mail.subject == 'Deadline verstreken: "Jaarrekening 2025" van Klant k1'
    assert office.events(sent["signing"]["id"]) == ["sent", "reminder", "reminder", "overdue"]
    event = office.ports.signing.audit_events("t1", sent["signing"]["id"])[-1]
    assert event.data == {"deadline": "2026-12-06"}


def test_an_overdue_message_without_request_notifies_the_advisor_only(office: Office):
    sent = office.send("approve", deadline="2026-12-01")
    assert run(office, "2026-12-02T00:00:00").overdue_notices == 1
    assert office.message(sent["id"]).overdue and office.ports.signing.requests == {}
    assert reminders(office) == []  # sent after its reminders' moments
    assert len(office.advisor_mails()) == 1


def test_an_overdue_message_can_still_be_answered(office: Office):
    sent = office.send("approve", deadline="2026-12-01")
    run(office, "2026-12-02T00:00:00")
    assert service.answer_approval(office.ports, office.client, sent["id"], True, {})["status"] == "approved"


# --- closed messages are left alone ----------------------------------------------------------


def close_by(office: Office, how: str, sent: dict) -> None:
    if how == "rejected":
        service.reject_signing(office.ports, office.client, sent["signing"]["id"], {})
    elif how == "withdrawn":
        service.withdraw(office.ports, office.advisor, sent["signing"]["id"])
    elif how == "approved":
        service.answer_approval(office.ports, office.client, sent["id"], True, {})
    else:
        service.reply(office.ports, office.client, sent["id"], {"body": "Ja."})


@pytest.mark.parametrize(("response_type", "how"), [
    ("sign", "rejected"), ("sign", "withdrawn"), ("approve", "approved"), ("reply", "replied")])
def test_a_closed_message_gets_no_reminder_and_never_goes_overdue(office: Office, response_type: str, how: str):
    sent = office.send(response_type, deadline="2026-12-06")
    close_by(office, how, sent)
    for moment in ("2026-12-03T08:30:00", "2026-12-05T08:30:00", "2026-12-07T10:00:00"):
        run(office, moment)
    assert reminders(office) == [] and office.message(sent["id"]).overdue is False
    assert "overdue" not in office.notification_types()


def test_a_closed_message_still_on_the_schedule_is_taken_off_it(office: Office):
    sent = office.send("approve", deadline="2026-12-06")
    key = ("t1", sent["id"])
    office.ports.messages.messages[key] = replace(office.ports.messages.messages[key], status="signed")
    run(office, "2026-12-03T08:30:00")
    assert reminders(office) == [] and office.message(sent["id"]).next_reminder_at is None


def test_a_request_closed_behind_an_open_message_gets_no_reminder(office: Office):
    sent = office.send(deadline="2026-12-06")
    request = office.request(sent["signing"]["id"])
    office.ports.signing.apply_step(advance(request, "withdrawn", office.now, "advisor:a1"))  # the message lags
    assert run(office, "2026-12-03T08:30:00").reminders_sent == 0
    assert reminders(office) == [] and office.events(request.id) == ["sent", "withdrawn"]


def test_an_open_message_without_deadline_found_on_the_schedule_is_taken_off_it(office: Office):
    sent = office.send("approve")
    stale = replace(office.message(sent["id"]), next_reminder_at="2026-12-01T09:00:00.000Z")
    office.ports.messages.messages[("t1", sent["id"])] = stale
    run(office, "2026-12-01T09:30:00")
    assert office.message(sent["id"]).next_reminder_at is None and reminders(office) == []


# --- the e-mail notice, queued or failed -----------------------------------------------------


def test_a_notice_left_pending_by_a_dying_request_is_sent_by_the_job_after_a_grace_once(office: Office, monkeypatch):
    from chalicelib.messaging import sending

    monkeypatch.setattr(sending, "send_client_notice", dies)
    with pytest.raises(RuntimeError):
        office.send("none")
    monkeypatch.undo()
    run(office, "2026-12-01T09:01:00")  # within the grace the request had to send it itself
    assert notices(office) == []
    run(office, "2026-12-01T09:06:00")
    run(office, "2026-12-01T09:07:00")
    assert len(notices(office)) == 1
    [stored] = office.ports.messages.messages.values()
    assert (stored.notice_status, stored.next_reminder_at) == ("sent", None)


def test_a_notice_sent_by_the_job_schedules_the_reminders(office: Office):
    office.ports.mailer.fail_next()
    sent = office.send("approve", deadline="2026-12-06")
    run(office, "2026-12-01T10:00:00")
    assert len(notices(office)) == 1
    assert office.message(sent["id"]).next_reminder_at == "2026-12-03T08:00:00.000Z"
    run(office, "2026-12-03T08:30:00")
    assert len(reminders(office)) == 1


def test_a_notice_that_fails_again_is_tried_again_on_a_later_run(office: Office):
    office.ports.mailer.fail_next(2)
    sent = office.send("approve")
    run(office, "2026-12-01T10:00:00")
    assert office.message(sent["id"]).notice_status == "failed" and notices(office) == []
    run(office, "2026-12-01T11:00:00")
    assert len(notices(office)) == 1 and office.message(sent["id"]).notice_status == "sent"


def test_a_retry_that_fails_is_due_again_from_the_runs_moment_not_the_clocks(office: Office):
    """`POST /dev/reminders/run {"at": ...}` runs the job at a moment of its own; the retry counts from it."""
    office.ports.mailer.fail_next(2)
    sent = office.send("approve")
    job.run(office.ports, at("2026-12-03T10:00:00"))  # the clock still reads 09:00 on the 1st
    message = office.message(sent["id"])
    assert message.notice_status == "failed" and message.next_reminder_at >= "2026-12-03T10:00:00"


def test_a_notice_retry_that_died_after_its_claim_waits_for_its_lease_then_goes_once(office: Office, monkeypatch):
    office.ports.mailer.fail_next()
    sent = office.send("approve")
    monkeypatch.setattr(notice_sending, "send_client_notice", dies)
    with pytest.raises(RuntimeError):
        run(office, "2026-12-01T09:10:00")
    monkeypatch.undo()
    assert office.message(sent["id"]).notice_status == "retrying"
    run(office, "2026-12-01T09:20:00")  # the claim still holds: nobody sends it twice at once
    assert notices(office) == []
    lease_over = at("2026-12-01T09:10:00") + NOTICE_LEASE
    run(office, (lease_over + timedelta(seconds=1)).isoformat()[:19])
    run(office, (lease_over + timedelta(minutes=1)).isoformat()[:19])
    assert len(notices(office)) == 1


def test_a_notice_whose_record_failed_is_sent_again_after_the_grace_at_least_once(office: Office):
    office.ports.messages.fail_next(step="notice_sent")  # the e-mail went out, its record did not
    assert office.send("none")["notice_status"] == "sent", "the send itself went through"
    assert len(notices(office)) == 1
    office.ports.clock.advance(seconds=NOTICE_GRACE.total_seconds() - 1)
    assert job.run(office.ports).to_api() == {"reminders_sent": 0, "overdue_notices": 0}
    assert len(notices(office)) == 1
    office.ports.clock.advance(seconds=1)
    job.run(office.ports)
    job.run(office.ports)
    assert len(notices(office)) == 2


# --- concurrency: every step is claimed before it is acted on --------------------------------


def twice_from_one_read(office: Office, moment: str, monkeypatch) -> None:
    """Two runs that read the index at the same moment: the second acts on what the first changed since."""
    office.ports.clock.at = at(moment)
    snapshot = office.ports.messages.due(office.ports.clock.now())
    job.run(office.ports)
    monkeypatch.setattr(office.ports.messages, "due", lambda now: list(snapshot))
    job.run(office.ports)
    monkeypatch.undo()


def test_two_runs_from_one_read_send_each_reminder_once(office: Office, monkeypatch):
    sent = office.send(deadline="2026-12-06")
    twice_from_one_read(office, "2026-12-03T08:30:00", monkeypatch)
    assert len(reminders(office)) == 1 and office.events(sent["signing"]["id"]) == ["sent", "reminder"]


def test_two_runs_from_one_read_mark_overdue_once(office: Office, monkeypatch):
    office.send("approve", deadline="2026-12-01")
    twice_from_one_read(office, "2026-12-02T00:00:00", monkeypatch)
    assert office.notification_types() == ["overdue"] and len(office.advisor_mails()) == 1


def test_two_runs_from_one_read_send_a_failed_notice_once(office: Office, monkeypatch):
    office.ports.mailer.fail_next()
    office.send("approve")
    twice_from_one_read(office, "2026-12-01T10:00:00", monkeypatch)
    assert len(notices(office)) == 1


def test_a_reminder_whose_request_moved_meanwhile_is_left_to_the_next_run(office: Office, monkeypatch):
    sent = office.send(deadline="2026-12-06")
    real_claim = office.ports.messages.claim_reminder

    def code_sent_first(message: Message, *args, **kwargs):
        request = office.request(sent["signing"]["id"])
        office.ports.signing.apply_step(advance(request, "code_sent", office.now, "client:k1"))
        monkeypatch.setattr(office.ports.messages, "claim_reminder", real_claim)
        return real_claim(message, *args, **kwargs)

    monkeypatch.setattr(office.ports.messages, "claim_reminder", code_sent_first)
    assert run(office, "2026-12-03T08:30:00").reminders_sent == 0
    assert run(office, "2026-12-03T09:30:00").reminders_sent == 1
    assert office.events(sent["signing"]["id"]) == ["sent", "code_sent", "reminder"]


# --- faults ----------------------------------------------------------------------------------


def test_a_reminder_whose_email_fails_is_handed_back_and_sent_by_a_later_run(office: Office):
    sent = office.send(deadline="2026-12-06")
    office.ports.mailer.fail_next()
    assert run(office, "2026-12-03T08:30:00").reminders_sent == 0
    stored = office.message(sent["id"])
    assert (stored.next_reminder_at, stored.reminders_sent) == ("2026-12-03T08:00:00.000Z", frozenset())
    assert run(office, "2026-12-03T09:30:00").reminders_sent == 1
    run(office, "2026-12-03T10:30:00")
    assert len(reminders(office)) == 1
    # The audit chain says it was attempted, and then sent.
    assert office.events(sent["signing"]["id"]) == ["sent", "reminder", "reminder"]


def test_a_failing_step_of_one_message_does_not_stop_the_others(office: Office):
    office.add_client("k2")
    office.send("approve", deadline="2026-12-06")
    office.send("approve", deadline="2026-12-06", client_id="k2")
    office.ports.messages.fail_next(step="claim_reminder")
    assert run(office, "2026-12-03T08:30:00").reminders_sent == 1
    assert run(office, "2026-12-03T09:30:00").reminders_sent == 1
    assert len(reminders(office)) == len(reminders(office, "k2")) == 1


def test_a_reminder_handed_back_after_the_client_answered_stays_answered(office: Office, monkeypatch):
    sent = office.send("approve", deadline="2026-12-06")

    def answered_then_fails(to, email):
        service.answer_approval(office.ports, office.client, sent["id"], True, {})
        from chalicelib.errors import DependencyFailed

        raise DependencyFailed()

    monkeypatch.setattr(office.ports.mailer, "send", answered_then_fails)
    run(office, "2026-12-03T08:30:00")
    monkeypatch.undo()
    run(office, "2026-12-03T09:30:00")
    stored = office.message(sent["id"])
    assert stored.status == "approved" and reminders(office) == []


# --- the run itself --------------------------------------------------------------------------


def test_a_run_without_a_moment_reads_the_clock(office: Office):
    office.send("approve", deadline="2026-12-06")
    office.ports.clock.at = at("2026-12-03T08:30:00")
    assert job.run(office.ports).to_api() == {"reminders_sent": 1, "overdue_notices": 0}


def test_a_run_with_nothing_due_does_nothing(office: Office):
    assert job.run(office.ports, at("2026-12-03T08:30:00")).to_api() == {"reminders_sent": 0, "overdue_notices": 0}


def test_the_local_trigger_runs_the_job_at_the_moment_it_names(office: Office):
    office.send("approve", deadline="2026-12-06")
    assert job.run_from_request(office.ports, {"at": "2026-12-03T08:30:00Z"}) == {
        "reminders_sent": 1, "overdue_notices": 0}


@pytest.mark.parametrize("moment", ["tomorrow", "2026-12-03T08:30:00", "2026-13-03T08:30:00Z", 5, None])
def test_the_local_trigger_needs_a_utc_moment(office: Office, moment):
    with pytest.raises(ValidationFailed) as caught:
        job.run_from_request(office.ports, {"at": moment})
    assert [(e.field, e.message) for e in caught.value.errors] == [("at", "invalid_moment")]


def test_every_firm_is_reminded_in_one_run():
    from chalicelib.auth.principal import Principal
    from chalicelib.tenants.model import Tenant

    office = Office()
    office.ports.clock.at = at("2026-12-01T09:00:00")
    office.ports.tenants.add(Tenant(id="t2", name="Kantoor Twee"), office.now)
    other = Principal(sub="sub-a1", tenant_id="t2", role="advisor", subject_id="a1")
    from chalicelib.clients.model import Client
    from chalicelib.messaging.sending import send_message

    office.ports.clients.add(Client(id="k1", tenant_id="t2", name="Klant Twee", email="twee@klant.example",
                                    phone=None, city=None, language="nl", portal_access="none", created_at=office.now))
    office.send("approve", deadline="2026-12-06")
    send_message(office.ports, other, {**office.body("approve"), "deadline": "2026-12-06"})
    assert run(office, "2026-12-03T08:30:00").reminders_sent == 2
    assert len(office.mails_to("twee@klant.example")) == 2  # notice and reminder


def test_a_signing_request_moved_to_viewed_is_still_reminded(office: Office):
    sent = office.send(deadline="2026-12-06")
    service.open_message(office.ports, office.client, sent["id"])
    run(office, "2026-12-03T08:30:00")
    assert len(reminders(office)) == 1
    assert office.request(sent["signing"]["id"]).status == SigningStatus.VIEWED


# --- co-signers ------------------------------------------------------------------------------


def test_in_parallel_each_signer_gets_the_reminder_once_even_when_one_email_fails(office: Office, monkeypatch):
    office.add_client("k2")
    office.send(deadline="2026-12-06", co_signers=["k2"])
    mailer = office.ports.mailer
    send = mailer.send

    def fails_for_k2(to, email):
        if to == "k2@klant.example" and email.subject.startswith("Herinnering"):
            from chalicelib.errors import DependencyFailed

            raise DependencyFailed()
        return send(to, email)

    monkeypatch.setattr(mailer, "send", fails_for_k2)
    assert run(office, "2026-12-03T08:00:00").reminders_sent == 1
    monkeypatch.setattr(mailer, "send", send)
    run(office, "2026-12-03T09:00:00")
    assert len(reminders(office, "k1")) == 1  # not reminded twice for the other's failed e-mail
    assert "handtekening" in reminders(office, "k1")[0].subject


def test_a_turn_that_comes_after_the_deadline_does_not_tell_the_advisor_overdue_twice(office: Office):
    office.add_client("k2")
    sent = office.send(deadline="2026-12-06", co_signers=["k2"], signing_order="sequential")
    assert run(office, "2026-12-07T08:00:00").overdue_notices == 1
    first = sent["signings"][0]["id"]
    request = office.request(first)
    settled = advance(request, "signed", "2026-12-07T09:00:00.000Z", "client:k1")
    from chalicelib.signing.states import settle

    requests = tuple(office.request(s["id"]) for s in sent["signings"])
    office.ports.messages.apply_settlement(settle(settled, requests, settled.event.at, "client:k1"),
                                           office.message(sent["id"]).signing_version,
                                           notice_due=at("2026-12-07T09:05:00"))
    run(office, "2026-12-07T10:00:00")  # Els's notice goes out
    assert len(notices(office, "k2")) == 1
    assert run(office, "2026-12-07T11:00:00").overdue_notices == 0
    assert office.notification_types().count("overdue") == 1
