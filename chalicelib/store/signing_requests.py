"""Signing requests in the table: reading them, their audit chains, and writing a step of their life."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from chalicelib.errors import NotFound
from chalicelib.messaging.model import SigningRequest
from chalicelib.signing.audit import AuditEvent
from chalicelib.signing.states import SigningStatus, Step
from chalicelib.store import keys
from chalicelib.store.document_refs import document_attribute, document_ref
from chalicelib.store.models import AuditEventItem, SigningRequestItem
from chalicelib.store.transaction import Transition


def to_signing_request(tenant_id: str, item: SigningRequestItem) -> SigningRequest:
    return SigningRequest(
        id=item.request_id, tenant_id=tenant_id, message_id=item.message_id, conversation_id=item.conversation_id,
        client_id=item.client_id, advisor_id=item.advisor_id, status=SigningStatus(item.status),
        deadline=item.deadline, document=document_ref(item.document), created_at=item.created_at, audit_seq=int(item.audit_seq),
        audit_head=item.audit_head, signed_at=item.signed_at, rejected_at=item.rejected_at,
        reject_reason=item.reject_reason, signer_name=item.signer_name,
    )


def audit_item(tenant_id: str, request_id: str, event: AuditEvent) -> AuditEventItem:
    return AuditEventItem(
        keys.audit_chain(tenant_id, request_id), keys.audit_event(event.seq), seq=event.seq, type=event.type,
        at=event.at, actor=event.actor, data=json.dumps(event.data, sort_keys=True, separators=(",", ":")),
        prev_hash=event.prev_hash, hash=event.hash,
    )


def record_step(transition: Transition, step: Step, extra: Sequence[Action] = ()) -> None:
    """Write a request's step and its audit event into `transition`.

    The condition is the state machine's: the request is still where the step found it (its chain
    head, and a status the move is allowed from), so a concurrent change refuses ("request").
    """
    request, event, move = step.before, step.event, step.move
    actions: list[Action] = [SigningRequestItem.audit_seq.set(event.seq), SigningRequestItem.audit_head.set(event.hash)]
    if move.to is not None:
        actions.append(SigningRequestItem.status.set(str(move.to)))
    if move.stamp is not None:
        actions.append(getattr(SigningRequestItem, move.stamp).set(event.at))
    still_there = ((SigningRequestItem.audit_seq == request.audit_seq)
                   & SigningRequestItem.status.is_in(*(str(s) for s in move.allowed_from)))
    transition.update("request", SigningRequestItem(keys.tenant(request.tenant_id), keys.signing_request(request.id)),
                      [*actions, *extra], still_there)
    transition.put("audit", audit_item(request.tenant_id, request.id, event))


class SigningRequestRepository:
    def get(self, tenant_id: str, request_id: str) -> SigningRequest:
        try:
            item = SigningRequestItem.get(keys.tenant(tenant_id), keys.signing_request(request_id))
        except DoesNotExist as exc:
            raise NotFound() from exc
        return to_signing_request(tenant_id, item)

    def audit_events(self, tenant_id: str, request_id: str) -> list[AuditEvent]:
        return [
            AuditEvent(seq=int(i.seq), type=i.type, at=i.at, actor=i.actor, data=json.loads(i.data),
                       prev_hash=i.prev_hash, hash=i.hash)
            for i in AuditEventItem.query(keys.audit_chain(tenant_id, request_id),
                                          AuditEventItem.sk.startswith("EVENT#"))
        ]

    def new_request_item(self, request: SigningRequest) -> SigningRequestItem:
        return SigningRequestItem(
            keys.tenant(request.tenant_id), keys.signing_request(request.id), request_id=request.id,
            message_id=request.message_id, conversation_id=request.conversation_id, client_id=request.client_id,
            advisor_id=request.advisor_id, status=request.status, deadline=request.deadline,
            document=document_attribute(request.document), created_at=request.created_at,
            audit_seq=request.audit_seq, audit_head=request.audit_head, signer_name=request.signer_name,
        )

    def request_item(self, tenant_id: str, request_id: str) -> SigningRequestItem:
        return SigningRequestItem(keys.tenant(tenant_id), keys.signing_request(request_id))

