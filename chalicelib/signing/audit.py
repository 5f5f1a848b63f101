"""The audit chain: every event of a signing request carries the hash of the one before it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import rfc8785

GENESIS = "0" * 64

EVENT_TYPES = frozenset({
    "sent", "viewed", "code_sent", "code_failed", "code_locked", "code_verified",
    "signed", "rejected", "withdrawn", "reminder", "overdue", "turn",
})


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    type: str
    at: str
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def to_api(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "at": self.at, "actor": self.actor, "data": self.data,
                "prev_hash": self.prev_hash, "hash": self.hash}


def event_hash(seq: int, type_: str, at: str, actor: str, data: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over the RFC 8785 form of the event, including its predecessor's hash."""
    body: Any = {"seq": seq, "type": type_, "at": at, "actor": actor, "data": data, "prev_hash": prev_hash}
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def next_event(previous_seq: int, previous_hash: str, type_: str, at: str, actor: str,
               data: dict[str, Any] | None = None) -> AuditEvent:
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown audit event {type_}")
    payload = data or {}
    seq = previous_seq + 1
    prev = previous_hash or GENESIS
    return AuditEvent(seq=seq, type=type_, at=at, actor=actor, data=payload, prev_hash=prev,
                      hash=event_hash(seq, type_, at, actor, payload, prev))


def chain_intact(events: list[AuditEvent], head: str, length: int) -> bool:
    """True when the events link from genesis to `head`, none edited, none missing."""
    if len(events) != length:
        return False
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev:
            return False
        if event_hash(event.seq, event.type, event.at, event.actor, event.data, event.prev_hash) != event.hash:
            return False
        prev = event.hash
    return prev == (head or GENESIS)
