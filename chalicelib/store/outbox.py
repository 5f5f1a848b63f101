"""The outbox of integration events: a step that changes a message or a request writes its event in the same
transaction, so an event exists exactly when its change committed (and none for one that did not).

The dispatcher (chalicelib/webhooks/delivery.py) finds them on the pending list of the sparse index.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.clock import parse_iso
from chalicelib.ids import new_id
from chalicelib.store import keys
from chalicelib.store.models import WebhookEventItem
from chalicelib.store.transaction import Transition

if TYPE_CHECKING:
    from chalicelib.messaging.model import Message, SigningRequest
    from chalicelib.signing.states import Settlement

KEPT = timedelta(days=30)  # an event fanned out long ago is only its deliveries' history


def emit(transition: Transition, tenant_id: str, event_type: str, at: str, **data: Any) -> None:
    """The event `event_type` of this change into its transaction: ids and states only (`data`)."""
    event_id = f"evt_{new_id()}"
    expires = int((parse_iso(at) + KEPT).timestamp())
    transition.put(f"event:{event_type}:{len(transition.puts)}", WebhookEventItem(
        keys.tenant(tenant_id), keys.webhook_event(event_id), event_id=event_id, type=event_type, created_at=at,
        data=json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":")),
        gsi2pk=keys.WEBHOOK_EVENTS_PENDING, gsi2sk=f"{at}#{event_id}", ttl=expires))


def message_event(transition: Transition, event_type: str, message: Message, status: str, at: str) -> None:
    """A message's event: the message, its client, its new status."""
    emit(transition, message.tenant_id, event_type, at, message_id=message.id, client_id=message.client_id,
         status=status, response_type=message.response_type, signing_request_id=message.signing_request_id,
         bulk_send_id=message.bulk_send_id)


def request_event(transition: Transition, event_type: str, request: SigningRequest, status: str, at: str) -> None:
    """A signing request's event: the request, its message, its signer, its new status."""
    emit(transition, request.tenant_id, event_type, at, message_id=request.message_id, signing_request_id=request.id,
         client_id=request.client_id, status=status)


# The moves of a signing request that integrators hear of, by the audit event that records them.
REQUEST_EVENTS = {"signed": "signing.signed", "rejected": "signing.rejected", "withdrawn": "signing.withdrawn",
                  "overdue": "signing.overdue"}


def settlement_events(transition: Transition, settlement: Settlement) -> None:
    """Each request's move of a settlement, and `signing.completed` when it is the set's last signature."""
    for step in settlement.steps:
        if step.event.type in REQUEST_EVENTS:
            request_event(transition, REQUEST_EVENTS[step.event.type], step.after, str(step.after.status),
                          step.event.at)
    own = settlement.step
    if settlement.completed:  # every signer of a message with co-signers has signed
        emit(transition, own.after.tenant_id, "signing.completed", own.event.at, message_id=own.after.message_id,
             client_id=own.after.envelope.signers[0].client_id, status="signed")
