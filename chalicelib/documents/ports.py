"""What the document service needs of the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.documents.model import Document


class Documents(Protocol):
    """Uploaded documents of a firm."""

    def add(self, document: Document, created_by: str, created_at: str) -> None: ...
    def get(self, tenant_id: str, document_id: str) -> Document: ...
    def mark_ready(self, tenant_id: str, document_id: str, sha256: str, size: int, version_id: str | None) -> Document: ...
