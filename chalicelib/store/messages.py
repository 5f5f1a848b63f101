"""Messages, signing requests, their audit chains, replies and advisor notifications."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import DependencyFailed, NotFound
from chalicelib.messaging.model import DocumentRef, Message, Reply, SigningRequest
from chalicelib.signing.audit import AuditEvent
from chalicelib.signing.states import Step
from chalicelib.store import keys
from chalicelib.store.connection import shared_connection
from chalicelib.store.models import (
    AuditEventItem,
    Item,
    KeyClaimItem,
    MessageItem,
    NotificationItem,
    ReplyItem,
    SigningRequestItem,
)
from chalicelib.store.models import DocumentRef as DocumentRefAttribute
from chalicelib.store.pages import decode_cursor, encode_cursor


class TransitionRefused(Exception):
    """A condition of a transaction failed; `failed` names which parts refused."""

    def __init__(self, failed: set[str]) -> None:
        super().__init__(", ".join(sorted(failed)))
        self.failed = failed


def _document_ref(attribute: DocumentRefAttribute) -> DocumentRef:
    return DocumentRef(id=attribute.id, filename=attribute.filename, content_type=attribute.content_type,
                       size=int(attribute.size), sha256=attribute.sha256, s3_key=attribute.s3_key,
                       version_id=attribute.version_id)


def _document_attribute(ref: DocumentRef) -> DocumentRefAttribute:
    return DocumentRefAttribute(id=ref.id, filename=ref.filename, content_type=ref.content_type, size=ref.size,
                                sha256=ref.sha256, s3_key=ref.s3_key, version_id=ref.version_id)


def to_message(tenant_id: str, item: MessageItem) -> Message:
    return Message(
        id=item.message_id, tenant_id=tenant_id, conversation_id=item.conversation_id, client_id=item.client_id,
        advisor_id=item.advisor_id, subject=item.subject, body=item.body, response_type=item.response_type,
        documents=tuple(_document_ref(d) for d in item.documents or []), status=item.status,
        deadline=item.deadline, created_at=item.created_at, signing_request_id=item.signing_request_id,
        signing_status=item.signing_status, signed_at=item.signed_at, rejected_at=item.rejected_at,
        reject_reason=item.reject_reason, overdue=bool(item.overdue), notice_status=item.notice_status,
    )


def to_signing_request(tenant_id: str, item: SigningRequestItem) -> SigningRequest:
    return SigningRequest(
        id=item.request_id, tenant_id=tenant_id, message_id=item.message_id, conversation_id=item.conversation_id,
        client_id=item.client_id, advisor_id=item.advisor_id, status=item.status, deadline=item.deadline,
        document=_document_ref(item.document), created_at=item.created_at, audit_seq=int(item.audit_seq),
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


@dataclass
class Transition:
    """One all-or-nothing change: updates with their conditions, and new items."""

    updates: list[tuple[str, Model, list[Action], Condition | None]] = field(default_factory=list)
    puts: list[tuple[str, Model]] = field(default_factory=list)
    checks: list[tuple[str, Item, Condition]] = field(default_factory=list)

    def update(self, name: str, item: Model, actions: Sequence[Action], condition: Condition | None = None) -> None:
        self.updates.append((name, item, list(actions), condition))

    def put(self, name: str, item: Model) -> None:
        """A new item: refused when one with its key exists."""
        self.puts.append((name, item))

    def check(self, name: str, item: Item, condition: Condition) -> None:
        """A condition on an item that the change does not write."""
        self.checks.append((name, item, condition))

    def commit(self) -> None:
        # PynamoDB sends condition checks first, then puts, then updates: the reasons come in that order.
        names = ([name for name, *_ in self.checks] + [name for name, _ in self.puts]
                 + [name for name, *_ in self.updates])
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                for _, checked, check in self.checks:
                    tx.condition_check(type(checked), checked.pk, checked.sk, condition=check)
                for _, item, actions, condition in self.updates:
                    tx.update(item, actions=actions, condition=condition)
                for _, item in self.puts:
                    tx.save(item, condition=Item.pk.does_not_exist())
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            failed = {names[i] for i, reason in enumerate(reasons) if reason and reason.code == "ConditionalCheckFailed"}
            if not failed:  # throttled, failed or timed out: the caller may retry
                raise DependencyFailed() from exc
            raise TransitionRefused(failed) from exc


class MessageRepository:
    def message_item(self, tenant_id: str, message_id: str) -> MessageItem:
        return MessageItem(keys.tenant(tenant_id), keys.message(message_id))

    def request_item(self, tenant_id: str, request_id: str) -> SigningRequestItem:
        return SigningRequestItem(keys.tenant(tenant_id), keys.signing_request(request_id))

    def new_message_item(self, message: Message) -> MessageItem:
        return MessageItem(
            keys.tenant(message.tenant_id), keys.message(message.id), message_id=message.id,
            conversation_id=message.conversation_id, client_id=message.client_id, advisor_id=message.advisor_id,
            subject=message.subject, body=message.body, response_type=message.response_type,
            documents=[_document_attribute(d) for d in message.documents], status=message.status,
            deadline=message.deadline, created_at=message.created_at,
            signing_request_id=message.signing_request_id, signing_status=message.signing_status,
            notice_status=message.notice_status,
            gsi1pk=keys.client_messages(message.tenant_id, message.client_id), gsi1sk=keys.message(message.id),
        )

    def new_request_item(self, request: SigningRequest) -> SigningRequestItem:
        return SigningRequestItem(
            keys.tenant(request.tenant_id), keys.signing_request(request.id), request_id=request.id,
            message_id=request.message_id, conversation_id=request.conversation_id, client_id=request.client_id,
            advisor_id=request.advisor_id, status=request.status, deadline=request.deadline,
            document=_document_attribute(request.document), created_at=request.created_at,
            audit_seq=request.audit_seq, audit_head=request.audit_head, signer_name=request.signer_name,
        )

    def get_message(self, tenant_id: str, message_id: str) -> Message:
        try:
            return to_message(tenant_id, MessageItem.get(keys.tenant(tenant_id), keys.message(message_id)))
        except DoesNotExist as exc:
            raise NotFound() from exc

    def get_request(self, tenant_id: str, request_id: str) -> SigningRequest:
        try:
            item = SigningRequestItem.get(keys.tenant(tenant_id), keys.signing_request(request_id))
        except DoesNotExist as exc:
            raise NotFound() from exc
        return to_signing_request(tenant_id, item)

    def list_for_client(self, tenant_id: str, client_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]:
        """A client's messages, newest first (one Query on the by-client index)."""
        pk = keys.client_messages(tenant_id, client_id)
        results = MessageItem.by_client.query(
            pk, filter_condition=(MessageItem.status == status) if status else None, scan_index_forward=False,
            limit=limit, last_evaluated_key=decode_cursor(cursor, partition=("gsi1pk", pk), prefixes={
                "gsi1sk": "MSG#", "pk": keys.tenant(tenant_id), "sk": "MSG#"}),
        )
        items = [to_message(tenant_id, item) for item in results]
        return items, encode_cursor(results.last_evaluated_key if len(items) == limit else None)

    def list_for_tenant(self, tenant_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]:
        pk = keys.tenant(tenant_id)
        condition = MessageItem.status == status if status else None
        results = MessageItem.query(
            pk, MessageItem.sk.startswith("MSG#"), filter_condition=condition, scan_index_forward=False,
            limit=limit, last_evaluated_key=decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": "MSG#"}),
        )
        items = [to_message(tenant_id, item) for item in results]
        return items, encode_cursor(results.last_evaluated_key if len(items) == limit else None)

    def audit_events(self, tenant_id: str, request_id: str) -> list[AuditEvent]:
        return [
            AuditEvent(seq=int(i.seq), type=i.type, at=i.at, actor=i.actor, data=json.loads(i.data),
                       prev_hash=i.prev_hash, hash=i.hash)
            for i in AuditEventItem.query(keys.audit_chain(tenant_id, request_id),
                                          AuditEventItem.sk.startswith("EVENT#"))
        ]

    def replies(self, tenant_id: str, conversation_id: str) -> list[Reply]:
        return [
            Reply(id=i.reply_id, message_id=i.message_id, author=i.author, body=i.body, created_at=i.created_at)
            for i in ReplyItem.query(keys.conversation(tenant_id, conversation_id), ReplyItem.sk.startswith("REPLY#"))
        ]

    def new_reply_item(self, tenant_id: str, conversation_id: str, reply: Reply) -> ReplyItem:
        return ReplyItem(keys.conversation(tenant_id, conversation_id), keys.reply(reply.id), reply_id=reply.id,
                         message_id=reply.message_id, author=reply.author, body=reply.body,
                         created_at=reply.created_at)

    def new_notification_item(self, tenant_id: str, advisor_id: str, notification: dict[str, Any]) -> NotificationItem:
        return NotificationItem(
            keys.advisor_inbox(tenant_id, advisor_id), keys.notification(notification["id"]),
            notification_id=notification["id"], type=notification["type"], message_id=notification["message_id"],
            signing_request_id=notification.get("signing_request_id"), client_id=notification["client_id"],
            created_at=notification["created_at"],
        )

    def notifications(self, tenant_id: str, advisor_id: str, limit: int,
                      cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        pk = keys.advisor_inbox(tenant_id, advisor_id)
        results = NotificationItem.query(
            pk, NotificationItem.sk.startswith("NOTIF#"), scan_index_forward=False, limit=limit,
            last_evaluated_key=decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": "NOTIF#"}),
        )
        items = [
            {"id": i.notification_id, "type": i.type, "message_id": i.message_id,
             "signing_request_id": i.signing_request_id, "client_id": i.client_id, "created_at": i.created_at,
             "read": bool(i.read)}
            for i in results
        ]
        return items, encode_cursor(results.last_evaluated_key if len(items) == limit else None)

    def notice_sent(self, tenant_id: str, message_id: str, schedule: dict[str, Any]) -> None:
        """The notice is out: from now on the message is due only for its reminders (if any)."""
        actions: list[Action] = [MessageItem.notice_status.set("sent")]
        for attribute in (MessageItem.next_reminder_at, MessageItem.gsi2pk, MessageItem.gsi2sk):
            value = schedule.get(attribute.attr_name)
            actions.append(attribute.set(value) if value else attribute.remove())
        self.message_item(tenant_id, message_id).update(actions=actions)

    def new_key_claim(self, tenant_id: str, request_key: str, message_id: str, now: datetime) -> KeyClaimItem:
        """Ties an Idempotency-Key to the one message it created (kept a day, past the replay window)."""
        return KeyClaimItem(keys.tenant(tenant_id), keys.send_key(request_key), message_id=message_id,
                            ttl=int((now + timedelta(days=1)).timestamp()))

    def key_claim(self, tenant_id: str, request_key: str) -> str:
        return str(KeyClaimItem.get(keys.tenant(tenant_id), keys.send_key(request_key), consistent_read=True).message_id)

    def mark_notice_failed(self, tenant_id: str, message_id: str, retry_at: datetime) -> None:
        """Record a failed e-mail notice and make the message due for the job, which sends it again."""
        from chalicelib.reminders.schedule import index_fields

        fields = index_fields(message_id, retry_at)
        self.message_item(tenant_id, message_id).update(actions=[
            MessageItem.notice_status.set("failed"), MessageItem.next_reminder_at.set(fields["next_reminder_at"]),
            MessageItem.gsi2pk.set(fields["gsi2pk"]), MessageItem.gsi2sk.set(fields["gsi2sk"]),
        ])
