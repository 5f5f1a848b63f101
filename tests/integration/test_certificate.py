"""The PDF certificate ("transactiebon"), rendered and PAdES-sealed with the seal key in moto's KMS.

The seal is checked with pyHanko's validators only (not with the code that made it), against the two
roots a reader would be given: the local seal CA and the time-stamping authority's.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import PdfSignatureValidationSpec, SignatureValidationSpec
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager
from pypdf import PdfReader

from chalicelib.signing.certificate import CertificateContent, CertificateTimestamp, render_certificate
from chalicelib.signing.pdf_seal import KmsSigner, load_certificate, seal_pdf
from local.ca import ROOT_NAME, LocalCa
from tests.conftest import PDF_BYTES, signature_png

FILENAME = "Aangifte IB 2025 – Zoë Çelik.pdf"
SIGNER = "Zoë Çelik"
PNG = signature_png()
REGION = "eu-west-1"


def _der(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


@pytest.fixture(scope="module")
def kms(backend: Any) -> Iterator[Any]:
    # The suite's own moto server: a mock_aws of its own would reset the backends the other tests share.
    yield boto3.client("kms", region_name=REGION, endpoint_url=backend.endpoint, aws_access_key_id="testing",
                       aws_secret_access_key="testing")


def _new_seal_key(kms: Any) -> str:
    return str(kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"])


@pytest.fixture(scope="module")
def seal(kms: Any) -> SimpleNamespace:
    """The seal key in KMS, and the local CA's certificate for it."""
    key_id = _new_seal_key(kms)
    ca = LocalCa(crl_url="http://127.0.0.1:9/seal-ca.crl")
    public_key = kms.get_public_key(KeyId=key_id)["PublicKey"]
    chain = ca.issue_seal_certificate(public_key, "Digitaal ondertekenen — zegel (lokaal)")
    return SimpleNamespace(key_id=key_id, ca=ca, chain=chain, public_key=public_key,
                           signer=KmsSigner.from_chain(kms, key_id, chain))


@pytest.fixture(scope="module")
def tsa() -> SimpleNamespace:
    """An RSA time-stamping authority under its own root (pyHanko's DummyTimeStamper is RSA-only)."""
    ca = LocalCa("Test-TSA-root", crl_url="http://127.0.0.1:9/tsa-ca.crl")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    chain = ca.issue_tsa_certificate(_der(key.public_key()), "Test-TSA")
    private = keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return SimpleNamespace(ca=ca, chain=chain, stamper=DummyTimeStamper(tsa_cert=load_certificate(chain[0]),
                                                                         tsa_key=private))


def _receipt(signed_at: str = "2026-12-01T10:00:00.123Z", place_prefilled: str | None = "Amsterdam") -> dict[str, Any]:
    hint = "+31 6 ****5678"
    return {
        "version": 2, "receipt_code": "TB-7K3M9Q2X4P", "signing_request_id": "01JF6Z3Q8K2M4N5P6R7S8T9V0W",
        "message_id": "01JF6Z3Q8K2M4N5P6R7S8T9V0M", "conversation_id": "01JF6Z3Q8K2M4N5P6R7S8T9V0C",
        "tenant_id": "01JF6Z3Q8K2M4N5P6R7S8T9V0T",
        "document": {"id": "01JF6Z3Q8K2M4N5P6R7S8T9V0D", "filename": FILENAME, "size": len(PDF_BYTES),
                     "sha256": hashlib.sha256(PDF_BYTES).hexdigest(), "content_type": "application/pdf",
                     "s3_version_id": "3HL4kqtJlcpXroDTDmJ"},
        "signature_image_sha256": hashlib.sha256(PNG).hexdigest(),
        "signer": {"client_id": "01JF6Z3Q8K2M4N5P6R7S8T9V0K", "name": SIGNER, "phone_hint": hint},
        "place": "Utrecht", "place_prefilled": place_prefilled, "signed_at": signed_at,
        "otp": {"channel": "sms", "sent_at": "2026-12-01T09:58:12.000Z", "verified_at": "2026-12-01T09:59:40.000Z",
                "phone_hint": hint},
        "client_context": {"ip": "192.0.2.10", "user_agent": "Mozilla/5.0"},
        "audit_chain_head": {"seq": 5, "hash": "e3" * 32},
    }


EVENTS = [("sent", "2026-11-28T08:00:00.000Z", "advisor:01JF6Z3Q8K2M4N5P6R7S8T9V0A", {}),
          ("viewed", "2026-12-01T09:57:00.000Z", "client:01JF6Z3Q8K2M4N5P6R7S8T9V0K", {}),
          ("code_sent", "2026-12-01T09:58:12.000Z", "client:01JF6Z3Q8K2M4N5P6R7S8T9V0K", {}),
          ("code_verified", "2026-12-01T09:59:40.000Z", "client:01JF6Z3Q8K2M4N5P6R7S8T9V0K", {}),
          ("signed", "2026-12-01T10:00:00.123Z", "client:01JF6Z3Q8K2M4N5P6R7S8T9V0K", {})]


