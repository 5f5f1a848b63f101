"""The local stack's certificate authority: a root made at start-up that certifies the seal key (and a TSA).

Nothing here is trusted outside the local stack: the root lives in memory for one run, and PDF readers
show a seal certified by it as "unknown signer" unless someone adds the root by hand. A deployed stage
gets the seal key's certificate from a CA that PDF readers trust instead (docs/deploy.md).

The CA holds only its own private key. The certificates it issues certify keys it never sees: the
KMS seal key (whose public half KMS GetPublicKey gives as DER SubjectPublicKeyInfo), or the local
time-stamping authority's key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_NAME = "Lokale seal-CA (alleen voor ontwikkeling)"
ORGANISATION = "Digitaal ondertekenen (lokaal)"
ROOT_VALIDITY = timedelta(days=10 * 365)
LEAF_VALIDITY = timedelta(days=3 * 365)
CRL_VALIDITY = timedelta(days=7)
# Issued a little in the past, so that a clock a few minutes behind still finds them valid.
BACKDATE = timedelta(minutes=10)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class LocalCa:
    """An EC P-256 root, generated in memory, that issues the seal and TSA certificates and an (empty) CRL.

    Parameters
    ----------
    name
        The root's common name.
    crl_url
        Written into every issued certificate as its CRL distribution point. Validators that may not
        fetch (pyHanko with ``allow_fetching=False``) are handed `crl()` directly; the URL only tells
        them which CRL covers the certificate.
    now
        The clock (UTC); the system's by default.
    """

    def __init__(self, name: str = ROOT_NAME, *, crl_url: str | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now
        self._crl_url = crl_url
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._crl_number = 0
        start = now() - BACKDATE
        subject = _name(name)
        self.root = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + ROOT_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def root_pem(self) -> str:
        return _pem(self.root)

    def issue_seal_certificate(self, public_key_der: bytes, subject_name: str) -> list[str]:
        """The PEM chain [leaf, root] certifying the seal key for sealing documents (PAdES).

        Parameters
        ----------
        public_key_der
            The key's DER SubjectPublicKeyInfo, as KMS GetPublicKey returns it.
        subject_name
            The leaf's common name: what a PDF reader shows as the sealer.
        """
        usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False)
        return self._issue(public_key_der, subject_name, usage, extended_usage=None)

    def issue_tsa_certificate(self, public_key_der: bytes, subject_name: str) -> list[str]:
        """The PEM chain [leaf, root] for a time-stamping authority (RFC 3161: timeStamping only, critical)."""
        usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False)
        return self._issue(public_key_der, subject_name, usage, extended_usage=ExtendedKeyUsageOID.TIME_STAMPING)

    def crl(self) -> bytes:
        """A fresh DER CRL from the root that revokes nothing, valid for a week: revocation data to embed."""
        self._crl_number += 1
        now = self._now() - BACKDATE
        return (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(now).next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(self._crl_number), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
            .public_bytes(serialization.Encoding.DER)
        )

    def _issue(self, public_key_der: bytes, subject_name: str, usage: x509.KeyUsage,
               extended_usage: x509.ObjectIdentifier | None) -> list[str]:
        public_key = serialization.load_der_public_key(public_key_der)
        if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise ValueError("the seal and TSA keys are EC or RSA keys")
        start = self._now() - BACKDATE
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(subject_name)).issuer_name(self.root.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(min(start + LEAF_VALIDITY, self.root.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
        )
        if extended_usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage([extended_usage]), critical=True)
        if self._crl_url is not None:
            point = x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(self._crl_url)],
                                           relative_name=None, reasons=None, crl_issuer=None)
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        leaf = builder.sign(self._key, hashes.SHA256())
        return [_pem(leaf), self.root_pem]
