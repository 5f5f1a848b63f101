"""What an uploaded PDF, DOCX or XLSX must be, checked on plain bytes (no AWS)."""

from __future__ import annotations

import io
import zlib

import pytest

from chalicelib.documents import ooxml, pdf
from chalicelib.documents.model import DOCX, PDF, XLSX, check_content
from chalicelib.errors import DocumentNotReady
from tests.conftest import (
    CATALOG,
    DOCX_BYTES,
    EXCEL_MAIN,
    PAGE,
    PAGES,
    PDF_BYTES,
    WORD_MAIN,
    XLSX_BYTES,
    encrypted_pdf,
    make_ooxml,
    make_pdf,
)

SCRIPT = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"


def refusal(content_type: str, content: bytes) -> str | None:
    """The message key check_content refuses with, or None when it accepts."""
    try:
        check_content(content_type, content)
    except DocumentNotReady as refused:
        return refused.message
    return None


def with_catalog(entries: bytes, *more: bytes) -> bytes:
    """The one-page PDF whose catalog has these extra entries, and more objects from number 4 on."""
    return make_pdf(b"<< /Type /Catalog /Pages 2 0 R " + entries + b" >>", PAGES, PAGE, *more)


def with_page(entries: bytes, *more: bytes) -> bytes:
    return make_pdf(CATALOG, PAGES, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + entries + b" >>", *more)


def with_object_stream(*objects: bytes) -> bytes:
    """The one-page PDF with `objects` (numbers 4, 5, ...) compressed in an object stream, named by an xref stream."""
    header = b" ".join(b"%d %d" % (4 + i, sum(len(o) + 1 for o in objects[:i])) for i in range(len(objects))) + b" "
    packed = zlib.compress(header + b"\n".join(objects) + b"\n")
    stream_number = 4 + len(objects)
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate([CATALOG, PAGES, PAGE], start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    stream_offset = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        stream_number, len(objects), len(header), len(packed))
    out += packed + b"\nendstream\nendobj\n"
    xref_number = stream_number + 1
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    rows += [b"\x01" + offset.to_bytes(4, "big") + b"\x00\x00" for offset in offsets]
    rows += [b"\x02" + stream_number.to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(len(objects))]
    rows += [b"\x01" + stream_offset.to_bytes(4, "big") + b"\x00\x00"]
    xref_offset = len(out)
    rows += [b"\x01" + xref_offset.to_bytes(4, "big") + b"\x00\x00"]
    table = b"".join(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_number, xref_number + 1, len(table))
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


# --- PDF -----------------------------------------------------------------------------------------

def test_a_one_page_pdf_is_accepted():
    assert refusal(PDF, PDF_BYTES) is None


