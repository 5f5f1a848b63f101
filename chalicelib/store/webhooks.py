"""Webhook endpoints, the outbox's events and their deliveries in the table.

An event leaves the pending list in the transaction that stores its deliveries (on the condition
that it is still on it), so it is fanned out once. A delivery's try is claimed by moving its
count on (on the condition that nobody moved it since it was read), so it is tried once at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PynamoDBException, UpdateError

from chalicelib.clock import iso, parse_iso
from chalicelib.errors import Conflict, DependencyFailed, NotFound
from chalicelib.signing.crypto import Sealed
from chalicelib.store import keys
from chalicelib.store.models import WebhookDeliveryItem, WebhookEndpointItem, WebhookEventItem
from chalicelib.store.pages import decode_cursor, encode_cursor
from chalicelib.store.reads import get_item
from chalicelib.store.signing_requests import notification_item
from chalicelib.store.transaction import Transition, committed, condition_failed
from chalicelib.webhooks.model import Delivery, Endpoint, Event

DELIVERIES_KEPT = timedelta(days=90)


def _endpoint(tenant_id: str, item: WebhookEndpointItem) -> Endpoint:
    return Endpoint(id=item.endpoint_id, tenant_id=tenant_id, url=item.url, events=tuple(item.events),
                    created_at=item.created_at, created_by=item.created_by, status=item.status,
                    disabled_at=item.disabled_at, failing_since=item.failing_since,
                    failing_notified=bool(item.failing_notified))


def _delivery(tenant_id: str, item: WebhookDeliveryItem) -> Delivery:
    return Delivery(endpoint_id=item.endpoint_id, event_id=item.event_id, tenant_id=tenant_id, type=item.type,
                    payload=json.loads(item.payload), created_at=item.created_at, status=item.status,
                    attempts=int(item.attempts or 0),
                    last_status_code=int(item.last_status_code) if item.last_status_code is not None else None,
                    next_attempt_at=item.next_attempt_at)


def _tenant_of(pk: str) -> str:
    return pk.removeprefix(keys.tenant(""))


def _delivery_item(delivery: Delivery) -> WebhookDeliveryItem:
    return WebhookDeliveryItem(keys.tenant(delivery.tenant_id), keys.webhook_delivery(delivery.endpoint_id,
                                                                                    delivery.event_id))


def _due_fields(delivery: Delivery) -> dict[str, str]:
    return {"gsi2pk": keys.WEBHOOK_DELIVERIES_DUE,
            "gsi2sk": f"{delivery.next_attempt_at}#{delivery.tenant_id}#{delivery.endpoint_id}#{delivery.event_id}"}


def _new_delivery(delivery: Delivery) -> WebhookDeliveryItem:
    return WebhookDeliveryItem(
        keys.tenant(delivery.tenant_id), keys.webhook_delivery(delivery.endpoint_id, delivery.event_id),
        endpoint_id=delivery.endpoint_id, event_id=delivery.event_id, type=delivery.type,
        payload=json.dumps(delivery.payload, separators=(",", ":")), created_at=delivery.created_at,
        status=delivery.status, attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at,
        ttl=int((parse_iso(delivery.created_at) + DELIVERIES_KEPT).timestamp()),
        gsi2pk=_due_fields(delivery)["gsi2pk"], gsi2sk=_due_fields(delivery)["gsi2sk"])


def _sealed(ciphertext: bytes | None, key: bytes | None, nonce: bytes | None) -> Sealed | None:
    if ciphertext is None or key is None or nonce is None:
        return None
    return Sealed(ciphertext=ciphertext, encrypted_data_key=key, nonce=nonce)


def _update(item: WebhookEndpointItem, actions: list[Any], condition: Any = None) -> None:
    """NotFound when the endpoint is gone; Conflict when it is there but `condition` refused."""
    unchanged = WebhookEndpointItem.pk.exists() & (WebhookEndpointItem.status != "deleted")
    try:
        item.update(actions=actions, condition=unchanged & condition if condition is not None else unchanged)
    except UpdateError as exc:
        if condition_failed(exc):
            if condition is not None:
                raise Conflict("webhook_rotated_meanwhile") from exc
            raise NotFound() from exc
        raise DependencyFailed() from exc
    except PynamoDBException as exc:
        raise DependencyFailed() from exc


def _as_read(endpoint: Endpoint) -> Any:
    """The endpoint's condition: as it was read (its status and failing state), so two tries recording at
    once cannot both notify, nor undo each other's state."""
    item = WebhookEndpointItem
    since = (item.failing_since == endpoint.failing_since if endpoint.failing_since
             else item.failing_since.does_not_exist())
    notified = (item.failing_notified == True if endpoint.failing_notified  # noqa: E712 - an expression
                else item.failing_notified.does_not_exist() | (item.failing_notified == False))  # noqa: E712
    return (item.status == endpoint.status) & since & notified


