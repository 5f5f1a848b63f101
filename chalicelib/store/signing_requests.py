"""Signing requests in the table: reading them, their audit chains, and writing a step of their life."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from chalicelib.clock import parse_iso, seconds_to_midnight
from chalicelib.errors import AlreadySigned, InvalidCode, NotFound, NotOpen, OtpRequired, RateLimited
from chalicelib.idempotency import AlreadyAnswered, IdempotencyKey, Recorded
from chalicelib.messaging.model import Envelope, Signer, SigningRequest
from chalicelib.signing import otp
from chalicelib.signing.audit import AuditEvent
from chalicelib.signing.otp import OtpState
from chalicelib.signing.ports import Ceremony, EnvelopeState, PendingStamp, SetMoved, StoredReceipt
from chalicelib.signing.states import OPEN, Settlement, SigningStatus, Step
from chalicelib.store import idempotency as records
from chalicelib.store import keys
from chalicelib.store import signing as items
from chalicelib.store.clients import to_client
from chalicelib.store.document_refs import document_attribute, document_ref
from chalicelib.store.due import due_at, off_schedule
from chalicelib.store.models import (
    AuditEventItem,
    ClientItem,
    CounterItem,
    MessageItem,
    NotificationItem,
    OtpItem,
    SignerMap,
    SigningRequestItem,
    TenantItem,
)
from chalicelib.store.outbox import settlement_events
from chalicelib.store.reads import Wanted, read_together
from chalicelib.store.tenants import to_tenant
from chalicelib.store.transaction import Transition, TransitionContended, TransitionRefused


def to_signing_request(tenant_id: str, item: SigningRequestItem) -> SigningRequest:
    envelope = Envelope(item.message_id, tuple(Signer(s.request_id, s.client_id, s.name) for s in item.signers),
                        item.signing_order or "parallel") if item.signers else None
    return SigningRequest(
        id=item.request_id, tenant_id=tenant_id, message_id=item.message_id, conversation_id=item.conversation_id,
        client_id=item.client_id, advisor_id=item.advisor_id, status=SigningStatus(item.status),
        deadline=item.deadline, document=document_ref(item.document), created_at=item.created_at, audit_seq=int(item.audit_seq),
        audit_head=item.audit_head, signed_at=item.signed_at, rejected_at=item.rejected_at,
        reject_reason=item.reject_reason, signer_name=item.signer_name, subject=item.subject,
        firm_name=item.firm_name, advisor_email=item.advisor_email,
        turn=item.turn is not False, stored_envelope=envelope, place=item.place,
    )


def audit_item(tenant_id: str, request_id: str, event: AuditEvent) -> AuditEventItem:
    return AuditEventItem(
        keys.audit_chain(tenant_id, request_id), keys.audit_event(event.seq), seq=event.seq, type=event.type,
        at=event.at, actor=event.actor, data=json.dumps(event.data, sort_keys=True, separators=(",", ":")),
        prev_hash=event.prev_hash, hash=event.hash,
    )


def record_step(transition: Transition, step: Step, extra: Sequence[Action] = (), *, part: str = "request") -> None:
    """Write a request's step and its audit event into `transition`.

    The condition is the state machine's: the request is still where the step found it (its chain
    head, and a status the move is allowed from), so a concurrent change refuses (`part`).
    """
    request, event, move = step.before, step.event, step.move
    actions: list[Action] = [SigningRequestItem.audit_seq.set(event.seq), SigningRequestItem.audit_head.set(event.hash)]
    if move.to is not None:
        actions.append(SigningRequestItem.status.set(str(move.to)))
    if move.stamp is not None:
        actions.append(getattr(SigningRequestItem, move.stamp).set(event.at))
    if move.gives_turn:
        actions.append(SigningRequestItem.turn.set(True))
    still_there = ((SigningRequestItem.audit_seq == request.audit_seq)
                   & SigningRequestItem.status.is_in(*(str(s) for s in move.allowed_from)))
    transition.update(part, SigningRequestItem(keys.tenant(request.tenant_id), keys.signing_request(request.id)),
                      [*actions, *extra], still_there)
    transition.put(f"{part}:audit", audit_item(request.tenant_id, request.id, event))


def step_token(step: Step) -> str:
    """The transaction token of a step: its event's hash, unique to this attempt (chalicelib.store.transaction)."""
    return step.event.hash[:36]


