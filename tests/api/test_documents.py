"""Documents go straight to S3; the server checks what really arrived."""

from __future__ import annotations

import base64
import json

from tests.conftest import PDF_BYTES, PNG_BYTES, Api, upload


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
