"""The TSA adapter against the local stack's own authority (and a few that misbehave), over HTTP on 127.0.0.1.

The first test checks the token with asn1crypto and cryptography only, not with
chalicelib.signing.timestamps, so the module is not the judge of its own work.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from chalicelib.errors import DependencyFailed
from chalicelib.signing.timestamps import TimeStampAuthority, token_info, verify_token
from local.launch import free_port
from local.tsa import TSA_NAME, LocalTsa

# What the service stamps: the raw DER bytes of an ECDSA P-256 seal signature.
SEAL_SIGNATURE = ec.generate_private_key(ec.SECP256R1()).sign(hashlib.sha256(b"receipt").digest(), ec.ECDSA(hashes.SHA256()))


@pytest.fixture(scope="module")
def tsa() -> Iterator[LocalTsa]:
    with LocalTsa() as authority:
        yield authority


@pytest.fixture(scope="module")
def other_tsa() -> Iterator[LocalTsa]:
    with LocalTsa() as authority:
        yield authority


@pytest.fixture(scope="module")
def token(tsa: LocalTsa) -> bytes:
    return TimeStampAuthority(tsa.url, allow_loopback_http=True).stamp(SEAL_SIGNATURE)


class Canned:
    """An HTTP server on loopback that gives every request the same answer, and counts them."""

    def __init__(self, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None,
                 content_length: bool = True) -> None:
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                canned.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(status)
                for name, value in {"Content-Type": "application/timestamp-reply", **(headers or {})}.items():
                    self.send_header(name, value)
                if content_length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, format: str, *args: object) -> None:
                return

        self.hits = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def __enter__(self) -> Canned:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _raw_answer(url: str, data: bytes) -> bytes:
    """A TSA's whole answer to a fresh request over `data`, as a replaying server would keep it."""
    query = tsp.TimeStampReq({"version": "v1", "nonce": 12345, "cert_req": True, "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(data).digest()}}).dump()
    request = urllib.request.Request(url, data=query, headers={"Content-Type": "application/timestamp-query"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return bytes(answer.read())


def _sequence(der: bytes) -> bytes:
    return b"\x30" + bytes([len(der)]) + der


def _stamp_via(url: str, data: bytes = SEAL_SIGNATURE, timeout: float = 3.0) -> bytes:
    return TimeStampAuthority(url, timeout=timeout, allow_loopback_http=True).stamp(data)


# The token, checked without chalicelib.signing.timestamps


def test_a_stamp_over_the_seal_signature_is_signed_by_the_local_tsa_and_made_now(tsa: LocalTsa, token: bytes):
    leaf, root = (x509.load_pem_x509_certificate(pem.encode()) for pem in tsa.chain_pem)
    content_info = cms.ContentInfo.load(token)
    assert content_info["content_type"].native == "signed_data"
    signed_data = content_info["content"]
    assert signed_data["encap_content_info"]["content_type"].native == "tst_info"
    tst_bytes = bytes(signed_data["encap_content_info"]["content"])
    tst_info = tsp.TSTInfo.load(tst_bytes)

    imprint = tst_info["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].native == "sha256"
    assert imprint["hashed_message"].native == hashlib.sha256(SEAL_SIGNATURE).digest()

    (signer,) = signed_data["signer_infos"]
    sid = signer["sid"].chosen
    assert sid["serial_number"].native == leaf.serial_number
    attributes = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    assert attributes["content_type"] == "tst_info"
    assert attributes["message_digest"] == hashlib.sha256(tst_bytes).digest()
    assert attributes["signing_certificate"]["certs"][0]["cert_hash"] == hashlib.sha1(leaf.public_bytes(Encoding.DER)).digest()
    assert signer["signature_algorithm"].signature_algo == "rsassa_pkcs1v15"
    leaf.public_key().verify(signer["signature"].native, signer["signed_attrs"].untag().dump(),
                             padding.PKCS1v15(), hashes.SHA256())

    leaf.verify_directly_issued_by(root)
    assert ExtendedKeyUsageOID.TIME_STAMPING in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    gen_time = tst_info["gen_time"].native
    assert abs(gen_time - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=1)


# verify_token and token_info on real tokens


def test_verify_token_holds_for_the_stamped_data_and_the_tsas_chain(tsa: LocalTsa, token: bytes):
    assert verify_token(token, SEAL_SIGNATURE, tsa.chain_pem)
    assert verify_token(token, SEAL_SIGNATURE, tsa.chain_pem[1:])  # the root alone


def test_verify_token_fails_for_other_data_another_chain_a_truncated_token_or_random_bytes(
        tsa: LocalTsa, other_tsa: LocalTsa, token: bytes):
    assert not verify_token(token, SEAL_SIGNATURE[:-1] + b"\x00", tsa.chain_pem)
    assert not verify_token(token, SEAL_SIGNATURE, other_tsa.chain_pem)
    assert not verify_token(token[: len(token) // 2], SEAL_SIGNATURE, tsa.chain_pem)
    assert not verify_token(token[:-1], SEAL_SIGNATURE, tsa.chain_pem)
    assert not verify_token(os.urandom(len(token)), SEAL_SIGNATURE, tsa.chain_pem)
    assert not verify_token(b"", SEAL_SIGNATURE, tsa.chain_pem)


def test_token_info_gives_the_authoritys_time_and_name(token: bytes):
    info = token_info(token)
    assert info.tsa == TSA_NAME == "Lokale TSA (alleen voor ontwikkeling)"
    assert info.gen_time.tzinfo == datetime.timezone.utc
    assert abs(info.gen_time - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=1)
    assert info.imprint == hashlib.sha256(SEAL_SIGNATURE).digest()
    assert info.serial > 0


def test_each_stamp_is_a_new_token_with_its_own_serial(tsa: LocalTsa, token: bytes):
    again = _stamp_via(tsa.url)
    assert again != token
    assert token_info(again).serial != token_info(token).serial


# When the authority is down, slow or misbehaving


def test_a_stopped_tsa_fails_at_once_and_answers_again_on_the_same_url_after_a_restart():
    with LocalTsa() as authority:
        url, chain = authority.url, authority.chain_pem
        authority.stop()
        assert not authority.running
        started = time.monotonic()
        with pytest.raises(DependencyFailed):
            _stamp_via(url, timeout=2.0)
        assert time.monotonic() - started < 1.0

        assert authority.start() == url
        assert authority.running and authority.chain_pem == chain
        assert verify_token(_stamp_via(url), SEAL_SIGNATURE, chain)


def test_a_port_where_nothing_listens_fails_within_the_timeout():
    started = time.monotonic()
    with pytest.raises(DependencyFailed):
        _stamp_via(f"http://127.0.0.1:{free_port()}/", timeout=2.0)
    assert time.monotonic() - started < 2.0


def test_a_tsa_slower_than_the_timeout_fails_at_the_timeout():
    with LocalTsa(delay=3.0) as slow:
        started = time.monotonic()
        with pytest.raises(DependencyFailed):
            _stamp_via(slow.url, timeout=0.5)
        assert time.monotonic() - started < 1.5


def test_a_redirect_is_not_followed(tsa: LocalTsa):
    with Canned(body=_raw_answer(tsa.url, SEAL_SIGNATURE)) as elsewhere, \
            Canned(status=307, headers={"Location": elsewhere.url}) as redirecting:
        with pytest.raises(DependencyFailed):
            _stamp_via(redirecting.url)
        assert redirecting.hits == 1
        assert elsewhere.hits == 0


@pytest.mark.parametrize("status", [400, 404, 500, 503, 204])
def test_an_http_error_answer_fails(status: int):
    with Canned(status=status, body=b"" if status == 204 else b"nope") as failing, pytest.raises(DependencyFailed):
        _stamp_via(failing.url)


@pytest.mark.parametrize("content_length", [True, False])
def test_an_answer_larger_than_64_kb_is_not_read(content_length: bool):
    with Canned(body=b"\x30" * (70 * 1024), content_length=content_length) as huge, pytest.raises(DependencyFailed):
        _stamp_via(huge.url)


def test_a_replayed_answer_is_refused_for_its_nonce_and_for_other_data(tsa: LocalTsa):
    with Canned(body=_raw_answer(tsa.url, SEAL_SIGNATURE)) as replaying:
        with pytest.raises(DependencyFailed):
            _stamp_via(replaying.url, SEAL_SIGNATURE)  # the same data, but another request's nonce
        with pytest.raises(DependencyFailed):
            _stamp_via(replaying.url, b"another seal signature")


@pytest.mark.parametrize("body", [
    _sequence(tsp.PKIStatusInfo({"status": "rejection", "fail_info": {"bad_alg"}}).dump()),
    _sequence(tsp.PKIStatusInfo({"status": "granted"}).dump()),  # granted, but no token
    b"<html>Service Unavailable</html>",
    b"",
])
def test_a_refusal_or_an_answer_that_is_no_token_fails(body: bytes):
    with Canned(body=body) as odd, pytest.raises(DependencyFailed):
        _stamp_via(odd.url)


def test_given_the_chain_the_adapter_refuses_a_token_of_another_tsa(tsa: LocalTsa, other_tsa: LocalTsa):
    pinned = TimeStampAuthority(tsa.url, allow_loopback_http=True, chain_pem=other_tsa.chain_pem)
    with pytest.raises(DependencyFailed):
        pinned.stamp(SEAL_SIGNATURE)
    token = TimeStampAuthority(tsa.url, allow_loopback_http=True, chain_pem=tsa.chain_pem).stamp(SEAL_SIGNATURE)
    assert verify_token(token, SEAL_SIGNATURE, tsa.chain_pem)


# The SSRF guard


@pytest.mark.parametrize("url", ["http://example.org/", "ftp://example.org/tsa", "http://10.0.0.1/", "ftp://127.0.0.1/",
                                 "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.2/"])
def test_the_adapter_refuses_any_url_but_https_and_loopback(url: str):
    with pytest.raises(ValueError, match="TSA URL"):
        TimeStampAuthority(url, allow_loopback_http=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://localhost:9/tsa", "http://[::1]:9/"])
def test_plain_http_to_loopback_is_allowed_only_with_the_flag(url: str):
    assert TimeStampAuthority(url, allow_loopback_http=True).url == url
    with pytest.raises(ValueError, match="TSA URL"):
        TimeStampAuthority(url)


def test_an_https_url_is_allowed_without_the_flag():
    assert TimeStampAuthority("https://tsa.example/", timeout=1).url == "https://tsa.example/"


# The local TSA itself


def test_the_local_tsa_answers_only_a_post_of_a_timestamp_query(tsa: LocalTsa):
    def status(method: str, body: bytes | None = None, content_type: str = "application/timestamp-query") -> int:
        request = urllib.request.Request(tsa.url, data=body, method=method, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    assert status("GET") == 405
    assert status("PUT", b"x") == 405
    assert status("DELETE") == 405
    assert status("POST", b"\x30\x00", content_type="application/octet-stream") == 400
    assert status("POST", b"not DER at all") == 400
    assert status("POST", b"") == 400


def test_the_local_tsa_refuses_an_unsupported_hash_with_an_rfc_3161_rejection(tsa: LocalTsa):
    query = tsp.TimeStampReq({"version": "v1", "cert_req": True, "message_imprint": {
        "hash_algorithm": {"algorithm": "sha1"}, "hashed_message": hashlib.sha1(SEAL_SIGNATURE).digest()}}).dump()
    request = urllib.request.Request(tsa.url, data=query, headers={"Content-Type": "application/timestamp-query"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.headers["Content-Type"] == "application/timestamp-reply"
        body = answer.read()
    status = tsp.PKIStatusInfo.load(body[2:])  # TimeStampResp ::= SEQUENCE { status, no token }
    assert status["status"].native == "rejection"
    assert status["fail_info"].native == {"bad_alg"}


def test_pyhankos_own_client_and_validator_accept_the_local_tsa(tsa: LocalTsa):
    """What the PAdES signature of the PDF certificate will use: pyHanko's HTTP client, and its validator."""
    import asyncio

    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    digest = hashlib.sha256(SEAL_SIGNATURE).digest()
    token = asyncio.run(HTTPTimeStamper(tsa.url).async_timestamp(digest, "sha256"))
    assert verify_token(token.dump(), SEAL_SIGNATURE, tsa.chain_pem)

    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(tsa.chain_pem[-1].encode()).public_bytes(Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
    status = asyncio.run(validate_tst_signed_data(token["content"], context, lambda algorithm: digest))
    assert status["intact"] and status["valid"] and status["trust_problem_indic"] is None
