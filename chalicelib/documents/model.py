"""Documents an advisor uploads: what is allowed and how a real type is recognised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
SNIFF_BYTES = 8


def matches_type(content_type: str, head: bytes) -> bool:
    return any(head.startswith(magic) for magic in MAGIC.get(content_type, ()))


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
