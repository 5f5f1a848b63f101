"""The local stack's own time-stamping authority: RFC 3161 over HTTP on 127.0.0.1.

Its root CA and TSA certificate are made at the first start and kept across stop() and start(),
so the chain published in `GET /keys` stays valid while a test stops the authority to play an
outage. pyHanko's DummyTimeStamper (RSA keys only) makes the tokens; this file only serves it.
"""

from __future__ import annotations

import datetime
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar

from asn1crypto import core, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

ROOT_NAME = "Lokale TSA-root (alleen voor ontwikkeling)"
TSA_NAME = "Lokale TSA (alleen voor ontwikkeling)"
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_QUERY_BYTES = 16 * 1024
IMPRINT_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
VALIDITY = datetime.timedelta(days=3650)


class LocalTsa:
    """An RFC 3161 authority on loopback: `start()` gives its URL, `stop()` takes it down.

    `delay` (seconds) holds every answer back, to play a slow authority.
    """

    host = "127.0.0.1"  # loopback only: this authority's key is a throwaway, never to be reachable from outside

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self._port = 0
        self._server: _TsaServer | None = None
        self._thread: threading.Thread | None = None
        self._stamper: DummyTimeStamper | None = None
        self._chain: list[x509.Certificate] = []

    def start(self, port: int = 0) -> str:
        """Serve on `port` (0: the port of the previous start, or a free one the first time); the URL."""
        if self._server is not None:
            return self.url
        stamper = self._ensure_keys()
        self._server = _TsaServer((self.host, port or self._port), _Handler, self, stamper)
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="local-tsa", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop answering: from now on a connection to the URL is refused."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("the local TSA has not been started")
        return f"http://{self.host}:{self._port}/"

    @property
    def chain_pem(self) -> list[str]:
        """The TSA certificate, then the root that issued it (PEM); made on first use."""
        self._ensure_keys()
        return [c.public_bytes(serialization.Encoding.PEM).decode() for c in self._chain]

    def __enter__(self) -> LocalTsa:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()

    def _ensure_keys(self) -> DummyTimeStamper:
        if self._stamper is None:
            root_key, tsa_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
            root = _root_certificate(root_key)
            leaf = _tsa_certificate(tsa_key, root, root_key)
            self._chain = [leaf, root]
            key_der = tsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
            self._stamper = DummyTimeStamper(
                tsa_cert=_asn1(leaf), tsa_key=keys.PrivateKeyInfo.load(key_der),
                certs_to_embed=SimpleCertificateStore.from_certs([_asn1(root)]))
        return self._stamper


class _TsaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: LocalTsa,
                 stamper: DummyTimeStamper) -> None:
        super().__init__(address, handler)
        self.owner = owner
        self.stamper = stamper


class _Handler(BaseHTTPRequestHandler):
    """POST application/timestamp-query and nothing else."""

    server: _TsaServer
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "")
        if self.headers.get_content_type() != QUERY_TYPE or not length.isdigit() or not 0 < int(length) <= MAX_QUERY_BYTES:
            self._plain(400, "expected one application/timestamp-query")
            return
        try:
            query = tsp.TimeStampReq.load(self.rfile.read(int(length)), strict=True)
            answer = self._answer(query)
        except (ValueError, TypeError, KeyError):
            self._plain(400, "not an RFC 3161 TimeStampReq")
            return
        if self.server.owner.delay > 0:
            time.sleep(self.server.owner.delay)
        self.send_response(200)
        self.send_header("Content-Type", REPLY_TYPE)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _answer(self, query: tsp.TimeStampReq) -> bytes:
        imprint = query["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if IMPRINT_SIZES.get(algorithm) != len(imprint["hashed_message"].native):
            refusal = {"status": "rejection", "status_string": ["unsupported hash algorithm"], "fail_info": {"bad_alg"}}
            return bytes(_Refusal({"status": refusal}).dump())
        return bytes(self.server.stamper.request_tsa_response(query).dump())

    def _refuse_method(self) -> None:
        self.send_response(405)
        self.send_header("Allow", "POST")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _plain(self, status: int, reason: str) -> None:
        body = reason.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet, like the rest of the local stack's servers


class _Refusal(core.Sequence):  # type: ignore[misc]
    """A TimeStampResp without a token (asn1crypto's own class wants one, though RFC 3161 leaves it out)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [("status", tsp.PKIStatusInfo)]


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _root_certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(ROOT_NAME)).issuer_name(_name(ROOT_NAME))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _tsa_certificate(key: rsa.RSAPrivateKey, root: x509.Certificate, root_key: rsa.RSAPrivateKey) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(TSA_NAME)).issuer_name(root.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
