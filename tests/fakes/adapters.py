"""Fakes of the adapters: files, mail, SMS, the seal, the vault, logins, tokens, secrets."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.clock import FixedClock
from chalicelib.documents.storage import StoredObject
from chalicelib.errors import Conflict, DependencyFailed, InvalidCredentials, Unauthenticated
from chalicelib.signing.crypto import Sealed


class Failing:
    """Makes the next calls of a fake raise DependencyFailed, as a throttled or broken AWS service would."""

    failures: int = 0

    def fail_next(self, times: int = 1) -> None:
        self.failures = times

    def _maybe_fail(self) -> None:
        if self.failures:
            self.failures -= 1
            raise DependencyFailed()


@dataclass
class FakeFiles(Failing):
    """Objects by key, each version kept; versions are numbered strings."""

    versions: dict[str, list[bytes]] = field(default_factory=dict)

    def put(self, key: str, content: bytes) -> str:
        self.versions.setdefault(key, []).append(content)
        return str(len(self.versions[key]))

    def remove_version(self, key: str, version_id: str) -> None:
        self.versions[key][int(version_id) - 1] = b""  # gone, as an S3 version deleted with governance bypass

    def upload_form(self, key: str, content_type: str, size: int) -> dict[str, Any]:
        return {"url": f"https://files.example/{key}", "fields": {"key": key, "Content-Type": content_type}}

    def read(self, key: str, version_id: str | None = None, keep: int = 0) -> StoredObject | None:
        self._maybe_fail()
        stored = self.versions.get(key)
        if not stored:
            return None
        number = int(version_id) if version_id else len(stored)
        content = stored[number - 1] if 0 < number <= len(stored) else b""
        if not content:
            return None
        return StoredObject(size=len(content), sha256=hashlib.sha256(content).hexdigest(), version_id=str(number),
                            content=content if keep and len(content) <= keep else None)

    def download_url(self, key: str, version_id: str | None, filename: str) -> str:
        return f"https://files.example/{key}?version={version_id}&name={filename}"


@dataclass
class FakeMailer(Failing):
    sent: list[tuple[str, Any]] = field(default_factory=list)

    def send(self, to: str, email: Any) -> str:
        self._maybe_fail()
        self.sent.append((to, email))
        return f"mail-{len(self.sent)}"

    def to(self, address: str) -> list[Any]:
        return [email for to, email in self.sent if to == address]


@dataclass
class FakeSms(Failing):
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone: str, text: str) -> str:
        self._maybe_fail()
        self.sent.append((phone, text))
        return f"sms-{len(self.sent)}"

    def to(self, phone: str) -> list[str]:
        return [text for to, text in self.sent if to == phone]


class FakeSealer(Failing):
    """An ECDSA P-256 key in memory, signing as KMS Sign with MessageType=RAW does."""

    def __init__(self, key_id: str = "seal-key-1") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._key_id = key_id

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def public_key_pem(self) -> str:
        return self._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def seal(self, digest: bytes) -> str:
        self._maybe_fail()
        return base64.b64encode(self._key.sign(digest, ec.ECDSA(hashes.SHA256()))).decode()


class FakeVault(Failing):
    """AES-256-GCM under one key, the context as associated data: a wrong context does not decrypt."""

    def __init__(self) -> None:
        self._key = AESGCM.generate_key(bit_length=256)

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> Sealed:
        self._maybe_fail()
        nonce = os.urandom(12)
        return Sealed(ciphertext=AESGCM(self._key).encrypt(nonce, plaintext, repr(sorted(context.items())).encode()),
                      encrypted_data_key=b"fake-data-key", nonce=nonce)

    def decrypt(self, sealed: Sealed, context: dict[str, str]) -> bytes | None:
        from cryptography.exceptions import InvalidTag

        try:
            return AESGCM(self._key).decrypt(sealed.nonce, sealed.ciphertext, repr(sorted(context.items())).encode())
        except (InvalidTag, ValueError):
            return None


@dataclass
class FakeIdentity(Failing):
    """Logins by e-mail: password and sub; a login answers a token the FakeTokens know."""

    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # email -> (password, sub)
    issued: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> claims
    now: Any = None  # a callable giving epoch seconds, for `iat`

    def login(self, email: str, password: str) -> tuple[str, int]:
        self._maybe_fail()
        user = self.users.get(email)
        if user is None or user[0] != password:
            raise InvalidCredentials()
        token = f"token-{len(self.issued) + 1}"
        self.issued[token] = {"sub": user[1], "email": email, "iat": int(self.now() if self.now else 0)}
        return token, 3600

    def create_login(self, email: str, password: str) -> str:
        self._maybe_fail()
        if email in self.users:
            raise Conflict("login_exists")
        sub = f"sub-{len(self.users) + 1}"
        self.users[email] = (password, sub)
        return sub

    def delete_login(self, email: str) -> None:
        self.users.pop(email, None)

    def set_password(self, email: str, password: str) -> None:
        self._maybe_fail()
        self.users[email] = (password, self.users[email][1])


@dataclass
class FakeTokens:
    identity: FakeIdentity | None = None

    def verify(self, token: str) -> dict[str, Any]:
        claims = self.identity.issued.get(token) if self.identity else None
        if claims is None:
            raise Unauthenticated()
        return claims


@dataclass
class FakeSecrets:
    secret: bytes = b"unit-test-otp-secret"

    def otp_secret(self) -> bytes:
        return self.secret


class FakeWallClock:
    """The identity provider's time in the unit tier: the FakePorts clock, which FakeIdentity stamps `iat` with.

    Sleeping moves that clock on, so a test never waits.
    """

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)
