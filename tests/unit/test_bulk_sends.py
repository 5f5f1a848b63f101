"""Bulk sends on fake ports: the batch's checks, the worker's rules (once per recipient, failures, counts, the
end), the pace and the throttled e-mail, reminding and withdrawing, a batch the queue missed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.bulk import service, worker
from chalicelib.bulk.model import CHUNK_SIZE, Job
from chalicelib.errors import DependencyFailed, FeatureNotEnabled, RateLimited, Throttled, ValidationFailed
from tests.fakes.adapters import FakeMailer, FakeWallClock
from tests.fakes.messaging import Office


class ThrottlingMailer(FakeMailer):
    """SES over its sending rate: the first `throttled` e-mails are refused as Throttling."""

    def __init__(self, throttled: int) -> None:
        super().__init__()
        self.throttled = throttled
        self.refused = 0

    def send(self, to: str, email: Any) -> str:
        if self.refused < self.throttled:
            self.refused += 1
            raise Throttled()
        return super().send(to, email)


def office_with(clients: int, mailer: FakeMailer | None = None, phone_missing: tuple[int, ...] = ()) -> Office:
    from tests.fakes import FakePorts

    office = Office(FakePorts(mailer=mailer) if mailer is not None else None)
    for n in range(clients):
        office.add_client(f"c{n:04d}", phone=None if n in phone_missing else "+31612345678")
    return office


def bulk(office: Office, clients: int, key: str | None = None, **changes: Any) -> dict[str, Any]:
    body = {"subject": "Aangifte 2025 van {{naam}}", "body": "Beste {{naam}}, {{name}} en {naam} blijven staan.",
            "response_type": "approve", "recipients": [{"client_id": f"c{n:04d}"} for n in range(clients)], **changes}
    return service.create_bulk_send(office.ports, office.advisor, body, key)


def work(office: Office, rounds: int = 1) -> list[Job]:
    """Every job on the queue handed to the worker `rounds` times (a queue delivers at least once)."""
    jobs = office.ports.bulk_queue.take()
    for _ in range(rounds):
        for job in jobs:
            worker.handle(office.ports, job)
    return jobs


def batch_of(office: Office, answer: dict[str, Any]) -> Any:
    return office.ports.bulk_sends.get(office.tenant_id, answer["id"])


def view(office: Office, answer: dict[str, Any]) -> dict[str, Any]:
    return service.bulk_send_view(office.ports, office.advisor, answer["id"], "200", None, "nl")


# --- the batch's checks ----------------------------------------------------------------------------


def test_a_batch_is_stored_with_one_job_per_chunk_and_answered_at_once():
    office = office_with(60)
    answer = bulk(office, 60)
    assert (answer["status"], answer["total"], answer["sent"]) == ("queued", 60, 0)
    assert [job.chunk for job in office.ports.bulk_queue.jobs] == [0, 1, 2]  # 25 + 25 + 10
    assert office.ports.mailer.sent == [] and office.ports.bulk_sends.not_queued(office.ports.clock.now()) == []


def test_the_same_key_and_body_answer_the_same_batch_and_queue_nothing_more():
    office = office_with(3)
    first = bulk(office, 3, key="k-1")
    assert bulk(office, 3, key="k-1") == first
    assert len(office.ports.bulk_queue.jobs) == 1


def test_a_firm_without_signing_may_not_bulk_send_signing_requests():
    office = Office(signing=False)
    with pytest.raises(FeatureNotEnabled):
        bulk(office, 1, response_type="sign", document_ids=["d1"])
    assert office.ports.bulk_queue.jobs == []


def test_a_recipient_of_a_signing_batch_needs_exactly_one_document_of_their_own_or_shared():
    office = office_with(2)
    with pytest.raises(ValidationFailed) as caught:
        bulk(office, 2, response_type="sign",
             recipients=[{"client_id": "c0000"}, {"client_id": "c0001", "document_ids": ["d1", "d2"]}])
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("recipients[0].document_ids", "sign_needs_one_pdf"), ("recipients[1].document_ids", "sign_needs_one_pdf")]


# --- the worker ------------------------------------------------------------------------------------


def test_each_recipient_gets_the_single_sends_message_with_their_name_and_nothing_else_expanded():
    office = office_with(2)
    answer = bulk(office, 2)
    work(office)
    items = view(office, answer)["items"]
    message = office.message(items[1]["message_id"])
    assert message.subject == "Aangifte 2025 van Klant c0001"
    assert message.body == "Beste Klant c0001, {{name}} en {naam} blijven staan."
    assert (message.bulk_send_id, message.response_type, message.notice_status) == (answer["id"], "approve", "sent")
    assert len(office.client_mails("c0001")) == 1


def test_a_job_delivered_three_times_sends_each_recipient_once_and_counts_once():
    office = office_with(30, phone_missing=(4,))
    answer = bulk(office, 30, response_type="sign", document_ids=[office.document()])
    work(office, rounds=3)
    batch = batch_of(office, answer)
    assert (batch.status, batch.sent, batch.failed, batch.chunks_done) == ("done", 29, 1, 2)
    assert all(len(office.client_mails(f"c{n:04d}")) == (0 if n == 4 else 1) for n in range(30))
    assert len(office.ports.messages.messages) == 29
    assert office.notification_types().count("bulk_send_done") == 1
    assert [m.subject for m in office.advisor_mails()] == ['Bulkverzending klaar: "Aangifte 2025 van {{naam}}"']


def test_a_dependency_that_fails_mid_chunk_fails_the_job_and_its_next_delivery_finishes_it():
    office = office_with(5)
    answer = bulk(office, 5)
    jobs = office.ports.bulk_queue.take()
    office.ports.messages.fail_next(step="send")  # the third recipient's write: throttled, say
    office.ports.messages.fail_next(step="get_message")  # and the read-back that follows it
    with pytest.raises(DependencyFailed):
        for _ in range(3):
            worker.handle(office.ports, jobs[0])
    worker.handle(office.ports, jobs[0])
    batch = batch_of(office, answer)
    assert (batch.status, batch.sent, batch.failed) == ("done", 5, 0)
    assert all(len(office.client_mails(f"c{n:04d}")) == 1 for n in range(5))


def test_each_rule_that_fails_fails_only_its_recipient_with_its_code():
    from dataclasses import replace

    office = office_with(3, phone_missing=(1,))
    card = office.add_client("c0003")
    office.ports.clients.cards[(office.tenant_id, "c0003")].client = replace(card, name="N" * 190)
    pending = office.document(ready=False)
    answer = bulk(office, 4, response_type="sign", document_ids=[office.document()],
                  recipients=[{"client_id": "c0000"}, {"client_id": "c0001"}, {"client_id": "c0002",
                              "document_ids": [pending]}, {"client_id": "c0003"}, {"client_id": "c9999"}])
    work(office)
    items = view(office, answer)["items"]
    assert [(i["status"], (i["error"] or {}).get("code")) for i in items] == [
        ("sent", None), ("failed", "phone_required"), ("failed", "document_not_ready"),
        ("failed", "validation_error"), ("failed", "not_found")]
    assert "200" in items[3]["error"]["detail"]  # the subject with the name is over 200 characters
    assert (items[1]["name"], items[4]["name"]) == ("Klant c0001", None)


def test_a_withdrawn_batch_sends_nobody_its_jobs_had_not_reached():
    office = office_with(3)
    answer = bulk(office, 3)
    assert service.withdraw_bulk_send(office.ports, office.advisor, answer["id"]) == {"withdrawn": 0}
    work(office)
    batch = batch_of(office, answer)
    assert (batch.status, batch.sent, batch.failed) == ("done", 0, 3)
    assert office.ports.messages.messages == {} and office.ports.mailer.sent[-1][0] == "anne@kantoor.example"


# --- the pace and the throttled e-mail --------------------------------------------------------------


def test_the_pace_spaces_the_mails_by_the_rate_and_slows_down_after_throttling():
    wall = FakeWallClock(office_with(0).ports.clock)
    pace = worker.Pace(per_second=5, clock=wall)
    for _ in range(3):
        pace.wait()
    assert wall.slept == [pytest.approx(0.2), pytest.approx(0.2)]
    for _ in range(10):
        pace.slow_down()
    assert pace.interval == worker.SLOWEST_INTERVAL_SECONDS


def test_a_throttled_notice_is_waited_for_and_sent_once():
    office = office_with(1, mailer=ThrottlingMailer(throttled=2))
    answer = bulk(office, 1)
    work(office)
    assert len(office.client_mails("c0000")) == 1 and office.ports.mailer.refused == 2
    assert [s for s in office.ports.wall_clock.slept if s >= 1] == [1.0, 2.0]  # backoff, doubling
    assert view(office, answer)["items"][0]["status"] == "sent"


def test_a_notice_throttled_past_every_attempt_is_left_to_the_reminder_job_not_lost():
    office = office_with(1, mailer=ThrottlingMailer(throttled=worker.THROTTLED_ATTEMPTS))
    answer = bulk(office, 1)
    work(office)
    message = office.message(view(office, answer)["items"][0]["message_id"])
    assert message.notice_status == "failed" and message.next_reminder_at is not None  # due for the job's retry
    assert office.client_mails("c0000") == []


# --- remind, withdraw, and the batch the queue missed -----------------------------------------------


def test_a_reminder_round_reaches_each_open_recipient_once_and_only_once_a_day():
    office = office_with(3)
    answer = bulk(office, 3, deadline="2026-12-20")
    work(office)
    items = view(office, answer)["items"]
    office.ports.messages.answer(office.message(items[0]["message_id"]), "approved", office.now, None,
                                 {"id": "n1", "type": "approved", "message_id": items[0]["message_id"],
                                  "client_id": "c0000", "created_at": office.now})
    assert service.remind_bulk_send(office.ports, office.advisor, answer["id"]) == {"reminded": 2}
    work(office, rounds=2)
    reminded = [n for n in range(3) if any("Herinnering" in m.subject for m in office.client_mails(f"c{n:04d}"))]
    assert reminded == [1, 2]
    assert all(len(office.client_mails(f"c{n:04d}")) == 2 for n in (1, 2))  # the notice and one reminder
    office.ports.clock.advance(hours=23)
    with pytest.raises(RateLimited) as caught:
        service.remind_bulk_send(office.ports, office.advisor, answer["id"])
    assert 3600 <= caught.value.retry_after <= 3601
    office.ports.clock.advance(hours=1)
    assert service.remind_bulk_send(office.ports, office.advisor, answer["id"]) == {"reminded": 2}


def test_a_reminder_job_of_a_round_that_was_undone_sends_nothing():
    office = office_with(1)
    answer = bulk(office, 1)
    work(office)
    office.ports.bulk_queue.fail_next()
    with pytest.raises(DependencyFailed):
        service.remind_bulk_send(office.ports, office.advisor, answer["id"])
    assert batch_of(office, answer).reminded_at is None  # the claim undone: the advisor may try again
    stale = Job("remind", office.tenant_id, answer["id"], 0, round=office.now)
    worker.handle(office.ports, stale)
    assert len(office.client_mails("c0000")) == 1  # the notice only


def test_a_batch_whose_jobs_missed_the_queue_is_queued_by_the_job_once_it_is_stale():
    office = office_with(CHUNK_SIZE + 1)
    office.ports.bulk_queue.fail_next()
    answer = bulk(office, CHUNK_SIZE + 1)
    assert office.ports.bulk_queue.jobs == []
    assert service.requeue_stranded(office.ports) == 0
    assert service.requeue_stranded(office.ports, office.ports.clock.now() + timedelta(minutes=3)) == 1
    assert [job.chunk for job in work(office)] == [0, 1]
    assert batch_of(office, answer).status == "done"
    assert service.requeue_stranded(office.ports, office.ports.clock.now() + timedelta(hours=1)) == 0


def test_a_job_short_of_time_hands_the_rest_of_its_chunk_back_to_the_queue():
    office = office_with(5)
    answer = bulk(office, 5)
    job = office.ports.bulk_queue.take()[0]
    left = iter([100.0, 100.0, 10.0])  # seconds left before each recipient: the third finds too few
    worker.handle(office.ports, job, lambda: next(left, 10.0))
    assert len(office.ports.messages.messages) == 2 and office.ports.bulk_queue.jobs == [job]
    assert batch_of(office, answer).status == "running"
    work(office)
    assert (batch_of(office, answer).status, batch_of(office, answer).sent) == ("done", 5)
    assert all(len(office.client_mails(f"c{n:04d}")) == 1 for n in range(5))


def test_a_reminder_the_mail_service_refused_is_handed_back_and_sent_by_the_next_delivery():
    office = office_with(2)
    answer = bulk(office, 2)
    work(office)
    assert service.remind_bulk_send(office.ports, office.advisor, answer["id"]) == {"reminded": 2}
    job = office.ports.bulk_queue.take()[0]
    office.ports.mailer.fail_next()  # SES down for the first reminder
    with pytest.raises(DependencyFailed):
        worker.handle(office.ports, job)
    worker.handle(office.ports, job)
    worker.handle(office.ports, job)
    assert [len([m for m in office.client_mails(f"c{n:04d}") if "Herinnering" in m.subject]) for n in (0, 1)] == [1, 1]


def test_information_only_asks_nothing_so_it_is_not_reminded():
    office = office_with(2)
    answer = bulk(office, 2, response_type="none")
    work(office)
    assert service.remind_bulk_send(office.ports, office.advisor, answer["id"]) == {"reminded": 0}
    work(office)
    assert all(len(office.client_mails(f"c{n:04d}")) == 1 for n in (0, 1))  # the notice only


def test_a_deadline_of_the_day_the_batch_was_made_still_holds_for_a_job_after_midnight():
    from datetime import UTC, datetime

    office = office_with(1)
    office.ports.clock.at = datetime(2026, 12, 1, 22, 55, tzinfo=UTC)  # 23:55 in Amsterdam
    answer = bulk(office, 1, deadline="2026-12-01")
    office.ports.clock.advance(minutes=10)  # the job runs on the next day
    work(office)
    assert view(office, answer)["items"][0]["status"] == "sent"
