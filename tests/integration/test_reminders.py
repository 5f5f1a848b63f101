"""The reminder job against moto, with the clock injected: each step once, at the right moment."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from chalicelib import aws
from chalicelib.ids import new_id
from chalicelib.messaging import notices as notice_sending
from chalicelib.messaging.notices import NOTICE_LEASE
from chalicelib.reminders import job
from tests.conftest import Api, emails_to, send_as_of

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(moment: datetime) -> job.RunResult:
    return job.run(aws.ports(), moment)


@pytest.fixture
def send_at(api: Api, firm):
    """Send a message to a new client as if the clock read `moment`; (message, client email)."""
    def send(moment: datetime, deadline: str, response_type: str = "sign") -> tuple[dict, str]:
        return send_as_of(api, firm, moment, deadline, response_type)
    return send


def reminders_to(backend, email: str) -> list[dict]:
    return [m for m in emails_to(backend, email) if m["subject"].startswith("Herinnering")]


def test_a_five_day_deadline_reminds_at_d3_and_d1_and_then_goes_overdue_once(send_at, backend, api, firm):
    message, email = send_at(at("2026-12-01T09:00:00"), "2026-12-06")
    run(at("2026-12-03T07:00:00"))  # D-3 08:00 in Amsterdam: too early
    assert reminders_to(backend, email) == []
    run(at("2026-12-03T08:30:00"))  # D-3 09:30
    assert len(reminders_to(backend, email)) == 1
    run(at("2026-12-03T09:30:00"))  # D-3 10:30: nothing new
    assert len(reminders_to(backend, email)) == 1
    run(at("2026-12-05T08:05:00"))  # D-1 09:05
    assert len(reminders_to(backend, email)) == 2
    mail = reminders_to(backend, email)[-1]
    assert "6 december 2026" in mail["subject"] and "Aangifte 2025" in mail["subject"]
    assert firm["tenant"].name in mail["subject"] and "/#/messages/" in mail["body"]

    advisor_mails = len(emails_to(backend, firm["advisor_email"]))
    run(at("2026-12-06T22:59:00"))  # still D, 23:59 in Amsterdam
    assert api.get(f"/advisor/messages/{message['id']}", firm["token"]).json["overdue"] is False
    run(at("2026-12-06T23:01:00"))  # D has ended
    run(at("2026-12-07T10:00:00"))
    seen = api.get(f"/advisor/messages/{message['id']}", firm["token"]).json
    assert seen["overdue"] is True and seen["signing"]["overdue"] is True
    assert [n["type"] for n in api.get("/advisor/notifications", firm["token"]).json["items"]].count("overdue") == 1
    assert len(emails_to(backend, firm["advisor_email"])) == advisor_mails + 1
    events = [e["type"] for e in seen["signing"]["audit_events"]]
    assert events == ["sent", "reminder", "reminder", "overdue"]
    assert len(reminders_to(backend, email)) == 2


def test_two_concurrent_runs_send_each_reminder_once(send_at, backend):
    _, email = send_at(at("2026-12-01T09:00:00"), "2026-12-06", response_type="approve")
    moment = at("2026-12-03T08:30:00")
    runs = [threading.Thread(target=run, args=(moment,)) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert len(reminders_to(backend, email)) == 1


def test_a_request_sent_at_d2_gets_only_the_d1_reminder(send_at, backend):
    _, email = send_at(at("2026-12-04T11:00:00"), "2026-12-06")
    run(at("2026-12-04T12:00:00"))
    assert reminders_to(backend, email) == []
    run(at("2026-12-05T08:05:00"))
    assert len(reminders_to(backend, email)) == 1


def test_a_rejected_or_answered_request_gets_no_reminder(send_at, backend, api, firm):
    from tests.conftest import activate_client

    message, email = send_at(at("2026-12-01T09:00:00"), "2026-12-06")
    client = {"id": message["client_id"], "email": email}
    token = activate_client(api, firm, backend, client)
    assert api.post(f"/portal/signing-requests/{message['signing']['id']}/reject", token).status_code == 200
    run(at("2026-12-03T08:30:00"))
    run(at("2026-12-07T10:00:00"))
    assert reminders_to(backend, email) == []
    assert api.get(f"/advisor/messages/{message['id']}", firm["token"]).json["overdue"] is False


def test_a_deadline_across_the_october_change_reminds_at_nine_local(send_at, backend):
    _, email = send_at(at("2026-10-20T09:00:00"), "2026-10-27", response_type="reply")
    run(at("2026-10-24T06:59:00"))  # 08:59 CEST
    assert reminders_to(backend, email) == []
    run(at("2026-10-24T07:01:00"))  # 09:01 CEST
    assert len(reminders_to(backend, email)) == 1
    run(at("2026-10-26T07:30:00"))  # 08:30 CET, after the change
    assert len(reminders_to(backend, email)) == 1
    run(at("2026-10-26T08:01:00"))  # 09:01 CET
    assert len(reminders_to(backend, email)) == 2


def test_the_local_trigger_runs_the_job_at_a_chosen_moment(api: Api, send_at, backend):
    _, email = send_at(at("2026-12-01T09:00:00"), "2026-12-06", response_type="approve")
    answer = api.post("/dev/reminders/run", body={"at": "2026-12-03T08:30:00Z"})
    assert answer.status_code == 200
    assert answer.json["reminders_sent"] >= 1
    assert len(reminders_to(backend, email)) == 1
    assert api.post("/dev/reminders/run", body={"at": "tomorrow"}).status_code == 400


def test_a_reminder_whose_email_fails_is_sent_by_a_later_run(send_at, backend, monkeypatch):
    from chalicelib.errors import DependencyFailed

    _, email = send_at(at("2026-12-01T09:00:00"), "2026-12-06", response_type="approve")
    mailer = aws.mailer()
    real_send = mailer.send

    def failing_for_this_client(to: str, message) -> str:
        if to == email:
            raise DependencyFailed()
        return real_send(to, message)

    monkeypatch.setattr(mailer, "send", failing_for_this_client)
    run(at("2026-12-03T08:30:00"))
    assert reminders_to(backend, email) == []
    monkeypatch.setattr(mailer, "send", real_send)
    run(at("2026-12-03T09:30:00"))
    assert len(reminders_to(backend, email)) == 1
    run(at("2026-12-03T10:30:00"))
    assert len(reminders_to(backend, email)) == 1


def test_a_notice_left_pending_by_a_dying_request_is_sent_by_the_job(api: Api, firm, backend):
    """The request stored the message but died before the e-mail: the queued notice still goes out, once."""
    from chalicelib.messaging import sending

    email = f"stil-{new_id().lower()}@example.com"
    client = api.post("/advisor/clients", firm["token"], {"name": "Stijn Stil", "email": email}).json

    def dies(*args, **kwargs):
        raise RuntimeError("the function was stopped")

    original = sending.send_client_notice
    sending.send_client_notice = dies
    try:
        answer = api.post("/advisor/messages", firm["token"], {
            "client_id": client["id"], "subject": "Ter info", "body": "Info", "response_type": "none"})
    finally:
        sending.send_client_notice = original
    assert answer.status_code == 500
    assert emails_to(backend, email) == []
    now = aws.clock().now()
    from datetime import timedelta

    run(now + timedelta(minutes=1))  # still within the grace the request had to send it itself
    assert emails_to(backend, email) == []
    run(now + timedelta(minutes=6))
    run(now + timedelta(minutes=7))
    assert len(emails_to(backend, email)) == 1


def test_a_notice_retry_that_died_after_its_claim_is_sent_by_a_run_after_the_lease(api: Api, firm, backend,
                                                                                   monkeypatch):
    """A run claimed the notice ("retrying") and died before the e-mail: a run after the lease sends it, once."""
    from datetime import timedelta

    from chalicelib.messaging import sending

    email = f"lease-{new_id().lower()}@example.com"
    client = api.post("/advisor/clients", firm["token"], {"name": "Lies Lease", "email": email}).json
    monkeypatch.setattr(sending, "send_client_notice", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stop")))
    assert api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Ter info", "body": "Info", "response_type": "none"}).status_code == 500
    monkeypatch.undo()
    now = aws.clock().now()

    class Died(BaseException):
        """The job's function stopped between the claim and the e-mail."""

    def dies(*args, **kwargs):
        raise Died()

    monkeypatch.setattr(notice_sending, "send_client_notice", dies)
    with pytest.raises(Died):
        run(now + timedelta(minutes=6))
    monkeypatch.undo()

    run(now + timedelta(minutes=7))  # the claim still holds: nobody sends it twice at once
    assert emails_to(backend, email) == []
    run(now + timedelta(minutes=6) + NOTICE_LEASE + timedelta(seconds=1))
    run(now + timedelta(minutes=6) + NOTICE_LEASE + timedelta(minutes=1))
    assert len(emails_to(backend, email)) == 1
