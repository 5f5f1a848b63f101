"""The signature image at sign: one still PNG, stored exactly as it was checked."""

from __future__ import annotations

import base64
import hashlib

import pytest

from chalicelib.texts import text
from tests.conftest import Api, animated_png, data_url, last_code, signature_png, upload


def _open_request(api: Api, firm, signer, backend) -> str:
    """A signing request to the signer, who has just confirmed it with the SMS code."""
    document = upload(api, firm["token"]).json["id"]
    sent = api.post("/advisor/messages", firm["token"], {
        "client_id": signer["id"], "subject": "Volmacht", "body": "Graag ondertekenen.", "response_type": "sign",
        "document_ids": [document]})
    assert sent.status_code == 201, sent.body
    request_id = sent.json["signing"]["id"]
    assert api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"]).status_code == 202
    verify = api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"],
                      {"code": last_code(backend, signer["phone"])})
    assert verify.status_code == 200, verify.body
    return str(request_id)


@pytest.mark.parametrize(("image", "reason"), [
    (signature_png() + b"<script>alert(1)</script>", "signature_trailing_data"),
    (animated_png(), "signature_animated"),
], ids=["bytes-after-iend", "apng"])
def test_a_signature_that_is_more_than_one_still_png_is_refused_and_nothing_is_signed(
        api: Api, firm, signer, backend, image: bytes, reason: str):
    request_id = _open_request(api, firm, signer, backend)
    answer = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": data_url(image), "city": "Haarlem"})
    assert (answer.status_code, answer.json["code"]) == (422, "invalid_signature_image")
    assert answer.json["detail"] == text(reason, "nl")
    assert api.get(f"/portal/signing-requests/{request_id}", signer["token"]).json["status"] == "viewed"
    receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"])
    assert (receipt.status_code, receipt.json["code"]) == (409, "not_open")


def test_the_stored_signature_is_byte_for_byte_the_png_that_was_checked(api: Api, firm, signer, backend):
    request_id = _open_request(api, firm, signer, backend)
    png = signature_png()
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": data_url(png), "city": "Haarlem"})
    assert signed.status_code == 200, signed.body
    signature = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json["signature"]
    assert base64.b64decode(signature["image"].removeprefix("data:image/png;base64,")) == png
    assert signature["sha256"] == hashlib.sha256(png).hexdigest()
