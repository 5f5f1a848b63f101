"""The transaction receipt ("transactiebon"): built, sealed, encrypted, stored, shown, verified."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from typing import Any

import rfc8785

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.clock import iso
from chalicelib.errors import AlreadySigned, DocumentNotReady, NotOpen, OtpRequired
from chalicelib.ids import new_id
from chalicelib.messaging.model import Message, SigningRequest
from chalicelib.messaging.notices import email_advisor, notification
from chalicelib.observability import count, logger
from chalicelib.signing import otp
from chalicelib.signing.audit import chain_intact
from chalicelib.signing.ceremony import ensure_open, own_request
from chalicelib.signing.crypto import SEAL_ALGORITHM, Sealed, verify_seal
from chalicelib.signing.image import decode_signature
from chalicelib.signing.states import SigningStatus, advance
from chalicelib.store.clients import ClientRepository
from chalicelib.store.messages import MessageRepository
from chalicelib.store.models import MessageItem
from chalicelib.store.signing import SigningRepository
from chalicelib.store.signing_requests import SigningRequestRepository, record_step
from chalicelib.store.tenants import TenantRepository
from chalicelib.store.transaction import Transition, TransitionRefused
from chalicelib.validation import Fields

RECEIPT_VERSION = 1


def public_seal_key() -> dict[str, Any]:
    sealer = aws.sealer()
    return {"key_id": sealer.key_id, "algorithm": SEAL_ALGORITHM, "public_key_pem": sealer.public_key_pem}


def digest_of(receipt: dict[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 canonical form: what the seal signs."""
    return hashlib.sha256(rfc8785.dumps(receipt)).digest()


def _context(request: SigningRequest) -> dict[str, str]:
    return {"tenant_id": request.tenant_id, "conversation_id": request.conversation_id,
            "signing_request_id": request.id}


def _signature_image(bundle: dict[str, Any]) -> bytes | None:
    try:
        return base64.b64decode(bundle["signature_image"], validate=True)
    except (KeyError, TypeError, ValueError):
        return None


def sign(principal: Principal, request_id: str, body: dict[str, Any], source_ip: str | None,
         user_agent: str | None) -> dict[str, Any]:
    """Seal the signature into a receipt and mark the request signed, all or nothing.

    The signature image travels inside the encrypted receipt and commits with it, in one
    transaction: an attempt that does not commit leaves nothing behind, and no receipt lacks
    its image.
    """
    fields = Fields(body)
    city = fields.text("city", max_length=100)
    fields.done()
    assert city is not None
    request = own_request(principal, request_id)
    ensure_open(request, signing=True)
    now = aws.clock().now()
    state = SigningRepository().otp_state(principal.tenant_id, request_id)
    client = ClientRepository().get(principal.tenant_id, principal.subject_id)
    if not state.has_live_verification(now, client.phone_changed_at):
        raise OtpRequired()
    png = decode_signature(body.get("signature_image"))
    stored = aws.document_storage().read(request.document.s3_key, request.document.version_id)
    if stored is None or stored.sha256 != request.document.sha256:
        raise DocumentNotReady("document_changed")  # never seal a document that is not the one sent

    receipt = build_receipt(request, state, client.city, png, city, iso(now), source_ip, user_agent)
    digest = digest_of(receipt)
    sealer = aws.sealer()
    seal = {"algorithm": SEAL_ALGORITHM, "key_id": sealer.key_id, "digest": digest.hex(),
            "signature": sealer.seal(digest)}
    bundle: Any = {"receipt": receipt, "seal": seal, "signature_image": base64.b64encode(png).decode()}
    sealed = aws.vault().encrypt(rfc8785.dumps(bundle), _context(request))
    message = _commit_signature(principal, request, state, receipt, seal, sealed)
    count("DocumentsSigned")
    logger.info("document signed", extra={"signing_request_id": request.id})
    email_advisor("signed", message, receipt["signer"]["name"])
    return {"status": "signed", "signed_at": receipt["signed_at"]}


def build_receipt(request: SigningRequest, state: otp.OtpState, prefilled_city: str | None, png: bytes, city: str,
                  signed_at: str, source_ip: str | None, user_agent: str | None) -> dict[str, Any]:
    """What the seal covers: the document's fingerprint, the signer as sent, the code, time and place."""
    return {
        "version": RECEIPT_VERSION,
        "receipt_code": f"TB-{new_id()[-10:]}",
        "signing_request_id": request.id,
        "message_id": request.message_id,
        "conversation_id": request.conversation_id,
        "tenant_id": request.tenant_id,
        "document": {**request.document.to_api(), "content_type": request.document.content_type,
                     "s3_version_id": request.document.version_id},
        "signature_image_sha256": hashlib.sha256(png).hexdigest(),
        "signer": {"client_id": request.client_id, "name": request.signer_name, "phone_hint": state.phone_hint},
        "place": city,
        "place_prefilled": prefilled_city,
        "signed_at": signed_at,
        "otp": {"channel": "sms", "sent_at": state.issued_at, "verified_at": state.verified_at,
                "phone_hint": state.phone_hint},
        "client_context": {"ip": source_ip, "user_agent": (user_agent or "")[:300]},
        "audit_chain_head": {"seq": request.audit_seq, "hash": request.audit_head},
    }


