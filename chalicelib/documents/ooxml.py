"""Whether a DOCX or XLSX is what it claims: an OOXML package whose main part has the declared type."""

from __future__ import annotations

import io
import posixpath
from typing import Any

from chalicelib.errors import DocumentNotReady

WORD_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
# The package's relationship to its main part, in transitional and in strict OOXML.
OFFICE_DOCUMENT = frozenset({
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
})
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
# A zip bomb declares far more than this unpacked; a real 25 MiB workbook unpacks to a few hundred MiB.
MAX_PARTS = 10_000
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
# [Content_Types].xml and _rels/.rels are a few KiB; only this much of each is ever unpacked.
MAX_XML_BYTES = 1024 * 1024

Element = tuple[str, dict[str, str]]  # a namespace-qualified name ("namespace name") and the attributes


class _Unreadable(Exception):
    """The package or one of the parts read from it is broken, or uses what we do not accept."""


def check_ooxml(content: bytes, main_type: str, kind: str) -> None:
    """Refuse a package that does not open, would unpack into too much, or whose main part is not `main_type`.

    Only the two small parts that name the main part and its type are read, each with a bound and
    without a document type declaration (so no entity is expanded or fetched): a zip bomb is never
    unpacked.

    Raises
    ------
    DocumentNotReady
        ``office_unreadable``, ``office_too_large`` or ``office_wrong_kind``, with `kind` (DOCX, XLSX).
    """
    import zipfile
    import zlib
    from xml.parsers.expat import ExpatError

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            refusal = _refusal(package, main_type)
    except (_Unreadable, ExpatError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError,
            RuntimeError, NotImplementedError, ValueError) as exc:  # what zipfile and expat raise on broken input
        raise DocumentNotReady("office_unreadable", kind=kind) from exc
    if refusal is not None:
        raise DocumentNotReady(refusal, kind=kind)


def _refusal(package: Any, main_type: str) -> str | None:
    infos = package.infolist()
    parts = {info.filename.lower(): info for info in infos}  # part names compare without case
    if len(parts) != len(infos):
        raise _Unreadable("two parts of one name: readers differ on which one counts")
    if len(infos) > MAX_PARTS or sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        return "office_too_large"
    content_types = _elements(_read(package, parts, "[content_types].xml"))
    relationships = _elements(_read(package, parts, "_rels/.rels"))
    main = _main_part(relationships)
    if main is None or main.lower() not in parts or _content_type(content_types, main) != main_type:
        return "office_wrong_kind"
    return None


def _read(package: Any, parts: dict[str, Any], name: str) -> bytes:
    if name not in parts:
        raise _Unreadable(f"no {name}")
    with package.open(parts[name]) as part:
        data: bytes = part.read(MAX_XML_BYTES + 1)  # unpacks no more than this, whatever the part declares
    if len(data) > MAX_XML_BYTES:
        raise _Unreadable(f"{name} is too large")
    return data


def _elements(xml: bytes) -> list[Element]:
    """Every element of an XML document, in order; a document type declaration is refused outright."""
    from xml.parsers import expat

    elements: list[Element] = []
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = lambda name, attributes: elements.append((name, attributes))
    parser.StartDoctypeDeclHandler = _refuse_document_type
    parser.Parse(xml, True)
    return elements


def _refuse_document_type(*_: object) -> None:
    # OOXML parts never have one; only a DTD can declare entities (billion laughs, external files).
    raise _Unreadable("document type declaration")


def _main_part(relationships: list[Element]) -> str | None:
    """The name of the part the package's officeDocument relationship points to (without the leading /)."""
    targets = [attributes.get("Target", "") for name, attributes in relationships
               if name == f"{RELATIONSHIPS} Relationship" and attributes.get("Type") in OFFICE_DOCUMENT
               and attributes.get("TargetMode", "Internal") == "Internal"]
    if len(targets) != 1:
        return None
    return posixpath.normpath(targets[0].lstrip("/"))  # relative to the package root, where _rels/.rels sits


def _content_type(content_types: list[Element], part: str) -> str | None:
    """A part's content type: its Override if [Content_Types].xml has one, else the Default for its extension."""
    overrides = {attributes.get("PartName", "").lower(): attributes.get("ContentType")
                 for name, attributes in content_types if name == f"{CONTENT_TYPES} Override"}
    if f"/{part.lower()}" in overrides:
        return overrides[f"/{part.lower()}"]
    defaults = {attributes.get("Extension", "").lower(): attributes.get("ContentType")
                for name, attributes in content_types if name == f"{CONTENT_TYPES} Default"}
    return defaults.get(posixpath.splitext(part)[1].lstrip(".").lower())
