"""The scheduled reminder run: reads only what is due, claims each step before acting on it.

Every step (a reminder, the overdue notice, a retried e-mail notice) is claimed in the store by
moving the message on from the moment this run read (`Messages.claim_reminder`, `mark_overdue`,
`claim_notice`) before anything is sent, so concurrent or repeated runs act at most once. A
failed reminder e-mail is handed back and tried again on a later run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.clock import iso, parse_iso, written_date
from chalicelib.errors import DependencyFailed, DomainError, NotOpen
from chalicelib.messaging.model import UNSENT_NOTICE_STATES, Message
from chalicelib.messaging.notices import email_advisor, notification, retry_client_notice
from chalicelib.notify.templates import render_email
from chalicelib.observability import count, logger
from chalicelib.reminders.schedule import next_due, overdue_moment, planned_reminders
from chalicelib.signing.states import Step, advance
from chalicelib.validation import parse_moment

if TYPE_CHECKING:
    from chalicelib.ports import Ports

ACTOR = "system:reminders"


@dataclass
class RunResult:
    reminders_sent: int = 0
    overdue_notices: int = 0

    def to_api(self) -> dict[str, int]:
        return {"reminders_sent": self.reminders_sent, "overdue_notices": self.overdue_notices}


def run(ports: Ports, at: datetime | None = None) -> RunResult:
    """One run of the job, as if the clock read `at` (by default: what `ports.clock` reads)."""
    now = at or ports.clock.now()
    result = RunResult()
    for message in ports.messages.due(now):
        try:
            _process(ports, message, now, result)
        except DependencyFailed:
            logger.warning("reminder step failed; retried next run", extra={"message_id": message.id})
        except NotOpen:
            pass  # the client closed the request first; a later run takes the message off the schedule
        except DomainError as refused:
            # One message that cannot be handled (its client or firm gone) must not stop the others.
            logger.warning("reminder step refused", extra={"message_id": message.id, "code": refused.code})
    if result.reminders_sent:
        count("RemindersSent", result.reminders_sent)
    if result.overdue_notices:
        count("Overdue", result.overdue_notices)
    return result


def run_from_request(ports: Ports, body: dict[str, Any]) -> dict[str, int]:
    """`POST /dev/reminders/run {"at": "…Z"}`: the job as if the clock read `at`."""
    return run(ports, parse_moment(body.get("at"))).to_api()


def _process(ports: Ports, message: Message, now: datetime, result: RunResult) -> None:
    if not message.is_open:
        ports.messages.unindex(message)
        return
    if message.notice_status in UNSENT_NOTICE_STATES:
        # The notice never went out (the request died, or SES failed): send it now. Its
        # reminders, if any, are scheduled by the successful send and handled by later runs.
        # A "retrying" one is due again only when the run that held it died: its lease is over.
        retry_client_notice(ports, message, now)
        return
    if message.deadline is None:
        ports.messages.unindex(message)
        return
    deadline = date.fromisoformat(message.deadline)
    if now >= overdue_moment(deadline):
        if message.overdue:  # told once already (a co-signer's turn put it back on the schedule, for its notice)
            ports.messages.unindex(message)
            return
        result.overdue_notices += _mark_overdue(ports, message, now)
        return
    offsets = ports.settings.reminder_offsets_days
    sent_at = parse_iso(message.created_at)
    due = {k for k, at in planned_reminders(deadline, sent_at, offsets) if at <= now} - message.reminders_sent
    done = message.reminders_sent | due
    following = next_due(deadline, sent_at, offsets, set(done))
    if not due:
        ports.messages.reschedule(message, following, message.reminders_sent)
        return
    # Several steps due at once (the job was down): one reminder, for the nearest deadline.
    result.reminders_sent += _send_reminder(ports, message, min(due), done, following, now)


def _signing_steps(ports: Ports, message: Message, event_type: str, at: str, data: dict[str, Any]) -> list[Step]:
    """The audit events of the message's open signing requests whose signer's turn it is, for the same claim."""
    waiting = [s.request_id for s in message.states() if s.is_open and s.turn]
    return [advance(ports.signing.get(message.tenant_id, r), event_type, at, ACTOR, data) for r in waiting]


def _send_reminder(ports: Ports, message: Message, offset: int, done: frozenset[int], following: datetime,
                   now: datetime) -> int:
    steps = _signing_steps(ports, message, "reminder", iso(now), {"days_before": offset})
    claimed = ports.messages.claim_reminder(message, following, done, steps)
    if claimed is None:
        return 0  # another run claimed it first
    reminded = [step.before.client_id for step in steps] if message.signing_request_id else [message.client_id]
    sent = 0
    for client_id in reminded:
        try:
            _email_reminder(ports, message, client_id)
            sent += 1
        except DependencyFailed:
            logger.warning("reminder e-mail failed", extra={"message_id": message.id})
    if reminded and not sent:
        # Hand the step back so a later run sends it; the audit event already says it was attempted.
        # Once one signer has theirs it stands: a second run would remind them twice.
        ports.messages.reschedule(claimed, parse_iso(str(message.next_reminder_at)), message.reminders_sent)
        raise DependencyFailed()
    return sent


def _email_reminder(ports: Ports, message: Message, client_id: str) -> None:
    client = ports.clients.get(message.tenant_id, client_id)
    firm_name = message.firm_name or ports.tenants.get(message.tenant_id).name
    deadline = date.fromisoformat(str(message.deadline))
    email = render_email("reminder_sign" if message.response_type == "sign" else "reminder", client.language, {
        "name": client.name, "firm": firm_name, "subject": message.subject,
        "deadline": written_date(deadline, client.language),
        "link": f"{ports.settings.portal_url}/#/messages/{message.id}",
    })
    ports.mailer.send(client.email, email)


def _mark_overdue(ports: Ports, message: Message, now: datetime) -> int:
    at = iso(now)
    steps = _signing_steps(ports, message, "overdue", at, {"deadline": message.deadline})
    if not ports.messages.mark_overdue(message, notification("overdue", message, at), steps):
        return 0
    client = ports.clients.get(message.tenant_id, message.client_id)
    email_advisor(ports, "overdue", message.origin, client.name)
    return 1
