"""KMS adapters: sealing digests with the ECC key, envelope encryption with the data key."""

from __future__ import annotations

import base64
import functools
import os
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEAL_ALGORITHM = "ECDSA_SHA_256"


class Sealer:
    """Signs 32-byte digests with a KMS ECC_NIST_P256 key (MessageType=RAW), verifies locally."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self.key_id = key_id

    def seal(self, digest: bytes) -> str:
        """Base64 DER ECDSA signature over SHA-256(digest), as KMS Sign with RAW makes it."""
        answer = self._kms.sign(KeyId=self.key_id, Message=digest, MessageType="RAW",
                                SigningAlgorithm=SEAL_ALGORITHM)
        return base64.b64encode(answer["Signature"]).decode()

    @functools.cached_property
    def public_key_pem(self) -> str:
        der = self._kms.get_public_key(KeyId=self.key_id)["PublicKey"]
        key = serialization.load_der_public_key(der)
        return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def verify_seal(public_key_pem: str, digest: bytes, signature_b64: str) -> bool:
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(base64.b64decode(signature_b64), digest, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    encrypted_data_key: bytes
    nonce: bytes


class Vault:
    """Envelope encryption: a fresh KMS data key per item, AES-256-GCM, bound to an encryption context."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> Sealed:
        data_key = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=context)
        nonce = os.urandom(12)
        ciphertext = AESGCM(data_key["Plaintext"]).encrypt(nonce, plaintext, rfc8785.dumps(context))
        return Sealed(ciphertext=ciphertext, encrypted_data_key=data_key["CiphertextBlob"], nonce=nonce)

    def decrypt(self, sealed: Sealed, context: dict[str, str]) -> bytes | None:
        """The plaintext, or None when the key, context or ciphertext does not check out."""
        from botocore.exceptions import ClientError

        try:
            data_key = self._kms.decrypt(CiphertextBlob=sealed.encrypted_data_key, EncryptionContext=context,
                                         KeyId=self._key_id)  # only ever our data key
            return AESGCM(data_key["Plaintext"]).decrypt(sealed.nonce, sealed.ciphertext, rfc8785.dumps(context))
        except (InvalidTag, ClientError, ValueError):
            return None
