"""Reminder moments in Europe/Amsterdam, across daylight-saving changes."""

from __future__ import annotations

from datetime import date, datetime, timezone

from chalicelib.reminders.schedule import next_due, overdue_moment, planned_reminders, reminder_moment

UTC = timezone.utc


def test_a_reminder_falls_at_nine_local_time_in_summer_and_in_winter():
    assert reminder_moment(date(2026, 7, 10), 1) == datetime(2026, 7, 9, 7, 0, tzinfo=UTC)
    assert reminder_moment(date(2026, 12, 10), 1) == datetime(2026, 12, 9, 8, 0, tzinfo=UTC)


def test_reminders_around_the_october_change_keep_nine_oclock_local():
    deadline = date(2026, 10, 27)  # clocks go back on Sunday 25 October 2026
    assert reminder_moment(deadline, 3) == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)  # CEST
    assert reminder_moment(deadline, 1) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # CET


def test_the_deadline_ends_at_midnight_amsterdam():
    assert overdue_moment(date(2026, 12, 6)) == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert overdue_moment(date(2026, 7, 6)) == datetime(2026, 7, 6, 22, 0, tzinfo=UTC)


def test_reminders_already_past_at_sending_are_skipped_not_sent_late():
    sent = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # D-2
    plan = planned_reminders(date(2026, 12, 6), sent, (3, 1))
    assert [k for k, _ in plan] == [1]


def test_after_the_last_reminder_the_next_step_is_the_overdue_check():
    sent = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    deadline = date(2026, 12, 6)
    assert next_due(deadline, sent, (3, 1), set()) == reminder_moment(deadline, 3)
    assert next_due(deadline, sent, (3, 1), {3}) == reminder_moment(deadline, 1)
    assert next_due(deadline, sent, (3, 1), {3, 1}) == overdue_moment(deadline)
