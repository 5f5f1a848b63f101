"""KMS adapters: sealing digests with the ECC seal keys (and making new ones), envelope encryption with the data key."""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.errors import DependencyFailed
from chalicelib.observability import logger
from chalicelib.signing.seal_keys import SEAL_ALGORITHM, SealKey, SealKeyring, same_key

# A seal names the key KMS signed with; seal() honours the key `key_id` named only this soon after.
_NAMED_KEY_SECONDS = 5.0


def _pem(der: bytes) -> str:
    key = serialization.load_der_public_key(der)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class KmsSealKeys:
    """The seal keys in KMS as the API's role uses them: signing, public halves, creation dates."""

    def __init__(self, kms: Any) -> None:
        self._kms = kms

    def sign(self, key_id: str, digest: bytes) -> tuple[str, str]:
        """The key KMS signed with (its ARN, from the answer), and the base64 DER ECDSA signature over
        SHA-256(digest), as KMS Sign with MessageType=RAW makes it."""
        answer = self._kms.sign(KeyId=key_id, Message=digest, MessageType="RAW", SigningAlgorithm=SEAL_ALGORITHM)
        return str(answer["KeyId"]), base64.b64encode(answer["Signature"]).decode()

    def public_key_pem(self, key_id: str) -> str:
        return _pem(self._kms.get_public_key(KeyId=key_id)["PublicKey"])

    def created_at(self, key_id: str) -> datetime:
        created: datetime = self._kms.describe_key(KeyId=key_id)["KeyMetadata"]["CreationDate"]
        return created


class KmsSealKeyAdmin(KmsSealKeys):
    """`ports.SealKeyAdmin`: new seal keys made like the active one (the operator's credentials)."""

    def tags(self, key_id: str) -> dict[str, str]:
        pages = self._kms.get_paginator("list_resource_tags").paginate(KeyId=key_id)
        return {tag["TagKey"]: tag["TagValue"] for page in pages for tag in page.get("Tags", [])}

    def create_like(self, key_id: str) -> str:
        model = self._kms.describe_key(KeyId=key_id)["KeyMetadata"]
        policy = self._kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        tags = [{"TagKey": k, "TagValue": v} for k, v in self.tags(key_id).items()]
        made = self._kms.create_key(Policy=policy, Description=model.get("Description", ""), KeySpec=model["KeySpec"],
                                    KeyUsage=model["KeyUsage"], Tags=tags)["KeyMetadata"]
        return str(made["Arn"])

    def move_aliases(self, from_key_id: str, to_key_id: str) -> list[str]:
        pages = self._kms.get_paginator("list_aliases").paginate(KeyId=from_key_id)
        names = [alias["AliasName"] for page in pages for alias in page.get("Aliases", [])]
        for name in names:
            self._kms.update_alias(AliasName=name, TargetKeyId=to_key_id)
        return names


class Sealer:
    """`ports.Sealer` on KMS: seals with the active key, knows every seal key's public half (`SealKeyring`)."""

    def __init__(self, kms: KmsSealKeys, keyring: SealKeyring,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._kms = kms
        self._keyring = keyring
        self._monotonic = monotonic
        self._named = threading.local()  # the local stack serves requests on threads

    @property
    def key_id(self) -> str:
        """The active key; the next `seal` of this thread signs with it, even if the history changes between."""
        key_id = self._keyring.active_key_id()
        self._named.key = (key_id, self._monotonic())
        return key_id

    @property
    def public_key_pem(self) -> str:
        pem = self._keyring.public_key_of(self._keyring.active_key_id())
        if pem is None:  # the active key is the configured one or a record, and both have one
            raise DependencyFailed()
        return pem

    def seal(self, digest: bytes) -> str:
        """Base64 DER ECDSA signature over SHA-256(digest), by the key `key_id` just named (else the active one).

        A seal is built as {key_id: sealer.key_id, signature: sealer.seal(...)}: the key KMS signed
        with must be the one named, or the seal would not verify with the key it names.
        """
        named, self._named.key = getattr(self._named, "key", None), None
        key_id = named[0] if named and self._monotonic() - named[1] < _NAMED_KEY_SECONDS else self._keyring.active_key_id()
        used, signature = self._kms.sign(key_id, digest)
        if not same_key(used, key_id):
            logger.error("KMS signed with another key than the seal names", extra={"used": used, "named": key_id})
            raise DependencyFailed()
        return signature

    def public_key_of(self, key_id: str) -> str | None:
        return self._keyring.public_key_of(key_id)

    def known_keys(self) -> list[SealKey]:
        return self._keyring.known_keys()

    def forget(self) -> None:
        self._keyring.forget()


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
