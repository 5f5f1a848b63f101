"""The signing requests in memory, with the rules of `chalicelib.store.signing_requests` (checked by the contract suite)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.clock import AMSTERDAM, parse_iso, seconds_to_midnight
from chalicelib.errors import AlreadySigned, InvalidCode, NotFound, NotOpen, OtpRequired, RateLimited
from chalicelib.idempotency import AlreadyAnswered, IdempotencyKey, Recorded
from chalicelib.messaging.model import SigningRequest
from chalicelib.signing import otp
from chalicelib.signing.audit import AuditEvent
from chalicelib.signing.otp import OtpState
from chalicelib.signing.ports import Ceremony, EnvelopeState, PendingStamp, SetMoved, StoredReceipt
from chalicelib.signing.states import Settlement, SigningStatus, Step
from tests.fakes.adapters import Failing

Key = tuple[str, str]


def _day(now: datetime) -> str:
    return now.astimezone(AMSTERDAM).strftime("%Y-%m-%d")


class FakeSigningRequests(Failing):
    def __init__(self, ports: Any) -> None:
        self.ports = ports
        self.requests: dict[Key, SigningRequest] = {}
        self.events: dict[Key, list[AuditEvent]] = {}
        self.codes: dict[Key, OtpState] = {}
        self.counters: dict[tuple[str, ...], int] = {}
        self.receipts: dict[Key, StoredReceipt] = {}
        self.pending: dict[Key, PendingStamp] = {}  # receipts awaiting their time stamp
        self.fields: dict[Key, dict[str, Any]] = {}  # what a step stores beside the request (reasons, moments)

    # --- for the other fakes: a request's step inside their all-or-nothing changes -----------

    def add(self, request: SigningRequest, first_event: AuditEvent) -> None:
        key = (request.tenant_id, request.id)
        if key in self.requests:
            raise NotOpen("exists")
        self.requests[key] = request
        self.events[key] = [first_event]

    def step_allowed(self, step: Step) -> bool:
        """The store's condition: the request is still where the step found it."""
        current = self.requests.get((step.before.tenant_id, step.before.id))
        return (current is not None and current.audit_seq == step.before.audit_seq
                and current.status in step.move.allowed_from)

    def apply_step(self, step: Step, **fields: Any) -> None:
        key = (step.before.tenant_id, step.before.id)
        self.requests[key] = replace(step.after, **{k: v for k, v in fields.items() if hasattr(step.after, k)})
        self.events[key].append(step.event)
        if step.move.stamp:
            self.fields.setdefault(key, {})[step.move.stamp] = step.event.at
        self.fields.setdefault(key, {}).update(fields)

    # --- the repository --------------------------------------------------------------------

    def get(self, tenant_id: str, request_id: str) -> SigningRequest:
        try:
            return self.requests[(tenant_id, request_id)]
        except KeyError:
            raise NotFound() from None

    def audit_events(self, tenant_id: str, request_id: str) -> list[AuditEvent]:
        return list(self.events.get((tenant_id, request_id), []))

    def ceremony(self, tenant_id: str, request_id: str, client_id: str, now: datetime, *, with_firm: bool = False,
                 key: IdempotencyKey | None = None) -> Ceremony:
        self._maybe_fail()
        request = self.get(tenant_id, request_id)
        client = self.ports.clients.get(tenant_id, client_id)
        firm = self.ports.tenants.get(tenant_id) if with_firm else None
        return Ceremony(request=request, code=self.code_state(tenant_id, request_id), client=client, firm=firm,
                        sms_sent_today=self.counters.get(("firm", tenant_id, _day(now)), 0) if with_firm else 0,
                        earlier=self.ports.messages.answer_under(key, now) if key is not None else None)

    def code_state(self, tenant_id: str, request_id: str) -> OtpState:
        return self.codes.get((tenant_id, request_id), OtpState())

    def _code_unchanged(self, request: SigningRequest, before: OtpState) -> bool:
        return self.code_state(request.tenant_id, request.id).version == before.version

    def record_code_sent(self, step: Step, before: OtpState, after: OtpState, phone_digest: str, now: datetime,
                         firm_budget: int) -> None:
        self._maybe_fail()
        request = step.before
        firm = ("firm", request.tenant_id, _day(now))
        phone = ("phone", request.tenant_id, phone_digest, _day(now))
        client = ("client", request.tenant_id, request.client_id, _day(now))
        if firm_budget <= 0 or self.counters.get(firm, 0) >= firm_budget:
            raise RateLimited("sms_budget_exhausted", retry_after=seconds_to_midnight(now))
        if self.counters.get(phone, 0) >= otp.MAX_PER_PHONE_PER_DAY:
            raise RateLimited("too_many_sms_for_phone", retry_after=seconds_to_midnight(now))
        if self.counters.get(client, 0) >= otp.MAX_PER_CLIENT_PER_DAY:
            raise RateLimited("too_many_sms_for_client", retry_after=seconds_to_midnight(now))
        if not (self._code_unchanged(request, before) and self.step_allowed(step)):
            raise RateLimited("too_many_codes", retry_after=int(otp.RESEND_AFTER.total_seconds()))
        for counter in (firm, phone, client):
            self.counters[counter] = self.counters.get(counter, 0) + 1
        self.codes[(request.tenant_id, request.id)] = after
        self.apply_step(step)

    def undo_code_sent(self, step: Step, sent: OtpState, restored: OtpState, phone_digest: str, now: datetime) -> None:
        request = step.before
        for key in (("firm", request.tenant_id, _day(now)), ("phone", request.tenant_id, phone_digest, _day(now)),
                    ("client", request.tenant_id, request.client_id, _day(now))):
            self.counters[key] = self.counters.get(key, 0) - 1
        if not (self._code_unchanged(request, sent) and self.step_allowed(step)):
            return  # a newer code request took over: it keeps its state
        self.codes[(request.tenant_id, request.id)] = restored
        self.apply_step(step)

    def record_code_check(self, step: Step, before: OtpState, after: OtpState) -> None:
        self._maybe_fail()
        request = step.before
        if not (self._code_unchanged(request, before) and self.step_allowed(step)):
            raise InvalidCode("code_race", attempts_left=max(0, otp.MAX_ATTEMPTS - after.attempts))
        self.codes[(request.tenant_id, request.id)] = after
        self.apply_step(step)

    def envelope_state(self, request: SigningRequest) -> EnvelopeState:
        self._maybe_fail()
        message = self.ports.messages.get_message(request.tenant_id, request.message_id)
        return EnvelopeState(tuple(self.get(request.tenant_id, s.request_id) for s in request.envelope.signers),
                             message.signing_version)

    def sign(self, settlement: Settlement, version: int | None, before: OtpState, after: OtpState,
             receipt: StoredReceipt, notifications: Sequence[dict[str, Any]], phone_changed_at: str | None,
             recorded: Recorded | None = None, *, token: str | None = None, notice_due: datetime | None = None) -> None:
        self._maybe_fail()
        step = settlement.step
        request = step.before
        key = (request.tenant_id, request.id)
        signed_at = parse_iso(step.event.at)
        landed = self.requests.get(key)
        if landed is not None and landed.audit_head == step.event.hash:
            return  # this very signature, landed by an attempt whose answer was lost
        if recorded is not None and (earlier := self.ports.messages.answer_under(recorded.key, signed_at)):
            raise AlreadyAnswered(earlier)
        if not (self.step_allowed(step) and self._code_unchanged(request, before)
                and self._phone_changed_at(request) == phone_changed_at):
            current = self.requests[key]
            if current.status == SigningStatus.SIGNED:
                raise AlreadySigned()
            if not current.is_open:
                raise NotOpen()
            raise OtpRequired()
        messages = self.ports.messages
        if not messages.apply_settlement(settlement, version, notice_due=notice_due):
            raise SetMoved()
        self.codes[key] = after
        self.receipts[(request.tenant_id, request.id)] = receipt
        if receipt.timestamp is None:
            self.pending[(request.tenant_id, request.id)] = PendingStamp(
                tenant_id=request.tenant_id, conversation_id=request.conversation_id, request_id=request.id,
                seal_signature=receipt.seal_signature, signed_at=step.event.at)
        for notification in notifications:
            messages.notifications.setdefault((request.tenant_id, request.advisor_id), []).insert(0, notification)
        if recorded is not None:
            messages.record_answer(recorded, signed_at)

    def _phone_changed_at(self, request: SigningRequest) -> str | None:
        try:
            return self.ports.clients.get(request.tenant_id, request.client_id).phone_changed_at  # type: ignore[no-any-return]
        except NotFound:
            return None

    def stored_receipt(self, tenant_id: str, conversation_id: str, request_id: str) -> StoredReceipt | None:
        return self.receipts.get((tenant_id, request_id))

    def pending_stamps(self, limit: int) -> list[PendingStamp]:
        self._maybe_fail()
        return sorted(self.pending.values(), key=lambda p: p.signed_at)[:limit]

    def record_stamp(self, pending: PendingStamp, token: bytes) -> bool:
        key = (pending.tenant_id, pending.request_id)
        stored = self.receipts.get(key)
        if stored is None or stored.timestamp is not None:
            return False
        self.receipts[key] = replace(stored, timestamp=token)
        self.pending.pop(key, None)
        return True
