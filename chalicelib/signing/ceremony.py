"""The client's side of signing: the request, 'Akkoord en ondertekenen' → SMS code → verified."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.clients import phone as phones
from chalicelib.clock import iso, parse_iso, seconds_to_midnight
from chalicelib.config import get_settings
from chalicelib.errors import (
    AlreadySigned,
    DependencyFailed,
    InvalidCode,
    NotFound,
    NotOpen,
    OtpLocked,
    PhoneRequired,
    RateLimited,
)
from chalicelib.messaging.model import SigningRequest
from chalicelib.notify.templates import render_sms
from chalicelib.observability import count, logger
from chalicelib.signing import otp
from chalicelib.signing.states import SigningStatus, Step, advance
from chalicelib.store.clients import ClientRepository
from chalicelib.store.signing import SigningRepository
from chalicelib.store.signing_requests import SigningRequestRepository, record_step
from chalicelib.store.tenants import TenantRepository
from chalicelib.store.transaction import Transition, TransitionRefused
from chalicelib.tenants.model import Tenant
from chalicelib.validation import Fields

MAX_FIRM_NAME_IN_SMS = 40  # one SMS segment with the code and the warning


def own_request(principal: Principal, request_id: str) -> SigningRequest:
    """The client's own signing request; any other is NotFound, exactly like a missing one."""
    aws.bind_store()
    request = SigningRequestRepository().get(principal.tenant_id, request_id)
    if request.client_id != principal.subject_id:
        raise NotFound()
    return request


def ensure_open(request: SigningRequest, *, signing: bool = False) -> None:
    """NotOpen unless the request is open; a second signature is AlreadySigned."""
    if signing and request.status == SigningStatus.SIGNED:
        raise AlreadySigned()
    if not request.is_open:
        raise NotOpen()


def signing_request_view(principal: Principal, request_id: str) -> dict[str, Any]:
    """What the signing screen needs: the document, the prefilled city, the masked phone."""
    request = own_request(principal, request_id)
    if request.status == SigningStatus.SENT:
        from chalicelib.messaging.service import open_message

        open_message(principal, request.message_id)  # the first look counts as viewing
        request = own_request(principal, request_id)
    client = ClientRepository().get(principal.tenant_id, principal.subject_id)
    document = request.document
    url = aws.document_storage().download_url(document.s3_key, document.version_id, document.filename)
    return {
        "id": request.id, "status": request.status, "deadline": request.deadline, "message_id": request.message_id,
        "document": {**document.to_api(), "download_url": url},
        "prefill": {"city": client.city or ""},
        "phone_hint": phones.mask(client.phone) if client.phone else None,
        "signed_at": request.signed_at,
    }


def _usable_phone(phone: str | None) -> str:
    if not phone:
        raise PhoneRequired()
    if not phones.can_receive_codes(phone, get_settings().sms_allowed_country_codes):
        raise PhoneRequired("phone_cannot_receive_codes")
    return phone


def request_code(principal: Principal, request_id: str) -> dict[str, Any]:
    """Send a fresh 6-digit code by SMS, within the limits per request, phone, client and firm."""
    request = own_request(principal, request_id)
    ensure_open(request)
    client = ClientRepository().get(principal.tenant_id, principal.subject_id)
    phone = _usable_phone(client.phone)
    firm = TenantRepository().get(principal.tenant_id)
    now = aws.clock().now()
    signing = SigningRepository()
    state = signing.otp_state(principal.tenant_id, request_id)
    otp.check_send_limits(state, now)
    _take_from_budget(signing, firm, now)

    secret = aws.otp_secret()
    code = otp.new_code()
    issued = otp.issue(state, otp.code_hmac(secret, principal.tenant_id, request_id, request.document.sha256, code),
                       now, phones.mask(phone))
    step = advance(request, "code_sent", iso(now), f"client:{principal.subject_id}",
                   {"phone": issued.phone_hint, "expires_at": issued.expires_at})
    limits = _send_limits(signing, request, client.id, otp.phone_digest(secret, phone), now)
    transition = Transition()
    actions, lock = signing.otp_write(issued, state.version)
    transition.update("otp", signing.otp_item(principal.tenant_id, request_id), actions, lock)
    for name, (counter, counter_actions, under_limit) in limits.items():
        transition.update(name, counter, counter_actions, under_limit)
    record_step(transition, step)
    try:
        transition.commit()
    except Exception as exc:
        signing.release_firm_sms(principal.tenant_id, now)  # no send, so no SMS of the budget
        if not isinstance(exc, TransitionRefused):
            raise
        if "phone_limit" in exc.failed:
            raise RateLimited("too_many_sms_for_phone", retry_after=seconds_to_midnight(now)) from exc
        if "client_limit" in exc.failed:
            raise RateLimited("too_many_sms_for_client", retry_after=seconds_to_midnight(now)) from exc
        raise RateLimited("too_many_codes", retry_after=int(otp.RESEND_AFTER.total_seconds())) from exc

    # Only the code, the firm and a warning: nothing an advisor typed goes into an SMS.
    text = render_sms("otp", client.language, {"code": code, "firm": firm.name[:MAX_FIRM_NAME_IN_SMS]})
    try:
        aws.sms().send(phone, text)
    except DependencyFailed:
        _unclaim_send(step.after, state, issued, limits, now)
        raise
    count("CodesSent")
    logger.info("signing code sent", extra={"signing_request_id": request_id})
    return {"expires_in": int(otp.CODE_LIFETIME.total_seconds()), "phone_hint": issued.phone_hint,
            "resend_after": int(otp.RESEND_AFTER.total_seconds())}


