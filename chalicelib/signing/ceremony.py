"""The client's side of signing: the request, 'Akkoord en ondertekenen' → SMS code → verified."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.auth.principal import Principal
from chalicelib.clients import phone as phones
from chalicelib.clock import iso, parse_iso
from chalicelib.errors import (
    DependencyFailed,
    InvalidCode,
    NotFound,
    OtpLocked,
    PhoneRequired,
    RateLimited,
)
from chalicelib.messaging.model import SigningRequest
from chalicelib.notify.templates import render_sms
from chalicelib.observability import count, logger
from chalicelib.signing import otp
from chalicelib.signing.states import SigningStatus, advance, check
from chalicelib.validation import Fields

if TYPE_CHECKING:
    from chalicelib.idempotency import IdempotencyKey
    from chalicelib.ports import Ports
    from chalicelib.signing.ports import Ceremony

MAX_FIRM_NAME_IN_SMS = 40  # one SMS segment with the code and the warning


def own_ceremony(ports: Ports, principal: Principal, request_id: str, now: datetime, *, with_firm: bool = False,
                 key: IdempotencyKey | None = None) -> Ceremony:
    """The client's own request with its code and card, in one read; another's is NotFound, exactly like a missing one."""
    ceremony = ports.signing.ceremony(principal.tenant_id, request_id, principal.subject_id, now,
                                      with_firm=with_firm, key=key)
    if ceremony.request.client_id != principal.subject_id:
        raise NotFound()
    return ceremony


def ensure_open(request: SigningRequest, *, signing: bool = False) -> None:
    """NotOpen unless the request is open; a second signature is AlreadySigned; NotYourTurn for a code or a
    signature before the signer's turn (the state machine's rules, checked before any other)."""
    check(request, "signed" if signing else "code_sent")


def signing_request_view(ports: Ports, principal: Principal, request_id: str) -> dict[str, Any]:
    """What the signing screen needs: the document, the prefilled city, the masked phone, whose turn it is."""
    now = ports.clock.now()
    ceremony = own_ceremony(ports, principal, request_id, now)
    request, client = ceremony.request, ceremony.client
    if request.status == SigningStatus.SENT:
        from chalicelib.messaging.service import view_signing_request

        request = view_signing_request(ports, principal, request)  # the first look counts as viewing
    waiting_for = None
    if request.is_open and not request.turn:
        earlier = request.envelope.signers[request.position - 2]  # sequential: the one just before
        waiting_for = earlier.name
    document = request.document
    url = ports.files.download_url(document.s3_key, document.version_id, document.filename)
    return {
        "id": request.id, "status": request.status, "deadline": request.deadline, "message_id": request.message_id,
        "document": {**document.to_api(), "download_url": url},
        "prefill": {"city": client.city or ""},
        "phone_hint": phones.mask(client.phone) if client.phone else None,
        "signed_at": request.signed_at, "turn": request.turn and request.is_open, "waiting_for": waiting_for,
        "code": otp.where_it_stands(ceremony.code, now, client.phone_changed_at) if request.is_open else None,
        "confirmation": ({"signed_at": request.signed_at, "place": request.place,
                          "document_sha256": document.sha256} if request.status == SigningStatus.SIGNED else None),
        "signing_order": request.envelope.order,
        "signers": [{"name": s.name, "position": n} for n, s in enumerate(request.envelope.signers, start=1)],
    }


def _usable_phone(ports: Ports, phone: str | None) -> str:
    if not phone:
        raise PhoneRequired()
    if not phones.can_receive_codes(phone, ports.settings.sms_allowed_country_codes):
        raise PhoneRequired("phone_cannot_receive_codes")
    return phone


def request_code(ports: Ports, principal: Principal, request_id: str) -> dict[str, Any]:
    """Send a fresh 6-digit code by SMS, within the limits per request, phone, client and firm."""
    now = ports.clock.now()
    ceremony = own_ceremony(ports, principal, request_id, now, with_firm=True)
    request, client, state, firm = ceremony.request, ceremony.client, ceremony.code, ceremony.firm
    ensure_open(request)
    if firm is None:
        raise NotFound()
    phone = _usable_phone(ports, client.phone)
    otp.check_send_limits(state, now)

    secret = ports.secrets.otp_secret()
    code = otp.new_code()
    issued = otp.issue(state, otp.code_hmac(secret, principal.tenant_id, request_id, request.document.sha256, code),
                       now, phones.mask(phone))
    step = advance(request, "code_sent", iso(now), f"client:{principal.subject_id}",
                   {"phone": issued.phone_hint, "expires_at": issued.expires_at})
    phone_digest = otp.phone_digest(secret, phone)
    budget = firm.sms_daily_budget if firm.sms_daily_budget is not None else ports.settings.sms_daily_budget
    try:
        ports.signing.record_code_sent(step, state, issued, phone_digest, now, budget)
    except RateLimited as limited:
        if limited.message == "sms_budget_exhausted":
            count("SmsBudgetExhausted")
            logger.warning("firm's daily SMS budget is spent", extra={"budget": budget})
        raise
    _warn_near_budget(ceremony.sms_sent_today + 1, budget)

    # Only the code, the firm and a warning: nothing an advisor typed goes into an SMS.
    text = render_sms("otp", client.language, {"code": code, "firm": firm.name[:MAX_FIRM_NAME_IN_SMS]})
    try:
        ports.sms.send(phone, text)
    except DependencyFailed:
        # An SMS that never left is no send: the limits it took go back, and the chain says so.
        failed = advance(step.after, "code_failed", iso(now), "system:sms", {"reason": "sms_not_delivered"})
        ports.signing.undo_code_sent(failed, issued, replace(state, version=issued.version + 1), phone_digest, now)
        raise
    count("CodesSent")
    logger.info("signing code sent", extra={"signing_request_id": request_id})
    return {"expires_in": int(otp.CODE_LIFETIME.total_seconds()), "phone_hint": issued.phone_hint,
            "resend_after": int(otp.RESEND_AFTER.total_seconds())}


def _warn_near_budget(used: int, budget: int) -> None:
    """A warning metric on every send once most of the firm's daily SMS budget is used (the alarm counts them).

    `used` comes from the read before the send, so two sends at once may both count as the same
    one: a warning on every send from the threshold on is never missed that way.
    """
    if used >= otp.budget_warning_at(budget):
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
    now = ports.clock.now()
    ceremony = own_ceremony(ports, principal, request_id, now)
    request, state, client = ceremony.request, ceremony.code, ceremony.client
    check(request, "code_verified")
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
