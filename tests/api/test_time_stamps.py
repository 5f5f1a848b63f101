"""Trusted time on the receipt (issue 14), over the API on the local stack with its own RFC 3161 authority.

The token is checked here with asn1crypto and cryptography directly, not with the project's code:
its imprint is SHA-256 over the seal signature's DER bytes, the authority's certificate (from the
local stack's published chain) signed it, and its genTime is the moment of signing.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import Any

from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID

from chalicelib import aws
from chalicelib.clock import parse_iso
from tests.api.test_signing import _send, _verified
from tests.conftest import Api, data_url, signature_png


def _sign(api: Api, firm: dict[str, Any], signer: dict[str, Any], backend: Any) -> str:
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": data_url(signature_png()), "city": "Haarlem"})
    assert signed.status_code == 200, signed.body
    return request_id


def _check_independently(token: bytes, seal_signature: bytes, chain_pem: list[str]) -> datetime.datetime:
    leaf, root = (x509.load_pem_x509_certificate(pem.encode()) for pem in chain_pem)
    signed_data = cms.ContentInfo.load(token)["content"]
    tst_bytes = bytes(signed_data["encap_content_info"]["content"])
    tst_info = tsp.TSTInfo.load(tst_bytes)
    assert tst_info["message_imprint"]["hashed_message"].native == hashlib.sha256(seal_signature).digest()
    (signer,) = signed_data["signer_infos"]
    attributes = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    assert attributes["message_digest"] == hashlib.sha256(tst_bytes).digest()
    leaf.public_key().verify(signer["signature"].native, signer["signed_attrs"].untag().dump(),
                             padding.PKCS1v15(), hashes.SHA256())  # raises unless the authority signed it
    leaf.verify_directly_issued_by(root)
    assert ExtendedKeyUsageOID.TIME_STAMPING in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    gen_time: datetime.datetime = tst_info["gen_time"].native
    return gen_time


def test_a_signature_carries_an_rfc_3161_stamp_over_its_seal_made_at_the_moment_of_signing(
        api: Api, firm, signer, backend):
    request_id = _sign(api, firm, signer, backend)
    evidence = api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json
    token = base64.b64decode(evidence["timestamp"]["token"])
    gen_time = _check_independently(token, base64.b64decode(evidence["seal"]["signature"]), backend.tsa.chain_pem)
    assert abs(gen_time - parse_iso(evidence["receipt"]["signed_at"])) < datetime.timedelta(minutes=1)
    assert evidence["timestamp"]["gen_time"] == gen_time.strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{gen_time.microsecond // 1000:03d}Z"
    receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
    assert receipt["timestamp"]["tsa"] == evidence["timestamp"]["tsa"] == "Lokale TSA (alleen voor ontwikkeling)"
    assert receipt["verification"]["timestamp_valid"] is True


def test_with_the_authority_stopped_a_signature_completes_and_a_later_run_stamps_it(api: Api, firm, signer, backend):
    from chalicelib.signing.stamping import stamp_pending

    backend.tsa.stop()
    try:
        request_id = _sign(api, firm, signer, backend)
        receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
        assert receipt["timestamp"] is None and receipt["verification"]["timestamp_valid"] is None
        assert api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json["timestamp"] is None
        assert stamp_pending(aws.ports()).stamped == 0, "still down: nothing stamped, nothing pretended"
    finally:
        backend.tsa.start()
    assert stamp_pending(aws.ports()).stamped >= 1
    evidence = api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json
    token = base64.b64decode(evidence["timestamp"]["token"])
    gen_time = _check_independently(token, base64.b64decode(evidence["seal"]["signature"]), backend.tsa.chain_pem)
    assert gen_time >= parse_iso(evidence["receipt"]["signed_at"]) - datetime.timedelta(seconds=1)
    receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
    assert receipt["verification"]["timestamp_valid"] is True and receipt["timestamp"] is not None
