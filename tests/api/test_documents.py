"""Documents go straight to S3; the server checks what really arrived."""

from __future__ import annotations

import base64
import io
import json

import pytest

from chalicelib.texts import text
from tests.conftest import (
    CATALOG,
    DOCX,
    DOCX_BYTES,
    PAGE,
    PAGES,
    PDF_BYTES,
    PNG_BYTES,
    XLSX,
    XLSX_BYTES,
    Api,
    encrypted_pdf,
    make_pdf,
    upload,
)

OPENS_WITH_A_SCRIPT = make_pdf(
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>",
    PAGES, PAGE)
LAUNCHES_A_PROGRAM = make_pdf(
    CATALOG, PAGES, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
    b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /Launch /F (cmd.exe) >> >>")


def _policy(created) -> dict:
    return json.loads(base64.b64decode(created.json["upload"]["fields"]["policy"]))


def test_a_pdf_upload_becomes_ready_with_the_servers_own_fingerprint(api: Api, firm):
    import hashlib

    done = upload(api, firm["token"])
    assert done.status_code == 200
    assert done.json["status"] == "ready"
    assert done.json["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert done.json["size"] == len(PDF_BYTES)


def test_the_presigned_post_is_fixed_to_the_declared_size_and_the_firms_prefix(api: Api, firm):
    created = api.post("/advisor/documents", firm["token"],
                       {"filename": "a.pdf", "content_type": "application/pdf", "size": 1234})
    policy = _policy(created)
    assert ["content-length-range", 1234, 1234] in policy["conditions"]
    assert {"x-amz-server-side-encryption": "aws:kms"} in policy["conditions"]
    key = created.json["upload"]["fields"]["key"]
    assert key.startswith(f"tenants/{firm['tenant'].id}/")
    assert created.json["status"] == "pending"


def test_a_file_larger_than_declared_is_never_ready(api: Api, firm):
    created = upload(api, firm["token"], content=PDF_BYTES + b"x" * 100, declared=len(PDF_BYTES), complete=False)
    done = api.post(f"/advisor/documents/{created.json['id']}/complete", firm["token"])
    assert done.status_code == 422
    assert done.json["code"] == "document_not_ready"


def test_a_png_declared_as_pdf_is_refused_at_complete(api: Api, firm):
    done = upload(api, firm["token"], content=PNG_BYTES, filename="stiekem.pdf")
    assert done.status_code == 422
    assert done.json["code"] == "document_not_ready"


def test_complete_without_an_upload_is_refused(api: Api, firm):
    created = api.post("/advisor/documents", firm["token"],
                       {"filename": "a.pdf", "content_type": "application/pdf", "size": 10})
    done = api.post(f"/advisor/documents/{created.json['id']}/complete", firm["token"])
    assert done.status_code == 422


def test_a_file_over_the_limit_is_413(api: Api, firm):
    response = api.post("/advisor/documents", firm["token"],
                        {"filename": "groot.pdf", "content_type": "application/pdf", "size": 25 * 1024 * 1024 + 1})
    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large"


def test_a_type_outside_the_allow_list_is_415(api: Api, firm):
    response = api.post("/advisor/documents", firm["token"],
                        {"filename": "virus.exe", "content_type": "application/x-msdownload", "size": 10})
    assert response.status_code == 415
    assert response.json["code"] == "unsupported_media_type"


def test_another_firms_document_is_not_found(api: Api, firm, tokens):
    done = upload(api, firm["token"])
    other = api.post(f"/advisor/documents/{done.json['id']}/complete", tokens["basis_advisor"])
    assert other.status_code == 404


@pytest.mark.parametrize(("content", "reason"), [
    (OPENS_WITH_A_SCRIPT, "pdf_javascript"),
    (LAUNCHES_A_PROGRAM, "pdf_launch_action"),
    (encrypted_pdf(), "pdf_encrypted"),
    (make_pdf(CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>"), "pdf_no_pages"),
    (b"%PDF-1.7\nHet lijkt een PDF, maar het is gewoon tekst.\n", "pdf_unreadable"),
], ids=["javascript-on-open", "launch-action", "encrypted", "no-pages", "not-a-pdf"])
def test_a_pdf_that_is_not_a_plain_document_is_refused_saying_why(api: Api, firm, content: bytes, reason: str):
    done = upload(api, firm["token"], content=content)
    assert done.status_code == 422
    assert done.json["code"] == "document_not_ready"
    assert done.json["detail"] == text(reason, "nl")


def test_the_reason_comes_in_the_language_asked_for(api: Api, firm):
    created = upload(api, firm["token"], content=OPENS_WITH_A_SCRIPT, complete=False)
    done = api.post(f"/advisor/documents/{created.json['id']}/complete", firm["token"], headers={"Accept-Language": "en"})
    assert done.json["detail"] == "The PDF contains JavaScript. Upload a version without scripts."


def test_a_refused_pdf_stays_unusable_for_a_signing_request(api: Api, firm, signer):
    created = upload(api, firm["token"], content=OPENS_WITH_A_SCRIPT, complete=False)
    assert api.post(f"/advisor/documents/{created.json['id']}/complete", firm["token"]).status_code == 422
    sent = api.post("/advisor/messages", firm["token"], {
        "client_id": signer["id"], "subject": "Akte", "body": "Graag ondertekenen.", "response_type": "sign",
        "document_ids": [created.json["id"]]})
    assert (sent.status_code, sent.json["code"]) == (422, "document_not_ready")


@pytest.mark.parametrize(("content", "content_type", "filename"), [
    (DOCX_BYTES, DOCX, "opdrachtbevestiging.docx"),
    (XLSX_BYTES, XLSX, "urenoverzicht.xlsx"),
], ids=["docx", "xlsx"])
def test_a_real_word_document_or_excel_workbook_becomes_ready(api: Api, firm, content: bytes, content_type: str,
                                                               filename: str):
    done = upload(api, firm["token"], content=content, filename=filename, content_type=content_type)
    assert done.status_code == 200, done.body
    assert done.json["status"] == "ready"


def test_a_docx_whose_content_types_are_not_a_word_document_is_refused(api: Api, firm):
    done = upload(api, firm["token"], content=XLSX_BYTES, filename="stiekem.docx", content_type=DOCX)
    assert done.status_code == 422
    assert done.json["code"] == "document_not_ready"
    assert done.json["detail"] == text("office_wrong_kind", "nl", kind="DOCX")


def test_a_zip_declared_as_docx_is_refused(api: Api, firm):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("setup.exe", b"MZ")
    done = upload(api, firm["token"], content=buffer.getvalue(), filename="brief.docx", content_type=DOCX)
    assert (done.status_code, done.json["detail"]) == (422, text("office_unreadable", "nl", kind="DOCX"))
