"""Documents an advisor uploads: what is allowed and how a real type is recognised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.documents.ooxml import EXCEL_WORKBOOK, WORD_DOCUMENT, check_ooxml
from chalicelib.documents.pdf import check_pdf
from chalicelib.errors import DocumentNotReady

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The leading bytes each allowed type must start with. DOCX and XLSX are ZIP containers.
MAGIC: dict[str, tuple[bytes, ...]] = {
    PDF: (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    DOCX: (b"PK\x03\x04",),
    XLSX: (b"PK\x03\x04",),
}


def matches_type(content_type: str, content: bytes) -> bool:
    return any(content.startswith(magic) for magic in MAGIC.get(content_type, ()))


def check_content(content_type: str, content: bytes) -> None:
    """Refuse content that is not what its declared type claims: by its leading bytes, then by its structure.

    Raises
    ------
    DocumentNotReady
        With the reason as its message (see `check_pdf` and `check_ooxml`).
    """
    if not matches_type(content_type, content):
        raise DocumentNotReady("document_type_mismatch")
    if content_type == PDF:
        check_pdf(content)
    elif content_type == DOCX:
        check_ooxml(content, main_type=WORD_DOCUMENT, kind="DOCX")
    elif content_type == XLSX:
        check_ooxml(content, main_type=EXCEL_WORKBOOK, kind="XLSX")


@dataclass(frozen=True)
class Document:
    id: str
    tenant_id: str
    filename: str
    content_type: str
    declared_size: int
    status: str
    s3_key: str
    sha256: str | None
    size: int | None
    version_id: str | None

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "filename": self.filename,
                "content_type": self.content_type, "size": self.size, "sha256": self.sha256}