def _content(**changes: Any) -> CertificateContent:
    events = [{"seq": seq, "type": kind, "at": at, "actor": actor, "data": data, "prev_hash": "0" * 64,
               "hash": hashlib.sha256(f"{seq}{kind}".encode()).hexdigest()}
              for seq, (kind, at, actor, data) in enumerate(EVENTS, start=1)]
    content = CertificateContent(
        firm="Boekhouders Ünal & De Vries", receipt=_receipt(),
        seal={"algorithm": "ECDSA_SHA_256", "key_id": "9f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b", "digest": "5a" * 32,
              "signature": "MEUCIQ=="},
        signature_method="drawn",
        timestamp=CertificateTimestamp(gen_time=datetime(2026, 12, 1, 10, 0, 2, tzinfo=UTC), tsa="Test-TSA"),
        audit_events=events, signature_png=PNG, document=PDF_BYTES, document_filename=FILENAME,
        keys_url="https://portaal.example/api/keys")
    return replace(content, **changes)


def _text(pdf: bytes) -> str:
    """The pages' text, with line breaks and runs of spaces as single spaces."""
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def _seal(pdf: bytes, seal: SimpleNamespace, tsa: SimpleNamespace, **options: Any) -> bytes:
    return seal_pdf(pdf, seal.signer, tsa.stamper, reason="Transactiebon TB-7K3M9Q2X4P", location="Nederland",
                    tsa_chain=tsa.chain, **options)


@pytest.fixture(scope="module")
def sealed(seal: SimpleNamespace, tsa: SimpleNamespace) -> bytes:
    return _seal(render_certificate(_content()), seal, tsa, crls=[seal.ca.crl(), tsa.ca.crl()])


def _roots(seal: SimpleNamespace, tsa: SimpleNamespace) -> list[Any]:
    return [load_certificate(seal.ca.root_pem), load_certificate(tsa.ca.root_pem)]


def _validate(pdf: bytes, seal: SimpleNamespace, tsa: SimpleNamespace) -> Any:
    reader = PdfFileReader(io.BytesIO(pdf))
    context = ValidationContext(trust_roots=_roots(seal, tsa), allow_fetching=False)
    return validate_pdf_signature(reader.embedded_signatures[0], context)


# --- the seal -------------------------------------------------------------------------------------


def test_the_sealed_certificate_is_intact_valid_trusted_and_time_stamped(sealed, seal, tsa):
    status = _validate(sealed, seal, tsa)

    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.signer_reported_dt is not None
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.valid and status.timestamp_validity.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.docmdp_ok  # what came after the seal is only validation data and a document time stamp
    assert status.signing_cert.public_key.dump() == seal.public_key  # made by the KMS key, through its certificate
    assert status.signing_cert.subject.native["common_name"] == "Digitaal ondertekenen — zegel (lokaal)"


def test_the_seal_says_why_and_where_it_was_made(sealed):
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]

    assert signature.sig_object["/Reason"] == "Transactiebon TB-7K3M9Q2X4P"
    assert signature.sig_object["/Location"] == "Nederland"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline


def test_the_validation_data_is_embedded_and_a_document_time_stamp_covers_it(sealed, seal, tsa):
    reader = PdfFileReader(io.BytesIO(sealed))
    dss = DocumentSecurityStore.read_dss(reader)

    embedded = {cert.subject.native["common_name"] for cert in dss.load_certs()}
    assert {"Digitaal ondertekenen — zegel (lokaal)", ROOT_NAME, "Test-TSA", "Test-TSA-root"} <= embedded
    assert len(dss.crls) == 2
    assert len(reader.embedded_timestamp_signatures) == 1  # B-LTA


def test_a_strict_long_term_validator_needs_nothing_but_the_pdf_and_the_two_roots(sealed, seal, tsa):
    # Revocation data required for every certificate, none fetched: only what the DSS holds can satisfy it.
    required = RevocationCheckingPolicy(ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                                        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED)
    policy = CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(_roots(seal, tsa)),
                                      revinfo_policy=CertRevTrustPolicy(required))
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(cert_validation_policy=policy))
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]

    result = asyncio.run(ades_lta_validation(signature, spec))

    assert result.ades_subindic.status.name == "PASSED", result.ades_subindic


def test_the_attachment_is_the_document_byte_for_byte_under_its_own_name(sealed):
    assert PdfReader(io.BytesIO(sealed)).attachments == {FILENAME: [PDF_BYTES]}


