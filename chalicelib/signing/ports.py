"""What the signing ceremony needs of the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.messaging.model import SigningRequest
    from chalicelib.signing.audit import AuditEvent


class SigningRequests(Protocol):
    """Signing requests, their audit chains, codes and receipts."""

    def audit_events(self, tenant_id: str, request_id: str) -> list[AuditEvent]: ...
    def get(self, tenant_id: str, request_id: str) -> SigningRequest: ...
    def new_request_item(self, request: SigningRequest) -> Any: ...
    def request_item(self, tenant_id: str, request_id: str) -> Any: ...
