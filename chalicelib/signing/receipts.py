"""The transaction receipt ("transactiebon"): what it holds, and showing and verifying it afresh."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import rfc8785

from chalicelib.auth.principal import Principal
from chalicelib.clock import iso
from chalicelib.errors import NotOpen
from chalicelib.ids import new_id
from chalicelib.messaging.model import SigningRequest
from chalicelib.observability import logger
from chalicelib.ports import Ports
from chalicelib.signing import otp
from chalicelib.signing.audit import chain_intact
from chalicelib.signing.crypto import SEAL_ALGORITHM, verify_seal
from chalicelib.signing.ports import StoredReceipt
from chalicelib.signing.states import SigningStatus
from chalicelib.signing.timestamps import StampInfo

# 2: the signature image travels inside the sealed, encrypted bundle (1 kept it in S3 beside it).
RECEIPT_VERSION = 2


def public_seal_key(ports: Ports) -> dict[str, Any]:
    """GET /keys/seal: the key that seals new receipts (GET /keys lists every key that ever sealed)."""
    sealer = ports.sealer
    return {"key_id": sealer.key_id, "algorithm": SEAL_ALGORITHM, "public_key_pem": sealer.public_key_pem}


def _seal_public_key(ports: Ports, seal: dict[str, Any]) -> str | None:
    """The public half of the key the seal names, retired or not; None when it names none that ever sealed."""
    key_id = seal.get("key_id")
    return ports.sealer.public_key_of(key_id) if isinstance(key_id, str) else None


def digest_of(receipt: dict[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 canonical form: what the seal signs."""
    return hashlib.sha256(rfc8785.dumps(receipt)).digest()


def encryption_context(request: SigningRequest) -> dict[str, str]:
    """What a receipt's encryption is bound to: it decrypts only as this request's."""
    return {"tenant_id": request.tenant_id, "conversation_id": request.conversation_id,
            "signing_request_id": request.id}


def _signature_image(bundle: dict[str, Any]) -> bytes | None:
    try:
        return base64.b64decode(bundle["signature_image"], validate=True)
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class GivenSignature:
    """What the signer gave: the image (drawn, or their typed name as the browser rendered it) and the place."""

    png: bytes
    place: str
    method: str = "drawn"  # or "typed"
    typed_name: str | None = None


def build_receipt(request: SigningRequest, state: otp.OtpState, prefilled_city: str | None, given: GivenSignature,
                  signed_at: str, source_ip: str | None, user_agent: str | None) -> dict[str, Any]:
    """What the seal covers: the document's fingerprint, the signer as sent, the code, time, place and how."""
    return {
        "version": RECEIPT_VERSION,
        "receipt_code": f"TB-{new_id()[-10:]}",
        "signing_request_id": request.id,
        "message_id": request.message_id,
        "conversation_id": request.conversation_id,
        "tenant_id": request.tenant_id,
        "document": {**request.document.to_api(), "content_type": request.document.content_type,
                     "s3_version_id": request.document.version_id},
        "signature_image_sha256": hashlib.sha256(given.png).hexdigest(),
        "signature_method": given.method,
        **({"typed_name": given.typed_name} if given.method == "typed" else {}),
        "signer": {"client_id": request.client_id, "name": request.signer_name, "phone_hint": state.phone_hint},
        "place": given.place,
        "place_prefilled": prefilled_city,
        "signed_at": signed_at,
        "otp": {"channel": "sms", "sent_at": state.issued_at, "verified_at": state.verified_at,
                "phone_hint": state.phone_hint},
        "client_context": {"ip": source_ip, "user_agent": (user_agent or "")[:300]},
        "audit_chain_head": {"seq": request.audit_seq, "hash": request.audit_head},
        "envelope": request.envelope.for_receipt(request.id),
    }


# --- the advisor's view ---------------------------------------------------------------------


def open_receipt(ports: Ports, principal: Principal,
                  request_id: str) -> tuple[SigningRequest, dict[str, Any] | None, StoredReceipt | None]:
    """The signed request, its decrypted {receipt, seal, signature_image} (None when it no longer
    decrypts) and the receipt as stored (with its time stamp)."""
    request = ports.signing.get(principal.tenant_id, request_id)
    if request.status != SigningStatus.SIGNED:
        raise NotOpen("not_signed_yet")
    stored = ports.signing.stored_receipt(principal.tenant_id, request.conversation_id, request.id)
    if stored is None:
        return request, None, None
    plaintext = ports.vault.decrypt(stored.sealed, encryption_context(request))
    try:
        return request, json.loads(plaintext) if plaintext else None, stored
    except ValueError:
        return request, None, stored


