"""'Akkoord en ondertekenen', the last step: the signature sealed into a receipt, all or nothing.

A pipeline of small steps: check the request, the verified code, the image and the document;
build the receipt (pure); seal it; encrypt it with the image; commit it with the request, the
code and the message in one transaction; then tell the advisor.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import rfc8785

from chalicelib.auth.principal import Principal
from chalicelib.clock import iso
from chalicelib.errors import DocumentNotReady, OtpRequired
from chalicelib.messaging.model import SigningRequest
from chalicelib.messaging.notices import email_advisor, notification
from chalicelib.observability import count, logger
from chalicelib.ports import Ports
from chalicelib.signing.ceremony import ensure_open, own_request
from chalicelib.signing.crypto import SEAL_ALGORITHM
from chalicelib.signing.image import decode_signature
from chalicelib.signing.receipts import build_receipt, digest_of, encryption_context
from chalicelib.signing.states import advance
from chalicelib.validation import Fields


def sign(ports: Ports, principal: Principal, request_id: str, body: dict[str, Any], source_ip: str | None,
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
    request = own_request(ports, principal, request_id)
    ensure_open(request, signing=True)
    now = ports.clock.now()
    state = ports.signing.code_state(principal.tenant_id, request_id)
    client = ports.clients.get(principal.tenant_id, principal.subject_id)
    if not state.has_live_verification(now, client.phone_changed_at):
        raise OtpRequired()
    png = decode_signature(body.get("signature_image"))
    _ensure_document_unchanged(ports, request)

    receipt = build_receipt(request, state, client.city, png, city, iso(now), source_ip, user_agent)
    digest = digest_of(receipt)
    seal = {"algorithm": SEAL_ALGORITHM, "key_id": ports.sealer.key_id, "digest": digest.hex(),
            "signature": ports.sealer.seal(digest)}
    bundle: Any = {"receipt": receipt, "seal": seal, "signature_image": base64.b64encode(png).decode()}
    sealed = ports.vault.encrypt(rfc8785.dumps(bundle), encryption_context(request))

    step = advance(request, "signed", receipt["signed_at"], f"client:{principal.subject_id}",
                   {"receipt_digest": seal["digest"], "document_sha256": request.document.sha256,
                    "signature_image_sha256": receipt["signature_image_sha256"]})
    message = ports.messages.get_message(request.tenant_id, request.message_id)
    used = replace(state, used_at=receipt["signed_at"], version=state.version + 1)
    ports.signing.sign(step, state, used, receipt["receipt_code"], sealed,
                       notification("signed", message, receipt["signed_at"]), client.phone_changed_at)

    count("DocumentsSigned")
    logger.info("document signed", extra={"signing_request_id": request.id})
    email_advisor(ports, "signed", message, receipt["signer"]["name"])
    return {"status": "signed", "signed_at": receipt["signed_at"]}


def _ensure_document_unchanged(ports: Ports, request: SigningRequest) -> None:
    """Never seal a document that is not the one sent: its pinned version is read and hashed again."""
    stored = ports.files.read(request.document.s3_key, request.document.version_id)
    if stored is None or stored.sha256 != request.document.sha256:
        raise DocumentNotReady("document_changed")
