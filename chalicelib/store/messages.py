"""Messages, replies and the advisors' notifications in the table, changed only by the steps of a message's life.

Each step holds its rule as its condition. An answer is taken once and only while the message is
open, else NotOpen. The reminder job claims each of its steps (a reminder, the overdue notice, a
retried e-mail notice) by moving the message's `next_reminder_at` on from the moment it read, so of
concurrent or repeated runs only one acts; a claim another run took first answers False or None.
A step that also moves the signing request writes the state machine's `Step` in the same
transaction (`record_step`), so the request, its audit event and the message change together.

What is due is found on a sparse index spread over a few shards; nothing outside this module
knows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.bulk.model import Outcome, RecipientDone
from chalicelib.clock import iso, parse_iso
from chalicelib.errors import Conflict, DependencyFailed, NotFound, NotOpen
from chalicelib.idempotency import AlreadyAnswered, Answer, IdempotencyKey, Recorded
from chalicelib.messaging.model import (
    OPEN_MESSAGE_STATES,
    REPLYABLE_MESSAGE_STATES,
    Message,
    Reply,
    SignerState,
    SigningRequest,
)
from chalicelib.messaging.ports import Outgoing
from chalicelib.signing.audit import AuditEvent
from chalicelib.signing.states import Settlement, Step
from chalicelib.store import idempotency as records
from chalicelib.store import keys
from chalicelib.store.bulk_sends import BATCH, OUTCOME, put_outcome
from chalicelib.store.document_refs import document_attribute, document_ref
from chalicelib.store.due import due_at as _due_at
from chalicelib.store.due import index_fields, shard_of  # noqa: F401 - what bench/ seeds with
from chalicelib.store.due import off_schedule as _off_schedule
from chalicelib.store.models import (
    MessageItem,
    NotificationItem,
    ReplyItem,
    ShareItem,
    SignerStateMap,
)
from chalicelib.store.outbox import message_event, request_event
from chalicelib.store.outgoing import read_outgoing
from chalicelib.store.pages import decode_cursor, encode_cursor
from chalicelib.store.reads import read_together
from chalicelib.store.signing_requests import (
    audit_item,
    mirror,
    notification_item,
    record_step,
    request_item,
    signer_field,
    write_settlement,
)
from chalicelib.store.transaction import Transition, TransitionContended, TransitionRefused, condition_failed


def to_message(tenant_id: str, item: MessageItem) -> Message:
    return Message(
        id=item.message_id, tenant_id=tenant_id, conversation_id=item.conversation_id, client_id=item.client_id,
        advisor_id=item.advisor_id, subject=item.subject, body=item.body, response_type=item.response_type,
        documents=tuple(document_ref(d) for d in item.documents or []), status=item.status,
        deadline=item.deadline, created_at=item.created_at, signing_request_id=item.signing_request_id,
        signing_status=item.signing_status, signed_at=item.signed_at, rejected_at=item.rejected_at,
        reject_reason=item.reject_reason, overdue=bool(item.overdue), notice_status=item.notice_status,
        # Off the due index, a message is not scheduled, whatever moment it still carries.
        next_reminder_at=item.next_reminder_at if item.gsi2pk else None,
        reminders_sent=frozenset(int(k) for k in item.reminders_sent or []),
        firm_name=item.firm_name, advisor_email=item.advisor_email,
        signings=tuple(SignerState(request_id=s.request_id, client_id=s.client_id, name=s.name, status=s.status,
                                   turn=bool(s.turn), signed_at=s.signed_at, rejected_at=s.rejected_at,
                                   reject_reason=s.reject_reason, notice=s.notice)
                       for s in item.signers or []),
        signing_order=item.signing_order or "parallel", signing_version=int(item.signing_version or 0),
        bulk_send_id=item.bulk_send_id,
    )


def _state_map(state: SignerState) -> SignerStateMap:
    return SignerStateMap(request_id=state.request_id, client_id=state.client_id, name=state.name,
                          status=state.status, turn=state.turn, notice=state.notice)


def _still_due(message: Message) -> Condition:
    """The claim of a job's step: nobody moved the message on since it was read, and it is still open."""
    return (MessageItem.next_reminder_at == message.next_reminder_at) & MessageItem.status.is_in(*OPEN_MESSAGE_STATES)


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
MAX_BATCH_READ = 100  # and per BatchGetItem


def _unread() -> Condition:
    return NotificationItem.read.does_not_exist() | (NotificationItem.read == False)  # noqa: E712 - an expression


