"""RFC 3161 time stamps over the seal: asking the authority (TSA) for one, reading it, checking it.

A token's messageImprint is SHA-256 over the raw DER bytes of the seal signature, so the
authority vouches that the sealed receipt existed at its `genTime`, which our own clock cannot.
`TimeStampAuthority` is the HTTP adapter (standard library only, so it adds nothing to the
Lambda package); `token_info` and `verify_token` are pure functions on the stored token.
"""

from __future__ import annotations

import hashlib
import http.client
import secrets
import ssl
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import urlsplit

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from chalicelib.errors import DependencyFailed

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_ANSWER_BYTES = 64 * 1024  # a token with a chain of a few certificates is 2-8 KB
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
GRANTED = frozenset({"granted", "granted_with_mods"})
# SHA-1 and MD5 are left out on purpose: the evidence has to hold for seven years.
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
# What asn1crypto and cryptography raise on bytes that are not what they claim to be.
_GARBAGE = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
            InvalidSignature, UnsupportedAlgorithm, x509.ExtensionNotFound, x509.InvalidVersion)


@dataclass(frozen=True)
class StampInfo:
    """What a token says: the authority's time (aware, UTC), its name, the imprint, its serial."""

    gen_time: datetime
    tsa: str
    imprint: bytes
    serial: int


