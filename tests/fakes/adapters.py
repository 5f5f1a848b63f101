"""Fakes of the adapters: files, mail, SMS, the seal and its keys, the vault, logins, tokens, secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.clock import FixedClock
from chalicelib.documents.storage import StoredObject
from chalicelib.errors import Conflict, DependencyFailed, InvalidCredentials, Unauthenticated
from chalicelib.signing.crypto import Sealed, Sealer
from chalicelib.signing.seal_keys import SEAL_TAG, SealKey, SealKeyring, bare_key_id, oldest_first
from chalicelib.signing.timestamps import StampInfo


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


FAKE_KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/{}"


class FakeKms(Failing):
    """Seal keys as KMS keeps them, in memory: ECDSA P-256 keys, creation dates, tags and aliases, by key id.

    It answers as KMS does (Sign names the key it used by its ARN; a key is found by ARN, id or
    alias), and it is both what `crypto.KmsSealKeys` is to the seal and the `SealKeyAdmin` port.
    """

    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {}  # bare key id -> key
        self.created: dict[str, datetime] = {}
        self.key_tags: dict[str, dict[str, str]] = {}
        self.aliases: dict[str, str] = {}  # alias name -> bare key id
        self.signed_with: list[str] = []  # the ARN of each Sign
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def add(self, key_id: str, tags: dict[str, str] | None = None) -> str:
        """A new key under `key_id` (tagged for the stack unless `tags` says otherwise); its ARN."""
        bare = bare_key_id(key_id)
        self.keys[bare] = ec.generate_private_key(ec.SECP256R1())
        self.created[bare] = self.now()
        self.key_tags[bare] = {SEAL_TAG: "signing-portal"} if tags is None else dict(tags)
        return FAKE_KEY_ARN.format(bare)

    def _bare(self, key_id: str) -> str:
        bare = self.aliases.get(key_id, bare_key_id(key_id))
        if bare not in self.keys:
            raise DependencyFailed()  # KMS's NotFoundException
        return bare

    def sign(self, key_id: str, digest: bytes) -> tuple[str, str]:
        self._maybe_fail()
        bare = self._bare(key_id)
        self.signed_with.append(FAKE_KEY_ARN.format(bare))
        return FAKE_KEY_ARN.format(bare), base64.b64encode(self.keys[bare].sign(digest, ec.ECDSA(hashes.SHA256()))).decode()

    def public_key_pem(self, key_id: str) -> str:
        return self.keys[self._bare(key_id)].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def created_at(self, key_id: str) -> datetime:
        return self.created[self._bare(key_id)]

    def tags(self, key_id: str) -> dict[str, str]:
        return dict(self.key_tags[self._bare(key_id)])

    def create_like(self, key_id: str) -> str:
        self._maybe_fail()
        return self.add(f"seal-key-{len(self.keys) + 1}", self.tags(key_id))

    def move_aliases(self, from_key_id: str, to_key_id: str) -> list[str]:
        moved = sorted(name for name, bare in self.aliases.items() if bare == self._bare(from_key_id))
        for name in moved:
            self.aliases[name] = self._bare(to_key_id)
        return moved


class FakeSealKeyHistory(Failing):
    """The seal key history in memory, with the rules of `chalicelib.store.seal_keys`: on record once, retired once."""

    def __init__(self) -> None:
        self.records: dict[str, SealKey] = {}  # bare key id -> record
        self.reads = 0

    def history(self) -> list[SealKey]:
        self._maybe_fail()
        self.reads += 1
        return oldest_first(self.records.values())

    def record(self, key: SealKey) -> bool:
        self._maybe_fail()
        if bare_key_id(key.key_id) in self.records:
            return False
        self.records[bare_key_id(key.key_id)] = key
        return True

    def retire(self, key_id: str, at: str) -> bool:
        self._maybe_fail()
        key = self.records.get(bare_key_id(key_id))
        if key is None or key.retired_at is not None:
            return False
        self.records[bare_key_id(key_id)] = replace(key, retired_at=at)
        return True


class FakeSealer(Failing, Sealer):
    """The real seal (`chalicelib.signing.crypto.Sealer` and its `SealKeyring`) on FakeKms and a fake history."""

    def __init__(self, kms: FakeKms | None = None, history: FakeSealKeyHistory | None = None,
                 configured_key_id: str = "seal-key", now: Callable[[], datetime] | None = None) -> None:
        """`now` is the clock of the seals (and of this container's copy of the history); the system's by default."""
        self.kms = kms or FakeKms()
        self.history = history or FakeSealKeyHistory()
        if bare_key_id(configured_key_id) not in self.kms.keys:
            self.kms.add(configured_key_id)
        clock = now or (lambda: datetime.now(UTC))
        keyring = SealKeyring(self.history, self.kms, configured_key_id, clock, monotonic=lambda: clock().timestamp())  # type: ignore[arg-type]
        super().__init__(self.kms, keyring, monotonic=lambda: clock().timestamp())

    def seal(self, digest: bytes) -> str:
        self._maybe_fail()
        return super().seal(digest)


class FakeTimeStamper(Failing):
    """A time-stamping authority in memory: its tokens name the data's SHA-256 and the clock's time, under an HMAC.

    `down = True` is an authority that does not answer (every stamp fails until it is back).
    """

    def __init__(self) -> None:
        self._secret = os.urandom(32)
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.down = False
        self.stamped = 0

    def stamp(self, data: bytes) -> bytes:
        self._maybe_fail()
        if self.down:
            raise DependencyFailed("the time-stamping authority does not answer")
        self.stamped += 1
        body = f"{hashlib.sha256(data).hexdigest()}|{self.now().isoformat()}|{self.stamped}".encode()
        return body + b"|" + hmac.new(self._secret, body, hashlib.sha256).hexdigest().encode()

    def check(self, token: bytes, data: bytes) -> StampInfo | None:
        body, _, mac = token.rpartition(b"|")
        if not hmac.compare_digest(mac, hmac.new(self._secret, body, hashlib.sha256).hexdigest().encode()):
            return None
        imprint, at, serial = body.decode().split("|")
        if imprint != hashlib.sha256(data).hexdigest():
            return None
        return StampInfo(gen_time=datetime.fromisoformat(at), tsa="Fake TSA", imprint=bytes.fromhex(imprint),
                         serial=int(serial))


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
