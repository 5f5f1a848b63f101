"""The queue's worker: one job sends (or reminds) one chunk of a batch, at the rate the e-mail service allows.

Each recipient gets exactly what a single send makes (`messaging.sending`: the same rules, the
same message, signing request, audit event and notice), with `{{naam}}` filled in. Its outcome
is written in the message's own transaction, so a job delivered twice, or twice at once, sends
nobody twice: a recipient with an outcome is skipped, and a twin that lost the race is told so
by its transaction. A rule that fails (no mobile number, a document not ready, an unknown
client) fails that recipient only. Anything else (a dependency down) fails the job, and the
queue delivers it again; after a few deliveries it goes to the dead-letter queue.

The chunk's counts go into the batch once, after every one of its recipients has an outcome;
the last chunk's counts end the batch, which tells the advisor. A job that runs short of time
(the e-mail service throttling for long) puts itself on the queue again and stops: its next
delivery goes on where it stopped, rather than the function being cut off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib import bulk
from chalicelib.auth.principal import Principal
from chalicelib.bulk.model import CHUNK_SIZE, BulkSend, Failure, Job, Outcome, Recipient, RecipientDone
from chalicelib.clock import AMSTERDAM, back_off, iso, parse_iso, written_date
from chalicelib.errors import DependencyFailed, DomainError, Throttled, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.messaging.model import OPEN_MESSAGE_STATES, Message
from chalicelib.messaging.notices import email_advisor_about_batch
from chalicelib.messaging.sending import check_rules, compose, deliver, parse_request
from chalicelib.notify.templates import render_email
from chalicelib.observability import logger
from chalicelib.signing.states import advance
from chalicelib.store.transaction import TransitionContended

if TYPE_CHECKING:
    from chalicelib.notify.templates import RenderedEmail
    from chalicelib.ports import Mailer, Ports, WallClock

TimeLeft = Callable[[], float]  # seconds the function has left (Lambda's context), or endless

THROTTLED_ATTEMPTS = 5  # an e-mail the service throttles is tried this often, each wait twice the last
FIRST_BACKOFF_SECONDS = 1.0
SLOWEST_INTERVAL_SECONDS = 10.0
CONTENDED_ATTEMPTS = 3
ACTOR = "system:bulk_send"
RESERVE_SECONDS = 30.0  # a job with less left than this stops and hands the rest of its chunk to the queue


# --- the rate -----------------------------------------------------------------------------------


@dataclass
class Pace:
    """At most `per_second` e-mails a second from this worker; slower after every throttled one."""

    per_second: float
    clock: WallClock
    _next: datetime | None = None
    interval: float = field(init=False)

    def __post_init__(self) -> None:
        self.interval = 1 / max(self.per_second, 0.1)

    def wait(self) -> None:
        now = self.clock.now()
        if self._next is not None and now < self._next:
            self.clock.sleep((self._next - now).total_seconds())
            now = self._next
        self._next = now + timedelta(seconds=self.interval)

    def slow_down(self) -> None:
        self.interval = min(self.interval * 2, SLOWEST_INTERVAL_SECONDS)


@dataclass
class PacedMailer:
    """The mailer at the worker's pace; a throttled e-mail is waited for and tried again, not lost."""

    mailer: Mailer
    pace: Pace

    def send(self, to: str, email: RenderedEmail) -> str:
        backoff = FIRST_BACKOFF_SECONDS
        for attempt in range(THROTTLED_ATTEMPTS):
            self.pace.wait()
            try:
                return self.mailer.send(to, email)
            except Throttled:
                if attempt == THROTTLED_ATTEMPTS - 1:
                    raise
                logger.info("e-mail throttled; slowing down", extra={"attempt": attempt + 1})
                self.pace.slow_down()
                self.pace.clock.sleep(backoff)
                backoff *= 2
        raise AssertionError("unreachable")


def paced(ports: Ports) -> PacedMailer:
    """The ports' mailer at this worker's share of the account's rate."""
    rate = ports.settings.bulk_send_rate / bulk.WORKERS
    return PacedMailer(ports.mailer, Pace(rate, ports.wall_clock))


