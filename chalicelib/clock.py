"""Time as a port, so deadlines, expiry and reminders are testable without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def back_off(attempt: int) -> None:
    """A short random pause before retry `attempt` (from 1) of a write that met another at the same moment:
    jittered, so the two do not meet again."""
    import random

    time.sleep(random.uniform(0.02, 0.08) * attempt)  # noqa: S311 - jitter, not a secret


class SystemWallClock:
    """The system's real time, the same that the identity provider stamps tokens with."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FixedClock:
    """A clock that only moves when told to (tests, the local reminder trigger)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, to the millisecond."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def seconds_to_midnight(now: datetime) -> int:
    """Until the calendar day in Amsterdam rolls over: when a daily limit lets go."""
    from datetime import timedelta

    local = now.astimezone(AMSTERDAM)
    tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((tomorrow - local).total_seconds()) + 1


MONTHS: dict[str, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def written_date(day: date, language: str) -> str:
    """A date as people write it: '4 december 2026' (and '4 December 2026' in English)."""
    return f"{day.day} {MONTHS.get(language, MONTHS['nl'])[day.month - 1]} {day.year}"
