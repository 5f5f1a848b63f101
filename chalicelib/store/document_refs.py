"""The document a message or signing request names, as stored inside its item."""

from __future__ import annotations

from chalicelib.messaging.model import DocumentRef
from chalicelib.store.models import DocumentRef as DocumentRefAttribute


def document_ref(attribute: DocumentRefAttribute) -> DocumentRef:
    return DocumentRef(id=attribute.id, filename=attribute.filename, content_type=attribute.content_type,
                       size=int(attribute.size), sha256=attribute.sha256, s3_key=attribute.s3_key,
                       version_id=attribute.version_id)


def document_attribute(ref: DocumentRef) -> DocumentRefAttribute:
    return DocumentRefAttribute(id=ref.id, filename=ref.filename, content_type=ref.content_type, size=ref.size,
                                sha256=ref.sha256, s3_key=ref.s3_key, version_id=ref.version_id)
