"""The client's side of signing: the request, 'Akkoord en ondertekenen' → SMS code → verified."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.clients import phone as phones
from chalicelib.clock import iso, parse_iso, seconds_to_midnight
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
from chalicelib.ports import Ports
from chalicelib.signing import otp
from chalicelib.signing.states import SigningStatus, advance
from chalicelib.tenants.model import Tenant
from chalicelib.validation import Fields

MAX_FIRM_NAME_IN_SMS = 40  # one SMS segment with the code and the warning


def own_request(ports: Ports, principal: Principal, request_id: str) -> SigningRequest:
    """The client's own signing request; any other is NotFound, exactly like a missing one."""
    request = ports.signing.get(principal.tenant_id, request_id)
    if request.client_id != principal.subject_id:
        raise NotFound()
    return request


def ensure_open(request: SigningRequest, *, signing: bool = False) -> None:
    """NotOpen unless the request is open; a second signature is AlreadySigned."""
    if signing and request.status == SigningStatus.SIGNED:
        raise AlreadySigned()
    if not request.is_open:
        raise NotOpen()


def signing_request_view(ports: Ports, principal: Principal, request_id: str) -> dict[str, Any]:
    """What the signing screen needs: the document, the prefilled city, the masked phone."""
    request = own_request(ports, principal, request_id)
    if request.status == SigningStatus.SENT:
        from chalicelib.messaging.service import open_message

        open_message(ports, principal, request.message_id)  # the first look counts as viewing
        request = own_request(ports, principal, request_id)
    client = ports.clients.get(principal.tenant_id, principal.subject_id)
    document = request.document
    url = ports.files.download_url(document.s3_key, document.version_id, document.filename)
    return {
        "id": request.id, "status": request.status, "deadline": request.deadline, "message_id": request.message_id,
        "document": {**document.to_api(), "download_url": url},
        "prefill": {"city": client.city or ""},
        "phone_hint": phones.mask(client.phone) if client.phone else None,
        "signed_at": request.signed_at,
    }


def _usable_phone(ports: Ports, phone: str | None) -> str:
    if not phone:
        raise PhoneRequired()
    if not phones.can_receive_codes(phone, ports.settings.sms_allowed_country_codes):
        raise PhoneRequired("phone_cannot_receive_codes")
    return phone


def request_code(ports: Ports, principal: Principal, request_id: str) -> dict[str, Any]:
    """Send a fresh 6-digit code by SMS, within the limits per request, phone, client and firm."""
    request = own_request(ports, principal, request_id)
    ensure_open(request)
    client = ports.clients.get(principal.tenant_id, principal.subject_id)
    phone = _usable_phone(ports, client.phone)
    firm = ports.tenants.get(principal.tenant_id)
    now = ports.clock.now()
    state = ports.signing.code_state(principal.tenant_id, request_id)
    otp.check_send_limits(state, now)
    _take_from_budget(ports, firm, now)

    secret = ports.secrets.otp_secret()
    code = otp.new_code()
    issued = otp.issue(state, otp.code_hmac(secret, principal.tenant_id, request_id, request.document.sha256, code),
                       now, phones.mask(phone))
    step = advance(request, "code_sent", iso(now), f"client:{principal.subject_id}",
                   {"phone": issued.phone_hint, "expires_at": issued.expires_at})
    phone_digest = otp.phone_digest(secret, phone)
    try:
        ports.signing.record_code_sent(step, state, issued, phone_digest, now)
    except Exception:
        ports.signing.release_sms(principal.tenant_id, now)  # no send, so no SMS of the budget
        raise

    # Only the code, the firm and a warning: nothing an advisor typed goes into an SMS.
    text = render_sms("otp", client.language, {"code": code, "firm": firm.name[:MAX_FIRM_NAME_IN_SMS]})
    try:
        ports.sms.send(phone, text)
    except DependencyFailed:
        # An SMS that never left is no send: the limits it took go back, and the chain says so.
        failed = advance(step.after, "code_failed", iso(now), "system:sms", {"reason": "sms_not_delivered"})
        ports.signing.undo_code_sent(failed, issued, replace(state, version=issued.version + 1), phone_digest, now)
        ports.signing.release_sms(principal.tenant_id, now)
        raise
    count("CodesSent")
    logger.info("signing code sent", extra={"signing_request_id": request_id})
    return {"expires_in": int(otp.CODE_LIFETIME.total_seconds()), "phone_hint": issued.phone_hint,
            "resend_after": int(otp.RESEND_AFTER.total_seconds())}


