"""What the signing ceremony needs of the store: the steps of a request's life, each all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.clients.model import Client
    from chalicelib.idempotency import Answer, IdempotencyKey, Recorded
    from chalicelib.messaging.model import SigningRequest
    from chalicelib.signing.audit import AuditEvent
    from chalicelib.signing.crypto import Sealed
    from chalicelib.signing.otp import OtpState
    from chalicelib.signing.states import Settlement, Step
    from chalicelib.tenants.model import Tenant


@dataclass(frozen=True)
class StoredReceipt:
    """A receipt as kept: its code, the encrypted bundle, the seal's signature in the clear (what the
    time stamp covers) and the authority's token (None while it is pending)."""

    receipt_code: str
    sealed: Sealed
    seal_signature: str  # base64 DER, as in the seal
    timestamp: bytes | None = None


@dataclass(frozen=True)
class PendingStamp:
    """A receipt whose time stamp the authority has not given yet."""

    tenant_id: str
    conversation_id: str
    request_id: str
    seal_signature: str
    signed_at: str


@dataclass(frozen=True)
class EnvelopeState:
    """Every request of a message's set of signers, in order, and the message's `signing_version` as read:
    the set's steps write on the condition that it did not move (None for a request alone in its set, whose
    own condition is enough)."""

    requests: tuple[SigningRequest, ...]
    version: int | None


class SetMoved(Exception):
    """Another signer's step landed on the set since it was read: read it again and settle anew."""


@dataclass(frozen=True)
class Ceremony:
    """What a step of the ceremony acts on, read together in one round trip."""

    request: SigningRequest
    code: OtpState
    client: Client  # the signer, as the caller's own card
    firm: Tenant | None = None  # when asked for: the code step's SMS budget and name
    sms_sent_today: int = 0  # the firm's SMS of the day so far, when the firm was asked for
    earlier: Answer | None = None  # what the call's Idempotency-Key answered before, if anything


class SigningRequests(Protocol):
    """Signing requests, their audit chains, codes, SMS budgets and sealed receipts.

    Every write takes a `Step` of the state machine and holds only if the request is still where
    the step found it; the code state holds only if it is still the `before` it was derived from.
    """

    def get(self, tenant_id: str, request_id: str) -> SigningRequest:
        """The request; NotFound for an unknown one."""
        ...

    def audit_events(self, tenant_id: str, request_id: str) -> list[AuditEvent]: ...

    def ceremony(self, tenant_id: str, request_id: str, client_id: str, now: datetime, *, with_firm: bool = False,
                 key: IdempotencyKey | None = None) -> Ceremony:
        """The request, its code state and the client's card (with the firm and its SMS of the day, and the
        key's earlier answer, when asked), in one read; NotFound without the request or the card."""
        ...

    def code_state(self, tenant_id: str, request_id: str) -> OtpState: ...

    def record_code_sent(self, step: Step, before: OtpState, after: OtpState, phone_digest: str,
                         now: datetime, firm_budget: int) -> None:
        """RateLimited at the firm's SMS budget, the phone's or client's daily limit, or when another send
        got there first."""
        ...

    def undo_code_sent(self, step: Step, sent: OtpState, restored: OtpState, phone_digest: str,
                       now: datetime) -> None: ...

    def record_code_check(self, step: Step, before: OtpState, after: OtpState) -> None:
        """InvalidCode ("code_race") when another check got there first."""
        ...

    def envelope_state(self, request: SigningRequest) -> EnvelopeState:
        """The requests of `request`'s set and the message's version, in one read."""
        ...

    def sign(self, settlement: Settlement, version: int | None, before: OtpState, after: OtpState,
             receipt: StoredReceipt, notifications: Sequence[dict[str, Any]], phone_changed_at: str | None,
             recorded: Recorded | None = None, *, token: str | None = None, notice_due: datetime | None = None) -> None:
        """The signature (`settlement.step`) with what it means for the set, all or nothing.

        AlreadySigned, NotOpen or OtpRequired when the request, its code or the client's phone changed
        meanwhile; SetMoved when another signer's step landed since `version`; AlreadyAnswered when
        the Idempotency-Key of `recorded` was answered meanwhile. `notice_due`: when the job sends
        the notice of a signer whose turn came, should this call not get to it.
        """
        ...

    def stored_receipt(self, tenant_id: str, conversation_id: str, request_id: str) -> StoredReceipt | None: ...

    def pending_stamps(self, limit: int) -> list[PendingStamp]:
        """Receipts still waiting for their time stamp, of every firm, oldest first."""
        ...

    def record_stamp(self, pending: PendingStamp, token: bytes) -> bool:
        """The authority's token on its receipt; False when another run recorded one first."""
        ...


def set_as_it_is(signing: SigningRequests, request: SigningRequest) -> EnvelopeState:
    """The requests of `request`'s set as they are now (`request` itself as the caller has it) and the version
    to write on; a request alone in its set needs no read."""
    if not request.envelope.shared:
        return EnvelopeState((request,), None)
    state = signing.envelope_state(request)
    return EnvelopeState(tuple(request if r.id == request.id else r for r in state.requests), state.version)
