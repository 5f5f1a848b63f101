"""Webhook endpoints, the events of a firm's changes, and their deliveries (one per event and endpoint).

An event is written in the same transaction as the change it reports (the store's outbox item),
so it exists exactly when the change committed. A dispatcher turns each event into a delivery
for every endpoint of the firm that asked for its type; each delivery is tried until a 2xx
answer, on the schedule below, then marked failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

EVENT_TYPES = (
    "message.sent", "message.read", "message.replied", "message.approved", "message.rejected",
    "signing.signed", "signing.rejected", "signing.withdrawn", "signing.overdue", "signing.completed",
    "bulk_send.done",
)
TEST_EVENT = "webhook.test"  # sent on the advisor's request, to the one endpoint only
# After each failed try, the wait before the next one (API.md); after the last, the delivery fails.
RETRY_AFTER = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
               timedelta(hours=5), timedelta(hours=10), timedelta(hours=14))
ATTEMPTS = 1 + len(RETRY_AFTER)
DISABLE_AFTER = timedelta(days=3)  # an endpoint that failed every delivery this long is switched off
ROTATION_OVERLAP = timedelta(hours=24)  # the old secret signs beside the new one this long
DELIVERY_STATES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class Event:
    """One change of a firm, as integrators learn of it: ids and states only."""

    id: str  # "evt_" + a ULID: the `webhook-id` of every delivery of it
    tenant_id: str
    type: str
    created_at: str
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return {"type": self.type, "timestamp": self.created_at, "data": {"tenant_id": self.tenant_id, **self.data}}


@dataclass(frozen=True)
class Endpoint:
    id: str
    tenant_id: str
    url: str
    events: tuple[str, ...]
    created_at: str
    created_by: str  # the advisor who added it: told when it fails
    status: str = "active"  # "active" or "disabled"
    disabled_at: str | None = None
    failing_since: str | None = None  # the first failed try since the last delivery that got through
    failing_notified: bool = False

    def wants(self, event_type: str) -> bool:
        return self.status == "active" and event_type in self.events

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events), "created_at": self.created_at,
                "status": self.status, "disabled_at": self.disabled_at}


@dataclass(frozen=True)
class Secrets:
    """What signs an endpoint's deliveries: its secret, and the one before it until `previous_until`."""

    current: str
    previous: str | None = None
    previous_until: str | None = None


@dataclass(frozen=True)
class Delivery:
    endpoint_id: str
    event_id: str
    tenant_id: str
    type: str
    payload: dict[str, Any]
    created_at: str
    status: str = "pending"
    attempts: int = 0
    last_status_code: int | None = None
    next_attempt_at: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "type": self.type, "status": self.status, "attempts": self.attempts,
                "last_status_code": self.last_status_code,
                "next_attempt_at": self.next_attempt_at if self.status == "pending" else None,
                "created_at": self.created_at}


@dataclass(frozen=True)
class DeliveryJob:
    """One queue message: try this delivery now."""

    tenant_id: str
    endpoint_id: str
    event_id: str

    def to_json(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id, "endpoint_id": self.endpoint_id, "event_id": self.event_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeliveryJob:
        return cls(str(data["tenant_id"]), str(data["endpoint_id"]), str(data["event_id"]))