def _take_from_budget(ports: Ports, firm: Tenant, now: datetime) -> None:
    """One SMS of the firm's daily budget; RateLimited when it is spent, a warning metric at 80 %."""
    budget = firm.sms_daily_budget if firm.sms_daily_budget is not None else ports.settings.sms_daily_budget
    used = ports.signing.reserve_sms(firm.id, now, budget)
    if used is None:
        count("SmsBudgetExhausted")
        logger.warning("firm's daily SMS budget is spent", extra={"budget": budget})
        raise RateLimited("sms_budget_exhausted", retry_after=seconds_to_midnight(now))
    if used == otp.budget_warning_at(budget):
        count("SmsBudgetWarning")
        logger.warning("firm has used most of its daily SMS budget", extra={"used": used, "budget": budget})


def verify_code(ports: Ports, principal: Principal, request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Check the code in constant time; the fifth wrong try burns it."""
    fields = Fields(body)
    code = fields.text("code", max_length=16)
    if code is not None and not (len(code) == 6 and code.isdigit()):
        fields.add("code", "code_format")
    fields.done()
    assert code is not None
    request = own_request(ports, principal, request_id)
    ensure_open(request)
    now = ports.clock.now()
    state = ports.signing.code_state(principal.tenant_id, request_id)
    client = ports.clients.get(principal.tenant_id, principal.subject_id)
    if state.voided_by(client.phone_changed_at):
        raise InvalidCode("code_void_phone_changed", attempts_left=0)
    if state.locked:
        raise OtpLocked("code_locked", retry_after=_resend_wait(state, now))
    if not state.code_hmac or not state.expires_at:
        raise InvalidCode("no_code", attempts_left=0)
    if parse_iso(state.expires_at) <= now:
        raise InvalidCode("code_expired", attempts_left=0)
    candidate = otp.code_hmac(ports.secrets.otp_secret(), principal.tenant_id, request_id,
                              request.document.sha256, code)
    actor = f"client:{principal.subject_id}"
    if otp.codes_match(state.code_hmac, candidate):
        verified = replace(state, code_hmac=None, verified_at=iso(now), used_at=None, version=state.version + 1)
        ports.signing.record_code_check(advance(request, "code_verified", iso(now), actor), state, verified)
        count("CodesVerified")
        return {"verified": True, "expires_in": int(otp.VERIFIED_WINDOW.total_seconds())}
    attempts = state.attempts + 1
    if attempts >= otp.MAX_ATTEMPTS:
        burned = replace(state, code_hmac=None, attempts=attempts, locked=True, version=state.version + 1)
        ports.signing.record_code_check(advance(request, "code_locked", iso(now), actor, {"attempts": attempts}),
                                        state, burned)
        count("CodesLocked")
        raise OtpLocked("code_locked", retry_after=_resend_wait(state, now))
    failed = replace(state, attempts=attempts, version=state.version + 1)
    ports.signing.record_code_check(advance(request, "code_failed", iso(now), actor, {"attempts": attempts}),
                                    state, failed)
    count("CodesFailed")
    raise InvalidCode("wrong_code", attempts_left=otp.MAX_ATTEMPTS - attempts)


def _resend_wait(state: otp.OtpState, now: datetime) -> int:
    try:
        otp.check_send_limits(state, now)
    except RateLimited as limited:
        return limited.retry_after
    return 1
