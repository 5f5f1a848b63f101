"""What the document service needs of the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.documents.model import Document


class Documents(Protocol):
    """Uploaded documents of a firm: pending until the server has checked them, then ready, once."""

    def add(self, document: Document, created_by: str, created_at: str) -> None:
        """A new pending document; Conflict when one with its id exists."""
        ...

    def get(self, tenant_id: str, document_id: str) -> Document:
        """NotFound for a document the firm does not have."""
        ...

    def mark_ready(self, tenant_id: str, document_id: str, sha256: str, size: int, version_id: str | None) -> Document:
        """pending → ready, once: the fingerprint and version are fixed from then on.

        Conflict when the document is not pending (ready already); NotFound for an unknown one.
        """
        ...
