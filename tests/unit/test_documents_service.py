"""Uploads on fakes: what may be uploaded, and the server's own check of what arrived."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.documents import service as documents
from chalicelib.documents.model import DOCX, PDF
from chalicelib.errors import (
    DependencyFailed,
    DocumentNotReady,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from tests.conftest import DOCX_BYTES, PDF_BYTES, PNG_BYTES
from tests.fakes import FakePorts

ADVISOR = Principal(sub="sub-a", tenant_id="t1", role="advisor", subject_id="a1")


@pytest.fixture
def ports() -> FakePorts:
    return FakePorts()


def create(ports: FakePorts, content: bytes = PDF_BYTES, **fields: object) -> dict:
    body = {"filename": "jaarrekening.pdf", "content_type": PDF, "size": len(content), **fields}
    return documents.create_upload(ports, ADVISOR, body)


def upload(ports: FakePorts, content: bytes = PDF_BYTES, declared: int | None = None, **fields: object) -> dict:
    """Register a document and put `content` where its form points, as the browser does."""
    created = create(ports, content, **({"size": declared} if declared is not None else {}), **fields)
    ports.files.put(created["upload"]["fields"]["key"], content)
    return created


def field_errors(refused: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in refused.value.errors}


# --- registering an upload ----------------------------------------------------------------------

def test_an_upload_is_registered_pending_with_a_form_for_its_own_key(ports):
    created = create(ports)

    assert created["status"] == "pending"
    key = f"tenants/t1/documents/{created['id']}"
    assert created["upload"]["fields"]["key"] == key
    stored = ports.documents.get("t1", created["id"])
    assert (stored.s3_key, stored.declared_size, stored.sha256, stored.size) == (key, len(PDF_BYTES), None, None)


def test_the_content_type_is_kept_in_lower_case(ports):
    created = create(ports, content_type="Application/PDF")

    assert ports.documents.get("t1", created["id"]).content_type == PDF


@pytest.mark.parametrize("size", [None, 0, -1, True, "12", 1.5])
def test_a_size_that_is_no_positive_whole_number_is_refused(ports, size):
    with pytest.raises(ValidationFailed) as refused:
        create(ports, size=size)
    assert field_errors(refused) == {"size": "invalid_size"}


@pytest.mark.parametrize("filename", ["map/jaarrekening.pdf", "map\\jaarrekening.pdf", "/jaarrekening.pdf"])
def test_a_filename_with_a_path_is_refused(ports, filename):
    with pytest.raises(ValidationFailed) as refused:
        create(ports, filename=filename)
    assert field_errors(refused) == {"filename": "invalid_filename"}


def test_a_filename_with_a_control_character_is_refused(ports):
    with pytest.raises(ValidationFailed) as refused:
        create(ports, filename="jaar\x00rekening.pdf")
    assert field_errors(refused) == {"filename": "control_characters"}


def test_missing_fields_are_each_named(ports):
    with pytest.raises(ValidationFailed) as refused:
        documents.create_upload(ports, ADVISOR, {})
    assert field_errors(refused) == {"filename": "required", "content_type": "required", "size": "invalid_size"}


def test_a_file_larger_than_the_limit_is_refused_with_the_limit_in_mib(ports):
    limit = ports.settings.max_document_bytes

    with pytest.raises(PayloadTooLarge) as refused:
        create(ports, size=limit + 1)

    assert refused.value.message == "file_too_large"
    assert refused.value.params == {"max_mib": limit // (1024 * 1024)}
    assert ports.documents.documents == {}


def test_a_file_of_exactly_the_limit_is_allowed(ports):
    assert create(ports, size=ports.settings.max_document_bytes)["status"] == "pending"


def test_the_limit_is_the_settings(ports):
    ports.settings = replace(ports.settings, max_document_bytes=3 * 1024 * 1024)

    with pytest.raises(PayloadTooLarge) as refused:
        create(ports, size=3 * 1024 * 1024 + 1)
    assert refused.value.params == {"max_mib": 3}


@pytest.mark.parametrize("content_type", ["text/html", "application/zip", "image/svg+xml", "application/x-msdownload"])
def test_a_type_that_is_not_allowed_is_refused(ports, content_type):
    with pytest.raises(UnsupportedMediaType) as refused:
        create(ports, content_type=content_type)
    assert refused.value.message == "type_not_allowed"


# --- completing it ------------------------------------------------------------------------------

def test_a_complete_upload_is_fingerprinted_and_ready(ports):
    created = upload(ports)

    ready = documents.complete_upload(ports, ADVISOR, created["id"])

    assert ready == {"id": created["id"], "status": "ready", "filename": "jaarrekening.pdf", "content_type": PDF,
                     "size": len(PDF_BYTES), "sha256": hashlib.sha256(PDF_BYTES).hexdigest()}
    assert ports.documents.get("t1", created["id"]).version_id == "1"


def test_a_docx_is_checked_by_its_structure_and_ready(ports):
    created = upload(ports, DOCX_BYTES, filename="brief.docx", content_type=DOCX)

    assert documents.complete_upload(ports, ADVISOR, created["id"])["status"] == "ready"


def test_completing_before_the_file_arrived_is_document_missing(ports):
    created = create(ports)

    with pytest.raises(DocumentNotReady) as refused:
        documents.complete_upload(ports, ADVISOR, created["id"])

    assert refused.value.message == "document_missing"
    assert ports.documents.get("t1", created["id"]).status == "pending"


def test_a_file_of_another_size_than_declared_is_refused_with_both_sizes(ports):
    created = upload(ports, PDF_BYTES, declared=len(PDF_BYTES) + 10)

    with pytest.raises(DocumentNotReady) as refused:
        documents.complete_upload(ports, ADVISOR, created["id"])

    assert refused.value.message == "document_size_mismatch"
    assert refused.value.params == {"declared": len(PDF_BYTES) + 10, "actual": len(PDF_BYTES)}


def test_a_file_that_is_not_what_its_type_says_is_refused_and_stays_pending(ports):
    created = upload(ports, PNG_BYTES)

    with pytest.raises(DocumentNotReady) as refused:
        documents.complete_upload(ports, ADVISOR, created["id"])

    assert refused.value.message == "document_type_mismatch"
    assert ports.documents.get("t1", created["id"]).status == "pending"


def test_a_corrected_file_may_complete_after_a_refusal(ports):
    created = upload(ports, PNG_BYTES, declared=len(PDF_BYTES))
    with pytest.raises(DocumentNotReady):
        documents.complete_upload(ports, ADVISOR, created["id"])

    ports.files.put(created["upload"]["fields"]["key"], PDF_BYTES)

    assert documents.complete_upload(ports, ADVISOR, created["id"])["status"] == "ready"


def test_a_ready_document_is_ready_once_and_keeps_its_fingerprint(ports):
    created = upload(ports)
    first = documents.complete_upload(ports, ADVISOR, created["id"])
    ports.files.put(created["upload"]["fields"]["key"], PDF_BYTES.replace(b"595", b"612"))

    again = documents.complete_upload(ports, ADVISOR, created["id"])

    assert again == first
    assert ports.documents.get("t1", created["id"]).version_id == "1", "the version that was checked"


def test_completing_an_unknown_document_is_not_found(ports):
    with pytest.raises(NotFound):
        documents.complete_upload(ports, ADVISOR, "onbekend")


def test_a_document_of_another_firm_is_not_found(ports):
    created = upload(ports)

    with pytest.raises(NotFound):
        documents.complete_upload(ports, replace(ADVISOR, tenant_id="t2"), created["id"])


def test_a_failing_file_store_is_a_dependency_failure_and_leaves_it_pending(ports):
    created = upload(ports)
    ports.files.fail_next()

    with pytest.raises(DependencyFailed):
        documents.complete_upload(ports, ADVISOR, created["id"])

    assert ports.documents.get("t1", created["id"]).status == "pending"
    assert documents.complete_upload(ports, ADVISOR, created["id"])["status"] == "ready"