def _notification_api(item: NotificationItem) -> dict[str, Any]:
    return {"id": item.notification_id, "type": item.type, "message_id": item.message_id,
            "signing_request_id": item.signing_request_id, "client_id": item.client_id,
            "bulk_send_id": item.bulk_send_id, "webhook_id": item.webhook_id, "created_at": item.created_at,
            "read": bool(item.read)}


def _sent_to(message: Message, client_ids: Sequence[str]) -> list[Action]:
    """The signers whose notice went out, on the message's copies of their state."""
    return [signer_field(n, "notice").set("sent") for n, state in enumerate(message.signings)
            if state.client_id in client_ids]


def _item(message: Message) -> MessageItem:
    return MessageItem(keys.tenant(message.tenant_id), keys.message(message.id))


def _commit_or_not_open(transition: Transition) -> None:
    try:
        transition.commit()
    except TransitionRefused as exc:
        raise NotOpen() from exc


def _claimed(transition: Transition) -> bool:
    try:
        transition.commit()
    except TransitionRefused:
        return False  # another run (or the client) moved the message first
    return True


def _update(message: Message, actions: Sequence[Action]) -> None:
    """Change a stored message; NotFound rather than a half item when there is none (as the fake does)."""
    _update_stored(_item(message), actions)


def _update_stored(item: MessageItem | NotificationItem, actions: Sequence[Action]) -> None:
    """Change a stored item (and read it back as it is now); NotFound when there is none."""
    try:
        item.update(actions=list(actions), condition=type(item).pk.exists())
    except UpdateError as exc:
        if condition_failed(exc):
            raise NotFound() from exc
        raise DependencyFailed() from exc
    except PynamoDBException as exc:
        raise DependencyFailed() from exc


