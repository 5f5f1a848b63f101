"""The firm's webhook endpoints: add one (its secret shown once), list, delete, rotate the secret, test, log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.clock import iso
from chalicelib.errors import Conflict, FieldError, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.validation import parse_limit, parse_place
from chalicelib.webhooks import urls
from chalicelib.webhooks.model import EVENT_TYPES, ROTATION_OVERLAP, TEST_EVENT, Delivery, DeliveryJob, Endpoint, Event
from chalicelib.webhooks.signing import new_secret

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.ports import Ports
    from chalicelib.signing.crypto import Sealed

MAX_ENDPOINTS = 20  # per firm: an event is fanned out to all of them in one transaction


def secret_context(tenant_id: str, endpoint_id: str) -> dict[str, str]:
    """What a sealed secret is bound to: it opens for this endpoint of this firm only."""
    return {"purpose": "webhook_secret", "tenant_id": tenant_id, "webhook_id": endpoint_id}


def _seal(ports: Ports, tenant_id: str, endpoint_id: str, secret: str) -> Sealed:
    return ports.vault.encrypt(secret.encode(), secret_context(tenant_id, endpoint_id))


def create_endpoint(ports: Ports, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """A new endpoint for the firm; the answer is the only place its secret is ever shown."""
    url = urls.checked(body.get("url"), local=ports.settings.is_local)
    events = body.get("events")
    if (not isinstance(events, list) or not events or not all(isinstance(e, str) and e in EVENT_TYPES for e in events)
            or len(set(events)) != len(events)):
        raise ValidationFailed(FieldError("events", "webhook_events_invalid", {"options": ", ".join(EVENT_TYPES)}))
    if len(ports.webhooks.endpoints(principal.tenant_id)) >= MAX_ENDPOINTS:
        raise Conflict("webhook_endpoints_full", maximum=MAX_ENDPOINTS)
    endpoint = Endpoint(id=new_id(), tenant_id=principal.tenant_id, url=url, events=tuple(events),
                        created_at=iso(ports.clock.now()), created_by=principal.subject_id)
    secret = new_secret()
    ports.webhooks.add_endpoint(endpoint, _seal(ports, endpoint.tenant_id, endpoint.id, secret))
    return {**endpoint.to_api(), "secret": secret}


def list_endpoints(ports: Ports, principal: Principal, limit: str | None, cursor: str | None) -> dict[str, Any]:
    """The firm's endpoints, oldest first, paged (there are at most MAX_ENDPOINTS: `cursor` is a place)."""
    endpoints = ports.webhooks.endpoints(principal.tenant_id)
    size = parse_limit(limit)
    start = parse_place(cursor, len(endpoints))
    page = endpoints[start:start + size]
    more = start + size < len(endpoints)
    return {"items": [e.to_api() for e in page], "next_cursor": str(start + size) if more else None}


def delete_endpoint(ports: Ports, principal: Principal, endpoint_id: str) -> None:
    ports.webhooks.delete_endpoint(principal.tenant_id, endpoint_id, iso(ports.clock.now()))


def rotate_secret(ports: Ports, principal: Principal, endpoint_id: str) -> dict[str, Any]:
    """A new secret; the old one signs beside it for 24 hours, so receivers can switch without a gap."""
    endpoint = ports.webhooks.endpoint(principal.tenant_id, endpoint_id)
    secret = new_secret()
    until = iso(ports.clock.now() + ROTATION_OVERLAP)
    ports.webhooks.rotate_secret(endpoint.tenant_id, endpoint.id, _seal(ports, endpoint.tenant_id, endpoint.id, secret),
                                 until)
    return {"secret": secret, "previous_valid_until": until}


def send_test(ports: Ports, principal: Principal, endpoint_id: str) -> dict[str, Any]:
    """A `webhook.test` event to this endpoint only, on its way at once."""
    endpoint = ports.webhooks.endpoint(principal.tenant_id, endpoint_id)
    if endpoint.status != "active":
        raise Conflict("webhook_disabled")
    now = iso(ports.clock.now())
    event = Event(id=f"evt_{new_id()}", tenant_id=endpoint.tenant_id, type=TEST_EVENT, created_at=now,
                  data={"webhook_id": endpoint.id, "status": "test"})
    ports.webhooks.add_delivery(Delivery(endpoint.id, event.id, endpoint.tenant_id, event.type, event.payload(), now,
                                         next_attempt_at=now))
    from chalicelib.webhooks.delivery import enqueue

    enqueue(ports, [DeliveryJob(endpoint.tenant_id, endpoint.id, event.id)])
    return {"event_id": event.id, "type": TEST_EVENT}


def list_deliveries(ports: Ports, principal: Principal, endpoint_id: str, limit: str | None,
                    cursor: str | None) -> dict[str, Any]:
    endpoint = ports.webhooks.endpoint(principal.tenant_id, endpoint_id)
    found, next_cursor = ports.webhooks.deliveries(endpoint.tenant_id, endpoint.id, parse_limit(limit), cursor)
    return {"items": [d.to_api() for d in found], "next_cursor": next_cursor}
