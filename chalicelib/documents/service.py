"""Uploading documents straight to S3, then checking what really arrived."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.auth.principal import Principal
from chalicelib.clock import iso
from chalicelib.documents.model import MAGIC, Document, check_content
from chalicelib.errors import DocumentNotReady, PayloadTooLarge, UnsupportedMediaType
from chalicelib.ids import new_id
from chalicelib.validation import Fields

if TYPE_CHECKING:
    from chalicelib.ports import Ports


def create_upload(ports: Ports, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Register a document and hand out a presigned POST for exactly the declared size."""
    fields = Fields(body)
    filename = fields.text("filename", max_length=200)
    content_type = fields.text("content_type", max_length=200)
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        fields.add("size", "invalid_size")
    if filename and any(c in filename for c in "/\\\x00"):
        fields.add("filename", "invalid_filename")
    fields.done()
    assert filename is not None and content_type is not None and isinstance(size, int)
    limit = ports.settings.max_document_bytes
    if size > limit:
        raise PayloadTooLarge("file_too_large", max_mib=limit // (1024 * 1024))
    if content_type.lower() not in MAGIC:
        raise UnsupportedMediaType("type_not_allowed")
    document_id = new_id()
    document = Document(
        id=document_id, tenant_id=principal.tenant_id, filename=filename, content_type=content_type.lower(),
        declared_size=size, status="pending", s3_key=f"tenants/{principal.tenant_id}/documents/{document_id}",
        sha256=None, size=None, version_id=None,
    )
    ports.documents.add(document, created_by=principal.subject_id, created_at=iso(ports.clock.now()))
    upload = ports.files.upload_form(document.s3_key, document.content_type, size)
    return {"id": document_id, "status": "pending", "upload": upload}


def download(ports: Ports, principal: Principal, document_id: str) -> dict[str, Any]:
    """A short-lived link to the very version that was completed (and fingerprinted); DocumentNotReady before."""
    document = ports.documents.get(principal.tenant_id, document_id)
    if document.status != "ready":
        raise DocumentNotReady("document_not_uploaded", filename=document.filename)
    return {"download_url": ports.files.download_url(document.s3_key, document.version_id, document.filename)}


def complete_upload(ports: Ports, principal: Principal, document_id: str) -> dict[str, Any]:
    """Read the object back, check its size and real type, fingerprint it, mark it ready.

    The bytes checked are the bytes fingerprinted, of the one version that is then the document.
    """
    document = ports.documents.get(principal.tenant_id, document_id)
    if document.status == "ready":
        return document.to_api()
    stored = ports.files.read(document.s3_key, keep=document.declared_size)
    if stored is None:
        raise DocumentNotReady("document_missing")
    if stored.size != document.declared_size:
        raise DocumentNotReady("document_size_mismatch", declared=document.declared_size, actual=stored.size)
    assert stored.content is not None  # kept whole: it is no larger than declared
    check_content(document.content_type, stored.content)
    ready = ports.documents.mark_ready(principal.tenant_id, document_id, stored.sha256, stored.size, stored.version_id)
    return ready.to_api()