def _endless() -> float:
    return float("inf")


# --- the jobs -------------------------------------------------------------------------------------


def handle_bodies(ports: Ports, bodies: Iterable[str], time_left: TimeLeft = _endless) -> None:
    """Every job of a queue event (its messages' bodies), in order; raises when one must be delivered again."""
    for body in bodies:
        handle(ports, Job.from_json(json.loads(body)), time_left)


def handle(ports: Ports, job: Job, time_left: TimeLeft = _endless) -> None:
    if job.kind == "send":
        send_chunk(ports, job, time_left)
    elif job.kind == "remind":
        remind_chunk(ports, job, time_left)
    else:
        logger.error("unknown bulk job dropped", extra={"kind": job.kind})


def send_chunk(ports: Ports, job: Job, time_left: TimeLeft = _endless) -> None:
    """Every recipient of the chunk sent or failed, once; then the chunk's counts into the batch."""
    batch = ports.bulk_sends.get(job.tenant_id, job.bulk_send_id)
    first = job.chunk * CHUNK_SIZE
    last = min(first + CHUNK_SIZE, batch.total) - 1
    recipients = ports.bulk_sends.recipients(batch.tenant_id, batch.id, first, last)
    done = ports.bulk_sends.outcomes(batch.tenant_id, batch.id, first, last)
    if batch.status == "queued":
        ports.bulk_sends.start(batch)
    mailer = paced(ports)
    for recipient in recipients:
        if recipient.index in done:
            continue
        if time_left() < RESERVE_SECONDS:
            ports.bulk_queue.put([job])  # the rest of the chunk, by its next delivery
            return
        if batch.withdrawn_at is not None:
            _record_failure(ports, batch, recipient, None, Failure("not_open", "bulk_send_withdrawn"))
        else:
            _send_recipient(ports, mailer, batch, recipient)
    outcomes = ports.bulk_sends.outcomes(batch.tenant_id, batch.id, first, last)
    if len(outcomes) < len(recipients):
        raise DependencyFailed()  # an outcome did not land: the queue delivers the job again
    sent = sum(o.status == "sent" for o in outcomes.values())
    ports.bulk_sends.finish_chunk(batch, job.chunk, sent, len(outcomes) - sent)
    _end_if_last(ports, ports.bulk_sends.get(batch.tenant_id, batch.id))


def _send_recipient(ports: Ports, mailer: Mailer, batch: BulkSend, recipient: Recipient) -> None:
    for attempt in range(CONTENDED_ATTEMPTS):
        if attempt:
            back_off(attempt)
        try:
            _send_once(ports, mailer, batch, recipient)
            return
        except TransitionContended:
            if attempt == CONTENDED_ATTEMPTS - 1:
                raise


def _send_once(ports: Ports, mailer: Mailer, batch: BulkSend, recipient: Recipient) -> None:
    """One recipient's message, exactly as a single send makes it; or their failure, recorded.

    Its deadline is checked against the day the batch was made: a deadline of that day stays good
    for a job that runs after midnight.
    """
    advisor = Principal(sub="", tenant_id=batch.tenant_id, role="advisor", subject_id=batch.advisor_id)
    now = ports.clock.now()
    made_on = parse_iso(batch.created_at).astimezone(AMSTERDAM).date()
    name: str | None = None
    try:
        document_ids = list(batch.document_ids if recipient.document_ids is None else recipient.document_ids)
        outgoing = ports.messages.outgoing(batch.tenant_id, recipient.client_id, batch.advisor_id, document_ids, now)
        name = outgoing.client.name
        request = parse_request(batch.request_for(recipient, name), made_on)
        documents = check_rules(ports, outgoing, request)
        message, signing = compose(advisor, request, outgoing, documents, iso(now))
        message = replace(message, bulk_send_id=batch.id)
        outcome = Outcome(batch.id, recipient.index, recipient.client_id, "sent", name=name, message_id=message.id,
                          signing_request_id=message.signing_request_id)
        deliver(ports, outgoing, message, signing, outcome=outcome, mailer=mailer)
    except RecipientDone:
        return  # another delivery of this job sent them a moment ago
    except DependencyFailed:
        raise
    except DomainError as refused:
        _record_failure(ports, batch, recipient, name, _failure(refused))


