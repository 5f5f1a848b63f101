"""The transactiebon as a PDF (issue 14), over the API: sealed with the seal key's certificate of GET /keys,
time-stamped by the authority, validated with pyHanko's own validator, the document inside byte for byte."""

from __future__ import annotations

import io
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from chalicelib.signing.pdf_seal import load_certificate
from tests.api.test_time_stamps import _sign
from tests.conftest import PDF_BYTES, Api

PDF = {"Accept": "application/pdf"}


def _certificate(api: Api, firm: dict[str, Any], request_id: str) -> Any:
    return api.get(f"/advisor/signing-requests/{request_id}/certificate", firm["token"], headers=PDF)


def _status(pdf: bytes, api: Api) -> Any:
    keys = api.get("/keys").json
    roots = [load_certificate(keys["seal_certificate_chain_pem"][-1]), load_certificate(keys["tsa_certificate_chain_pem"][-1])]
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return validate_pdf_signature(signature, ValidationContext(trust_roots=roots, allow_fetching=False))


def test_the_pdf_is_sealed_time_stamped_validates_against_the_published_chain_and_holds_the_document(
        api: Api, firm, signer, backend):
    request_id = _sign(api, firm, signer, backend)
    answer = _certificate(api, firm, request_id)
    assert answer.status_code == 200, answer.body
    assert answer.headers["Content-Type"] == "application/pdf" and answer.body.startswith(b"%PDF")
    status = _status(answer.body, api)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.valid, "a signature time stamp"
    assert DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(answer.body))) is not None, "validation data"
    attachments = PdfReader(io.BytesIO(answer.body)).attachments
    assert [content for contents in attachments.values() for content in contents] == [PDF_BYTES]
    text = PdfReader(io.BytesIO(answer.body)).pages[0].extract_text()
    receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
    assert "Transactiebon" in text and receipt["receipt_code"] in text and receipt["document"]["sha256"][:16] in text


def test_one_changed_byte_breaks_the_pdfs_seal(api: Api, firm, signer, backend):
    request_id = _sign(api, firm, signer, backend)
    pdf = bytearray(_certificate(api, firm, request_id).body)
    pdf[1000] ^= 0x01  # inside the rendered page, long before the seal's own revision
    assert not _status(bytes(pdf), api).intact


def test_an_unsigned_request_has_no_pdf_yet(api: Api, firm, signer, backend):
    from tests.api.test_signing import _send

    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    answer = _certificate(api, firm, request_id)
    assert (answer.status_code, answer.json["code"]) == (409, "not_open")
