"""'Akkoord en ondertekenen', the last step: the signature sealed into a receipt, all or nothing.

A pipeline of small steps: check the request, the verified code, the image and the document;
build the receipt (pure); seal it; encrypt it with the image; commit it with the request, the
code and the message in one transaction; then tell the advisor.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import rfc8785

from chalicelib import idempotency
from chalicelib.auth.principal import Principal
from chalicelib.clock import iso
from chalicelib.errors import DependencyFailed, DocumentNotReady, OtpRequired
from chalicelib.messaging.model import SigningRequest
from chalicelib.messaging.notices import email_advisor, request_notification
from chalicelib.observability import count, logger
from chalicelib.ports import Ports
from chalicelib.signing.ceremony import ensure_open, own_ceremony
from chalicelib.signing.crypto import SEAL_ALGORITHM
from chalicelib.signing.image import decode_signature
from chalicelib.signing.otp import OtpState
from chalicelib.signing.ports import StoredReceipt
from chalicelib.signing.receipts import build_receipt, digest_of, encryption_context
from chalicelib.signing.states import Step, advance
from chalicelib.validation import Fields


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

    receipt, stored, digest = _sealed_receipt(ports, request, state, client.city, png, city, iso(now),
                                              source_ip, user_agent)
    step = advance(request, "signed", receipt["signed_at"], f"client:{principal.subject_id}",
                   {"receipt_digest": digest, "document_sha256": request.document.sha256,
                    "signature_image_sha256": receipt["signature_image_sha256"]})
    used = replace(state, used_at=receipt["signed_at"], version=state.version + 1)
    answer = {"status": "signed", "signed_at": receipt["signed_at"]}
    try:
        _commit(ports, step, lambda: ports.signing.sign(
            step, state, used, stored, request_notification("signed", request, receipt["signed_at"]),
            client.phone_changed_at,
            idempotency.Recorded(key, answer) if key is not None else None))
    except idempotency.AlreadyAnswered as twin:  # the same call, committed a moment earlier
        assert key is not None
        return idempotency.replay(twin.answer, key)

    count("DocumentsSigned")
    logger.info("document signed", extra={"signing_request_id": request.id})
    email_advisor(ports, "signed", request.origin, receipt["signer"]["name"])
    return answer


def _sealed_receipt(ports: Ports, request: SigningRequest, state: OtpState, prefilled_city: str | None, png: bytes,
                    city: str, at: str, source_ip: str | None,
                    user_agent: str | None) -> tuple[dict[str, Any], StoredReceipt, str]:
    """The receipt, sealed with the KMS key, time-stamped over the seal, encrypted with its image; and the digest.

    An authority that does not answer in time leaves the stamp pending (the job obtains it): the
    signature is never held up by it, and no time is written that no authority signed.
    """
    receipt = build_receipt(request, state, prefilled_city, png, city, at, source_ip, user_agent)
    digest = digest_of(receipt)
    seal = {"algorithm": SEAL_ALGORITHM, "key_id": ports.sealer.key_id, "digest": digest.hex(),
            "signature": ports.sealer.seal(digest)}
    bundle: Any = {"receipt": receipt, "seal": seal, "signature_image": base64.b64encode(png).decode()}
    sealed = ports.vault.encrypt(rfc8785.dumps(bundle), encryption_context(request))
    try:
        token: bytes | None = ports.timestamper.stamp(base64.b64decode(seal["signature"]))
    except DependencyFailed:
        token = None
        count("TimestampsDeferred")
        logger.warning("time stamp pending: the authority did not answer", extra={"signing_request_id": request.id})
    return receipt, StoredReceipt(receipt["receipt_code"], sealed, seal["signature"], token), digest.hex()


def _commit(ports: Ports, step: Step, write: Callable[[], None]) -> None:
    """The signature's one transaction. One whose answer was lost (a timeout) may have landed: when the
    request's chain ends in this very event, it did, and the signing goes on."""
    try:
        write()
    except DependencyFailed:
        try:
            landed = ports.signing.get(step.before.tenant_id, step.before.id).audit_head == step.event.hash
        except DependencyFailed:
            landed = False
        if not landed:
            raise


def _ensure_document_unchanged(ports: Ports, request: SigningRequest) -> None:
    """Never seal a document that is not the one sent: its pinned version is read and hashed again."""
    stored = ports.files.read(request.document.s3_key, request.document.version_id)
    if stored is None or stored.sha256 != request.document.sha256:
        raise DocumentNotReady("document_changed")