def write_settlement(transition: Transition, settlement: Settlement, version: int | None, *,
                     reason: str | None = None, notice_due: datetime | None = None) -> None:
    """Every step of a settlement (its own first, as part "request"; the others' as "co:<id>"), and the
    message as it stands after them: each signer's mirrored state, the main signer's request, and its
    status once the set is decided.

    With `version` (a set of several) the message is the set's lock: the write holds only if no other
    signer's step landed since the set was read ("message"). `reason` is a rejection's;
    `notice_due` puts the message on the job's schedule for the notice of a signer whose turn came.
    """
    own = settlement.step
    settlement_events(transition, settlement)
    for step in settlement.steps:
        extra = [SigningRequestItem.reject_reason.set(reason)] if reason and step is own else []
        if step is own and step.move.to == SigningStatus.SIGNED and step.after.place:
            extra.append(SigningRequestItem.place.set(step.after.place))
        record_step(transition, step, extra, part="request" if step is own else f"co:{step.before.id}")
    actions: list[Action] = []
    for step in settlement.steps:
        actions += mirror(step, [signer_field(step.after.position - 1, "reject_reason").set(reason)]
                          if reason and step is own else [])
    for other in settlement.still_open:
        transition.check(f"co:{other.id}", SigningRequestItem(keys.tenant(other.tenant_id),
                                                              keys.signing_request(other.id)),
                         SigningRequestItem.status.is_in(*(str(s) for s in OPEN)))
    main = next((step for step in settlement.steps if step.after.position == 1), None)
    if main is not None:
        actions.append(MessageItem.signing_status.set(str(main.after.status)))
        if main.move.to == SigningStatus.SIGNED:
            actions.append(MessageItem.signed_at.set(main.event.at))
        elif main.move.to == SigningStatus.REJECTED:
            actions.append(MessageItem.rejected_at.set(main.event.at))
            if reason:  # the message's reason is its client's: a co-signer's stays on their own request
                actions.append(MessageItem.reject_reason.set(reason))
    if settlement.message_status is not None:
        actions += [MessageItem.status.set(settlement.message_status), *off_schedule()]
    elif settlement.turn_to and notice_due is not None:
        actions += [MessageItem.notice_status.set("pending"), *due_at(own.before.message_id, notice_due)]
    if own.after.envelope.mirrored:
        actions.append(MessageItem.signing_version.add(1))
    unmoved = None
    if version is not None:
        unmoved = ((MessageItem.signing_version == version) if version
                   else (MessageItem.signing_version.does_not_exist() | (MessageItem.signing_version == 0)))
    request = own.before
    transition.update("message", MessageItem(keys.tenant(request.tenant_id), keys.message(request.message_id)),
                      actions, unmoved)


def set_moved(parts: set[str]) -> bool:
    """Whether a settlement was refused by (or contended on) the set: the message's lock, another signer's
    request, not its own."""
    return "message" in parts or any(part.startswith("co:") for part in parts)


def request_item(request: SigningRequest) -> SigningRequestItem:
    """The item of a new request, for the transaction that sends its message."""
    return SigningRequestItem(
        keys.tenant(request.tenant_id), keys.signing_request(request.id), request_id=request.id,
        message_id=request.message_id, conversation_id=request.conversation_id, client_id=request.client_id,
        advisor_id=request.advisor_id, status=str(request.status), deadline=request.deadline,
        document=document_attribute(request.document), created_at=request.created_at,
        audit_seq=request.audit_seq, audit_head=request.audit_head, signer_name=request.signer_name,
        subject=request.subject, firm_name=request.firm_name, advisor_email=request.advisor_email,
        signers=[SignerMap(request_id=s.request_id, client_id=s.client_id, name=s.name)
                 for s in request.stored_envelope.signers] if request.stored_envelope else None,
        signing_order=request.stored_envelope.order if request.stored_envelope else None, turn=request.turn,
    )


def mirror(step: Step, extra: Sequence[Action] = ()) -> list[Action]:
    """The actions that keep the message's copy of a signer's state in step with the request's `step`
    (none for a request whose message keeps no copies: stored before co-signing)."""
    after = step.after
    if not after.envelope.mirrored:
        return []
    n = after.position - 1
    actions: list[Action] = [signer_field(n, "status").set(str(after.status)), signer_field(n, "turn").set(after.turn),
                             *extra]
    if step.move.to == SigningStatus.SIGNED:
        actions.append(signer_field(n, "signed_at").set(step.event.at))
    elif step.move.to == SigningStatus.REJECTED:
        actions.append(signer_field(n, "rejected_at").set(step.event.at))
    if step.move.gives_turn:
        actions.append(signer_field(n, "notice").set("pending"))
    return actions


def signer_field(n: int, name: str) -> Path:
    """A field of the message's copy of the `n`th signer's state (from 0)."""
    return Path(MessageItem.signers)[n][name]