@pytest.mark.parametrize("harmless", [
    with_catalog(b"/OpenAction [3 0 R /Fit]"),  # open at the first page: what Word's export does
    with_catalog(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>"),
    with_page(b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://x.nl) >> >>"),
    with_catalog(b"/Outlines 4 0 R", b"<< /First 5 0 R /Last 5 0 R >>", b"<< /Parent 4 0 R /Prev 5 0 R /Next 5 0 R >>"),
    with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
], ids=["open-at-page", "goto-action", "web-link", "cyclic-outline", "object-stream"])
def test_a_pdf_with_only_harmless_actions_or_cycles_is_accepted(harmless: bytes):
    assert refusal(PDF, harmless) is None


@pytest.mark.parametrize("hostile", [
    with_catalog(b"/OpenAction " + SCRIPT),
    with_catalog(b"/OpenAction 4 0 R", SCRIPT),
    with_catalog(b"/AA << /WC " + SCRIPT + b" >>"),
    with_page(b"/AA << /O " + SCRIPT + b" >>"),
    with_catalog(b"/Names << /JavaScript 4 0 R >>", b"<< /Names [(init) 5 0 R] >>", SCRIPT),
    with_page(b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A " + SCRIPT + b" >>"),
    with_catalog(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [4 0 R] >>", SCRIPT),
    with_catalog(b"/OpenAction << /S /Java#53cript /J#53 (app.alert\\(1\\)) >>"),  # names spelt in hex escapes
    with_catalog(b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"<< /Length 0 >>\nstream\n\nendstream"),
    make_pdf(CATALOG, PAGES, PAGE, SCRIPT),  # in the file, though nothing points to it
    with_object_stream(SCRIPT),  # compressed inside an object stream: invisible in the raw bytes
], ids=["open-action", "open-action-indirect", "document-aa", "page-aa", "names-tree", "link", "next-chain",
        "hex-escaped-names", "xfa", "unreferenced-object", "object-stream"])
def test_a_pdf_holding_javascript_anywhere_is_refused(hostile: bytes):
    assert refusal(PDF, hostile) == "pdf_javascript"


@pytest.mark.parametrize("hostile", [
    with_catalog(b"/OpenAction << /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >>"),
    with_page(b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (run.cmd) >> >>"),
    with_object_stream(b"<< /S /Launch /Win << /F (cmd.exe) >> >>"),
], ids=["open-action", "link", "object-stream"])
def test_a_pdf_with_a_launch_action_is_refused(hostile: bytes):
    assert refusal(PDF, hostile) == "pdf_launch_action"


def test_an_encrypted_pdf_is_refused_even_without_a_password_to_open_it():
    assert refusal(PDF, encrypted_pdf()) == "pdf_encrypted"
    assert refusal(PDF, encrypted_pdf("geheim")) == "pdf_encrypted"


@pytest.mark.parametrize("pageless", [
    make_pdf(CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>"),
    make_pdf(CATALOG, b"<< /Type /Pages /Kids [] /Count 3 >>"),  # a /Count that lies
], ids=["empty-tree", "lying-count"])
def test_a_pdf_without_pages_is_refused(pageless: bytes):
    assert refusal(PDF, pageless) == "pdf_no_pages"


@pytest.mark.parametrize("broken", [
    b"%PDF-1.7\nthis is no PDF at all\n",
    b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",  # no page tree at all
    make_pdf(CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"),  # a page tree that is its own child
    make_pdf(CATALOG, PAGES, PAGE, b"[" * 50_000 + b"]" * 50_000),  # nesting deeper than any parser recurses
], ids=["text", "no-page-tree", "page-tree-cycle", "deep-nesting"])
def test_a_pdf_that_does_not_read_is_refused_as_unreadable(broken: bytes):
    assert refusal(PDF, broken) == "pdf_unreadable"


def test_a_long_chain_of_references_is_walked_without_recursion():
    chain = [b"<< /Next %d 0 R >>" % (number + 1) for number in range(4, 20_003)] + [b"<< >>"]
    assert refusal(PDF, with_catalog(b"/Chain 4 0 R", *chain)) is None


def test_every_cut_of_a_pdf_is_accepted_or_refused_never_an_error():
    for end in range(len(PDF_BYTES)):
        refusal(PDF, PDF_BYTES[:end])  # raises nothing but DocumentNotReady


def test_flipped_bytes_in_a_pdf_are_accepted_or_refused_never_an_error():
    import random

    original = with_page(b"/AA << /O " + SCRIPT + b" >> /Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /A 5 0 R >>",
                         b"<< /S /Launch /F (a) /Next [4 0 R] >>")
    chance = random.Random(11)
    for _ in range(300):
        damaged = bytearray(original)
        for _ in range(3):
            damaged[chance.randrange(len(damaged))] = chance.randrange(256)
        refusal(PDF, bytes(damaged))  # raises nothing but DocumentNotReady


def test_a_pdf_naming_more_objects_than_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_OBJECTS", 2)
    assert refusal(PDF, PDF_BYTES) == "pdf_too_complex"


def test_a_pdf_with_more_dictionaries_and_arrays_than_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_NODES", 5)
    assert refusal(PDF, with_catalog(b"/Junk [[1] [2] [3] [4] [5]]")) == "pdf_too_complex"


def test_pypdf_is_not_imported_until_a_pdf_is_checked():
    import subprocess
    import sys

    code = "import sys, chalicelib.documents.service; print('pypdf' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- DOCX and XLSX -------------------------------------------------------------------------------

def test_a_word_document_and_an_excel_workbook_are_accepted():
    assert refusal(DOCX, DOCX_BYTES) is None
    assert refusal(XLSX, XLSX_BYTES) is None


def test_a_strict_ooxml_document_whose_relationship_names_an_absolute_part_is_accepted():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/Word/Document.xml" ContentType="{WORD_MAIN}"/></Types>'))
        package.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="/word/document.xml" '
            'Type="http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"/></Relationships>'))
        package.writestr("word/document.xml", "<document/>")
    assert refusal(DOCX, buffer.getvalue()) is None


@pytest.mark.parametrize(("content_type", "package", "kind"), [
    (DOCX, XLSX_BYTES, "DOCX"),  # a workbook named .docx
    (XLSX, DOCX_BYTES, "XLSX"),
    (DOCX, make_ooxml("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"), "DOCX"),
    (DOCX, make_ooxml("word/document.xml", WORD_MAIN, content_types=(
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/word/other.xml" ContentType="{WORD_MAIN}"/></Types>')), "DOCX"),
], ids=["xlsx-as-docx", "docx-as-xlsx", "macro-enabled", "main-part-not-the-word-part"])
def test_a_package_whose_main_part_is_not_the_declared_kind_is_refused(content_type: str, package: bytes, kind: str):
    with pytest.raises(DocumentNotReady) as refused:
        check_content(content_type, package)
    assert refused.value.message == "office_wrong_kind"
    assert refused.value.params == {"kind": kind}


def test_a_zip_that_is_no_office_package_is_refused():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "just a zip")
    assert refusal(DOCX, buffer.getvalue()) == "office_unreadable"
    assert refusal(XLSX, b"PK\x03\x04" + b"\x00" * 100) == "office_unreadable"


@pytest.mark.parametrize("document_type", [
    '<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',  # billion laughs
    '<!DOCTYPE Types [<!ENTITY x SYSTEM "file:///etc/passwd">]>',  # an external entity
], ids=["entity-expansion", "external-entity"])
def test_content_types_with_a_document_type_declaration_are_refused(document_type: str):
    content_types = (f'<?xml version="1.0"?>{document_type}'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     f'<Override PartName="/word/document.xml" ContentType="{WORD_MAIN}"/></Types>')
    assert refusal(DOCX, make_ooxml("word/document.xml", WORD_MAIN, content_types=content_types)) == "office_unreadable"


def test_content_types_that_unpack_into_megabytes_are_read_no_further_than_the_bound():
    bomb = make_ooxml("word/document.xml", WORD_MAIN, content_types=" " * (ooxml.MAX_XML_BYTES * 8))
    assert len(bomb) < ooxml.MAX_XML_BYTES // 50  # deflate packs the spaces ~1000 to 1
    assert refusal(DOCX, bomb) == "office_unreadable"


def test_a_package_that_would_unpack_into_too_much_is_refused_without_unpacking(monkeypatch):
    monkeypatch.setattr(ooxml, "MAX_UNPACKED_BYTES", 1000)
    big = make_ooxml("xl/workbook.xml", EXCEL_MAIN, extra={"xl/sheet1.xml": b"0" * 2000})
    assert refusal(XLSX, big) == "office_too_large"


def test_a_package_with_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(ooxml, "MAX_PARTS", 3)
    assert refusal(XLSX, make_ooxml("xl/workbook.xml", EXCEL_MAIN, extra={"xl/a.xml": b"", "xl/b.xml": b""})) == (
        "office_too_large")


def test_a_package_with_two_parts_of_one_name_is_refused():
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = make_ooxml("word/document.xml", WORD_MAIN, extra={"word/document.xml": b"<other/>"})
    assert refusal(DOCX, twice) == "office_unreadable"


def test_cut_or_flipped_bytes_in_a_docx_are_accepted_or_refused_never_an_error():
    import random

    chance = random.Random(5)
    for end in range(0, len(DOCX_BYTES), 3):
        refusal(DOCX, DOCX_BYTES[:end])  # raises nothing but DocumentNotReady
    for _ in range(500):
        damaged = bytearray(DOCX_BYTES)
        for _ in range(3):
            damaged[chance.randrange(len(damaged))] = chance.randrange(256)
        refusal(DOCX, bytes(damaged))
