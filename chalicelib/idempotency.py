"""Idempotency-Key on send and sign: the first answer is kept with the step it answers, and replayed.

The record of a key is written in the step's own transaction, so it exists exactly when the
step committed: there is no "in progress" record to expire, and a call that died before its
commit left nothing, so its retry simply runs. Every side effect that must not happen twice
(the e-mail notice, the advisor's e-mail) comes after the commit, and only from the call that
committed: a concurrent twin with the same key finds its transaction refused, reads the record
and replays it. The record is read with the step's other items, in the same round trip.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.errors import FieldError, IdempotencyKeyReused, ValidationFailed

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal

# The contract replays within an hour; the record is kept a day, so a retry after that hour
# still finds the first answer instead of sending a second message.
KEPT = timedelta(days=1)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class IdempotencyKey:
    """One caller's key for one operation, with the fingerprint of the body it came with."""

    tenant_id: str
    scope: str  # operation, caller and key, hashed: the key is the caller's own string
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """What a step answered under a key, to be replayed until `expires_at`."""

    fingerprint: str
    body: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class Recorded:
    """A key with the answer its step gives: written in that step's transaction."""

    key: IdempotencyKey
    body: dict[str, Any]


class AlreadyAnswered(Exception):
    """A step's transaction was refused because its key was answered meanwhile (a concurrent twin)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__("answered under this key already")
        self.answer = answer


def key_of(operation: str, principal: Principal, raw: str | None, body: dict[str, Any]) -> IdempotencyKey | None:
    """The call's key, or None without one; ValidationFailed for a blank key or one over 255 characters."""
    if raw is None:
        return None
    if not raw.strip() or len(raw) > MAX_KEY_LENGTH:
        raise ValidationFailed(FieldError("Idempotency-Key", "invalid_idempotency_key"))
    scope = hashlib.sha256(f"{operation}\n{principal.subject_id}\n{raw}".encode()).hexdigest()
    # Any JSON a caller may send canonicalises this way (big integers and escapes included).
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return IdempotencyKey(tenant_id=principal.tenant_id, scope=scope,
                          fingerprint=hashlib.sha256(canonical.encode()).hexdigest())


def replay(answer: Answer, key: IdempotencyKey) -> dict[str, Any]:
    """The first answer again; IdempotencyKeyReused when the key came with another body."""
    if answer.fingerprint != key.fingerprint:
        raise IdempotencyKeyReused()
    return answer.body
