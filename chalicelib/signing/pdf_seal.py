"""PAdES sealing of the PDF certificate with the KMS seal key, through pyHanko.

The private key never leaves KMS: `KmsSigner` is a pyHanko `Signer` whose raw signing is one KMS `Sign`
(ECDSA P-256, SHA-256, MessageType RAW: KMS hashes the bytes pyHanko hands it, the signed attributes).
`seal_pdf` makes a PAdES baseline signature at level B-LTA: the signature time stamp from the TSA, the
validation data (certificates, and CRLs or OCSP responses when there are any) in the document security
store, and a document time stamp over it all, so the seal can still be checked when the certificates
have expired.

pyHanko is imported in this module only, and this module only by the route that serves the certificate:
it costs a few hundred milliseconds to import.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias

from asn1crypto import algos, pem, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

KMS_ALGORITHM = "ECDSA_SHA_256"
KMS_RAW_LIMIT = 4096  # bytes: the longest message KMS Sign takes with MessageType RAW
ECDSA_P256_MAX_DER = 72  # bytes: the longest DER ECDSA P-256 signature, for pyHanko's size estimate
FIELD_NAME = "Zegel"

CertificateLike: TypeAlias = "x509.Certificate | str | bytes"


def load_certificate(value: CertificateLike) -> x509.Certificate:
    """An asn1crypto certificate from itself, a PEM string, or PEM or DER bytes."""
    if isinstance(value, x509.Certificate):
        return value
    data = value.encode() if isinstance(value, str) else value
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


class KmsSigner(Signer):
    """A pyHanko signer for the KMS seal key (ECC_NIST_P256, SIGN_VERIFY), certified by `signing_cert`.

    Parameters
    ----------
    kms
        A boto3 KMS client.
    key_id
        The seal key's id or ARN (or an alias).
    signing_cert
        The X.509 certificate for that key.
    chain
        The rest of its chain up to the root (including the leaf again does no harm), as GET /keys
        publishes it.
    """

    def __init__(self, kms: Any, key_id: str, signing_cert: CertificateLike,
                 chain: Iterable[CertificateLike] = ()) -> None:
        leaf = load_certificate(signing_cert)
        certificates = [leaf, *(load_certificate(c) for c in chain)]
        super().__init__(signing_cert=leaf, cert_registry=SimpleCertificateStore.from_certs(certificates),
                         signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}))
        self._kms = kms
        self.key_id = key_id
        self.certificates = certificates
        public_key = serialization.load_der_public_key(leaf.public_key.dump())
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise ValueError("the seal certificate must certify an EC key")
        self._public_key = public_key

    @classmethod
    def from_chain(cls, kms: Any, key_id: str, chain_pem: Sequence[str]) -> KmsSigner:
        """From the chain as GET /keys publishes it: [leaf, ..., root]."""
        return cls(kms, key_id, chain_pem[0], chain_pem[1:])

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm.lower() != "sha256":
            raise SigningError(f"the KMS seal key signs with SHA-256, not {digest_algorithm}")
        if dry_run:  # pyHanko sizing the signature container: no KMS call
            return bytes(ECDSA_P256_MAX_DER)
        # A blocking call inside pyHanko's event loop: there is nothing else for the loop to do meanwhile.
        if len(data) <= KMS_RAW_LIMIT:
            answer = self._kms.sign(KeyId=self.key_id, Message=data, MessageType="RAW", SigningAlgorithm=KMS_ALGORITHM)
        else:  # never for pyHanko's signed attributes, which stay far below 4 KiB; moto gets DIGEST wrong
            answer = self._kms.sign(KeyId=self.key_id, Message=hashlib.sha256(data).digest(), MessageType="DIGEST",
                                    SigningAlgorithm=KMS_ALGORITHM)
        signature = bytes(answer["Signature"])
        try:
            # Catches a certificate setting that does not match the key (after a rotation, say) before a PDF
            # goes out with a seal that no reader can verify.
            self._public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise SigningError(f"the seal certificate does not certify KMS key {self.key_id}") from exc
        return signature


def _is_self_signed(certificate: x509.Certificate) -> bool:
    return bool(certificate.self_signed in {"maybe", "yes"})


def validation_context(certificates: Iterable[x509.Certificate], *, crls: Sequence[bytes] = (),
                       ocsps: Sequence[bytes] = (), fetch_revocation: bool = False) -> ValidationContext:
    """Trust the roots among `certificates` (the seal's and the TSA's chains), the rest are intermediates.

    Revocation is hard-fail when there is revocation data (given, or fetched from the CAs), and soft-fail
    otherwise: a local CA without CRLs still seals, with only the certificates embedded.
    """
    certificates = list(certificates)
    roots = [c for c in certificates if _is_self_signed(c)]
    if not roots:
        raise ValueError("no root certificate in the seal and TSA chains")
    strict = bool(crls or ocsps or fetch_revocation)
    return ValidationContext(trust_roots=roots, other_certs=[c for c in certificates if not _is_self_signed(c)],
                             allow_fetching=fetch_revocation, crls=list(crls), ocsps=list(ocsps),
                             revocation_mode="hard-fail" if strict else "soft-fail")


def seal_pdf(pdf: bytes, signer: KmsSigner, timestamper: TimeStamper, *, reason: str, location: str | None = None,
             tsa_chain: Sequence[CertificateLike], crls: Sequence[bytes] = (), ocsps: Sequence[bytes] = (),
             fetch_revocation: bool = False, archival: bool = True) -> bytes:
    """The PDF with a PAdES certification seal (no changes allowed), at level B-LTA (B-LT when not `archival`).

    Parameters
    ----------
    pdf
        The PDF to seal (`certificate.render_certificate`).
    signer
        The KMS seal key and its certificate chain.
    timestamper
        The time-stamping authority: an `HTTPTimeStamper` on its URL, or the local stack's. It is asked
        twice: for the signature time stamp and, when `archival`, for the document time stamp.
    reason, location
        What a PDF reader shows beside the seal.
    tsa_chain
        The TSA's certificate chain, up to its root, as GET /keys publishes it.
    crls, ocsps
        DER revocation data to embed (the local CA's `crl()`); with `fetch_revocation` pyHanko fetches
        them from the URLs in the certificates instead, which needs network access to the CAs.

    Raises
    ------
    pyhanko.sign.general.SigningError
        When the chain does not validate, the TSA does not answer, or the certificate is not the key's.
    """
    context = validation_context([*signer.certificates, *(load_certificate(c) for c in tsa_chain)], crls=crls,
                                 ocsps=ocsps, fetch_revocation=fetch_revocation)
    meta = PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", reason=reason, location=location,
        subfilter=SigSeedSubFilter.PADES, embed_validation_info=True, use_pades_lta=archival,
        validation_context=context, certify=True, docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    sealed = PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
    return bytes(sealed.getvalue())


class KmsPdfSealer:
    """`ports.PdfSealer`: PAdES seals made by the active KMS seal key with its certificate, stamped by the authority.

    The active key is asked for at each seal, and its chain is the configured one when that chain's
    certificate is for this very key (`chain_for`); after a rotation the new key needs its own
    certificate. No certificate, or no authority, is a DependencyFailed: never an unstamped or
    unverifiable PDF.
    """

    def __init__(self, kms: Any, active_key: Callable[[], tuple[str, str]], chain_for: Callable[[str, str], Sequence[str]],
                 tsa_url: str | None, tsa_chain: Sequence[str]) -> None:
        self._kms = kms
        self._active_key = active_key  # () -> (key id, its public key PEM)
        self._chain_for = chain_for  # (key id, public key PEM) -> its certificate chain, or ()
        self._tsa_url = tsa_url
        self._tsa_chain = list(tsa_chain)

    def seal(self, pdf: bytes, *, reason: str, location: str | None = None) -> bytes:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        from chalicelib.errors import DependencyFailed

        key_id, public_key_pem = self._active_key()
        chain = self._chain_for(key_id, public_key_pem)
        if not self._tsa_url or not chain or not self._tsa_chain:
            raise DependencyFailed()  # no certificate or no authority configured: no PDF rather than a weak one
        try:
            return seal_pdf(pdf, KmsSigner.from_chain(self._kms, key_id, chain), HTTPTimeStamper(self._tsa_url),
                            reason=reason, location=location, tsa_chain=self._tsa_chain)
        except (SigningError, OSError) as exc:
            raise DependencyFailed() from exc


def certifies(chain_pem: Sequence[str], public_key_pem: str) -> bool:
    """Whether the chain's leaf certificate is for this public key."""
    if not chain_pem:
        return False
    leaf = load_certificate(chain_pem[0])
    wanted = serialization.load_pem_public_key(public_key_pem.encode())
    return bool(leaf.public_key.dump() == wanted.public_bytes(serialization.Encoding.DER,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo))


# The local stack's own CA issues a certificate for a seal key that has none (after a local
# rotation); it registers here at start-up. A deployed stage never has one: its certificate
# comes from a CA that PDF readers trust (docs/deploy.md).
LOCAL_ISSUER: list[Callable[[str], Sequence[str]]] = []