class SigningRequestRepository:
    """The signing requests of the table, changed only by the steps of the ceremony."""

    def get(self, tenant_id: str, request_id: str) -> SigningRequest:
        """Read consistently: the steps that follow write on the condition of what they read."""
        try:
            item = SigningRequestItem.get(keys.tenant(tenant_id), keys.signing_request(request_id), consistent_read=True)
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

    # --- the code -----------------------------------------------------------------------

    def ceremony(self, tenant_id: str, request_id: str, client_id: str, now: datetime, *, with_firm: bool = False,
                 key: IdempotencyKey | None = None) -> Ceremony:
        """The request, its code and the client (the firm and its SMS of the day, the key's answer), in one read."""
        pk = keys.tenant(tenant_id)
        wanted: dict[str, Wanted] = {
            "request": (SigningRequestItem, pk, keys.signing_request(request_id)),
            "code": (OtpItem, pk, keys.otp(request_id)),
            "client": (ClientItem, pk, keys.client(client_id)),
        }
        if with_firm:
            wanted["firm"] = (TenantItem, pk, keys.TENANT_PROFILE)
            wanted["sms"] = (CounterItem, items.firm_counter(tenant_id, now), keys.COUNTER)
        if key is not None:
            wanted[records.PART] = records.wanted(key)
        found = read_together(wanted)
        request, client = found.get("request", SigningRequestItem), found.get("client", ClientItem)
        if request is None or client is None:
            raise NotFound()
        firm = found.get("firm", TenantItem)
        return Ceremony(
            request=to_signing_request(tenant_id, request), code=items.code_state_of(found.get("code", OtpItem)),
            client=to_client(tenant_id, client), firm=to_tenant(tenant_id, firm) if firm is not None else None,
            sms_sent_today=items.sent_today(found.get("sms", CounterItem)), earlier=records.answer_in(found, now),
        )

    def code_state(self, tenant_id: str, request_id: str) -> OtpState:
        return items.read_code_state(tenant_id, request_id)

    def record_code_sent(self, step: Step, before: OtpState, after: OtpState, phone_digest: str, now: datetime,
                         firm_budget: int) -> None:
        """A new code, counted against the firm's, the phone's and the client's day, with its `code_sent` event.

        RateLimited when a limit holds: the firm's SMS budget, the phone's or the client's day
        (until midnight in Amsterdam), or a concurrent send for this request (the resend wait).
        """
        request = step.before
        if firm_budget <= 0:
            raise RateLimited("sms_budget_exhausted", retry_after=seconds_to_midnight(now))
        transition = Transition()
        items.write_code_state(transition, request.tenant_id, request.id, before, after)
        items.count_send(transition, "firm_limit", items.firm_counter(request.tenant_id, now), now, firm_budget)
        items.count_send(transition, "phone_limit", items.phone_counter(request.tenant_id, phone_digest, now), now,
                         otp.MAX_PER_PHONE_PER_DAY)
        items.count_send(transition, "client_limit", items.client_counter(request.tenant_id, request.client_id, now),
                         now, otp.MAX_PER_CLIENT_PER_DAY)
        record_step(transition, step)
        try:
            transition.commit(step_token(step))
        except TransitionRefused as exc:
            until_midnight = seconds_to_midnight(now)
            if "firm_limit" in exc.failed:
                raise RateLimited("sms_budget_exhausted", retry_after=until_midnight) from exc
            if "phone_limit" in exc.failed:
                raise RateLimited("too_many_sms_for_phone", retry_after=until_midnight) from exc
            if "client_limit" in exc.failed:
                raise RateLimited("too_many_sms_for_client", retry_after=until_midnight) from exc
            raise RateLimited("too_many_codes", retry_after=int(otp.RESEND_AFTER.total_seconds())) from exc

    def undo_code_sent(self, step: Step, sent: OtpState, restored: OtpState, phone_digest: str, now: datetime) -> None:
        """A code that never left: the counts (the firm's too) back, and the state before it with the
        `code_failed` event, unless a newer code request took over in the meantime: that one keeps its state.
        """
        request = step.before
        counts = Transition()
        items.uncount_send(counts, "firm_limit", items.firm_counter(request.tenant_id, now))
        items.uncount_send(counts, "phone_limit", items.phone_counter(request.tenant_id, phone_digest, now))
        items.uncount_send(counts, "client_limit", items.client_counter(request.tenant_id, request.client_id, now))
        counts.commit(f"undo-{step_token(step)}"[:36])
        transition = Transition()
        items.write_code_state(transition, request.tenant_id, request.id, sent, restored)
        record_step(transition, step)
        with contextlib.suppress(TransitionRefused):
            transition.commit(step_token(step))

    def record_code_check(self, step: Step, before: OtpState, after: OtpState) -> None:
        """The outcome of a code check; InvalidCode when a concurrent check got there first."""
        transition = Transition()
        items.write_code_state(transition, step.before.tenant_id, step.before.id, before, after)
        record_step(transition, step)
        try:
            transition.commit(step_token(step))
        except TransitionRefused as exc:
            raise InvalidCode("code_race", attempts_left=max(0, otp.MAX_ATTEMPTS - after.attempts)) from exc

    # --- the set of signers ----------------------------------------------------------------

    def envelope_state(self, request: SigningRequest) -> EnvelopeState:
        """The set's requests (consistently, in order) and the message's version, in one BatchGetItem."""
        pk = keys.tenant(request.tenant_id)
        wanted: dict[str, Wanted] = {"message": (MessageItem, pk, keys.message(request.message_id))}
        for signer in request.envelope.signers:
            wanted[signer.request_id] = (SigningRequestItem, pk, keys.signing_request(signer.request_id))
        found = read_together(wanted)
        message = found.get("message", MessageItem)
        requests = [found.get(s.request_id, SigningRequestItem) for s in request.envelope.signers]
        if message is None or any(item is None for item in requests):
            raise NotFound()
        return EnvelopeState(tuple(to_signing_request(request.tenant_id, item) for item in requests if item),
                             int(message.signing_version or 0))

    # --- the signature --------------------------------------------------------------------

    def sign(self, settlement: Settlement, version: int | None, before: OtpState, after: OtpState,
             receipt: StoredReceipt, notifications: Sequence[dict[str, Any]], phone_changed_at: str | None,
             recorded: Recorded | None = None, *, token: str | None = None, notice_due: datetime | None = None) -> None:
        """All or nothing: the request signed with what that means for its set (the message signed, or the
        next signer's turn), the code used, the sealed receipt, the event, the notifications, and the answer
        under the call's Idempotency-Key.

        AlreadyAnswered when that key was answered meanwhile; AlreadySigned or NotOpen when the
        request was closed meanwhile, OtpRequired when its code was used or changed, or the
        client's phone number changed since `phone_changed_at` was read; SetMoved when another
        signer's step landed on the set since `version`.
        """
        step = settlement.step
        request, signed_at = step.before, step.event.at
        transition = Transition()
        write_settlement(transition, settlement, version, notice_due=notice_due)
        same_phone = (ClientItem.phone_changed_at == phone_changed_at if phone_changed_at
                      else ClientItem.phone_changed_at.does_not_exist())
        transition.check("phone", ClientItem(keys.tenant(request.tenant_id), keys.client(request.client_id)),
                         same_phone)
        items.write_code_state(transition, request.tenant_id, request.id, before, after)
        items.put_stored_receipt(transition, request.tenant_id, request.conversation_id, request.id, receipt,
                                 signed_at)
        for n, notification in enumerate(notifications):
            transition.put(f"notification_{n}", notification_item(request.tenant_id, request.advisor_id, notification))
        if recorded is not None:
            records.put_record(transition, recorded, parse_iso(signed_at))
        try:
            transition.commit(token or step_token(step))
        except TransitionContended as contended:
            if set_moved(contended.parts):
                raise SetMoved() from contended  # another signer's step at that very moment: settle anew
            raise
        except TransitionRefused as exc:
            current = self.get(request.tenant_id, request.id)
            if current.audit_head == step.event.hash:
                return  # this very signature, landed by an attempt whose answer was lost
            if set_moved(exc.failed) and current.audit_head == request.audit_head:
                raise SetMoved() from exc  # another signer's step: this one is still to be settled anew
            answered = records.read_answer(recorded.key, parse_iso(signed_at)) if recorded is not None else None
            if answered is not None:
                raise AlreadyAnswered(answered) from exc
            if current.status == SigningStatus.SIGNED:
                raise AlreadySigned() from exc
            if not current.is_open:
                raise NotOpen() from exc
            raise OtpRequired() from exc

    def stored_receipt(self, tenant_id: str, conversation_id: str, request_id: str) -> StoredReceipt | None:
        return items.read_stored_receipt(tenant_id, conversation_id, request_id)

    def pending_stamps(self, limit: int) -> list[PendingStamp]:
        return items.pending_stamps(limit)

    def record_stamp(self, pending: PendingStamp, token: bytes) -> bool:
        return items.record_stamp(pending, token)


def notification_item(tenant_id: str, advisor_id: str, notification: dict[str, Any]) -> NotificationItem:
    """An advisor's notification (its fields as `messaging.notices.notification` makes them)."""
    return NotificationItem(
        keys.advisor_inbox(tenant_id, advisor_id), keys.notification(notification["id"]),
        notification_id=notification["id"], type=notification["type"], message_id=notification.get("message_id"),
        signing_request_id=notification.get("signing_request_id"), client_id=notification.get("client_id"),
        bulk_send_id=notification.get("bulk_send_id"), webhook_id=notification.get("webhook_id"),
        created_at=notification["created_at"],
    )
