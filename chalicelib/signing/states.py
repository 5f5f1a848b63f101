"""The life of a signing request: its states, the moves between them, and the audit event of each.

Every change of a request goes through `advance`: it refuses a move the request's state does not
allow, and returns the request as it is afterwards together with the event that records the move,
chained to the one before. The store writes the two together, on the condition that the request is
still where it was (`Step.before`), so a concurrent change makes the write fail instead of forking
the chain.

A request of a message with co-signers is one of a set (its `Envelope`): in sequential order a
signer's `turn` comes when the one before has signed, and the moves that need it (a code, the
signature) are refused before then. What one signer's closing step means for the others is
`settle`'s: the next one's turn, the others withdrawn, the message signed or rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalicelib.errors import AlreadySigned, NotOpen, NotYourTurn
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
    needs_turn: bool = False  # refused (NotYourTurn) before the signer's turn
    gives_turn: bool = False


MOVES: dict[str, Move] = {
    "viewed": Move(frozenset({SigningStatus.SENT}), SigningStatus.VIEWED, "viewed_at"),
    "code_sent": Move(OPEN, needs_turn=True),
    "code_failed": Move(OPEN),
    "code_locked": Move(OPEN),
    "code_verified": Move(OPEN, needs_turn=True),
    "turn": Move(OPEN, stamp="turn_at", gives_turn=True),
    "reminder": Move(OPEN),
    "overdue": Move(OPEN),
    "signed": Move(OPEN, SigningStatus.SIGNED, "signed_at", needs_turn=True),
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


def check(request: SigningRequest, event_type: str) -> Move:
    """The move of `event_type` if `request` allows it now; NotOpen (AlreadySigned for a second signature)
    or NotYourTurn when it does not."""
    move = MOVES[event_type]
    if request.status not in move.allowed_from:
        if request.status == SigningStatus.SIGNED and event_type == "signed":
            raise AlreadySigned()
        raise NotOpen()
    if move.needs_turn and not request.turn:
        raise NotYourTurn()
    return move


def advance(request: SigningRequest, event_type: str, at: str, actor: str,
            data: dict[str, Any] | None = None) -> Step:
    """The step of `event_type` happening to `request`; NotOpen (AlreadySigned for a signed one) when refused,
    NotYourTurn when it needs the signer's turn and that has not come."""
    move = check(request, event_type)
    event = next_event(request.audit_seq, request.audit_head, event_type, at, actor, data)
    after = replace(request, audit_seq=event.seq, audit_head=event.hash)
    if move.to is not None:
        after = replace(after, status=move.to)
    if move.gives_turn:
        after = replace(after, turn=True)
    if move.stamp and hasattr(after, move.stamp):  # the moments the request itself carries
        moment: dict[str, Any] = {move.stamp: at}
        after = replace(after, **moment)
    return Step(before=request, after=after, event=event, move=move)


# --- the set of signers of one message --------------------------------------------------------

CO_SIGNER_REJECTED = "co_signer_rejected"
MESSAGE_WITHDRAWN = "message_withdrawn"
MESSAGE_STATUS_AFTER = {SigningStatus.SIGNED: "signed", SigningStatus.REJECTED: "rejected",
                        SigningStatus.WITHDRAWN: "withdrawn"}


@dataclass(frozen=True)
class Settlement:
    """One signer's closing step with what it means for the set.

    `steps` holds that step first, then the moves of the others it causes; `message_status` is
    the message's new status (None: it stays open); `completed` is the last signature of a set of
    several; `turn_to` the requests whose turn came (their signers get the e-mail notice now);
    `still_open` the others that were read open and are left as they are: the settlement holds
    only while they are (a read of several items is no snapshot, so the write checks it).
    """

    steps: tuple[Step, ...]
    message_status: str | None
    completed: bool = False
    turn_to: tuple[str, ...] = ()
    still_open: tuple[SigningRequest, ...] = ()

    @property
    def step(self) -> Step:
        return self.steps[0]


def settle(step: Step, requests: Sequence[SigningRequest], at: str, actor: str) -> Settlement:
    """What `step` (signed, rejected or withdrawn) of one request means for every request of its set.

    `requests` are the set's requests as read (in order, this one included). A rejection withdraws
    every other open request; a withdrawal by the advisor withdraws them all; a signature gives the
    next signer their turn (sequential order) or, as the last one, signs the message.
    """
    own = step.after
    others = [r for r in requests if r.id != own.id]
    closing = own.status
    if closing in (SigningStatus.REJECTED, SigningStatus.WITHDRAWN):
        reason = CO_SIGNER_REJECTED if closing == SigningStatus.REJECTED else MESSAGE_WITHDRAWN
        withdrawn = tuple(advance(r, "withdrawn", at, actor if closing == SigningStatus.WITHDRAWN else "system:signing",
                                  {"reason": reason, "by_request": own.id})
                          for r in others if r.is_open)
        return Settlement((step, *withdrawn), MESSAGE_STATUS_AFTER[SigningStatus(closing)])
    if any(not r.is_open and r.status != SigningStatus.SIGNED for r in others):
        raise NotOpen()  # the set was closed meanwhile: this request is about to be withdrawn too
    if all(r.status == SigningStatus.SIGNED for r in others):
        return Settlement((step,), "signed", completed=bool(others))
    following = [r for r in others if own.envelope.position_of(r.id) > own.position and r.is_open and not r.turn]
    if own.envelope.order != "sequential" or not following:
        return Settlement((step,), None, still_open=tuple(r for r in others if r.is_open))
    nearest = min(following, key=lambda r: own.envelope.position_of(r.id))
    return Settlement((step, advance(nearest, "turn", at, "system:signing", {"after_request": own.id})), None,
                      turn_to=(nearest.id,), still_open=tuple(r for r in others if r.is_open and r.id != nearest.id))
