"""The SMS-code rules on plain values: limits, the resend wait, issuing, verification windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import iso
from chalicelib.errors import RateLimited
from chalicelib.signing import otp

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def sent_at(*minutes_ago: float) -> otp.OtpState:
    return otp.OtpState(sends=tuple(iso(NOW - timedelta(minutes=m)) for m in minutes_ago))


def test_a_first_code_may_always_be_sent():
    otp.check_send_limits(otp.OtpState(), NOW)


def test_the_next_code_waits_a_minute_after_the_last():
    with pytest.raises(RateLimited) as refused:
        otp.check_send_limits(sent_at(0.5), NOW)
    assert refused.value.retry_after == 30
    otp.check_send_limits(sent_at(1), NOW)


def test_three_codes_within_an_hour_wait_until_the_oldest_is_an_hour_old():
    with pytest.raises(RateLimited) as refused:
        otp.check_send_limits(sent_at(50, 30, 10), NOW)
    assert refused.value.retry_after == 10 * 60
    otp.check_send_limits(sent_at(61, 30, 10), NOW)


def test_ten_codes_within_a_day_wait_until_the_oldest_is_a_day_old():
    day = sent_at(*(23 * 60 - n * 120 for n in range(10)))
    with pytest.raises(RateLimited) as refused:
        otp.check_send_limits(day, NOW)
    assert refused.value.retry_after == 60 * 60
    otp.check_send_limits(sent_at(*(24 * 60 + 1 - n * 120 for n in range(10))), NOW)


def test_the_longest_of_several_waits_is_the_one_answered():
    with pytest.raises(RateLimited) as refused:
        otp.check_send_limits(sent_at(40, 20, 0.5), NOW)
    assert refused.value.retry_after == 20 * 60


def test_sends_older_than_a_day_are_forgotten_when_a_code_is_issued():
    state = otp.issue(sent_at(25 * 60, 30), "hmac", NOW, "+31 6 ****5678")
    assert state.sends == (iso(NOW - timedelta(minutes=30)), iso(NOW))


def test_issuing_replaces_the_code_and_resets_attempts_lock_and_verification():
    before = otp.OtpState(code_hmac="old", attempts=4, locked=True, verified_at=iso(NOW), version=7)
    state = otp.issue(before, "new", NOW, "+31 6 ****5678")
    assert (state.code_hmac, state.attempts, state.locked, state.verified_at) == ("new", 0, False, None)
    assert state.expires_at == iso(NOW + otp.CODE_LIFETIME) and state.version == 8
    assert state.phone_hint == "+31 6 ****5678"


def test_a_verification_lasts_ten_minutes_and_one_signature():
    verified = otp.OtpState(verified_at=iso(NOW))
    assert verified.has_live_verification(NOW + otp.VERIFIED_WINDOW)
    assert not verified.has_live_verification(NOW + otp.VERIFIED_WINDOW + timedelta(seconds=1))
    assert not replace(verified, used_at=iso(NOW)).has_live_verification(NOW)
    assert not otp.OtpState().has_live_verification(NOW)


def test_a_new_phone_number_voids_what_came_before_it_and_nothing_after():
    state = otp.OtpState(issued_at=iso(NOW), verified_at=iso(NOW))
    assert state.voided_by(iso(NOW + timedelta(seconds=1)))
    assert state.voided_by(iso(NOW))
    assert not state.voided_by(iso(NOW - timedelta(seconds=1)))
    assert not state.voided_by(None)
    assert not state.has_live_verification(NOW, iso(NOW + timedelta(seconds=1)))


def test_codes_are_six_digits_and_match_only_their_own_hmac():
    codes = {otp.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 150
    one = otp.code_hmac(b"secret", "t1", "r1", "ab" * 32, "123456")
    assert otp.codes_match(one, otp.code_hmac(b"secret", "t1", "r1", "ab" * 32, "123456"))
    for other in (otp.code_hmac(b"secret", "t1", "r2", "ab" * 32, "123456"),
                  otp.code_hmac(b"secret", "t1", "r1", "cd" * 32, "123456"),
                  otp.code_hmac(b"other", "t1", "r1", "ab" * 32, "123456")):
        assert not otp.codes_match(one, other)


@pytest.mark.parametrize(("budget", "warns_at"), [(500, 400), (5, 4), (1, 1), (3, 3)])
def test_the_budget_warning_comes_at_eighty_percent_rounded_up(budget, warns_at):
    assert otp.budget_warning_at(budget) == warns_at


def test_a_phone_digest_is_keyed_and_never_the_number():
    digest = otp.phone_digest(b"secret", "+31612345678")
    assert "612345678" not in digest and digest != otp.phone_digest(b"other", "+31612345678")