def _take_from_budget(signing: SigningRepository, firm: Tenant, now: datetime) -> None:
    """One SMS of the firm's daily budget; RateLimited when it is spent, a warning metric at 80 %."""
    budget = firm.sms_daily_budget if firm.sms_daily_budget is not None else get_settings().sms_daily_budget
    used = signing.reserve_firm_sms(firm.id, now, budget)
    if used is None:
        count("SmsBudgetExhausted")
        logger.warning("firm's daily SMS budget is spent", extra={"budget": budget})
        raise RateLimited("sms_budget_exhausted", retry_after=seconds_to_midnight(now))
    if used == otp.budget_warning_at(budget):
        count("SmsBudgetWarning")
        logger.warning("firm has used most of its daily SMS budget", extra={"used": used, "budget": budget})


def _send_limits(signing: SigningRepository, request: SigningRequest, client_id: str, phone_digest: str,
                 now: datetime) -> dict[str, tuple[Any, list[Any], Any]]:
    """The daily counters a send increments, by the name a refusal reports."""
    return {"phone_limit": signing.phone_counter(request.tenant_id, phone_digest, now),
            "client_limit": signing.client_counter(request.tenant_id, client_id, now)}


def _unclaim_send(request: SigningRequest, before: otp.OtpState, issued: otp.OtpState,
                  limits: dict[str, tuple[Any, list[Any], Any]], now: datetime) -> None:
    """An SMS that never left is no send: give back the limits it took, and say so in the audit chain."""
    from chalicelib.store.models import CounterItem

    signing = SigningRepository()
    transition = Transition()
    actions, lock = signing.otp_write(replace(before, version=issued.version + 1), issued.version)
    transition.update("otp", signing.otp_item(request.tenant_id, request.id), actions, lock)
    for name, (counter, _, _) in limits.items():
        transition.update(name, counter, [CounterItem.total.add(-1)])
    record_step(transition, advance(request, "code_failed", iso(now), "system:sms", {"reason": "sms_not_delivered"}))
    with contextlib.suppress(TransitionRefused):  # a newer code request took over; its state stands
        transition.commit()
    signing.release_firm_sms(request.tenant_id, now)


def verify_code(principal: Principal, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Check the code in constant time; the fifth wrong try burns it."""
    fields = Fields(body)
    code = fields.text("code", max_length=16)
    if code is not None and not (len(code) == 6 and code.isdigit()):
        fields.add("code", "code_format")
    fields.done()
    assert code is not None
    request = own_request(principal, request_id)
    ensure_open(request)
    now = aws.clock().now()
    signing = SigningRepository()
    state = signing.otp_state(principal.tenant_id, request_id)
    client = ClientRepository().get(principal.tenant_id, principal.subject_id)
    if state.voided_by(client.phone_changed_at):
        raise InvalidCode("code_void_phone_changed", attempts_left=0)
    if state.locked:
        raise OtpLocked("code_locked", retry_after=_resend_wait(state, now))
    if not state.code_hmac or not state.expires_at:
        raise InvalidCode("no_code", attempts_left=0)
    if parse_iso(state.expires_at) <= now:
        raise InvalidCode("code_expired", attempts_left=0)
    candidate = otp.code_hmac(aws.otp_secret(), principal.tenant_id, request_id, request.document.sha256, code)
    actor = f"client:{principal.subject_id}"
    if otp.codes_match(state.code_hmac, candidate):
        verified = replace(state, code_hmac=None, verified_at=iso(now), used_at=None, version=state.version + 1)
        _record(state, verified, advance(request, "code_verified", iso(now), actor))
        count("CodesVerified")
        return {"verified": True, "expires_in": int(otp.VERIFIED_WINDOW.total_seconds())}
    attempts = state.attempts + 1
    if attempts >= otp.MAX_ATTEMPTS:
        burned = replace(state, code_hmac=None, attempts=attempts, locked=True, version=state.version + 1)
        _record(state, burned, advance(request, "code_locked", iso(now), actor, {"attempts": attempts}))
        count("CodesLocked")
        raise OtpLocked("code_locked", retry_after=_resend_wait(state, now))
    failed = replace(state, attempts=attempts, version=state.version + 1)
    _record(state, failed, advance(request, "code_failed", iso(now), actor, {"attempts": attempts}))
    count("CodesFailed")
    raise InvalidCode("wrong_code", attempts_left=otp.MAX_ATTEMPTS - attempts)


def _record(before: otp.OtpState, after: otp.OtpState, step: Step) -> None:
    """Write the new code state and its audit event together; a concurrent try makes this one fail."""
    signing = SigningRepository()
    request = step.before
    transition = Transition()
    actions, lock = signing.otp_write(after, before.version)
    transition.update("otp", signing.otp_item(request.tenant_id, request.id), actions, lock)
    record_step(transition, step)
    try:
        transition.commit()
    except TransitionRefused as exc:
        raise InvalidCode("code_race", attempts_left=max(0, otp.MAX_ATTEMPTS - after.attempts)) from exc


def _resend_wait(state: otp.OtpState, now: datetime) -> int:
    try:
        otp.check_send_limits(state, now)
    except RateLimited as limited:
        return limited.retry_after
    return 1
