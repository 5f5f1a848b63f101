"""'Akkoord en ondertekenen', the last step: the signature sealed into a receipt, all or nothing.

A pipeline of small steps: check the request, the verified code, the image and the document;
build the receipt (pure); seal it; encrypt it with the image; commit it with the request, the
code and the message in one transaction; then tell the advisor.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import rfc8785

from chalicelib import idempotency
from chalicelib.auth.principal import Principal
from chalicelib.clock import back_off, iso
from chalicelib.errors import DependencyFailed, DocumentNotReady, NotFound, OtpRequired
from chalicelib.messaging.model import SigningRequest
from chalicelib.messaging.notices import confirm_signature, email_advisor, request_notification
from chalicelib.observability import count, logger
from chalicelib.ports import Ports
from chalicelib.signing.ceremony import ensure_open, own_ceremony
from chalicelib.signing.crypto import SEAL_ALGORITHM
from chalicelib.signing.image import decode_signature
from chalicelib.signing.otp import OtpState
from chalicelib.signing.ports import SetMoved, StoredReceipt, set_as_it_is
from chalicelib.signing.receipts import GivenSignature, build_receipt, digest_of, encryption_context
from chalicelib.signing.states import Settlement, Step, advance, settle
from chalicelib.validation import Fields

SIGNATURE_METHODS = ("drawn", "typed")  # a drawing, or the typed name as the browser rendered it
SETTLE_ATTEMPTS = 4  # another signer of the set may sign or reject at the same moment
NOTICE_GRACE = timedelta(minutes=5)  # the job sends a next signer's notice that this call did not


def sign(ports: Ports, principal: Principal, request_id: str, body: dict[str, Any], source_ip: str | None,
         user_agent: str | None, request_key: str | None = None) -> dict[str, Any]:
    """Seal the signature into a receipt and mark the request signed, all or nothing.

    The signature image travels inside the encrypted receipt and commits with it, in one
    transaction: an attempt that does not commit leaves nothing behind, and no receipt lacks
    its image. With `request_key` (the Idempotency-Key) the answer commits with it too, and a
    repeated call gets that answer again.
    """
    key = idempotency.key_of(f"sign:{request_id}", principal, request_key, body)  # a key is one request's
    fields = Fields(body)
    city = fields.text("city", max_length=100)
    method = fields.choice("method", SIGNATURE_METHODS, required=False, message="invalid_signature_method") or "drawn"
    typed_name = fields.text("typed_name", required=method == "typed", max_length=100) if method == "typed" else None
    fields.done()
    assert city is not None
    now = ports.clock.now()
    ceremony = own_ceremony(ports, principal, request_id, now, key=key)
    if key is not None and ceremony.earlier is not None:
        return idempotency.replay(ceremony.earlier, key)
    request, state, client = ceremony.request, ceremony.code, ceremony.client
    ensure_open(request, signing=True)
    if not state.has_live_verification(now, client.phone_changed_at):
        raise OtpRequired()
    png = decode_signature(body.get("signature_image"))
    _ensure_document_unchanged(ports, request)

    given = GivenSignature(png, city, method, typed_name)
    receipt, stored, digest = _sealed_receipt(ports, request, state, client.city, given, iso(now), source_ip,
                                              user_agent)
    step = advance(request, "signed", receipt["signed_at"], f"client:{principal.subject_id}",
                   {"receipt_digest": digest, "document_sha256": request.document.sha256,
                    "signature_image_sha256": receipt["signature_image_sha256"], "method": method})
    step = replace(step, after=replace(step.after, place=city))  # the signer's confirmation shows it
    used = replace(state, used_at=receipt["signed_at"], version=state.version + 1)
    answer = {"status": "signed", "signed_at": receipt["signed_at"]}
    recorded = idempotency.Recorded(key, answer) if key is not None else None
    try:
        settlement = _commit(ports, step, lambda settlement, version, token: ports.signing.sign(
            settlement, version, state, used, stored, _notifications(settlement), client.phone_changed_at, recorded,
            token=token, notice_due=now + NOTICE_GRACE))
    except idempotency.AlreadyAnswered as twin:  # the same call, committed a moment earlier
        assert key is not None
        return idempotency.replay(twin.answer, key)

    count("DocumentsSigned")
    logger.info("document signed", extra={"signing_request_id": request.id})
    email_advisor(ports, "signed", request.origin, receipt["signer"]["name"])
    confirm_signature(ports, client, request)
    if settlement is not None:
        _after_settling(ports, request, settlement)
    return answer


def _notifications(settlement: Settlement) -> list[dict[str, Any]]:
    """The advisor's: this signature, and the set's completion when it is the last of several."""
    request, at = settlement.step.before, settlement.step.event.at
    signed = [request_notification("signed", request, at)]
    return [*signed, request_notification("completed", request, at)] if settlement.completed else signed


def _after_settling(ports: Ports, request: SigningRequest, settlement: Settlement) -> None:
    """What a signature of a set starts once it stands: the advisor told that every signer has signed, or the
    next signer told that their turn has come (the job sends that notice, should this fail)."""
    if settlement.completed:
        email_advisor(ports, "completed", request.origin, ", ".join(
            s.name or "" for s in request.envelope.signers))
    if settlement.turn_to:
        from chalicelib.messaging.notices import send_awaiting_notices

        try:
            send_awaiting_notices(ports, ports.messages.get_message(request.tenant_id, request.message_id))
        except (DependencyFailed, NotFound):
            logger.warning("next signer's notice left to the job", extra={"message_id": request.message_id})


def _sealed_receipt(ports: Ports, request: SigningRequest, state: OtpState, prefilled_city: str | None,
                    given: GivenSignature, at: str, source_ip: str | None,
                    user_agent: str | None) -> tuple[dict[str, Any], StoredReceipt, str]:
    """The receipt, sealed with the KMS key, time-stamped over the seal, encrypted with its image; and the digest.

    An authority that does not answer in time leaves the stamp pending (the job obtains it): the
    signature is never held up by it, and no time is written that no authority signed.
    """
    receipt = build_receipt(request, state, prefilled_city, given, at, source_ip, user_agent)
    digest = digest_of(receipt)
    seal = {"algorithm": SEAL_ALGORITHM, "key_id": ports.sealer.key_id, "digest": digest.hex(),
            "signature": ports.sealer.seal(digest)}
    bundle: Any = {"receipt": receipt, "seal": seal, "signature_image": base64.b64encode(given.png).decode()}
    sealed = ports.vault.encrypt(rfc8785.dumps(bundle), encryption_context(request))
    try:
        token: bytes | None = ports.timestamper.stamp(base64.b64decode(seal["signature"]))
    except DependencyFailed:
        token = None
        count("TimestampsDeferred")
        logger.warning("time stamp pending: the authority did not answer", extra={"signing_request_id": request.id})
    return receipt, StoredReceipt(receipt["receipt_code"], sealed, seal["signature"], token), digest.hex()


def _commit(ports: Ports, step: Step,
            write: Callable[[Settlement, int | None, str | None], None]) -> Settlement | None:
    """The signature's one transaction, settled with the rest of its set; the settlement, or None when an
    earlier attempt of this very signature had landed.

    Another signer's step landing meanwhile (SetMoved) makes it read the set again and settle anew,
    under a token of its own. One whose answer was lost (a timeout) may have landed: when the
    request's chain ends in this very event, it did, and the signing goes on.
    """
    for attempt in range(SETTLE_ATTEMPTS):
        if attempt:
            back_off(attempt)
        settlement, version = _settle(ports, step)
        try:
            # A retry is another transaction than the first: the step's own token (None) would replay that one.
            write(settlement, version, f"{step.event.hash[:32]}-{attempt}" if attempt else None)
        except SetMoved:
            continue
        except DependencyFailed:
            try:
                landed = ports.signing.get(step.before.tenant_id, step.before.id).audit_head == step.event.hash
            except DependencyFailed:
                landed = False
            if not landed:
                raise
            return None
        return settlement
    raise DependencyFailed()  # the set kept moving: the client may try again


def _settle(ports: Ports, step: Step) -> tuple[Settlement, int | None]:
    """The signature's settlement with its set as it is now, and the message's version it holds on."""
    state = set_as_it_is(ports.signing, step.before)
    return settle(step, state.requests, step.event.at, step.event.actor), state.version


def _ensure_document_unchanged(ports: Ports, request: SigningRequest) -> None:
    """Never seal a document that is not the one sent: its pinned version is read and hashed again."""
    stored = ports.files.read(request.document.s3_key, request.document.version_id)
    if stored is None or stored.sha256 != request.document.sha256:
        raise DocumentNotReady("document_changed")
