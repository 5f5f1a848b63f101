"""The seal check on plain values: only the seal key's own signature over the digest passes."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.signing.crypto import verify_seal

DIGEST = hashlib.sha256(b'{"place":"Haarlem"}').digest()


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _sign(key: ec.EllipticCurvePrivateKey, digest: bytes) -> str:
    return base64.b64encode(key.sign(digest, ec.ECDSA(hashes.SHA256()))).decode()


SEAL_KEY = ec.generate_private_key(ec.SECP256R1())


def test_the_seal_keys_signature_over_the_digest_verifies():
    assert verify_seal(_pem(SEAL_KEY), DIGEST, _sign(SEAL_KEY, DIGEST))


def test_a_recomputed_digest_signed_by_another_key_does_not_verify():
    forged = hashlib.sha256(b'{"place":"Maastricht"}').digest()
    assert not verify_seal(_pem(SEAL_KEY), forged, _sign(ec.generate_private_key(ec.SECP256R1()), forged))


def test_the_right_signature_over_another_digest_does_not_verify():
    assert not verify_seal(_pem(SEAL_KEY), hashlib.sha256(b"other").digest(), _sign(SEAL_KEY, DIGEST))


def test_garbage_or_a_key_of_another_kind_is_no_seal():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    assert not verify_seal(_pem(SEAL_KEY), DIGEST, "not base64!")
    assert not verify_seal(_pem(SEAL_KEY), DIGEST, base64.b64encode(b"\x30\x00").decode())
    other = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert not verify_seal(other, DIGEST, _sign(SEAL_KEY, DIGEST))
