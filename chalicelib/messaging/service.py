"""Reading and answering messages: the advisor's overview, the client card, the client portal."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from chalicelib.clock import back_off, iso
from chalicelib.errors import Conflict, FieldError, NotFound, NotOpen, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.messaging.model import MESSAGE_STATES, REPLYABLE_MESSAGE_STATES, Message, Reply
from chalicelib.messaging.notices import email_advisor, notification, request_notification
from chalicelib.signing.ports import set_as_it_is
from chalicelib.signing.states import SigningStatus, advance, settle
from chalicelib.validation import MAX_LIMIT, Fields, parse_limit

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.messaging.model import SigningRequest
    from chalicelib.ports import Ports

REASON_MAX = 500
# A closing step meets a moved chain head when another event (a code, a reminder) lands at the
# same moment: it reads the request again and advances anew, this many times.
CLOSE_ATTEMPTS = 4


def _status_filter(status: str | None) -> str | None:
    if status and status not in MESSAGE_STATES:
        raise ValidationFailed(FieldError("status", "invalid_status"))
    return status or None


# --- the advisor -------------------------------------------------------------------------


def list_messages(ports: Ports, principal: Principal, client_id: str | None, status: str | None,
                  limit: str | None, cursor: str | None) -> dict[str, Any]:
    """The firm's messages (or one client's), newest first, optionally of one status."""
    wanted, page_size = _status_filter(status), parse_limit(limit)
    if client_id:
        items, next_cursor = ports.messages.list_for_client(principal.tenant_id, client_id, page_size, cursor, wanted)
    else:
        items, next_cursor = ports.messages.list_for_tenant(principal.tenant_id, page_size, cursor, wanted)
    return {"items": [m.to_api() for m in items], "next_cursor": next_cursor}


def client_card(ports: Ports, principal: Principal, client_id: str) -> dict[str, Any]:
    """The card with every message and signing request of the client, newest first."""
    client = ports.clients.get(principal.tenant_id, client_id)
    messages: list[Message] = []
    cursor = None
    while True:
        page, cursor = ports.messages.list_for_client(principal.tenant_id, client_id, MAX_LIMIT, cursor)
        messages += page
        if not cursor:
            break
    return {**client.to_api(), "messages": [m.to_api() for m in messages]}


def advisor_message(ports: Ports, principal: Principal, message_id: str) -> dict[str, Any]:
    """A message with its conversation and, for `sign`, the signing request with its audit events (and, with
    co-signers, each signer's own, in `signings`)."""
    message = ports.messages.get_message(principal.tenant_id, message_id)
    answer = message.to_api()
    answer["conversation"] = _conversation(ports, message)
    if message.signing_request_id:
        trails = {s["id"]: [e.to_api() for e in ports.signing.audit_events(principal.tenant_id, s["id"])]
                  for s in answer["signings"]}
        answer["signing"]["audit_events"] = trails[message.signing_request_id]
        if len(trails) > 1:
            answer["signings"] = [{**s, "audit_events": trails[s["id"]]} for s in answer["signings"]]
    return answer


def withdraw(ports: Ports, principal: Principal, request_id: str) -> dict[str, Any]:
    """The advisor withdraws an open signing request."""
    request = ports.signing.get(principal.tenant_id, request_id)
    _close_signing(ports, request, "withdrawn", f"advisor:{principal.subject_id}", reason=None)
    return {"id": request_id, "status": "withdrawn"}


def withdraw_approval(ports: Ports, principal: Principal, message_id: str) -> dict[str, Any]:
    """The advisor withdraws an open approval request ("akkoord"); NotOpen once it was answered."""
    message = ports.messages.get_message(principal.tenant_id, message_id)
    if message.response_type != "approve":
        raise Conflict("approval_not_asked")
    ports.messages.withdraw_message(message, iso(ports.clock.now()))
    return {"id": message.id, "status": "withdrawn"}


def notifications(ports: Ports, principal: Principal, limit: str | None, cursor: str | None,
                  unread: str | None = None) -> dict[str, Any]:
    """The advisor's notifications (only the unread ones, with `?unread=true`), newest first."""
    if unread not in (None, "", "true", "false"):
        raise ValidationFailed(FieldError("unread", "invalid_boolean"))
    items, next_cursor = ports.messages.list_notifications(principal.tenant_id, principal.subject_id,
                                                           parse_limit(limit), cursor, unread_only=unread == "true")
    return {"items": items, "next_cursor": next_cursor}


def mark_notification_read(ports: Ports, principal: Principal, notification_id: str) -> dict[str, Any]:
    """One of the advisor's own notifications, marked read; another's is NotFound, like a missing one."""
    return ports.messages.mark_notification_read(principal.tenant_id, principal.subject_id, notification_id)


def mark_all_read(ports: Ports, principal: Principal) -> dict[str, Any]:
    """Every unread notification of the advisor, marked read; how many."""
    return {"marked": ports.messages.mark_all_read(principal.tenant_id, principal.subject_id)}


# --- the client --------------------------------------------------------------------------


def own_message(ports: Ports, principal: Principal, message_id: str) -> Message:
    """A message of this client, or one they co-sign; another client's is NotFound, exactly like a missing one."""
    message = ports.messages.get_message(principal.tenant_id, message_id)
    if message.client_id != principal.subject_id and message.signer(principal.subject_id) is None:
        raise NotFound()
    return message


def portal_view(message: Message, client_id: str) -> dict[str, Any]:
    """A message as a signer sees it: which request of the set is theirs, and no other signer's reason."""
    answer = message.to_api()
    if answer["signing"] is not None and message.client_id != client_id:
        answer["signing"] = {**answer["signing"], "reject_reason": None}  # the client's reason is not a co-signer's
    answer["signings"] = [
        {**state, "own": state["client_id"] == client_id,
         "reject_reason": state["reject_reason"] if state["client_id"] == client_id else None}
        for state in answer["signings"]]
    return answer


def portal_messages(ports: Ports, principal: Principal, limit: str | None, cursor: str | None) -> dict[str, Any]:
    """The client's overview (with the messages they co-sign), newest first."""
    items, next_cursor = ports.messages.list_for_client(principal.tenant_id, principal.subject_id,
                                                        parse_limit(limit), cursor)
    return {"items": [portal_view(m, principal.subject_id) for m in items], "next_cursor": next_cursor}


def open_message(ports: Ports, principal: Principal, message_id: str) -> dict[str, Any]:
    """The message with short-lived download links; the first open marks it read (and its request viewed).

    A co-signer's first open marks only their own request viewed: the message is the client's.
    """
    message = own_message(ports, principal, message_id)
    actor = f"client:{principal.subject_id}"
    if message.client_id != principal.subject_id:
        state = message.signer(principal.subject_id)
        if state is not None and state.status == SigningStatus.SENT:
            message = _co_signer_viewed(ports, message, ports.signing.get(message.tenant_id, state.request_id), actor)
    elif message.status == "sent":
        message = _mark_read(ports, message, actor)
    answer = portal_view(message, principal.subject_id)
    answer["documents"] = [
        {**d.to_api(), "content_type": d.content_type,
         "download_url": ports.files.download_url(d.s3_key, d.version_id, d.filename)}
        for d in message.documents
    ]
    answer["conversation"] = _conversation(ports, message)
    return answer


def view_signing_request(ports: Ports, principal: Principal, request: SigningRequest) -> SigningRequest:
    """The signing screen opened before its message: that first look opens the message too (read, and viewed)."""
    message = own_message(ports, principal, request.message_id)
    actor = f"client:{principal.subject_id}"
    if message.client_id != principal.subject_id:
        _co_signer_viewed(ports, message, request, actor)
    elif message.status == "sent":
        _mark_read(ports, message, actor, request)
    return ports.signing.get(request.tenant_id, request.id)


def _co_signer_viewed(ports: Ports, message: Message, request: SigningRequest, actor: str) -> Message:
    """A co-signer's first look at their request: `viewed`, on the message's copy too."""
    if request.status == SigningStatus.SENT:
        with contextlib.suppress(NotOpen):  # viewed at the same moment by another open, or closed meanwhile
            ports.messages.mark_viewed(message, advance(request, "viewed", iso(ports.clock.now()), actor))
    return ports.messages.get_message(message.tenant_id, message.id)


def _conversation(ports: Ports, message: Message) -> list[dict[str, Any]]:
    """The replies to a message; only a message that asks for one can have them, so no other is queried."""
    if message.response_type != "reply":
        return []
    return [r.to_api() for r in ports.messages.replies(message.tenant_id, message.conversation_id)]


def _mark_read(ports: Ports, message: Message, actor: str, request: SigningRequest | None = None) -> Message:
    """The message as it is once read: by this open, or by another open at the same moment."""
    at = iso(ports.clock.now())
    step = None
    if message.signing_request_id:
        request = request or ports.signing.get(message.tenant_id, message.signing_request_id)
        if request.status == SigningStatus.SENT:
            step = advance(request, "viewed", at, actor)
    try:
        return ports.messages.mark_read(message, at, step)
    except NotOpen:  # opened twice at once: the other open recorded it
        return ports.messages.get_message(message.tenant_id, message.id)


def reply(ports: Ports, principal: Principal, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The client's reply to a message that asks one; more replies may follow."""
    fields = Fields(body)
    text = fields.text("body", max_length=20_000, multiline=True)
    fields.done()
    message = own_message(ports, principal, message_id)
    if message.response_type != "reply":
        raise Conflict("reply_not_asked")
    if message.status not in REPLYABLE_MESSAGE_STATES:
        raise NotOpen()
    at = iso(ports.clock.now())
    answer = Reply(id=new_id(), message_id=message.id, author=f"client:{principal.subject_id}", body=str(text),
                   created_at=at)
    ports.messages.reply(message, answer, notification("replied", message, at))
    _tell_advisor(ports, "replied", message, principal)
    return answer.to_api()


def answer_approval(ports: Ports, principal: Principal, message_id: str, approve: bool,
                    body: dict[str, Any]) -> dict[str, Any]:
    """'Akkoord' or 'Afwijzen' on an approve message; once."""
    reason = _reason(body)
    message = own_message(ports, principal, message_id)
    if message.response_type != "approve":
        raise Conflict("approval_not_asked")
    status = "approved" if approve else "rejected"
    at = iso(ports.clock.now())
    ports.messages.answer(message, status, at, None if approve else reason, notification(status, message, at))
    _tell_advisor(ports, status, message, principal, reason)
    return {"id": message.id, "status": status}


def reject_signing(ports: Ports, principal: Principal, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """'Afwijzen' of a signing request, with an optional reason; it can then no longer be signed."""
    reason = _reason(body)
    request = ports.signing.get(principal.tenant_id, request_id)
    if request.client_id != principal.subject_id:
        raise NotFound()
    _close_signing(ports, request, "rejected", f"client:{principal.subject_id}", reason)
    email_advisor(ports, "rejected", request.origin, request.signer_name or _client_name(ports, principal), reason)
    return {"id": request_id, "status": "rejected"}


def _close_signing(ports: Ports, request: SigningRequest, event_type: str, actor: str, reason: str | None) -> None:
    """Move an open request to rejected or withdrawn, with what that means for its set (the others withdrawn)
    and its message, and their audit events, atomically.

    A rejection notifies the advisor in the same write; a withdrawal is the advisor's own doing. A
    step that meets a moved request, set or message reads them again and settles anew.
    """
    at = iso(ports.clock.now())
    for attempt in range(CLOSE_ATTEMPTS):
        if attempt:
            back_off(attempt)
            request = ports.signing.get(request.tenant_id, request.id)
        step = advance(request, event_type, at, actor, {"reason": reason} if reason else {})  # NotOpen unless open
        state = set_as_it_is(ports.signing, request)
        settlement = settle(step, state.requests, at, actor)
        note = request_notification("rejected", request, at) if event_type == "rejected" else None
        try:
            ports.messages.close_signing(settlement, state.version, reason, note)
        except NotOpen:
            continue  # the request or its set moved meanwhile: read it again
        return
    raise NotOpen()


def _reason(body: dict[str, Any]) -> str | None:
    fields = Fields(body)
    reason = fields.text("reason", required=False, max_length=REASON_MAX, multiline=True)
    fields.done()
    return reason


def _client_name(ports: Ports, principal: Principal) -> str:
    return ports.clients.get(principal.tenant_id, principal.subject_id).name


def _tell_advisor(ports: Ports, kind: str, message: Message, principal: Principal, reason: str | None = None) -> None:
    client = ports.clients.get(principal.tenant_id, principal.subject_id)
    email_advisor(ports, kind, message.origin, client.name, reason)
