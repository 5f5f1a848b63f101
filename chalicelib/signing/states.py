"""The life of a signing request: its states, the moves between them, and the audit event of each.

Every change of a request goes through `advance`: it refuses a move the request's state does not
allow, and returns the request as it is afterwards together with the event that records the move,
chained to the one before. The store writes the two together, on the condition that the request is
still where it was (`Step.before`), so a concurrent change makes the write fail instead of forking
the chain. Co-signing adds its states and moves here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalicelib.errors import AlreadySigned, NotOpen
from chalicelib.signing.audit import GENESIS, AuditEvent, next_event

if TYPE_CHECKING:
    from chalicelib.messaging.model import SigningRequest


class SigningStatus(StrEnum):
    SENT = "sent"
    VIEWED = "viewed"
    SIGNED = "signed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN = frozenset({SigningStatus.SENT, SigningStatus.VIEWED})


@dataclass(frozen=True)
class Move:
    """What an event may happen to, and the status it leaves (None: the status stays)."""

    allowed_from: frozenset[SigningStatus]
    to: SigningStatus | None = None
    stamp: str | None = None  # the request's moment field that records it


MOVES: dict[str, Move] = {
    "viewed": Move(frozenset({SigningStatus.SENT}), SigningStatus.VIEWED, "viewed_at"),
    "code_sent": Move(OPEN),
    "code_failed": Move(OPEN),
    "code_locked": Move(OPEN),
    "code_verified": Move(OPEN),
    "reminder": Move(OPEN),
    "overdue": Move(OPEN),
    "signed": Move(OPEN, SigningStatus.SIGNED, "signed_at"),
    "rejected": Move(OPEN, SigningStatus.REJECTED, "rejected_at"),
    "withdrawn": Move(OPEN, SigningStatus.WITHDRAWN, "withdrawn_at"),
}


@dataclass(frozen=True)
class Step:
    """One move of one request: where it was, where it is, and the event between."""

    before: SigningRequest
    after: SigningRequest
    event: AuditEvent
    move: Move


def first_event(at: str, actor: str, data: dict[str, Any]) -> AuditEvent:
    """The `sent` event that starts a new request's chain."""
    return next_event(0, GENESIS, "sent", at, actor, data)


def advance(request: SigningRequest, event_type: str, at: str, actor: str,
            data: dict[str, Any] | None = None) -> Step:
    """The step of `event_type` happening to `request`; NotOpen (AlreadySigned for a signed one) when refused."""
    move = MOVES[event_type]
    if request.status not in move.allowed_from:
        if request.status == SigningStatus.SIGNED and event_type == "signed":
            raise AlreadySigned()
        raise NotOpen()
    event = next_event(request.audit_seq, request.audit_head, event_type, at, actor, data)
    after = replace(request, audit_seq=event.seq, audit_head=event.hash)
    if move.to is not None:
        after = replace(after, status=move.to)
    if move.stamp and hasattr(after, move.stamp):  # the moments the request itself carries
        moment: dict[str, Any] = {move.stamp: at}
        after = replace(after, **moment)
    return Step(before=request, after=after, event=event, move=move)
