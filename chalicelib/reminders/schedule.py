"""When reminders fall due: pure date arithmetic in Europe/Amsterdam.

Deadline D ends at 24:00 Amsterdam time. For each offset k the reminder is due at 09:00 local
time on D-k (correct across daylight-saving changes, since the wall time is converted per day),
unless that moment had already passed when the message was sent. After D has ended the
request is overdue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from chalicelib.clock import AMSTERDAM

if TYPE_CHECKING:
    from chalicelib.messaging.model import Message

REMINDER_HOUR = time(9, 0)
REMINDED_TYPES = ("approve", "reply", "sign")


def reminder_moment(deadline: date, offset_days: int) -> datetime:
    local = datetime.combine(deadline - timedelta(days=offset_days), REMINDER_HOUR, tzinfo=AMSTERDAM)
    return local.astimezone(UTC)


def overdue_moment(deadline: date) -> datetime:
    return datetime.combine(deadline + timedelta(days=1), time(0, 0), tzinfo=AMSTERDAM).astimezone(UTC)


def planned_reminders(deadline: date, sent_at: datetime, offsets: tuple[int, ...]) -> list[tuple[int, datetime]]:
    """(offset, moment) of each reminder still ahead when the message was sent, earliest first."""
    plan = [(k, reminder_moment(deadline, k)) for k in offsets]
    return sorted(((k, at) for k, at in plan if at > sent_at), key=lambda pair: pair[1])


def next_due(deadline: date, sent_at: datetime, offsets: tuple[int, ...], done: set[int]) -> datetime:
    """The next moment the job must look at this message: a reminder not yet sent, or the overdue check."""
    for k, at in planned_reminders(deadline, sent_at, offsets):
        if k not in done:
            return at
    return overdue_moment(deadline)


def first_check(message: Message, sent_at: datetime, offsets: tuple[int, ...]) -> datetime | None:
    """When the job first looks at a message whose notice is out; None when it asks no answer by a deadline."""
    if message.deadline is None or message.response_type not in REMINDED_TYPES:
        return None
    return next_due(date.fromisoformat(message.deadline), sent_at, offsets, set())
