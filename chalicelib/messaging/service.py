"""Reading and answering messages: the advisor's overview, the client card, the client portal."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.clock import iso
from chalicelib.errors import Conflict, NotFound, NotOpen
from chalicelib.ids import new_id
from chalicelib.messaging.model import OPEN_MESSAGE_STATES, Message, Reply
from chalicelib.messaging.notices import email_advisor, notification
from chalicelib.signing.states import SigningStatus, advance
from chalicelib.store.clients import ClientRepository
from chalicelib.store.messages import MessageRepository
from chalicelib.store.models import MessageItem, SigningRequestItem
from chalicelib.store.pages import MAX_LIMIT, parse_limit
from chalicelib.store.signing_requests import SigningRequestRepository, record_step
from chalicelib.store.transaction import Transition, TransitionRefused
from chalicelib.validation import Fields

MESSAGE_STATES = ("sent", "read", "replied", "approved", "rejected", "signed", "withdrawn")
REASON_MAX = 500


def _repository() -> MessageRepository:
    aws.bind_store()
    return MessageRepository()


def _status_filter(status: str | None) -> str | None:
    if status and status not in MESSAGE_STATES:
        from chalicelib.errors import FieldError, ValidationFailed

        raise ValidationFailed(FieldError("status", "invalid_status"))
    return status or None


# --- the advisor -------------------------------------------------------------------------


def list_messages(principal: Principal, client_id: str | None, status: str | None,
                  limit: str | None, cursor: str | None) -> dict[str, Any]:
    repository = _repository()
    wanted = _status_filter(status)
    if client_id:
        items, next_cursor = repository.list_for_client(principal.tenant_id, client_id, parse_limit(limit),
                                                        cursor, wanted)
    else:
        items, next_cursor = repository.list_for_tenant(principal.tenant_id, parse_limit(limit), cursor, wanted)
    return {"items": [m.to_api() for m in items], "next_cursor": next_cursor}


def client_card(principal: Principal, client_id: str) -> dict[str, Any]:
    """The card with every message and signing request of the client, newest first."""
    repository = _repository()
    client = ClientRepository().get(principal.tenant_id, client_id)
    messages: list[Message] = []
    cursor = None
    while True:
        page, cursor = repository.list_for_client(principal.tenant_id, client_id, MAX_LIMIT, cursor)
        messages += page
        if not cursor:
            break
    return {**client.to_api(), "messages": [m.to_api() for m in messages]}


def advisor_message(principal: Principal, message_id: str) -> dict[str, Any]:
    """A message with its conversation and, for `sign`, the signing request with its audit events."""
    repository = _repository()
    message = repository.get_message(principal.tenant_id, message_id)
    answer = message.to_api()
    answer["conversation"] = [r.to_api() for r in repository.replies(principal.tenant_id, message.conversation_id)]
    if message.signing_request_id:
        events = SigningRequestRepository().audit_events(principal.tenant_id, message.signing_request_id)
        answer["signing"]["audit_events"] = [e.to_api() for e in events]
    return answer


def withdraw(principal: Principal, request_id: str) -> dict[str, Any]:
    """The advisor withdraws an open signing request."""
    aws.bind_store()
    request = SigningRequestRepository().get(principal.tenant_id, request_id)
    at = iso(aws.clock().now())
    _close_signing(request.tenant_id, request.id, request.message_id, "withdrawn", at,
                   f"advisor:{principal.subject_id}", {}, message_fields={})
    return {"id": request_id, "status": "withdrawn"}


def notifications(principal: Principal, limit: str | None, cursor: str | None) -> dict[str, Any]:
    items, next_cursor = _repository().notifications(principal.tenant_id, principal.subject_id,
                                                     parse_limit(limit), cursor)
    return {"items": items, "next_cursor": next_cursor}


# --- the client --------------------------------------------------------------------------


def own_message(principal: Principal, message_id: str) -> Message:
    """A message of this client; another client's is NotFound, exactly like a missing one."""
    message = _repository().get_message(principal.tenant_id, message_id)
    if message.client_id != principal.subject_id:
        raise NotFound()
    return message


def portal_messages(principal: Principal, limit: str | None, cursor: str | None) -> dict[str, Any]:
    items, next_cursor = _repository().list_for_client(principal.tenant_id, principal.subject_id,
                                                       parse_limit(limit), cursor)
    return {"items": [m.to_api() for m in items], "next_cursor": next_cursor}


def open_message(principal: Principal, message_id: str) -> dict[str, Any]:
    """The message with short-lived download links; the first open marks it read (and viewed)."""
    message = own_message(principal, message_id)
    if message.status == "sent":
        _mark_read(message, f"client:{principal.subject_id}")
        message = own_message(principal, message_id)
    storage = aws.document_storage()
    answer = message.to_api()
    answer["documents"] = [
        {**d.to_api(), "content_type": d.content_type,
         "download_url": storage.download_url(d.s3_key, d.version_id, d.filename)}
        for d in message.documents
    ]
    answer["conversation"] = [r.to_api() for r in _repository().replies(principal.tenant_id, message.conversation_id)]
    return answer


