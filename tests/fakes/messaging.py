"""The messages in memory, with the rules of `chalicelib.store.messages` (tests/integration/test_contract_messages.py
runs one set of tests against both).

Every step checks all its conditions (the message's, and those of a signing request's `Step`
through the fake signing store, `ports.signing`) before it changes anything, so a step is all or
nothing as a transaction is. The lead's fake signing store writes `messages` and `notifications`
when a signature marks a message signed, so their names and shapes are part of this fake's contract.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.bulk.model import Outcome
from chalicelib.clock import iso, parse_iso
from chalicelib.errors import Conflict, DependencyFailed, NotFound, NotOpen
from chalicelib.idempotency import KEPT, AlreadyAnswered, Answer, IdempotencyKey, Recorded
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
from chalicelib.signing.states import Settlement, SigningStatus, Step
from chalicelib.store import keys
from chalicelib.store.pages import decode_cursor, encode_cursor
from tests.fakes.adapters import Failing

Key = tuple[str, str]
NOTIFICATION_FIELDS = ("id", "type", "message_id", "signing_request_id", "client_id", "bulk_send_id", "webhook_id",
                       "created_at")


def _string(value: str) -> dict[str, str]:
    return {"S": value}


class FakeMessages(Failing):
    """`messaging.ports.Messages` in memory."""

    def __init__(self, ports: Any) -> None:
        self.ports = ports
        self.messages: dict[Key, Message] = {}  # (tenant_id, message_id)
        self.notifications: dict[Key, list[dict[str, Any]]] = {}  # (tenant_id, advisor_id), newest first
        self.conversations: dict[Key, list[Reply]] = {}  # (tenant_id, conversation_id)
        self.answers: dict[Key, Answer] = {}  # (tenant_id, key scope): what an Idempotency-Key answered
        self.read_at: dict[Key, str] = {}
        self.answered_at: dict[Key, str] = {}
        self.bulk_reminded: dict[Key, str] = {}  # the round of a batch's reminder each message had
        self._failing_steps: dict[str, int] = {}
        self._lost_answers: dict[str, int] = {}

    # --- faults, as DynamoDB has them --------------------------------------------------------

    def fail_next(self, times: int = 1, step: str | None = None) -> None:
        """The next `times` calls (of `step` only, when named) fail as a throttled or broken table does."""
        if step is None:
            super().fail_next(times)
        else:
            self._failing_steps[step] = times

    def lose_next_answer(self, step: str = "send", times: int = 1) -> None:
        """The next `times` calls of `step` write, then fail: the answer of a write that landed was lost."""
        self._lost_answers[step] = times

    def _enter(self, step: str) -> None:
        self._maybe_fail()
        if self._failing_steps.get(step):
            self._failing_steps[step] -= 1
            raise DependencyFailed()

    def _leave(self, step: str) -> None:
        if self._lost_answers.get(step):
            self._lost_answers[step] -= 1
            raise DependencyFailed()

    # --- reading ---------------------------------------------------------------------------

    def get_message(self, tenant_id: str, message_id: str) -> Message:
        self._enter("get_message")
        try:
            return self.messages[(tenant_id, message_id)]
        except KeyError:
            raise NotFound() from None

    def get_messages(self, tenant_id: str, message_ids: Sequence[str]) -> dict[str, Message]:
        self._enter("get_messages")
        return {m: self.messages[(tenant_id, m)] for m in message_ids if (tenant_id, m) in self.messages}

    def withdraw_message(self, message: Message, at: str) -> None:
        self._enter("withdraw_message")
        if self.get_message(message.tenant_id, message.id).status not in OPEN_MESSAGE_STATES:
            raise NotOpen()
        self._change(message, status="withdrawn", next_reminder_at=None)

    def claim_bulk_reminder(self, message: Message, round_: str, steps: Sequence[Step] = ()) -> bool:
        self._enter("claim_bulk_reminder")
        key = (message.tenant_id, message.id)
        if self.messages[key].status not in OPEN_MESSAGE_STATES or self.bulk_reminded.get(key) == round_:
            return False
        if not all(self._allowed(step) for step in steps):
            return False
        for step in steps:
            self.ports.signing.apply_step(step)
        self.bulk_reminded[key] = round_
        return True

    def unclaim_bulk_reminder(self, message: Message, round_: str) -> None:
        key = (message.tenant_id, message.id)
        if self.bulk_reminded.get(key) == round_:
            del self.bulk_reminded[key]

    def list_for_client(self, tenant_id: str, client_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]:
        self._enter("list_for_client")
        pk = keys.client_messages(tenant_id, client_id)
        start = decode_cursor(cursor, partition=("gsi1pk", pk),
                              prefixes={"gsi1sk": "MSG#", "pk": keys.tenant(tenant_id), "sk": "MSG#"})
        mine = [m for (tenant, _), m in self.messages.items()
                if tenant == tenant_id and (m.client_id == client_id or m.signer(client_id) is not None)]
        after = start["gsi1sk"]["S"] if start else None

        def position(message: Message) -> dict[str, Any]:
            return {"gsi1pk": _string(pk), "gsi1sk": _string(keys.message(message.id)),
                    "pk": _string(keys.tenant(tenant_id)), "sk": _string(keys.message(message.id))}

        return self._page(mine, after, status, limit, position)

    def list_for_tenant(self, tenant_id: str, limit: int, cursor: str | None,
                        status: str | None = None) -> tuple[list[Message], str | None]:
        self._enter("list_for_tenant")
        pk = keys.tenant(tenant_id)
        start = decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": "MSG#"})
        firm = [m for (tenant, _), m in self.messages.items() if tenant == tenant_id]
        after = start["sk"]["S"] if start else None
        return self._page(firm, after, status, limit,
                          lambda m: {"pk": _string(pk), "sk": _string(keys.message(m.id))})

    @staticmethod
    def _page(messages: list[Message], after: str | None, status: str | None, limit: int,
              position: Callable[[Message], dict[str, Any]]) -> tuple[list[Message], str | None]:
        """Newest first (by id, as the sort key orders them), from after the cursor, the filter after the order."""
        ordered = sorted(messages, key=lambda m: m.id, reverse=True)
        if after is not None:
            ordered = [m for m in ordered if keys.message(m.id) < after]
        page = [m for m in ordered if status is None or m.status == status][:limit]
        return page, encode_cursor(position(page[-1]) if page and len(page) == limit else None)

    def replies(self, tenant_id: str, conversation_id: str) -> list[Reply]:
        self._enter("replies")
        return sorted(self.conversations.get((tenant_id, conversation_id), []), key=lambda r: r.id)

    def notifications_of(self, tenant_id: str, advisor_id: str) -> list[dict[str, Any]]:
        """Every notification of an advisor, newest first, as the list shows them."""
        stored = self.notifications.get((tenant_id, advisor_id), [])
        return [{**{name: n.get(name) for name in NOTIFICATION_FIELDS}, "read": bool(n.get("read", False))}
                for n in sorted(stored, key=lambda n: str(n["id"]), reverse=True)]

    def list_notifications(self, tenant_id: str, advisor_id: str, limit: int, cursor: str | None,
                           unread_only: bool = False) -> tuple[list[dict[str, Any]], str | None]:
        self._enter("list_notifications")
        pk = keys.advisor_inbox(tenant_id, advisor_id)
        start = decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": "NOTIF#"})
        every = [n for n in self.notifications_of(tenant_id, advisor_id) if not (unread_only and n["read"])]
        if start:
            every = [n for n in every if keys.notification(n["id"]) < start["sk"]["S"]]
        page = every[:limit]
        last = {"pk": _string(pk), "sk": _string(keys.notification(page[-1]["id"]))} if page else None
        return page, encode_cursor(last if len(page) == limit else None)

    def mark_notification_read(self, tenant_id: str, advisor_id: str, notification_id: str) -> dict[str, Any]:
        self._enter("mark_notification_read")
        for stored in self.notifications.get((tenant_id, advisor_id), []):
            if stored["id"] == notification_id:
                stored["read"] = True
                return {**{name: stored.get(name) for name in NOTIFICATION_FIELDS}, "read": True}
        raise NotFound()

    def mark_all_read(self, tenant_id: str, advisor_id: str) -> int:
        self._enter("mark_all_read")
        unread = [n for n in self.notifications.get((tenant_id, advisor_id), []) if not n.get("read")]
        for stored in unread:
            stored["read"] = True
        return len(unread)

    def due(self, now: datetime) -> list[Message]:
        self._enter("due")
        moment = iso(now)
        return sorted((m for m in self.messages.values() if m.next_reminder_at is not None and m.next_reminder_at <= moment),
                      key=lambda m: (m.next_reminder_at or "", m.id))

    # --- sending ---------------------------------------------------------------------------

    def outgoing(self, tenant_id: str, client_id: str, advisor_id: str, document_ids: Sequence[str], now: datetime,
                 key: IdempotencyKey | None = None, co_signer_ids: Sequence[str] = ()) -> Outgoing:
        self._enter("outgoing")
        client = self.ports.clients.get(tenant_id, client_id)  # NotFound as the table says it
        firm = self.ports.tenants.get(tenant_id)
        try:
            advisor = self.ports.tenants.get_advisor(tenant_id, advisor_id)
        except NotFound:
            advisor = None
        documents = {}
        for document_id in document_ids:
            try:
                documents[document_id] = self.ports.documents.get(tenant_id, document_id)
            except NotFound:
                continue
        co_signers = {}
        for co_signer_id in co_signer_ids:
            try:
                co_signers[co_signer_id] = self.ports.clients.get(tenant_id, co_signer_id)
            except NotFound:
                continue
        return Outgoing(client=client, firm=firm, advisor=advisor, documents=documents,
                        earlier=self.answer_under(key, now) if key is not None else None, co_signers=co_signers)

    def answer_under(self, key: IdempotencyKey, now: datetime) -> Answer | None:
        """The answers of Idempotency-Keys, sends' and signatures' alike, live here."""
        answer = self.answers.get((key.tenant_id, key.scope))
        return answer if answer is not None and answer.expires_at > now else None

    def record_answer(self, recorded: Recorded, now: datetime) -> bool:
        """The store's condition on a key's record: False while an earlier answer lives."""
        if self.answer_under(recorded.key, now) is not None:
            return False
        self.answers[(recorded.key.tenant_id, recorded.key.scope)] = Answer(
            fingerprint=recorded.key.fingerprint, body=copy.deepcopy(recorded.body), expires_at=now + KEPT)
        return True

    def send(self, message: Message, notice_due: datetime,
             signing: Sequence[tuple[SigningRequest, AuditEvent]] = (), recorded: Recorded | None = None,
             outcome: Outcome | None = None) -> Message:
        self._enter("send")
        key = (message.tenant_id, message.id)
        created = parse_iso(message.created_at)
        if recorded is not None and (earlier := self.answer_under(recorded.key, created)) is not None:
            raise AlreadyAnswered(earlier)
        if outcome is not None:
            self.ports.bulk_sends.put_outcome(message.tenant_id, outcome)
        if key in self.messages:
            return self.messages[key]  # this very message, landed by an attempt whose answer was lost
        if any((request.tenant_id, request.id) in self.ports.signing.requests for request, _ in signing):
            raise Conflict()
        for request, first in signing:
            self.ports.signing.add(request, first)
        stored = replace(message, next_reminder_at=iso(notice_due))
        self.messages[key] = stored
        if recorded is not None:
            self.record_answer(recorded, created)
        if outcome is not None:
            self.ports.bulk_sends.write_outcome(message.tenant_id, outcome)
        self._leave("send")
        return stored

    def notice_sent(self, message: Message, next_check: datetime | None, recorded: Recorded | None = None,
                    sent_to: Sequence[str] = ()) -> None:
        self._enter("notice_sent")
        if self._set_moved_since(message):
            self._change(message, signings=self._noticed(message, sent_to))
            return
        self._change(message, notice_status="sent", next_reminder_at=iso(next_check) if next_check else None,
                     signings=self._noticed(message, sent_to))
        self._update_answer(recorded)

    def notice_failed(self, message: Message, retry_at: datetime, recorded: Recorded | None = None,
                      sent_to: Sequence[str] = ()) -> None:
        self._enter("notice_failed")
        if self._set_moved_since(message):
            self._change(message, signings=self._noticed(message, sent_to))
            return
        self._change(message, notice_status="failed", next_reminder_at=iso(retry_at),
                     signings=self._noticed(message, sent_to))
        self._update_answer(recorded)

    def _set_moved_since(self, message: Message) -> bool:
        """The store's condition on a notice's outcome: a set whose version moved records only who got theirs."""
        current = self._current(message)
        return bool(message.signings) and current is not None and current.signing_version != message.signing_version

    def _noticed(self, message: Message, sent_to: Sequence[str]) -> tuple[SignerState, ...]:
        current = self._current(message) or message
        return tuple(replace(s, notice="sent") if s.client_id in sent_to else s for s in current.signings)

    def _update_answer(self, recorded: Recorded | None) -> None:
        if recorded is None:
            return
        where = (recorded.key.tenant_id, recorded.key.scope)
        earlier = self.answers.get(where)
        if earlier is not None and earlier.fingerprint == recorded.key.fingerprint:
            self.answers[where] = replace(earlier, body=copy.deepcopy(recorded.body))

    # --- the client's answers --------------------------------------------------------------

    def mark_read(self, message: Message, at: str, step: Step | None = None) -> Message:
        self._enter("mark_read")
        current = self._current(message)
        if current is None or current.status != "sent" or not self._allowed(step):
            raise NotOpen()
        signing_status = current.signing_status
        signings = current.signings
        if step is not None:
            self.ports.signing.apply_step(step)
            signing_status = str(step.after.status)
            signings = self._mirrored(current, step)
        self.read_at[(message.tenant_id, message.id)] = at
        return self._change(message, status="read", signing_status=signing_status, signings=signings)

    def reply(self, message: Message, reply: Reply, notification: dict[str, Any]) -> None:
        self._enter("reply")
        current = self._current(message)
        if current is None or current.status not in REPLYABLE_MESSAGE_STATES:
            raise NotOpen()
        if any(r.id == reply.id for r in self.conversations.get((message.tenant_id, message.conversation_id), [])):
            raise NotOpen()
        self.conversations.setdefault((message.tenant_id, message.conversation_id), []).append(reply)
        self.answered_at[(message.tenant_id, message.id)] = reply.created_at
        self._change(message, status="replied", next_reminder_at=None)
        self._notify(message, notification)

    def answer(self, message: Message, status: str, at: str, reason: str | None, notification: dict[str, Any]) -> None:
        self._enter("answer")
        current = self._current(message)
        if current is None or current.status not in OPEN_MESSAGE_STATES:
            raise NotOpen()
        changes: dict[str, Any] = {"status": status, "next_reminder_at": None}
        if reason and status == "rejected":
            changes["reject_reason"] = reason
        self.answered_at[(message.tenant_id, message.id)] = at
        self._change(message, **changes)
        self._notify(message, notification)

    def mark_viewed(self, message: Message, step: Step) -> None:
        self._enter("mark_viewed")
        if self._current(message) is None or not self._allowed(step):
            raise NotOpen()
        self.ports.signing.apply_step(step)
        self._change(message, signings=self._mirrored(self._current(message) or message, step))

    def close_signing(self, settlement: Settlement, version: int | None, reason: str | None = None,
                      notification: dict[str, Any] | None = None) -> None:
        self._enter("close_signing")
        if not self.apply_settlement(settlement, version, reason=reason):
            raise NotOpen()
        if notification is not None:
            request = settlement.step.before
            self.notifications.setdefault((request.tenant_id, request.advisor_id), []).insert(0, dict(notification))

    def set_moved(self, settlement: Settlement, version: int | None) -> bool:
        """The store's condition on the set: the message's version, and every other signer's step."""
        request = settlement.step.before
        current = self.messages.get((request.tenant_id, request.message_id))
        if version is not None and (current is None or current.signing_version != version):
            return True
        if any(not self.ports.signing.get(r.tenant_id, r.id).is_open for r in settlement.still_open):
            return True
        return not all(self.ports.signing.step_allowed(step) for step in settlement.steps[1:])

    def apply_settlement(self, settlement: Settlement, version: int | None, *, reason: str | None = None,
                         notice_due: datetime | None = None) -> bool:
        """A settlement's steps and the message after them, as `store.signing_requests.write_settlement`
        writes them; False (and nothing changed) when a condition fails."""
        own = settlement.step
        if self.set_moved(settlement, version) or not self.ports.signing.step_allowed(own):
            return False
        key = (own.before.tenant_id, own.before.message_id)
        for step in settlement.steps:
            self.ports.signing.apply_step(step, **({"reject_reason": reason} if reason and step is own else {}))
        if key not in self.messages:
            return True
        message = self.messages[key]
        for step in settlement.steps:
            message = replace(message, signings=self._mirrored(message, step, reason if step is own else None))
        changes: dict[str, Any] = {}
        main = next((step for step in settlement.steps if step.after.position == 1), None)
        if main is not None:
            changes["signing_status"] = str(main.after.status)
            if main.move.to == SigningStatus.SIGNED:
                changes["signed_at"] = main.event.at
            elif main.move.to == SigningStatus.REJECTED:
                changes["rejected_at"] = main.event.at
                if reason:
                    changes["reject_reason"] = reason
        if settlement.message_status is not None:
            changes.update(status=settlement.message_status, next_reminder_at=None)
        elif settlement.turn_to and notice_due is not None:
            changes.update(notice_status="pending", next_reminder_at=iso(notice_due))
        if own.after.envelope.mirrored:
            changes["signing_version"] = message.signing_version + 1
        self.messages[key] = replace(message, **changes)
        return True

    @staticmethod
    def _mirrored(message: Message, step: Step, reason: str | None = None) -> tuple[SignerState, ...]:
        after = step.after
        if not after.envelope.mirrored:
            return message.signings

        def moved(state: SignerState) -> SignerState:
            if state.request_id != after.id:
                return state
            state = replace(state, status=str(after.status), turn=after.turn,
                            reject_reason=reason if reason else state.reject_reason)
            if step.move.to == SigningStatus.SIGNED:
                state = replace(state, signed_at=step.event.at)
            elif step.move.to == SigningStatus.REJECTED:
                state = replace(state, rejected_at=step.event.at)
            return replace(state, notice="pending") if step.move.gives_turn else state

        return tuple(moved(state) for state in message.signings)

    # --- the reminder job's claims ---------------------------------------------------------

    def claim_reminder(self, message: Message, next_check: datetime, reminders_sent: frozenset[int],
                       steps: Sequence[Step] = ()) -> Message | None:
        self._enter("claim_reminder")
        if not (self._still_due(message) and all(self._allowed(step) for step in steps)):
            return None
        for step in steps:
            self.ports.signing.apply_step(step)
        return self._change(message, next_reminder_at=iso(next_check), reminders_sent=frozenset(reminders_sent))

    def reschedule(self, message: Message, next_check: datetime, reminders_sent: frozenset[int]) -> bool:
        self._enter("reschedule")
        if not self._still_due(message):
            return False
        self._change(message, next_reminder_at=iso(next_check), reminders_sent=frozenset(reminders_sent))
        return True

    def unindex(self, message: Message) -> bool:
        self._enter("unindex")
        current = self._current(message)
        if message.next_reminder_at is None or current is None or current.next_reminder_at != message.next_reminder_at:
            return False
        self._change(message, next_reminder_at=None)
        return True

    def mark_overdue(self, message: Message, notification: dict[str, Any], steps: Sequence[Step] = ()) -> bool:
        self._enter("mark_overdue")
        if not (self._still_due(message) and all(self._allowed(step) for step in steps)):
            return False
        for step in steps:
            self.ports.signing.apply_step(step)
        self._change(message, overdue=True, next_reminder_at=None)
        self._notify(message, notification)
        return True

    def claim_notice(self, message: Message, lease_until: datetime) -> Message | None:
        self._enter("claim_notice")
        current = self._current(message)
        if (message.next_reminder_at is None or current is None or current.notice_status != message.notice_status
                or current.next_reminder_at != message.next_reminder_at):
            return None
        return self._change(message, notice_status="retrying", next_reminder_at=iso(lease_until))

    # --- the conditions, and what every step does --------------------------------------------

    def _current(self, message: Message) -> Message | None:
        return self.messages.get((message.tenant_id, message.id))

    def _still_due(self, message: Message) -> bool:
        """The claim: nobody moved the message on since it was read, and it is still open."""
        current = self._current(message)
        return (message.next_reminder_at is not None and current is not None and current.is_open
                and current.next_reminder_at == message.next_reminder_at)

    def _allowed(self, step: Step | None) -> bool:
        return step is None or bool(self.ports.signing.step_allowed(step))

    def _change(self, message: Message, **changes: Any) -> Message:
        key = (message.tenant_id, message.id)
        current = self.messages.get(key)
        if current is None:
            raise NotFound()
        self.messages[key] = replace(current, **changes)
        return self.messages[key]

    def _notify(self, message: Message, notification: dict[str, Any]) -> None:
        self.notifications.setdefault((message.tenant_id, message.advisor_id), []).insert(0, dict(notification))