def test_changing_one_byte_inside_the_signed_range_breaks_the_seal(sealed, seal, tsa):
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    first_range_end = signature.sig_object["/ByteRange"][1]
    at = sealed.index(b"Transactiebon TB-7K3M9Q2X4P")  # the document title, a literal string in the info dictionary
    assert at < first_range_end
    tampered = bytearray(sealed)
    tampered[at + len("Transactiebon TB-")] = ord("X")

    status = _validate(bytes(tampered), seal, tsa)

    assert not status.intact and not status.bottom_line


def test_without_revocation_data_the_seal_still_carries_its_chain(seal, tsa):
    pdf = _seal(render_certificate(_content()), seal, tsa)

    status = _validate(pdf, seal, tsa)
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf)))
    assert status.intact and status.trusted and status.timestamp_validity is not None
    assert len(dss.certs) >= 4 and not dss.crls


def test_a_certificate_for_another_key_is_refused_before_a_pdf_goes_out(kms, seal, tsa):
    other = kms.get_public_key(KeyId=_new_seal_key(kms))["PublicKey"]
    signer = KmsSigner.from_chain(kms, seal.key_id, seal.ca.issue_seal_certificate(other, "Verkeerde sleutel"))

    with pytest.raises(SigningError, match="does not certify"):
        seal_pdf(render_certificate(_content()), signer, tsa.stamper, reason="Transactiebon", tsa_chain=tsa.chain)


def test_the_local_ca_certifies_the_kms_key_for_sealing_documents(seal):
    leaf, root = (x509.load_pem_x509_certificate(pem.encode()) for pem in seal.chain)

    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ROOT_NAME
    leaf.verify_directly_issued_by(root)
    assert _der(leaf.public_key()) == seal.public_key
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    years = (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days / 365
    assert 2 <= years <= 5


# --- what it says -------------------------------------------------------------------------------


def test_the_certificate_states_what_who_when_where_and_how_in_dutch(sealed):
    text = _text(sealed)

    assert text.startswith("Transactiebon")
    for fact in (FILENAME, hashlib.sha256(PDF_BYTES).hexdigest(), f"{len(PDF_BYTES)} bytes", SIGNER, "+31 6 ****5678",
                 "Utrecht", "Amsterdam (door de ondertekenaar gewijzigd)", "TB-7K3M9Q2X4P",
                 "1 december 2026 om 11:00:00 (UTC+01:00)", "2026-12-01 10:00:00.123 UTC",
                 "1 december 2026 om 11:00:02 (UTC+01:00), afgegeven door Test-TSA",
                 "sms-code van 6 cijfers", "Met de hand getekend", hashlib.sha256(PNG).hexdigest(),
                 "5a" * 32, "9f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b", "Boekhouders Ünal & De Vries",
                 "tools/verify_evidence.py", "GET /keys", "https://portaal.example/api/keys", "Handtekeningen"):
        assert fact in text, fact


def test_every_audit_event_is_listed_with_its_amsterdam_time(sealed):
    text = _text(sealed)

    for label, local in (("Verzoek verstuurd", "2026-11-28 09:00:00"), ("Document bekeken", "2026-12-01 10:57:00"),
                         ("Sms-code verstuurd", "2026-12-01 10:58:12"), ("Sms-code bevestigd", "2026-12-01 10:59:40"),
                         ("Ondertekend en verzegeld", "2026-12-01 11:00:00")):
        assert label in text and local in text, label
    assert hashlib.sha256(b"5signed").hexdigest()[:16] in text


def test_the_certificate_in_english_says_the_same_in_english_with_summer_time():
    receipt = _receipt(signed_at="2026-07-01T10:00:00.000Z")
    text = _text(render_certificate(_content(language="en", receipt=receipt, signature_method="typed")))

    assert text.startswith("Transaction receipt")
    for fact in ("What was signed", "Signed by", "1 July 2026 at 12:00:00 (UTC+02:00)", "2026-07-01 10:00:00.000 UTC",
                 "Typed name, shown as a signature", "With a 6-digit SMS code", "Amsterdam (changed by the signer)",
                 "How to check this yourself, without us", FILENAME, SIGNER):
        assert fact in text, fact
    assert "Transactiebon" not in text


def test_a_pending_time_stamp_is_called_pending_and_no_authority_time_is_shown():
    dutch = _text(render_certificate(_content(timestamp=None)))
    english = _text(render_certificate(_content(timestamp=None, language="en")))

    assert "Tijdstempel (onafhankelijke tijd) In afwachting." in dutch and "afgegeven door" not in dutch
    assert "Time stamp (independent time) Time stamp pending." in english and "issued by" not in english


def test_a_place_the_signer_kept_is_not_shown_twice():
    text = _text(render_certificate(_content(receipt=_receipt(place_prefilled="Utrecht"))))

    assert "Utrecht" in text and "Vooraf ingevulde plaats" not in text


def test_the_same_content_renders_the_same_bytes():
    assert render_certificate(_content()) == render_certificate(_content())


def test_a_language_without_texts_is_refused():
    with pytest.raises(ValueError, match="no certificate texts"):
        _content(language="de")