class MessageRepository:
    """The messages of the table: read by key or index, changed by business steps."""

    # --- reading ---------------------------------------------------------------------------

    def get_message(self, tenant_id: str, message_id: str) -> Message:
        """The message (read consistently: a step may write on what it read); NotFound for an unknown one."""
        try:
            return to_message(tenant_id, MessageItem.get(keys.tenant(tenant_id), keys.message(message_id),
                                                         consistent_read=True))
        except DoesNotExist as exc:
            raise NotFound() from exc

    def get_messages(self, tenant_id: str, message_ids: Sequence[str]) -> dict[str, Message]:
        """The messages found of these, by id, read a hundred at a time (BatchGetItem's limit)."""
        pk, ids = keys.tenant(tenant_id), list(dict.fromkeys(message_ids))
        found: dict[str, Message] = {}
        for start in range(0, len(ids), MAX_BATCH_READ):
            page = ids[start:start + MAX_BATCH_READ]
            read = read_together({m: (MessageItem, pk, keys.message(m)) for m in page})
            found.update({m: to_message(tenant_id, item) for m in page if (item := read.get(m, MessageItem))})
        return found

    def list_for_client(self, tenant_id: str, client_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]:
        """A client's messages, newest first (one Query on the by-client index)."""
        pk = keys.client_messages(tenant_id, client_id)
        # A co-signer's pointer has no status of its own: the message it points to is filtered below.
        wanted = ((MessageItem.status == status) | MessageItem.sk.startswith("SHARE#")) if status else None
        results = MessageItem.by_client.query(
            pk, filter_condition=wanted, scan_index_forward=False,
            limit=limit, last_evaluated_key=decode_cursor(cursor, partition=("gsi1pk", pk), prefixes={
                "gsi1sk": "MSG#", "pk": keys.tenant(tenant_id), "sk": ("MSG#", "SHARE#")}),
        )
        found = list(results)
        items = [m for m in self._with_shared(tenant_id, found) if status is None or m.status == status]
        return items, encode_cursor(results.last_evaluated_key if len(found) == limit else None)

    def _with_shared(self, tenant_id: str, found: list[MessageItem]) -> list[Message]:
        """The page with each co-signer's pointer (a ShareItem on the same index) replaced by the message it
        points to, read in one BatchGetItem, and only when there is one."""
        shared = [item.message_id for item in found if item.sk.startswith("SHARE#")]
        messages: dict[str, Message] = {}
        if shared:
            pk = keys.tenant(tenant_id)
            read = read_together({m: (MessageItem, pk, keys.message(m)) for m in shared})
            messages = {m: to_message(tenant_id, item) for m in shared if (item := read.get(m, MessageItem))}
        return [messages[item.message_id] if item.sk.startswith("SHARE#") else to_message(tenant_id, item)
                for item in found if not item.sk.startswith("SHARE#") or item.message_id in messages]

    def list_for_tenant(self, tenant_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]:
        """The firm's messages, newest first."""
        pk = keys.tenant(tenant_id)
        results = MessageItem.query(
            pk, MessageItem.sk.startswith("MSG#"), filter_condition=(MessageItem.status == status) if status else None,
            scan_index_forward=False, limit=limit,
            last_evaluated_key=decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": "MSG#"}),
        )
        items = [to_message(tenant_id, item) for item in results]
        return items, encode_cursor(results.last_evaluated_key if len(items) == limit else None)

    def replies(self, tenant_id: str, conversation_id: str) -> list[Reply]:
        """A conversation's replies, oldest first."""
        return [
            Reply(id=i.reply_id, message_id=i.message_id, author=i.author, body=i.body, created_at=i.created_at)
            for i in ReplyItem.query(keys.conversation(tenant_id, conversation_id), ReplyItem.sk.startswith("REPLY#"))
        ]

    def list_notifications(self, tenant_id: str, advisor_id: str, limit: int, cursor: str | None,
                           unread_only: bool = False) -> tuple[list[dict[str, Any]], str | None]:
        """An advisor's notifications (only the unread ones, when asked), newest first."""
        pk = keys.advisor_inbox(tenant_id, advisor_id)
        results = NotificationItem.query(
            pk, NotificationItem.sk.startswith("NOTIF#"), scan_index_forward=False, limit=limit,
            filter_condition=_unread() if unread_only else None,
            last_evaluated_key=decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": "NOTIF#"}),
        )
        items = [_notification_api(i) for i in results]
        return items, encode_cursor(results.last_evaluated_key if len(items) == limit else None)

    def mark_notification_read(self, tenant_id: str, advisor_id: str, notification_id: str) -> dict[str, Any]:
        """Read, in one conditional update that answers the item as it is now; NotFound for another's or none."""
        item = NotificationItem(keys.advisor_inbox(tenant_id, advisor_id), keys.notification(notification_id))
        _update_stored(item, [NotificationItem.read.set(True)])
        return _notification_api(item)

    def mark_all_read(self, tenant_id: str, advisor_id: str) -> int:
        """Every unread one marked read: one Query for their keys, then one transaction per 100 of them, each
        item only updated (its `read` flag), never rewritten."""
        pk = keys.advisor_inbox(tenant_id, advisor_id)
        try:
            unread = [item.sk for item in NotificationItem.query(
                pk, NotificationItem.sk.startswith("NOTIF#"), filter_condition=_unread(), consistent_read=True,
                attributes_to_get=["pk", "sk"])]
        except PynamoDBException as exc:
            raise DependencyFailed() from exc
        for start in range(0, len(unread), MAX_TRANSACTION_ITEMS):
            transition = Transition()
            for n, sk in enumerate(unread[start:start + MAX_TRANSACTION_ITEMS]):
                transition.update(f"notification_{n}", NotificationItem(pk, sk), [NotificationItem.read.set(True)],
                                  NotificationItem.pk.exists())
            try:
                transition.commit()
            except TransitionRefused as exc:
                raise DependencyFailed() from exc  # notifications are never deleted: a retry finds them all
        return len(unread)

    def due(self, now: datetime) -> list[Message]:
        """Every message whose next step is due by `now`, of every firm: one Query per shard, never a Scan."""
        moment = iso(now)
        return [to_message(item.pk.removeprefix(keys.tenant("")), item)
                for shard in range(keys.REMINDER_SHARDS)
                for item in MessageItem.due_reminders.query(keys.reminder_shard(shard), MessageItem.gsi2sk <= moment)]

    # --- sending ---------------------------------------------------------------------------

    def outgoing(self, tenant_id: str, client_id: str, advisor_id: str, document_ids: Sequence[str], now: datetime,
                 key: IdempotencyKey | None = None, co_signer_ids: Sequence[str] = ()) -> Outgoing:
        """What a send needs, in one read (chalicelib/store/outgoing.py)."""
        return read_outgoing(tenant_id, client_id, advisor_id, document_ids, now, key, co_signer_ids)

    def answer_under(self, key: IdempotencyKey, now: datetime) -> Answer | None:
        return records.read_answer(key, now)

    def send(self, message: Message, notice_due: datetime,
             signing: Sequence[tuple[SigningRequest, AuditEvent]] = (), recorded: Recorded | None = None,
             outcome: Outcome | None = None) -> Message:
        """Store a new message with its signing requests (one per signer) and their first audit events, and a
        pointer on each co-signer's overview, all or nothing.

        Its e-mail notice is queued with it (due at `notice_due`): should the sender die before
        sending it, the job finds it. With `recorded`, the answer under the call's Idempotency-Key
        is written in the same transaction; AlreadyAnswered when a concurrent twin wrote it first.
        With `outcome`, the bulk-send recipient's record: RecipientDone when it was recorded
        meanwhile, NotOpen when its batch was withdrawn.
        """
        transition = Transition()
        transition.put("message", self._new_item(message, notice_due))
        message_event(transition, "message.sent", message, "sent", message.created_at)
        for n, (request, first) in enumerate(signing):
            transition.put(f"request_{n}", request_item(request))
            transition.put(f"audit_{n}", audit_item(request.tenant_id, request.id, first))
            if request.client_id != message.client_id:
                transition.put(f"share_{n}", ShareItem(
                    keys.tenant(message.tenant_id), keys.share(message.id, request.client_id), message_id=message.id,
                    client_id=request.client_id, gsi1pk=keys.client_messages(message.tenant_id, request.client_id),
                    gsi1sk=keys.message(message.id)))
        created = parse_iso(message.created_at)
        if recorded is not None:
            records.put_record(transition, recorded, created)
        if outcome is not None:
            put_outcome(transition, message.tenant_id, outcome)
        try:
            transition.commit(message.id)
        except TransitionRefused as exc:
            if OUTCOME in exc.failed:
                raise RecipientDone() from exc
            if BATCH in exc.failed:
                raise NotOpen("bulk_send_withdrawn") from exc
            try:
                self.get_message(message.tenant_id, message.id)
                return replace(message, next_reminder_at=iso(notice_due))  # landed by an attempt whose answer was lost
            except NotFound:
                pass
            answered = records.read_answer(recorded.key, created) if recorded is not None else None
            if answered is not None:
                raise AlreadyAnswered(answered) from exc
            raise Conflict() from exc
        return replace(message, next_reminder_at=iso(notice_due))

    def notice_sent(self, message: Message, next_check: datetime | None, recorded: Recorded | None = None,
                    sent_to: Sequence[str] = ()) -> None:
        """The notice is out (to the signers `sent_to`, by client id): from now on the message is due only for
        its reminders (at `next_check`), if any."""
        self._notice(message, [MessageItem.notice_status.set("sent"), *_sent_to(message, sent_to),
                               *(_due_at(message.id, next_check) if next_check else _off_schedule())], recorded,
                     sent_to)

    def notice_failed(self, message: Message, retry_at: datetime, recorded: Recorded | None = None,
                      sent_to: Sequence[str] = ()) -> None:
        """A failed e-mail notice (to some; `sent_to` did get theirs): recorded, and due for the job at
        `retry_at`, which sends it again to the others."""
        self._notice(message, [MessageItem.notice_status.set("failed"), *_sent_to(message, sent_to),
                               *_due_at(message.id, retry_at)], recorded, sent_to)

    def _notice(self, message: Message, actions: list[Action], recorded: Recorded | None,
                sent_to: Sequence[str] = ()) -> None:
        """The notice's outcome on the message, and in the answer its Idempotency-Key replays (`recorded`).

        With several signers, the outcome holds only while the set is as it was read: once another
        signer's turn came meanwhile (their notice now due), only who got theirs is recorded, and the
        message stays due for the job, which sends the others'.
        """
        unmoved = MessageItem.pk.exists()
        if message.signings:
            unmoved &= MessageItem.signing_version == message.signing_version
        transition = Transition()
        transition.update("message", _item(message), actions, unmoved)
        if recorded is not None:
            records.update_answer(transition, recorded)
        try:
            transition.commit()
        except TransitionRefused as refused:
            if "message" in refused.failed and message.signings:
                if sent_to:
                    _update(message, _sent_to(message, sent_to))
                return
            _update(message, actions)  # the record is gone or another's: the message's notice still counts

    # --- the client's answers --------------------------------------------------------------

    def mark_read(self, message: Message, at: str, step: Step | None = None) -> Message:
        """sent → read, with the request's `viewed` step when it has one; NotOpen when it was read already."""
        transition = Transition()
        actions: list[Action] = [MessageItem.status.set("read"), MessageItem.read_at.set(at)]
        signing_status = message.signing_status
        if step is not None:
            record_step(transition, step)
            signing_status = str(step.after.status)
            actions += [MessageItem.signing_status.set(signing_status), *mirror(step)]
        transition.update("message", _item(message), actions, MessageItem.status == "sent")
        message_event(transition, "message.read", message, "read", at)
        _commit_or_not_open(transition)
        return replace(message, status="read", signing_status=signing_status)

    def mark_viewed(self, message: Message, step: Step) -> None:
        """A co-signer's first look at their request (`viewed`), mirrored on the message; NotOpen when the
        request moved meanwhile."""
        transition = Transition()
        record_step(transition, step)
        transition.update("message", _item(message), mirror(step), MessageItem.pk.exists())
        _commit_or_not_open(transition)

    def reply(self, message: Message, reply: Reply, notification: dict[str, Any]) -> None:
        """A reply in the conversation, the message replied, the advisor notified; NotOpen unless it takes replies."""
        transition = Transition()
        transition.update("message", _item(message),
                          [MessageItem.status.set("replied"), MessageItem.answered_at.set(reply.created_at),
                           *_off_schedule()],
                          MessageItem.status.is_in(*REPLYABLE_MESSAGE_STATES))
        transition.put("reply", ReplyItem(keys.conversation(message.tenant_id, message.conversation_id),
                                          keys.reply(reply.id), reply_id=reply.id, message_id=reply.message_id,
                                          author=reply.author, body=reply.body, created_at=reply.created_at))
        transition.put("notification", notification_item(message.tenant_id, message.advisor_id, notification))
        message_event(transition, "message.replied", message, "replied", reply.created_at)
        _commit_or_not_open(transition)

    def answer(self, message: Message, status: str, at: str, reason: str | None, notification: dict[str, Any]) -> None:
        """Approved or rejected (with its reason), once, while open; NotOpen after that."""
        actions = [MessageItem.status.set(status), MessageItem.answered_at.set(at), *_off_schedule()]
        if reason and status == "rejected":
            actions.append(MessageItem.reject_reason.set(reason))
        transition = Transition()
        transition.update("message", _item(message), actions, MessageItem.status.is_in(*OPEN_MESSAGE_STATES))
        transition.put("notification", notification_item(message.tenant_id, message.advisor_id, notification))
        message_event(transition, f"message.{status}", message, status, at)
        _commit_or_not_open(transition)

    def withdraw_message(self, message: Message, at: str) -> None:
        """An open approval withdrawn by the advisor, off the reminder schedule; NotOpen once answered."""
        transition = Transition()
        transition.update("message", _item(message), [MessageItem.status.set("withdrawn"),
                                                      MessageItem.answered_at.set(at), *_off_schedule()],
                          MessageItem.status.is_in(*OPEN_MESSAGE_STATES))
        _commit_or_not_open(transition)

    def claim_bulk_reminder(self, message: Message, round_: str, steps: Sequence[Step] = ()) -> bool:
        """The batch's reminder of round `round_` claimed for this open message (with each open request's
        `reminder` step); False when it was claimed already or the message is no longer open."""
        transition = Transition()
        transition.update("message", _item(message), [MessageItem.bulk_reminded.set(round_)],
                          MessageItem.status.is_in(*OPEN_MESSAGE_STATES)
                          & (MessageItem.bulk_reminded.does_not_exist() | (MessageItem.bulk_reminded != round_)))
        for step in steps:
            record_step(transition, step, part=f"request:{step.before.id}")
        return _claimed(transition)

    def unclaim_bulk_reminder(self, message: Message, round_: str) -> None:
        """A claimed reminder handed back (its e-mail failed), so the round's next delivery sends it."""
        transition = Transition()
        transition.update("message", _item(message), [MessageItem.bulk_reminded.remove()],
                          MessageItem.bulk_reminded == round_)
        _claimed(transition)

    def close_signing(self, settlement: Settlement, version: int | None, reason: str | None = None,
                      notification: dict[str, Any] | None = None) -> None:
        """A request's closing step (rejected, withdrawn) with what it means for its set and message, atomically.

        NotOpen when the request, another of its set or the set's message moved since they were read
        (closed, or a concurrent event on a chain): read them again and settle anew.
        """
        transition = Transition()
        write_settlement(transition, settlement, version, reason=reason)
        if notification is not None:
            request = settlement.step.before
            transition.put("notification", notification_item(request.tenant_id, request.advisor_id, notification))
        try:
            _commit_or_not_open(transition)
        except TransitionContended as contended:
            raise NotOpen() from contended  # another step of the set at that very moment: read again

    # --- the reminder job's claims ---------------------------------------------------------

    def claim_reminder(self, message: Message, next_check: datetime, reminders_sent: frozenset[int],
                       steps: Sequence[Step] = ()) -> Message | None:
        """Claim a due reminder: the message moves on to `next_check` with these reminders sent, and each
        reminded request records its `reminder` step. The message as claimed, or None when another run
        claimed it first."""
        if message.next_reminder_at is None:
            return None
        transition = Transition()
        transition.update("message", _item(message),
                          [*_due_at(message.id, next_check),
                           MessageItem.reminders_sent.set(sorted(str(k) for k in reminders_sent))],
                          _still_due(message))
        for step in steps:
            record_step(transition, step, part=f"request:{step.before.id}")
        if not _claimed(transition):
            return None
        return replace(message, next_reminder_at=iso(next_check), reminders_sent=frozenset(reminders_sent))

    def reschedule(self, message: Message, next_check: datetime, reminders_sent: frozenset[int]) -> bool:
        """Move an open message on to `next_check` (nothing was due, or a failed reminder is handed back)."""
        return self.claim_reminder(message, next_check, reminders_sent) is not None

    def unindex(self, message: Message) -> bool:
        """Take a message off the schedule (closed, or no deadline), unless another run moved it first."""
        if message.next_reminder_at is None:
            return False
        transition = Transition()
        transition.update("message", _item(message), _off_schedule(),
                          MessageItem.next_reminder_at == message.next_reminder_at)
        return _claimed(transition)

    def mark_overdue(self, message: Message, notification: dict[str, Any], steps: Sequence[Step] = ()) -> bool:
        """Claim the overdue notice: the message overdue and off the schedule, the advisor notified, each
        open request's `overdue` step; False when another run claimed it first."""
        if message.next_reminder_at is None:
            return False
        transition = Transition()
        transition.update("message", _item(message), [MessageItem.overdue.set(True), *_off_schedule()],
                          _still_due(message))
        transition.put("notification", notification_item(message.tenant_id, message.advisor_id, notification))
        for step in steps:
            record_step(transition, step, part=f"request:{step.before.id}")
            request_event(transition, "signing.overdue", step.after, str(step.after.status), step.event.at)
        return _claimed(transition)

    def claim_notice(self, message: Message, lease_until: datetime) -> Message | None:
        """Claim an unsent e-mail notice ("retrying") as a lease: due again at `lease_until`, so a run that
        dies before sending it leaves it to a later one. None when another run claimed it first."""
        if message.next_reminder_at is None:
            return None
        transition = Transition()
        transition.update("message", _item(message),
                          [MessageItem.notice_status.set("retrying"), *_due_at(message.id, lease_until)],
                          (MessageItem.notice_status == message.notice_status)
                          & (MessageItem.next_reminder_at == message.next_reminder_at))
        if not _claimed(transition):
            return None
        return replace(message, notice_status="retrying", next_reminder_at=iso(lease_until))

    # --- items -----------------------------------------------------------------------------

    def _new_item(self, message: Message, notice_due: datetime) -> MessageItem:
        due = index_fields(message.id, notice_due)
        return MessageItem(
            keys.tenant(message.tenant_id), keys.message(message.id), message_id=message.id,
            conversation_id=message.conversation_id, client_id=message.client_id, advisor_id=message.advisor_id,
            subject=message.subject, body=message.body, response_type=message.response_type,
            documents=[document_attribute(d) for d in message.documents], status=message.status,
            deadline=message.deadline, created_at=message.created_at,
            signing_request_id=message.signing_request_id, signing_status=message.signing_status,
            notice_status=message.notice_status, firm_name=message.firm_name, advisor_email=message.advisor_email,
            signers=[_state_map(state) for state in message.signings] if message.signings else None,
            signing_order=message.signing_order if message.signings else None, bulk_send_id=message.bulk_send_id,
            gsi1pk=keys.client_messages(message.tenant_id, message.client_id), gsi1sk=keys.message(message.id),
            next_reminder_at=due["next_reminder_at"], gsi2pk=due["gsi2pk"], gsi2sk=due["gsi2sk"],
        )