# --- a firm to send from, for the unit tests of messaging and reminders ------------------------

MOBILE = "+31612345678"
LANDLINE = "+31201234567"
PDF_BYTES = b"%PDF-1.7 the document to sign"


class Office:
    """One firm with signing on, its advisor and a client with a mobile number, on fake ports.

    `send` sends as the advisor through the real service; `client` and `advisor` are the principals.
    """

    tenant_id, advisor_id, client_id = "t1", "a1", "k1"

    def __init__(self, ports: Any = None, *, signing: bool = True, phone: str | None = MOBILE,
                 language: str = "nl") -> None:
        from chalicelib.auth.principal import Principal
        from chalicelib.tenants.model import SIGNING, Advisor, Tenant
        from tests.fakes import FakePorts

        self.ports = ports or FakePorts()
        self.name = "Kantoor De Vries"
        self.ports.tenants.add(Tenant(id=self.tenant_id, name=self.name,
                                      features=frozenset({SIGNING}) if signing else frozenset()), self.now)
        self.ports.tenants.add_advisor(Advisor(id=self.advisor_id, tenant_id=self.tenant_id, name="Anne Adviseur",
                                               email="anne@kantoor.example"), "sub-a1", self.name, self.now)
        self.add_client(self.client_id, phone=phone, language=language)
        self.advisor = Principal(sub="sub-a1", tenant_id=self.tenant_id, role="advisor", subject_id=self.advisor_id)
        self.client = self.client_principal(self.client_id)

    @property
    def now(self) -> str:
        return iso(self.ports.clock.now())

    def client_principal(self, client_id: str) -> Any:
        from chalicelib.auth.principal import Principal

        return Principal(sub=f"sub-{client_id}", tenant_id=self.tenant_id, role="client", subject_id=client_id)

    def add_client(self, client_id: str, phone: str | None = MOBILE, language: str = "nl") -> Any:
        from chalicelib.clients.model import Client

        client = Client(id=client_id, tenant_id=self.tenant_id, name=f"Klant {client_id}",
                        email=f"{client_id}@klant.example", phone=phone, city="Leiden", language=language,
                        portal_access="active", created_at=self.now)
        self.ports.clients.add(client)
        return client

    def document(self, content: bytes = PDF_BYTES, content_type: str = "application/pdf", ready: bool = True,
                 filename: str = "jaarrekening.pdf") -> str:
        """A document of the firm: uploaded and checked (`ready`), or still pending; its id."""
        import hashlib

        from chalicelib.documents.model import Document
        from chalicelib.ids import new_id

        document_id = new_id()
        key = f"tenants/{self.tenant_id}/documents/{document_id}"
        version = self.ports.files.put(key, content)
        self.ports.documents.add(Document(
            id=document_id, tenant_id=self.tenant_id, filename=filename, content_type=content_type,
            declared_size=len(content), status="ready" if ready else "pending", s3_key=key,
            sha256=hashlib.sha256(content).hexdigest() if ready else None, size=len(content) if ready else None,
            version_id=version if ready else None), "a1", self.now)
        return document_id

    def body(self, response_type: str = "sign", **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"client_id": self.client_id, "subject": "Jaarrekening 2025",
                                "body": "Graag uw reactie.", "response_type": response_type}
        if response_type == "sign" and "document_ids" not in changes:
            body["document_ids"] = [self.document()]
        return {**body, **changes}

    def send(self, response_type: str = "sign", key: str | None = None, **changes: Any) -> dict[str, Any]:
        from chalicelib.messaging.sending import send_message

        return send_message(self.ports, self.advisor, self.body(response_type, **changes), key)

    def message(self, message_id: str) -> Message:
        return self.ports.messages.get_message(self.tenant_id, message_id)

    def request(self, request_id: str) -> SigningRequest:
        return self.ports.signing.get(self.tenant_id, request_id)

    def events(self, request_id: str) -> list[str]:
        return [e.type for e in self.ports.signing.audit_events(self.tenant_id, request_id)]

    def mails_to(self, address: str) -> list[Any]:
        return list(self.ports.mailer.to(address))

    def client_mails(self, client_id: str = "k1") -> list[Any]:
        return self.mails_to(f"{client_id}@klant.example")

    def advisor_mails(self) -> list[Any]:
        return self.mails_to("anne@kantoor.example")

    def notification_types(self) -> list[str]:
        return [n["type"] for n in self.ports.messages.notifications_of(self.tenant_id, self.advisor_id)]
