"""The transaction receipt as a PDF for people ("Transactiebon"): rendered, then sealed with the seal key.

The same evidence as the bundle: the receipt and its seal, the authority's time, every audit
event, the signature image, and the original document attached byte for byte. The whole PDF
gets a PAdES seal (the KMS seal key, with the certificate of `GET /keys`, time-stamped by the
same authority), so a PDF reader shows who sealed it and that nothing changed since. fpdf2 and
pyHanko are imported here only, on the request that asks for a PDF.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from chalicelib.errors import DocumentNotReady

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.messaging.model import SigningRequest
    from chalicelib.ports import Ports

def _every_signer(ports: Ports, request: SigningRequest) -> list[dict[str, Any]]:
    """The message's signers in order, once every one has signed (nothing for a request signed alone)."""
    if not request.envelope.shared:
        return []
    message = ports.messages.get_message(request.tenant_id, request.message_id)
    if message.status != "signed":
        return []
    return [{"name": s.name, "signed_at": s.signed_at} for s in message.signings]


def certificate_pdf(ports: Ports, principal: Principal, request_id: str, language: str = "nl") -> bytes:
    """The sealed PDF of a signed request's receipt, in `language` (texts.pick_language); NotOpen before it is signed."""
    from chalicelib.signing.certificate import CertificateContent, CertificateTimestamp, render_certificate
    from chalicelib.signing.receipts import evidence_of, open_receipt

    request, bundle, stored = open_receipt(ports, principal, request_id)
    evidence = evidence_of(ports, request, bundle, stored)  # NotOpen unless it decrypts
    assert bundle is not None
    document = ports.files.read(request.document.s3_key, request.document.version_id,
                                keep=ports.settings.max_document_bytes)
    if document is None or document.content is None or document.sha256 != request.document.sha256:
        raise DocumentNotReady("document_changed")
    receipt = evidence["receipt"]
    content = CertificateContent(
        firm=evidence["firm"], receipt=receipt, seal=evidence["seal"],
        signature_method=str(receipt.get("signature_method", "drawn")),
        timestamp=CertificateTimestamp.from_api(evidence["timestamp"] if evidence["timestamp"] and
                                                "gen_time" in evidence["timestamp"] else None),
        audit_events=evidence["audit_events"], signature_png=base64.b64decode(bundle["signature_image"]),
        document=document.content, document_filename=request.document.filename,
        language=language, keys_url=f"{ports.settings.portal_url}/keys",
        created_at=ports.clock.now(), signers=_every_signer(ports, request),
    )
    return ports.pdf_sealer.seal(render_certificate(content), reason=f"Transactiebon {receipt['receipt_code']}",
                                 location=receipt.get("place"))