def _record_failure(ports: Ports, batch: BulkSend, recipient: Recipient, name: str | None, failure: Failure) -> None:
    ports.bulk_sends.record_failure(batch.tenant_id, Outcome(
        batch.id, recipient.index, recipient.client_id, "failed", name=name, failure=failure))


def _failure(error: DomainError) -> Failure:
    """The error as the batch's view tells it: its code, and the message of its first field when it names one."""
    if isinstance(error, ValidationFailed) and error.errors:
        first = error.errors[0]
        return Failure(error.code, first.message, {str(k): v for k, v in first.params.items()})
    return Failure(error.code, error.message, {str(k): v for k, v in error.params.items()})


def _end_if_last(ports: Ports, batch: BulkSend) -> None:
    """The batch done once every chunk is counted: the advisor's notification, and an e-mail."""
    if batch.status == "done" or batch.chunks_done < batch.chunks:
        return
    at = iso(ports.clock.now())
    notification = {"id": new_id(), "type": "bulk_send_done", "bulk_send_id": batch.id, "message_id": None,
                    "signing_request_id": None, "client_id": None, "created_at": at}
    if ports.bulk_sends.complete(batch, at, notification):
        email_advisor_about_batch(ports, batch)


# --- reminding ----------------------------------------------------------------------------------


def remind_chunk(ports: Ports, job: Job, time_left: TimeLeft = _endless) -> None:
    """The round's reminder to every recipient of the chunk whose message is still open, each once.

    A reminder the e-mail service refused is handed back (its claim undone) and the job fails, so
    its next delivery sends it; those sent meanwhile are not sent again.
    """
    batch = ports.bulk_sends.get(job.tenant_id, job.bulk_send_id)
    if job.round is None or batch.reminded_at != job.round:
        return  # a round the advisor's request did not complete, or one a later round replaced
    first = job.chunk * CHUNK_SIZE
    last = min(first + CHUNK_SIZE, batch.total) - 1
    sent = [o for o in ports.bulk_sends.outcomes(batch.tenant_id, batch.id, first, last).values()
            if o.status == "sent" and o.message_id]
    messages = ports.messages.get_messages(batch.tenant_id, [str(o.message_id) for o in sent])
    mailer = paced(ports)
    for message in messages.values():
        if not awaits_answer(message):
            continue
        if time_left() < RESERVE_SECONDS:
            ports.bulk_queue.put([job])  # the rest, by its next delivery
            return
        waiting = [s.request_id for s in message.states() if s.is_open and s.turn]
        steps = [advance(ports.signing.get(message.tenant_id, r), "reminder", iso(ports.clock.now()), ACTOR,
                         {"bulk_send_id": batch.id}) for r in waiting]
        if not ports.messages.claim_bulk_reminder(message, job.round, steps):
            continue  # reminded in this round already, or answered meanwhile
        try:
            _email_reminder(ports, mailer, message)
        except DependencyFailed:
            ports.messages.unclaim_bulk_reminder(message, job.round)
            raise


def awaits_answer(message: Message) -> bool:
    """Whether the message still asks something of its client (information only asks nothing)."""
    return message.response_type != "none" and message.status in OPEN_MESSAGE_STATES


def _email_reminder(ports: Ports, mailer: Mailer, message: Message) -> None:
    client = ports.clients.get(message.tenant_id, message.client_id)
    firm = message.firm_name or ports.tenants.get(message.tenant_id).name
    template = "reminder_sign" if message.response_type == "sign" else "reminder"
    values = {"name": client.name, "firm": firm, "subject": message.subject,
              "link": f"{ports.settings.portal_url}/#/messages/{message.id}"}
    if message.deadline:
        values["deadline"] = written_date(date.fromisoformat(message.deadline), client.language)
    else:
        template += "_open"  # the same reminder, without a deadline to name
    mailer.send(client.email, render_email(template, client.language, values))