def _stamp(ports: Ports, bundle: dict[str, Any] | None, stored: StoredReceipt | None) -> StampInfo | bool | None:
    """What the authority's token says over this seal; None while pending, False when it does not hold."""
    if stored is None or stored.timestamp is None:
        return None
    signature = (bundle or {}).get("seal", {}).get("signature", "")
    try:
        seal_signature = base64.b64decode(signature, validate=True)
    except (TypeError, ValueError):
        return False
    return ports.timestamper.check(stored.timestamp, seal_signature) or False


def _timestamp_api(info: StampInfo | bool | None) -> dict[str, str] | None:
    if not isinstance(info, StampInfo):
        return None
    return {"gen_time": iso(info.gen_time), "tsa": info.tsa}


def _verify(ports: Ports, request: SigningRequest, bundle: dict[str, Any] | None) -> dict[str, Any]:
    """Fresh checks: seal against the stored receipt and audit chain; the document re-hashed from S3."""
    stored_document = ports.files.read(request.document.s3_key, request.document.version_id)
    document_intact = stored_document is not None and stored_document.sha256 == request.document.sha256
    seal_valid = False
    if bundle is not None:
        receipt, seal = bundle["receipt"], bundle["seal"]
        digest = digest_of(receipt)
        events = ports.signing.audit_events(request.tenant_id, request.id)
        signed_events = [e for e in events if e.type == "signed"]
        public_key_pem = _seal_public_key(ports, seal)
        seal_valid = (
            digest.hex() == seal.get("digest")
            and public_key_pem is not None and verify_seal(public_key_pem, digest, seal.get("signature", ""))
            and receipt.get("document", {}).get("sha256") == request.document.sha256
            and chain_intact(events, request.audit_head, request.audit_seq)
            and len(signed_events) == 1 and signed_events[0].data.get("receipt_digest") == digest.hex()
        )
        document_intact = document_intact and receipt["document"]["sha256"] == request.document.sha256
    return {"seal_valid": bool(seal_valid), "document_intact": bool(document_intact), "timestamp_valid": None,
            "checked_at": iso(ports.clock.now())}


def receipt_view(ports: Ports, principal: Principal, request_id: str) -> dict[str, Any]:
    """'Ondertekend en verzegeld': the receipt with the signature image and a fresh verification."""
    request, bundle, stored = open_receipt(ports, principal, request_id)
    verification = _verify(ports, request, bundle)
    stamp = _stamp(ports, bundle, stored)
    verification["timestamp_valid"] = None if stamp is None else isinstance(stamp, StampInfo)
    if bundle is None:
        logger.warning("receipt could not be decrypted", extra={"signing_request_id": request_id})
        return {"signing_request_id": request.id, "status": "signed", "receipt_code": None,
                "signed_at": request.signed_at, "place": None, "place_prefilled": None, "signer": None,
                "document": request.document.to_api(), "signature": None, "seal": None, "timestamp": None,
                "signature_method": None,
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
        "seal": seal, "signature_method": receipt.get("signature_method", "drawn"),
        "timestamp": _timestamp_api(stamp), "envelope": receipt.get("envelope"),
        "verification": verification,
    }


def evidence_bundle(ports: Ports, principal: Principal, request_id: str) -> dict[str, Any]:
    """Everything an outsider needs to check the seal with no access to this service."""
    request, bundle, stored = open_receipt(ports, principal, request_id)
    return evidence_of(ports, request, bundle, stored)


def evidence_of(ports: Ports, request: SigningRequest, bundle: dict[str, Any] | None,
                stored: StoredReceipt | None) -> dict[str, Any]:
    """The evidence bundle of a receipt already opened (`open_receipt`); NotOpen when it does not decrypt."""
    if bundle is None or stored is None:
        raise NotOpen("receipt_unreadable")
    stamp = _stamp(ports, bundle, stored)
    timestamp = None
    if stored.timestamp is not None:
        timestamp = {"token": base64.b64encode(stored.timestamp).decode(), **(_timestamp_api(stamp) or {})}
    return {"receipt": bundle["receipt"], "seal": bundle["seal"], "public_key_pem": _seal_public_key(ports, bundle["seal"]),
            "timestamp": timestamp,
            "audit_events": [e.to_api() for e in ports.signing.audit_events(request.tenant_id, request.id)],
            "firm": ports.tenants.get(request.tenant_id).name}
