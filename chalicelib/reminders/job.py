"""The scheduled reminder run: reads only what is due, claims each step before acting on it.

Every step (a reminder, the overdue notice, a retried e-mail notice) is claimed with a
conditional update on the message's `next_reminder_at` before anything is sent, so
concurrent or repeated runs act at most once. A failed reminder e-mail is handed back and
tried again on a later run.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import aws
from chalicelib.clock import iso, parse_iso
from chalicelib.config import get_settings
from chalicelib.errors import DependencyFailed, FieldError, NotOpen, ValidationFailed
from chalicelib.messaging.model import OPEN_MESSAGE_STATES, Message
from chalicelib.messaging.notices import email_advisor, notification, send_client_notice
from chalicelib.notify.templates import render_email
from chalicelib.observability import count, logger
from chalicelib.reminders.schedule import index_fields, next_due, overdue_moment, planned_reminders
from chalicelib.signing.states import advance
from chalicelib.store import keys
from chalicelib.store.clients import ClientRepository
from chalicelib.store.messages import MessageRepository, to_message
from chalicelib.store.models import MessageItem
from chalicelib.store.signing_requests import SigningRequestRepository, record_step
from chalicelib.store.tenants import TenantRepository
from chalicelib.store.transaction import Transition, TransitionRefused

# How long a run holds a notice it is sending; longer than any run takes.
NOTICE_LEASE = timedelta(minutes=15)


@dataclass
class RunResult:
    reminders_sent: int = 0
    overdue_notices: int = 0
    notices_retried: int = 0

    def to_api(self) -> dict[str, int]:
        return {"reminders_sent": self.reminders_sent, "overdue_notices": self.overdue_notices}


def due_messages(now: datetime) -> list[MessageItem]:
    """Messages whose next step is due: one Query per index shard, never a Scan."""
    aws.bind_store()
    moment = iso(now)
    due: list[MessageItem] = []
    for shard in range(keys.REMINDER_SHARDS):
        due.extend(MessageItem.due_reminders.query(keys.reminder_shard(shard), MessageItem.gsi2sk <= moment))
    return due


def run(now: datetime) -> RunResult:
    """One run of the job as if the clock read `now`."""
    result = RunResult()
    for item in due_messages(now):
        try:
            _process(item, now, result)
        except DependencyFailed:
            logger.warning("reminder step failed; retried next run", extra={"message_id": item.message_id})
        except (TransitionRefused, NotOpen):
            pass  # a concurrent run (or the client) moved this message first; what it claimed, it handles
    if result.reminders_sent:
        count("RemindersSent", result.reminders_sent)
    if result.overdue_notices:
        count("Overdue", result.overdue_notices)
    return result


def run_from_request(body: dict[str, Any]) -> dict[str, int]:
    """`POST /dev/reminders/run {"at": "…Z"}`: the job as if the clock read `at`."""
    raw = body.get("at")
    try:
        at = parse_iso(raw) if isinstance(raw, str) and raw.endswith("Z") else None
    except ValueError:
        at = None
    if at is None:
        raise ValidationFailed(FieldError("at", "invalid_moment"))
    return run(at).to_api()


def _tenant_of(item: MessageItem) -> str:
    return item.pk.removeprefix("TENANT#")


def _process(item: MessageItem, now: datetime, result: RunResult) -> None:
    message = to_message(_tenant_of(item), item)
    old_moment = str(item.next_reminder_at)
    if not message.is_open:
        _unindex(message, old_moment)
        return
    if message.notice_status in ("pending", "failed", "retrying"):
        # The notice never went out (the request died, or SES failed): send it now. Its
        # reminders, if any, are scheduled by the successful send and handled by later runs.
        # A "retrying" one is due again only when the run that held it died: its lease is over.
        result.notices_retried += _retry_notice(message, old_moment, now)
        return
    if message.deadline is None:
        _unindex(message, old_moment)
        return
    deadline = date.fromisoformat(message.deadline)
    if now >= overdue_moment(deadline):
        result.overdue_notices += _mark_overdue(message, old_moment, now)
        return
    offsets = get_settings().reminder_offsets_days
    sent_at = parse_iso(message.created_at)
    done = {int(k) for k in item.reminders_sent or []}
    due = [k for k, at in planned_reminders(deadline, sent_at, offsets) if at <= now and k not in done]
    following = next_due(deadline, sent_at, offsets, done | set(due))
    if not due:
        _reindex(message, old_moment, following, [str(k) for k in item.reminders_sent or []])
        return
    # Several steps due at once (the job was down): one reminder, for the nearest deadline.
    result.reminders_sent += _send_reminder(message, item, old_moment, min(due), done | set(due), following, now)


def _claim_condition(old_moment: str) -> Any:
    return (MessageItem.next_reminder_at == old_moment) & MessageItem.status.is_in(*OPEN_MESSAGE_STATES)


def _unindex(message: Message, old_moment: str) -> None:
    repository = MessageRepository()
    transition = Transition()
    transition.update("message", repository.message_item(message.tenant_id, message.id),
                      [MessageItem.next_reminder_at.remove(), MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove()],
                      MessageItem.next_reminder_at == old_moment)
    with contextlib.suppress(TransitionRefused):  # someone else moved it already
        transition.commit()


def _move(transition: Transition, message: Message, old_moment: str, due: datetime, sent: list[str]) -> str:
    """Claim the step due at `old_moment` by moving the message to its next moment; that moment."""
    fields = index_fields(message.id, due)
    transition.update("message", MessageRepository().message_item(message.tenant_id, message.id),
                      [MessageItem.next_reminder_at.set(fields["next_reminder_at"]),
                       MessageItem.gsi2pk.set(fields["gsi2pk"]), MessageItem.gsi2sk.set(fields["gsi2sk"]),
                       MessageItem.reminders_sent.set(sent)],
                      _claim_condition(old_moment))
    return str(fields["next_reminder_at"])


def _reindex(message: Message, old_moment: str, due: datetime, sent: list[str]) -> None:
    transition = Transition()
    _move(transition, message, old_moment, due, sent)
    transition.commit()


def _signing_event(transition: Transition, message: Message, kind: str, at: str, data: dict[str, Any]) -> None:
    """Add the audit event of a signing request to the same claim."""
    if not message.signing_request_id:
        return
    request = SigningRequestRepository().get(message.tenant_id, message.signing_request_id)
    record_step(transition, advance(request, kind, at, "system:reminders", data))


def _send_reminder(message: Message, item: MessageItem, old_moment: str, offset: int, done: set[int],
                   following: datetime, now: datetime) -> int:
    claim = Transition()
    new_moment = _move(claim, message, old_moment, following, sorted(str(k) for k in done))
    _signing_event(claim, message, "reminder", iso(now), {"days_before": offset})
    try:
        claim.commit()
    except TransitionRefused:
        return 0  # another run claimed it first
    try:
        _email_reminder(message)
    except DependencyFailed:
        # Hand the step back so a later run sends it; the audit event already says it was attempted.
        _reindex(message, new_moment, parse_iso(old_moment), [str(k) for k in item.reminders_sent or []])
        raise
    return 1


def _email_reminder(message: Message) -> None:
    client = ClientRepository().get(message.tenant_id, message.client_id)
    firm = TenantRepository().get(message.tenant_id)
    deadline = date.fromisoformat(str(message.deadline))
    shown = deadline.strftime("%d-%m-%Y") if client.language == "nl" else deadline.isoformat()
    email = render_email("reminder", client.language, {
        "name": client.name, "firm": firm.name, "subject": message.subject, "deadline": shown,
        "link": f"{get_settings().portal_url}/#/messages/{message.id}",
    })
    aws.mailer().send(client.email, email)


def _mark_overdue(message: Message, old_moment: str, now: datetime) -> int:
    repository = MessageRepository()
    at = iso(now)
    claim = Transition()
    claim.update("message", repository.message_item(message.tenant_id, message.id),
                 [MessageItem.overdue.set(True), MessageItem.next_reminder_at.remove(),
                  MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove()],
                 _claim_condition(old_moment))
    claim.put("notification", repository.new_notification_item(
        message.tenant_id, message.advisor_id, notification("overdue", message, at)))
    _signing_event(claim, message, "overdue", at, {"deadline": message.deadline})
    try:
        claim.commit()
    except TransitionRefused:
        return 0
    client = ClientRepository().get(message.tenant_id, message.client_id)
    email_advisor("overdue", message, client.name)
    return 1


def _retry_notice(message: Message, old_moment: str, now: datetime) -> int:
    """Send again an e-mail notice that failed when the message was sent.

    The claim is a lease: it makes the message due again when the lease ends, so a run that dies
    between the claim and the e-mail leaves it to a later run instead of "retrying" for ever.
    """
    repository = MessageRepository()
    lease = index_fields(message.id, now + NOTICE_LEASE)
    claim = Transition()
    claim.update("message", repository.message_item(message.tenant_id, message.id),
                 [MessageItem.notice_status.set("retrying"), MessageItem.next_reminder_at.set(lease["next_reminder_at"]),
                  MessageItem.gsi2pk.set(lease["gsi2pk"]), MessageItem.gsi2sk.set(lease["gsi2sk"])],
                 (MessageItem.notice_status == message.notice_status) & (MessageItem.next_reminder_at == old_moment))
    try:
        claim.commit()
    except TransitionRefused:
        return 0
    client = ClientRepository().get(message.tenant_id, message.client_id)
    firm = TenantRepository().get(message.tenant_id)
    return 1 if send_client_notice(message, client, firm.name) == "sent" else 0
