"""Messages, signing requests, their audit chains, replies and advisor notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from chalicelib.errors import NotFound
from chalicelib.messaging.model import Message, Reply
from chalicelib.store import keys
from chalicelib.store.document_refs import document_attribute, document_ref
from chalicelib.store.models import (
    KeyClaimItem,
    MessageItem,
    NotificationItem,
    ReplyItem,
)
from chalicelib.store.pages import decode_cursor, encode_cursor


def to_message(tenant_id: str, item: MessageItem) -> Message:
    return Message(
        id=item.message_id, tenant_id=tenant_id, conversation_id=item.conversation_id, client_id=item.client_id,
        advisor_id=item.advisor_id, subject=item.subject, body=item.body, response_type=item.response_type,
        documents=tuple(document_ref(d) for d in item.documents or []), status=item.status,
        deadline=item.deadline, created_at=item.created_at, signing_request_id=item.signing_request_id,
        signing_status=item.signing_status, signed_at=item.signed_at, rejected_at=item.rejected_at,
        reject_reason=item.reject_reason, overdue=bool(item.overdue), notice_status=item.notice_status,
    )


class MessageRepository:
    def message_item(self, tenant_id: str, message_id: str) -> MessageItem:
        return MessageItem(keys.tenant(tenant_id), keys.message(message_id))

    def new_message_item(self, message: Message) -> MessageItem:
        return MessageItem(
            keys.tenant(message.tenant_id), keys.message(message.id), message_id=message.id,
            conversation_id=message.conversation_id, client_id=message.client_id, advisor_id=message.advisor_id,
            subject=message.subject, body=message.body, response_type=message.response_type,
            documents=[document_attribute(d) for d in message.documents], status=message.status,
            deadline=message.deadline, created_at=message.created_at,
            signing_request_id=message.signing_request_id, signing_status=message.signing_status,
            notice_status=message.notice_status,
            gsi1pk=keys.client_messages(message.tenant_id, message.client_id), gsi1sk=keys.message(message.id),
        )

    def get_message(self, tenant_id: str, message_id: str) -> Message:
        try:
            return to_message(tenant_id, MessageItem.get(keys.tenant(tenant_id), keys.message(message_id)))
        except DoesNotExist as exc:
            raise NotFound() from exc

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
