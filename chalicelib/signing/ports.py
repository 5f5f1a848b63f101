"""What the signing ceremony needs of the store: the steps of a request's life, each all or nothing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.messaging.model import SigningRequest
    from chalicelib.signing.audit import AuditEvent
    from chalicelib.signing.crypto import Sealed
    from chalicelib.signing.otp import OtpState
    from chalicelib.signing.states import Step


class SigningRequests(Protocol):
    """Signing requests, their audit chains, codes, SMS budgets and sealed receipts.

    Every write takes a `Step` of the state machine and holds only if the request is still where
    the step found it; the code state holds only if it is still the `before` it was derived from.
    """

    def get(self, tenant_id: str, request_id: str) -> SigningRequest:
        """The request; NotFound for an unknown one."""
        ...

    def audit_events(self, tenant_id: str, request_id: str) -> list[AuditEvent]: ...

    def code_state(self, tenant_id: str, request_id: str) -> OtpState: ...

    def reserve_sms(self, tenant_id: str, now: datetime, budget: int) -> int | None:
        """One SMS of the firm's day: how many it has used, or None when the budget is spent."""
        ...

    def release_sms(self, tenant_id: str, now: datetime) -> None: ...

    def record_code_sent(self, step: Step, before: OtpState, after: OtpState, phone_digest: str,
                         now: datetime) -> None:
        """RateLimited at the phone's or client's daily limit, or when another send got there first."""
        ...

    def undo_code_sent(self, step: Step, sent: OtpState, restored: OtpState, phone_digest: str,
                       now: datetime) -> None: ...

    def record_code_check(self, step: Step, before: OtpState, after: OtpState) -> None:
        """InvalidCode ("code_race") when another check got there first."""
        ...

    def sign(self, step: Step, before: OtpState, after: OtpState, receipt_code: str, sealed: Sealed,
             notification: dict[str, Any], phone_changed_at: str | None) -> None:
        """AlreadySigned, NotOpen or OtpRequired when the request, its code or the client's phone changed meanwhile."""
        ...

    def sealed_receipt(self, tenant_id: str, conversation_id: str, request_id: str) -> Sealed | None: ...
