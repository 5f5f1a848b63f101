"""SMS codes: how they are made, stored (only as an HMAC) and limited. Pure logic, no AWS."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.clock import iso, parse_iso
from chalicelib.errors import RateLimited

CODE_LIFETIME = timedelta(minutes=5)
VERIFIED_WINDOW = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5
MAX_PER_HOUR = 3
MAX_PER_DAY = 10
MAX_PER_PHONE_PER_DAY = 10
MAX_PER_CLIENT_PER_DAY = 10  # over all of a client's requests
BUDGET_WARNING_SHARE = 0.8  # of a firm's daily SMS budget


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def code_hmac(secret: bytes, tenant_id: str, request_id: str, document_sha256: str, code: str) -> str:
    """The only form in which a code is stored: bound to the request and the document's fingerprint."""
    message = "|".join((tenant_id, request_id, document_sha256, code)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def codes_match(stored_hmac: str, candidate_hmac: str) -> bool:
    return hmac.compare_digest(stored_hmac.encode(), candidate_hmac.encode())


def phone_digest(secret: bytes, phone: str) -> str:
    """A keyed digest of a phone number, so counters never hold the number itself."""
    return hmac.new(secret, f"phone|{phone}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class OtpState:
    """What is stored per signing request about its codes."""

    code_hmac: str | None = None
    issued_at: str | None = None
    expires_at: str | None = None
    attempts: int = 0
    locked: bool = False
    verified_at: str | None = None
    used_at: str | None = None
    sends: tuple[str, ...] = field(default_factory=tuple)
    phone_hint: str | None = None  # the masked number the code went to
    version: int = 0

    def recent_sends(self, now: datetime) -> list[datetime]:
        """Send moments within the last 24 hours, oldest first."""
        moments = sorted(parse_iso(s) for s in self.sends)
        return [m for m in moments if now - m < timedelta(days=1)]

    def has_live_verification(self, now: datetime, phone_changed_at: str | None = None) -> bool:
        if not self.verified_at or self.used_at or self.voided_by(phone_changed_at):
            return False
        return now - parse_iso(self.verified_at) <= VERIFIED_WINDOW

    def voided_by(self, phone_changed_at: str | None) -> bool:
        """A new phone number voids the code sent before it, and any verification of that code."""
        return bool(phone_changed_at and self.issued_at and self.issued_at <= phone_changed_at)


def resend_at(state: OtpState, now: datetime) -> datetime:
    """The moment from which another code may be sent (`now` when it may be already)."""
    try:
        check_send_limits(state, now)
    except RateLimited as limited:
        return now + timedelta(seconds=limited.retry_after)
    return now


def where_it_stands(state: OtpState, now: datetime, phone_changed_at: str | None) -> dict[str, object] | None:
    """The code's part of the ceremony for the signing screen, so a page that reloads continues at the right
    step: None before any code; `verified_until` while a verified code still allows signing. A code voided by
    a phone change shows as spent, with the wait its sends still impose."""
    if not state.issued_at:
        return None
    live = bool(state.code_hmac and state.expires_at and parse_iso(state.expires_at) > now and not state.locked
                and not state.voided_by(phone_changed_at))
    verified_until = None
    if state.has_live_verification(now, phone_changed_at):
        verified_until = iso(parse_iso(str(state.verified_at)) + VERIFIED_WINDOW)
    return {"sent_at": state.issued_at, "expires_at": state.expires_at if live else None,
            "resend_after": iso(resend_at(state, now)),
            "attempts_left": MAX_ATTEMPTS - state.attempts if live else 0, "verified_until": verified_until}


def check_send_limits(state: OtpState, now: datetime) -> None:
    """RateLimited (with the seconds to wait) when another code may not be sent yet."""
    sends = state.recent_sends(now)
    waits: list[timedelta] = []
    if sends and now - sends[-1] < RESEND_AFTER:
        waits.append(sends[-1] + RESEND_AFTER - now)
    last_hour = [m for m in sends if now - m < timedelta(hours=1)]
    if len(last_hour) >= MAX_PER_HOUR:
        waits.append(last_hour[-MAX_PER_HOUR] + timedelta(hours=1) - now)
    if len(sends) >= MAX_PER_DAY:
        waits.append(sends[-MAX_PER_DAY] + timedelta(days=1) - now)
    if waits:
        raise RateLimited("too_many_codes", retry_after=math.ceil(max(waits).total_seconds()))


def issue(state: OtpState, code_digest: str, now: datetime, phone_hint: str) -> OtpState:
    """The state after a new code is sent: the old code is gone, attempts and verification reset."""
    sends = (*(iso(m) for m in state.recent_sends(now)), iso(now))
    return OtpState(code_hmac=code_digest, issued_at=iso(now), expires_at=iso(now + CODE_LIFETIME), attempts=0,
                    locked=False, verified_at=None, used_at=None, sends=sends, phone_hint=phone_hint,
                    version=state.version + 1)


def budget_warning_at(budget: int) -> int:
    """The send that uses BUDGET_WARNING_SHARE of a firm's daily budget: the one that warns."""
    return max(1, math.ceil(budget * BUDGET_WARNING_SHARE))
