"""What webhooks need of the world: endpoints, events and deliveries in the table, a queue, and a sender."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.signing.crypto import Sealed
    from chalicelib.webhooks.model import Delivery, DeliveryJob, Endpoint, Event
    from chalicelib.webhooks.urls import Target


class Webhooks(Protocol):
    def add_endpoint(self, endpoint: Endpoint, secret: Sealed) -> None: ...

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        """The firm's endpoints (active and disabled; not the deleted), oldest first."""
        ...

    def endpoint(self, tenant_id: str, endpoint_id: str) -> Endpoint:
        """NotFound for an unknown, deleted or another firm's endpoint."""
        ...

    def sealed_secrets(self, tenant_id: str, endpoint_id: str) -> tuple[Sealed, Sealed | None, str | None]:
        """The endpoint's secret, and the previous one with the moment it stops signing (None: none)."""
        ...

    def delete_endpoint(self, tenant_id: str, endpoint_id: str, at: str) -> None:
        """No longer listed nor delivered to (its log is kept); NotFound when there is none."""
        ...

    def rotate_secret(self, tenant_id: str, endpoint_id: str, secret: Sealed, previous_until: str) -> None: ...

    def pending_events(self, limit: int) -> list[Event]:
        """Events of every firm not yet turned into deliveries, oldest first."""
        ...

    def fan_out(self, event: Event, deliveries: Sequence[Delivery]) -> bool:
        """The event's deliveries stored and the event off the pending list, once: False when done already."""
        ...

    def add_delivery(self, delivery: Delivery) -> None: ...

    def delivery(self, tenant_id: str, endpoint_id: str, event_id: str) -> Delivery:
        """NotFound for an unknown one."""
        ...

    def deliveries(self, tenant_id: str, endpoint_id: str, limit: int,
                   cursor: str | None) -> tuple[list[Delivery], str | None]:
        """An endpoint's deliveries, newest first."""
        ...

    def due(self, at: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries of every firm whose next try is due by `at`, the oldest first."""
        ...

    def claim_try(self, delivery: Delivery, lease_until: datetime) -> Delivery | None:
        """The next try of a pending delivery claimed (its count up, due again at `lease_until`, should the
        try die); None when another run claimed it, or it is no longer pending."""
        ...

    def record_try(self, delivery: Delivery, before: Endpoint | None, after: Endpoint | None,
                   notification: dict[str, Any] | None) -> bool:
        """A try's outcome on the delivery (as given: status, code, next try), with the endpoint's new state
        (`after`, when it changes) and the advisor's notification, at once, on the condition that the endpoint
        is still as read (`before`); else the delivery's record alone. Whether the notification was stored."""
        ...


class WebhookQueue(Protocol):
    def put(self, jobs: Sequence[DeliveryJob], delay_seconds: int = 0) -> None:
        """DependencyFailed when the queue refuses."""
        ...


class WebhookSender(Protocol):
    def post(self, target: Target, body: bytes, headers: dict[str, str]) -> int | None:
        """The answer's status code; None when none came in time."""
        ...