def _commit_signature(principal: Principal, request: SigningRequest, state: otp.OtpState, receipt: dict[str, Any],
                      seal: dict[str, str], sealed: Sealed) -> Message:
    """One transaction: request signed, code used, message signed, receipt, audit event, notification."""
    repository, signing = MessageRepository(), SigningRepository()
    signed_at = receipt["signed_at"]
    step = advance(request, "signed", signed_at, f"client:{principal.subject_id}",
                   {"receipt_digest": seal["digest"], "document_sha256": request.document.sha256,
                    "signature_image_sha256": receipt["signature_image_sha256"]})
    transition = Transition()
    record_step(transition, step)
    used = replace(state, used_at=signed_at, version=state.version + 1)
    otp_actions, lock = signing.otp_write(used, state.version)
    transition.update("otp", signing.otp_item(request.tenant_id, request.id), otp_actions, lock)
    transition.update("message", repository.message_item(request.tenant_id, request.message_id),
                      [MessageItem.status.set("signed"), MessageItem.signing_status.set("signed"),
                       MessageItem.signed_at.set(signed_at), MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove()])
    for n, item in enumerate(signing.new_receipt_items(request.tenant_id, request.conversation_id, request.id,
                                                       receipt["receipt_code"], sealed, signed_at)):
        transition.put(f"receipt_{n}", item)
    message = repository.get_message(request.tenant_id, request.message_id)
    transition.put("notification", repository.new_notification_item(
        request.tenant_id, request.advisor_id, notification("signed", message, signed_at)))
    try:
        transition.commit()
    except TransitionRefused as exc:
        current = SigningRequestRepository().get(request.tenant_id, request.id)
        if current.status == SigningStatus.SIGNED:
            raise AlreadySigned() from exc
        if not current.is_open:
            raise NotOpen() from exc
        raise OtpRequired() from exc
    return message


# --- the advisor's view ---------------------------------------------------------------------


def _open_receipt(principal: Principal, request_id: str) -> tuple[SigningRequest, dict[str, Any] | None]:
    """The signed request and its decrypted {receipt, seal, signature_image}, or None when it no longer decrypts."""
    aws.bind_store()
    request = SigningRequestRepository().get(principal.tenant_id, request_id)
    if request.status != SigningStatus.SIGNED:
        raise NotOpen("not_signed_yet")
    sealed = SigningRepository().sealed_receipt(principal.tenant_id, request.conversation_id, request.id)
    if sealed is None:
        return request, None
    plaintext = aws.vault().decrypt(sealed, _context(request))
    try:
        return request, json.loads(plaintext) if plaintext else None
    except ValueError:
        return request, None


def _verify(request: SigningRequest, bundle: dict[str, Any] | None) -> dict[str, Any]:
    """Fresh checks: seal against the stored receipt and audit chain; the document re-hashed from S3."""
    storage = aws.document_storage()
    stored_document = storage.read(request.document.s3_key, request.document.version_id)
    document_intact = stored_document is not None and stored_document.sha256 == request.document.sha256
    seal_valid = False
    if bundle is not None:
        receipt, seal = bundle["receipt"], bundle["seal"]
        digest = digest_of(receipt)
        events = SigningRequestRepository().audit_events(request.tenant_id, request.id)
        signed_events = [e for e in events if e.type == "signed"]
        seal_valid = (
            digest.hex() == seal.get("digest")
            and verify_seal(aws.sealer().public_key_pem, digest, seal.get("signature", ""))
            and receipt.get("document", {}).get("sha256") == request.document.sha256
            and chain_intact(events, request.audit_head, request.audit_seq)
            and len(signed_events) == 1 and signed_events[0].data.get("receipt_digest") == digest.hex()
        )
        document_intact = document_intact and receipt["document"]["sha256"] == request.document.sha256
    return {"seal_valid": bool(seal_valid), "document_intact": bool(document_intact),
            "checked_at": iso(aws.clock().now())}


def receipt_view(principal: Principal, request_id: str) -> dict[str, Any]:
    """'Ondertekend en verzegeld': the receipt with the signature image and a fresh verification."""
    request, bundle = _open_receipt(principal, request_id)
    verification = _verify(request, bundle)
    if bundle is None:
        logger.warning("receipt could not be decrypted", extra={"signing_request_id": request_id})
        return {"signing_request_id": request.id, "status": "signed", "receipt_code": None,
                "signed_at": request.signed_at, "place": None, "place_prefilled": None, "signer": None,
                "document": request.document.to_api(), "signature": None, "seal": None,
                "verification": verification}
    receipt, seal = bundle["receipt"], bundle["seal"]
    image = _signature_image(bundle)
    image_ok = image is not None and hashlib.sha256(image).hexdigest() == receipt["signature_image_sha256"]
    verification["seal_valid"] = verification["seal_valid"] and image_ok
    return {
        "signing_request_id": request.id, "status": "signed", "receipt_code": receipt["receipt_code"],
        "signed_at": receipt["signed_at"], "place": receipt["place"], "place_prefilled": receipt["place_prefilled"],
        "signer": receipt["signer"], "document": request.document.to_api(),
        "signature": {"image": "data:image/png;base64," + base64.b64encode(image).decode() if image else None,
                      "sha256": receipt["signature_image_sha256"]},
        "seal": seal, "verification": verification,
    }


def evidence_bundle(principal: Principal, request_id: str) -> dict[str, Any]:
    """Everything an outsider needs to check the seal with no access to this service."""
    request, bundle = _open_receipt(principal, request_id)
    if bundle is None:
        raise NotOpen("receipt_unreadable")
    return {"receipt": bundle["receipt"], "seal": bundle["seal"], "public_key_pem": aws.sealer().public_key_pem,
            "audit_events": [e.to_api() for e in SigningRequestRepository().audit_events(request.tenant_id, request.id)],
            "firm": TenantRepository().get(request.tenant_id).name}