def _mark_read(message: Message, actor: str) -> None:
    repository = MessageRepository()
    at = iso(aws.clock().now())
    message_actions = [MessageItem.status.set("read"), MessageItem.read_at.set(at)]
    transition = Transition()
    if message.signing_request_id:
        request = SigningRequestRepository().get(message.tenant_id, message.signing_request_id)
        if request.status == SigningStatus.SENT:
            record_step(transition, advance(request, "viewed", at, actor))
            message_actions.append(MessageItem.signing_status.set(SigningStatus.VIEWED.value))
    transition.update("message", repository.message_item(message.tenant_id, message.id), message_actions,
                      MessageItem.status == "sent")
    with contextlib.suppress(TransitionRefused):  # opened twice at once: the other open recorded it
        transition.commit()


def reply(principal: Principal, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(body)
    text = fields.text("body", max_length=20_000, multiline=True)
    fields.done()
    message = own_message(principal, message_id)
    if message.response_type != "reply":
        raise Conflict("reply_not_asked")
    if message.status not in (*OPEN_MESSAGE_STATES, "replied"):
        raise NotOpen()
    at = iso(aws.clock().now())
    answer = Reply(id=new_id(), message_id=message.id, author=f"client:{principal.subject_id}", body=str(text),
                   created_at=at)
    repository = MessageRepository()
    transition = Transition()
    transition.update("message", repository.message_item(message.tenant_id, message.id),
                      [MessageItem.status.set("replied"), MessageItem.answered_at.set(at),
                       MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove()],
                      MessageItem.status.is_in(*OPEN_MESSAGE_STATES, "replied"))
    transition.put("reply", repository.new_reply_item(message.tenant_id, message.conversation_id, answer))
    transition.put("notification", repository.new_notification_item(
        message.tenant_id, message.advisor_id, notification("replied", message, at)))
    _commit_or_not_open(transition)
    _tell_advisor("replied", message, principal)
    return answer.to_api()


def answer_approval(principal: Principal, message_id: str, approve: bool, body: dict[str, Any]) -> dict[str, Any]:
    """'Akkoord' or 'Afwijzen' on an approve message; once."""
    reason = _reason(body)
    message = own_message(principal, message_id)
    if message.response_type != "approve":
        raise Conflict("approval_not_asked")
    status = "approved" if approve else "rejected"
    at = iso(aws.clock().now())
    repository = MessageRepository()
    transition = Transition()
    actions = [MessageItem.status.set(status), MessageItem.answered_at.set(at),
               MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove()]
    if reason and not approve:
        actions.append(MessageItem.reject_reason.set(reason))
    transition.update("message", repository.message_item(message.tenant_id, message.id), actions,
                      MessageItem.status.is_in(*OPEN_MESSAGE_STATES))
    transition.put("notification", repository.new_notification_item(
        message.tenant_id, message.advisor_id, notification(status, message, at)))
    _commit_or_not_open(transition)
    _tell_advisor(status, message, principal, reason)
    return {"id": message.id, "status": status}


def reject_signing(principal: Principal, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """'Afwijzen' of a signing request, with an optional reason; it can then no longer be signed."""
    reason = _reason(body)
    request = SigningRequestRepository().get(principal.tenant_id, request_id)
    if request.client_id != principal.subject_id:
        raise NotFound()
    at = iso(aws.clock().now())
    message = _close_signing(request.tenant_id, request.id, request.message_id, "rejected", at,
                             f"client:{principal.subject_id}", {"reason": reason} if reason else {},
                             message_fields={"reject_reason": reason} if reason else {})
    _tell_advisor("rejected", message, principal, reason)
    return {"id": request_id, "status": "rejected"}


def _close_signing(tenant_id: str, request_id: str, message_id: str, status: str, at: str, actor: str,
                   data: dict[str, Any], message_fields: dict[str, Any]) -> Message:
    """Move an open request (and its message) to rejected or withdrawn, with its audit event, atomically."""
    repository = MessageRepository()
    for _ in range(3):  # a concurrent audit event may move the chain head; then read and try again
        request = SigningRequestRepository().get(tenant_id, request_id)
        step = advance(request, status, at, actor, data)  # NotOpen unless open
        message = repository.get_message(tenant_id, message_id)
        request_actions: list[Any] = []
        message_actions = [MessageItem.status.set(status), MessageItem.signing_status.set(status),
                           MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove()]
        if status == "rejected":
            message_actions.append(MessageItem.rejected_at.set(at))
        for name, value in message_fields.items():
            message_actions.append(getattr(MessageItem, name).set(value))
            if name == "reject_reason":
                request_actions.append(SigningRequestItem.reject_reason.set(value))
        transition = Transition()
        record_step(transition, step, request_actions)
        transition.update("message", repository.message_item(tenant_id, message_id), message_actions)
        if status == "rejected":
            transition.put("notification", repository.new_notification_item(
                tenant_id, message.advisor_id, notification("rejected", message, at)))
        try:
            transition.commit()
        except TransitionRefused:
            continue
        return message
    raise NotOpen()


def _reason(body: dict[str, Any]) -> str | None:
    fields = Fields(body)
    reason = fields.text("reason", required=False, max_length=REASON_MAX, multiline=True)
    fields.done()
    return reason


def _commit_or_not_open(transition: Transition) -> None:
    try:
        transition.commit()
    except TransitionRefused as exc:
        raise NotOpen() from exc


def _tell_advisor(kind: str, message: Message, principal: Principal, reason: str | None = None) -> None:
    client = ClientRepository().get(principal.tenant_id, principal.subject_id)
    email_advisor(kind, message, client.name, reason)