class _TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161's TimeStampResp, whose token is OPTIONAL (asn1crypto 1.5 requires it, so refusals would not parse)."""

    _fields: ClassVar[list[tuple[Any, ...]]] = [
        ("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx answer is an error: a redirect is how an allowed URL would lead somewhere else."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def checked_url(url: str, *, allow_loopback_http: bool = False) -> str:
    """`url` when it may be asked for a time stamp: https, or plain http to loopback when allowed."""
    parts = urlsplit(url)
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise ValueError("a TSA URL needs a host and no credentials")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and allow_loopback_http and parts.hostname in LOOPBACK_HOSTS:
        return url
    raise ValueError("a TSA URL must be https:// (plain http only to 127.0.0.1, localhost or [::1], when allowed)")


class TimeStampAuthority:
    """The TSA over HTTP: `stamp(data)` gives an RFC 3161 token over SHA-256(data).

    `timeout` bounds each network step (connect, the answer's first byte) and the whole answer's
    reading; a TSA that is down (refused) fails at once. With `chain_pem` (leaf first, then its
    issuers), a token that does not verify against that chain is refused as well.
    """

    def __init__(self, url: str, *, timeout: float = 3.0, allow_loopback_http: bool = False,
                 chain_pem: Sequence[str] | None = None) -> None:
        if not timeout > 0:
            raise ValueError("the TSA timeout must be positive")
        self.url = checked_url(url, allow_loopback_http=allow_loopback_http)
        self.timeout = timeout
        self._chain = list(chain_pem) if chain_pem is not None else None
        # No proxies from the environment, no redirects: the request goes to the configured host only.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _NoRedirects(),
            urllib.request.HTTPSHandler(context=ssl.create_default_context()))

    def stamp(self, data: bytes) -> bytes:
        """The DER TimeStampToken (a CMS ContentInfo) over SHA-256(data).

        Raises DependencyFailed on a timeout, a connection error, an HTTP error, a refusal, or an
        answer that is not a signed token for this imprint and this request's nonce.
        """
        digest = hashlib.sha256(data).digest()
        nonce = secrets.randbits(64) | 1  # random and never 0
        query = tsp.TimeStampReq({
            "version": "v1",
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "nonce": nonce,
            "cert_req": True,
        }).dump()
        answer = self._post(query)
        try:
            token = _granted_token(answer, digest, nonce)
        except _GARBAGE as exc:
            raise DependencyFailed() from exc
        if self._chain is not None and not verify_token(token, data, self._chain):
            raise DependencyFailed() from ValueError("the time stamp does not verify against the TSA chain")
        return token

    def _post(self, query: bytes) -> bytes:
        request = urllib.request.Request(self.url, data=query, method="POST",  # noqa: S310 - scheme checked above
                                         headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
        deadline = time.monotonic() + self.timeout
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                if answer.status != 200:
                    raise ConnectionError(f"the TSA answered HTTP {answer.status}")
                return _read_capped(answer, deadline)
        except (OSError, http.client.HTTPException) as exc:  # URLError, HTTPError and timeouts are OSErrors
            raise DependencyFailed() from exc


def _read_capped(answer: Any, deadline: float) -> bytes:
    length = answer.headers.get("Content-Length")
    if length is not None and (not length.isdigit() or int(length) > MAX_ANSWER_BYTES):
        raise ConnectionError("the TSA's answer is too large")
    body = b""
    while chunk := answer.read(8192):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise ConnectionError("the TSA's answer is too large")
        if time.monotonic() > deadline:
            raise TimeoutError("the TSA's answer took too long")
    return body


def _granted_token(answer: bytes, digest: bytes, nonce: int) -> bytes:
    response = _TimeStampResp.load(answer, strict=True)
    status = response["status"]["status"].native
    if status not in GRANTED:
        raise ValueError(f"the TSA refused: {status}")
    token = response["time_stamp_token"]
    if not isinstance(token, cms.ContentInfo):
        raise ValueError("the TSA granted no token")
    signed_data, tst_info, tst_bytes = _parts(token)
    if not _imprint_is(tst_info, digest):
        raise ValueError("the token is over another imprint")
    if tst_info["nonce"].native != nonce:
        raise ValueError("the token answers another request (nonce)")
    if _signed_by(signed_data, tst_bytes) is None:
        raise ValueError("the token is not signed by a certificate it carries")
    return token.dump()


def token_info(token: bytes) -> StampInfo:
    """What the DER `token` states (it does not check it: see verify_token). ValueError when unreadable."""
    try:
        signed_data, tst_info, _ = _parts(cms.ContentInfo.load(token, strict=True))
        gen_time = tst_info["gen_time"].native
        if not isinstance(gen_time, datetime):
            raise ValueError("the token's genTime is out of range")
        infos = signed_data["signer_infos"]
        signer = _certificate_for(signed_data, infos[0]["sid"]) if len(infos) == 1 else None
        return StampInfo(gen_time=gen_time.astimezone(timezone.utc), tsa=_tsa_name(signer, tst_info),
                         imprint=tst_info["message_imprint"]["hashed_message"].native,
                         serial=tst_info["serial_number"].native)
    except _GARBAGE as exc:
        raise ValueError("not an RFC 3161 time-stamp token") from exc


def verify_token(token: bytes, data: bytes, chain_pem: Sequence[str]) -> bool:
    """True only when `token` is a time stamp over SHA-256(data), signed by a TSA of `chain_pem`.

    Checks the imprint, the signed attributes (content type, message digest of the TSTInfo), the
    RSA PKCS#1 v1.5 or ECDSA signature over them, the signer's timeStamping key usage, and that
    the signer chains to the last certificate of `chain_pem` (leaf first, root last), each
    certificate valid at the token's genTime (so a stamp outlives its TSA certificate). Never raises.
    """
    try:
        signed_data, tst_info, tst_bytes = _parts(cms.ContentInfo.load(token, strict=True))
        gen_time = tst_info["gen_time"].native
        if not isinstance(gen_time, datetime) or not _imprint_is(tst_info, hashlib.sha256(data).digest()):
            return False
        signer = _signed_by(signed_data, tst_bytes)
        if signer is None:
            return False
        leaf = x509.load_der_x509_certificate(signer.dump())
        chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in chain_pem]
        return _stamps_time(leaf) and _chains_to(leaf, chain, gen_time)
    except _GARBAGE:
        return False


def _parts(token: cms.ContentInfo) -> tuple[cms.SignedData, tsp.TSTInfo, bytes]:
    """The SignedData, its TSTInfo and that TSTInfo's DER (what the message digest is over)."""
    token.native  # noqa: B018 - parses every part now: a token must be well-formed throughout, not just where we look
    if token["content_type"].native != "signed_data" or token["content"]["version"].native != "v3":
        raise ValueError("a time-stamp token is CMS SignedData of version 3")
    signed_data = token["content"]
    encapsulated = signed_data["encap_content_info"]
    if encapsulated["content_type"].native != "tst_info" or not isinstance(encapsulated["content"], cms.ParsableOctetString):
        raise ValueError("a time-stamp token holds a TSTInfo")
    tst_bytes = bytes(encapsulated["content"])
    return signed_data, tsp.TSTInfo.load(tst_bytes, strict=True), tst_bytes


def _imprint_is(tst_info: tsp.TSTInfo, digest: bytes) -> bool:
    imprint = tst_info["message_imprint"]
    return bool(imprint["hash_algorithm"]["algorithm"].native == "sha256" and imprint["hashed_message"].native == digest)


def _certificate_for(signed_data: cms.SignedData, sid: cms.SignerIdentifier) -> asn1_x509.Certificate | None:
    """The certificate in the token that the signer identifier names."""
    certificates = signed_data["certificates"]
    for choice in certificates if isinstance(certificates, cms.CertificateSet) else ():
        if choice.name != "certificate":
            continue
        certificate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if certificate.issuer == sid.chosen["issuer"] and certificate.serial_number == sid.chosen["serial_number"].native:
                return certificate
        elif certificate.key_identifier is not None and certificate.key_identifier == sid.chosen.native:
            return certificate
    return None


def _signed_by(signed_data: cms.SignedData, tst_bytes: bytes) -> asn1_x509.Certificate | None:
    """The one signer's certificate, when its signed attributes are over this TSTInfo and its signature holds."""
    infos = signed_data["signer_infos"]
    info = infos[0] if len(infos) == 1 else None
    certificate = _certificate_for(signed_data, info["sid"]) if info is not None else None
    if info is None or certificate is None or not _attributes_are_over(tst_bytes, info, signed_data):
        return None
    key = x509.load_der_x509_certificate(certificate.dump()).public_key()
    return certificate if _signature_holds(info, key) else None


def _attributes_are_over(tst_bytes: bytes, info: cms.SignerInfo, signed_data: cms.SignedData) -> bool:
    """Whether the signed attributes are those of a time stamp: content type TSTInfo, and its digest."""
    attributes = info["signed_attrs"]
    digest_name = info["digest_algorithm"]["algorithm"].native
    listed = {algorithm["algorithm"].native for algorithm in signed_data["digest_algorithms"]}
    version = "v1" if info["sid"].name == "issuer_and_serial_number" else "v3"
    if info["version"].native != version or not isinstance(attributes, cms.CMSAttributes):
        return False
    if digest_name not in HASHES or digest_name not in listed:
        return False
    return bool(_attribute(attributes, "content_type") == "tst_info"
                and _attribute(attributes, "message_digest") == hashlib.new(digest_name, tst_bytes).digest())


def _signature_holds(info: cms.SignerInfo, key: Any) -> bool:
    """The signer's RSA PKCS#1 v1.5 or ECDSA signature over the DER of its signed attributes."""
    algorithm = info["signature_algorithm"]
    try:
        hash_name = algorithm.hash_algo
    except ValueError:  # rsaEncryption or a bare ecdsa OID: the digest algorithm names the hash
        hash_name = info["digest_algorithm"]["algorithm"].native
    if hash_name not in HASHES:
        return False
    # The signature is over the attributes as a SET OF (tag 0x31), not in their [0] IMPLICIT form.
    signed_bytes = b"\x31" + info["signed_attrs"].dump()[1:]
    signature, kind = info["signature"].native, algorithm.signature_algo
    try:
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed_bytes, padding.PKCS1v15(), HASHES[hash_name]())
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_bytes, ec.ECDSA(HASHES[hash_name]()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _attribute(attributes: cms.CMSAttributes, name: str) -> Any:
    """The one value of the one attribute `name`; None when it is absent or repeated."""
    found = [attribute["values"] for attribute in attributes if attribute["type"].native == name]
    return found[0][0].native if len(found) == 1 and len(found[0]) == 1 else None


def _stamps_time(certificate: x509.Certificate) -> bool:
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    return ExtendedKeyUsageOID.TIME_STAMPING in usage


def _chains_to(leaf: x509.Certificate, chain: list[x509.Certificate], at: datetime) -> bool:
    """Whether `leaf` is, or is issued along `chain` by, its last certificate, all valid `at`."""
    if not chain:
        return False
    anchor, current = chain[-1], leaf
    for _ in range(len(chain) + 1):
        if not current.not_valid_before_utc <= at <= current.not_valid_after_utc:
            return False
        if current == anchor:
            return True
        issuer = next((c for c in chain if c != current and _issued(current, c)), None)
        if issuer is None:
            return False
        current = issuer
    return False


def _issued(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        if not parent.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
        child.verify_directly_issued_by(parent)
    except _GARBAGE:
        return False
    return True


def _tsa_name(signer: asn1_x509.Certificate | None, tst_info: tsp.TSTInfo) -> str:
    """The signing certificate's common name, else the TSTInfo's own `tsa` name, else ''."""
    if signer is not None:
        return _readable(signer.subject)
    named = tst_info["tsa"]
    if not isinstance(named, asn1_x509.GeneralName):
        return ""
    return _readable(named.chosen) if named.name == "directory_name" else str(named.native)


def _readable(name: asn1_x509.Name) -> str:
    common_name = name.native.get("common_name")
    if isinstance(common_name, list):  # a name may hold several
        common_name = common_name[-1]
    return str(common_name) if common_name else str(name.human_friendly)