def _endpoint_actions(endpoint: Endpoint) -> list[Any]:
    return [WebhookEndpointItem.status.set(endpoint.status), WebhookEndpointItem.disabled_at.set(endpoint.disabled_at)
            if endpoint.disabled_at else WebhookEndpointItem.disabled_at.remove(),
            WebhookEndpointItem.failing_since.set(endpoint.failing_since) if endpoint.failing_since
            else WebhookEndpointItem.failing_since.remove(),
            WebhookEndpointItem.failing_notified.set(endpoint.failing_notified)]


class WebhookRepository:
    # --- endpoints ------------------------------------------------------------------------------

    def add_endpoint(self, endpoint: Endpoint, secret: Sealed) -> None:
        item = WebhookEndpointItem(
            keys.tenant(endpoint.tenant_id), keys.webhook(endpoint.id), endpoint_id=endpoint.id, url=endpoint.url,
            events=list(endpoint.events), created_at=endpoint.created_at, created_by=endpoint.created_by,
            status=endpoint.status, secret=secret.ciphertext, secret_key=secret.encrypted_data_key,
            secret_nonce=secret.nonce)
        try:
            item.save(condition=WebhookEndpointItem.pk.does_not_exist())
        except PynamoDBException as exc:
            raise DependencyFailed() from exc

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        try:
            found = list(WebhookEndpointItem.query(keys.tenant(tenant_id),
                                                   WebhookEndpointItem.sk.startswith(keys.webhook("")),
                                                   filter_condition=WebhookEndpointItem.status != "deleted",
                                                   consistent_read=True))
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return sorted((_endpoint(tenant_id, item) for item in found), key=lambda e: e.created_at)

    def _item(self, tenant_id: str, endpoint_id: str) -> WebhookEndpointItem:
        item = get_item(WebhookEndpointItem, keys.tenant(tenant_id), keys.webhook(endpoint_id))
        if item.status == "deleted":
            raise NotFound()
        return item

    def endpoint(self, tenant_id: str, endpoint_id: str) -> Endpoint:
        return _endpoint(tenant_id, self._item(tenant_id, endpoint_id))

    def sealed_secrets(self, tenant_id: str, endpoint_id: str) -> tuple[Sealed, Sealed | None, str | None]:
        item = self._item(tenant_id, endpoint_id)
        current = _sealed(item.secret, item.secret_key, item.secret_nonce)
        assert current is not None
        return current, _sealed(item.previous_secret, item.previous_secret_key, item.previous_secret_nonce), \
            item.previous_until

    def delete_endpoint(self, tenant_id: str, endpoint_id: str, at: str) -> None:
        _update(WebhookEndpointItem(keys.tenant(tenant_id), keys.webhook(endpoint_id)),
                [WebhookEndpointItem.status.set("deleted"), WebhookEndpointItem.disabled_at.set(at)])

    def rotate_secret(self, tenant_id: str, endpoint_id: str, secret: Sealed, previous_until: str) -> None:
        """The new secret in, the current one kept as the previous; Conflict when another rotation came first."""
        item = self._item(tenant_id, endpoint_id)
        _update(item, condition=WebhookEndpointItem.secret_nonce == item.secret_nonce, actions=[
            WebhookEndpointItem.previous_secret.set(item.secret),
            WebhookEndpointItem.previous_secret_key.set(item.secret_key),
            WebhookEndpointItem.previous_secret_nonce.set(item.secret_nonce),
            WebhookEndpointItem.previous_until.set(previous_until),
            WebhookEndpointItem.secret.set(secret.ciphertext), WebhookEndpointItem.secret_key.set(
                secret.encrypted_data_key), WebhookEndpointItem.secret_nonce.set(secret.nonce)])

    # --- events and deliveries ------------------------------------------------------------------

    def pending_events(self, limit: int) -> list[Event]:
        try:
            found = list(WebhookEventItem.pending.query(keys.WEBHOOK_EVENTS_PENDING, limit=limit))
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return [Event(id=item.event_id, tenant_id=_tenant_of(item.pk), type=item.type, created_at=item.created_at,
                      data=json.loads(item.data)) for item in found]

    def fan_out(self, event: Event, deliveries: Sequence[Delivery]) -> bool:
        transition = Transition()
        transition.update("event", WebhookEventItem(keys.tenant(event.tenant_id), keys.webhook_event(event.id)),
                          [WebhookEventItem.gsi2pk.remove(), WebhookEventItem.gsi2sk.remove()],
                          WebhookEventItem.gsi2pk.exists())
        for n, delivery in enumerate(deliveries):
            transition.put(f"delivery_{n}", _new_delivery(delivery))
        return committed(transition)

    def add_delivery(self, delivery: Delivery) -> None:
        try:
            _new_delivery(delivery).save(condition=WebhookDeliveryItem.pk.does_not_exist())
        except PynamoDBException as exc:
            raise DependencyFailed() from exc

    def delivery(self, tenant_id: str, endpoint_id: str, event_id: str) -> Delivery:
        return _delivery(tenant_id, get_item(WebhookDeliveryItem, keys.tenant(tenant_id),
                                             keys.webhook_delivery(endpoint_id, event_id)))

    def deliveries(self, tenant_id: str, endpoint_id: str, limit: int,
                   cursor: str | None) -> tuple[list[Delivery], str | None]:
        pk, prefix = keys.tenant(tenant_id), keys.webhook_delivery(endpoint_id, "")
        results = WebhookDeliveryItem.query(pk, WebhookDeliveryItem.sk.startswith(prefix), scan_index_forward=False,
                                            limit=limit, last_evaluated_key=decode_cursor(
                                                cursor, partition=("pk", pk), prefixes={"sk": prefix}))
        try:
            found = [_delivery(tenant_id, item) for item in results]
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return found, encode_cursor(results.last_evaluated_key if len(found) == limit else None)

    def due(self, at: datetime, limit: int) -> list[Delivery]:
        try:
            found = list(WebhookDeliveryItem.due.query(keys.WEBHOOK_DELIVERIES_DUE,
                                                       WebhookDeliveryItem.gsi2sk <= f"{iso(at)}#~", limit=limit))
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        return [_delivery(_tenant_of(item.pk), item) for item in found]

    def claim_try(self, delivery: Delivery, lease_until: datetime) -> Delivery | None:
        claimed = replace(delivery, attempts=delivery.attempts + 1, next_attempt_at=iso(lease_until))
        transition = Transition()
        transition.update("delivery", _delivery_item(delivery), [
            WebhookDeliveryItem.attempts.set(claimed.attempts),
            WebhookDeliveryItem.next_attempt_at.set(iso(lease_until)),
            WebhookDeliveryItem.gsi2sk.set(_due_fields(claimed)["gsi2sk"])],
            (WebhookDeliveryItem.status == "pending") & (WebhookDeliveryItem.attempts == delivery.attempts))
        return claimed if committed(transition) else None

    def record_try(self, delivery: Delivery, before: Endpoint | None, after: Endpoint | None,
                   notification: dict[str, Any] | None) -> bool:
        actions = [WebhookDeliveryItem.status.set(delivery.status)]
        if delivery.last_status_code is not None:
            actions.append(WebhookDeliveryItem.last_status_code.set(delivery.last_status_code))
        if delivery.status == "pending" and delivery.next_attempt_at:
            due = _due_fields(delivery)
            actions += [WebhookDeliveryItem.next_attempt_at.set(delivery.next_attempt_at),
                        WebhookDeliveryItem.gsi2pk.set(due["gsi2pk"]), WebhookDeliveryItem.gsi2sk.set(due["gsi2sk"])]
        else:
            actions += [WebhookDeliveryItem.next_attempt_at.remove(), WebhookDeliveryItem.gsi2pk.remove(),
                        WebhookDeliveryItem.gsi2sk.remove()]
        transition = Transition()
        transition.update("delivery", _delivery_item(delivery), actions,
                          WebhookDeliveryItem.attempts == delivery.attempts)
        if after is not None and before is not None:
            transition.update("endpoint", WebhookEndpointItem(keys.tenant(after.tenant_id), keys.webhook(after.id)),
                              _endpoint_actions(after), _as_read(before))
            if notification is not None:
                transition.put("notification", notification_item(after.tenant_id, after.created_by, notification))
        if committed(transition):
            return notification is not None
        # The endpoint moved since it was read (another try recorded first, or it was deleted): its state is
        # that try's to set, and so is the notification; this try's own record still counts.
        single = Transition()
        single.update("delivery", _delivery_item(delivery), actions,
                      WebhookDeliveryItem.attempts == delivery.attempts)
        committed(single)
        return False
