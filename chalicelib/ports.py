"""The ports the services talk to: what they need of the world, and nothing of how it is done.

The composition root (`chalicelib.aws.ports()`) builds the real adapters once, lazily; the unit
tests hand in in-memory fakes (`tests/fakes/`). Each capability declares the repository
it needs beside its service (`signing/ports.py`, `messaging/ports.py`, ...); `Ports` gathers them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.clients.ports import Clients
    from chalicelib.config import Settings
    from chalicelib.documents.ports import Documents
    from chalicelib.documents.storage import StoredObject
    from chalicelib.messaging.ports import Messages
    from chalicelib.notify.templates import RenderedEmail
    from chalicelib.signing.crypto import Sealed
    from chalicelib.signing.ports import SigningRequests
    from chalicelib.tenants.ports import People, Tenants


class Clock(Protocol):
    def now(self) -> datetime: ...


class WallClock(Protocol):
    """Real time as the identity provider keeps it: token times (`iat`) are its whole seconds.

    Never moved by tests or the local reminder trigger, unlike the business clock (`ports.clock`),
    so a revocation stamped with it is comparable with `iat`.
    """

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class FileStore(Protocol):
    """Where documents live (S3): presigned transfers and reads that fingerprint what they read."""

    def upload_form(self, key: str, content_type: str, size: int) -> dict[str, Any]: ...

    def read(self, key: str, version_id: str | None = None, keep: int = 0) -> StoredObject | None: ...

    def download_url(self, key: str, version_id: str | None, filename: str) -> str: ...


class Mailer(Protocol):
    def send(self, to: str, email: RenderedEmail) -> str: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> str: ...


class Sealer(Protocol):
    """Seals 32-byte digests with the asymmetric seal key."""

    @property
    def key_id(self) -> str: ...

    @property
    def public_key_pem(self) -> str: ...

    def seal(self, digest: bytes) -> str: ...


class Vault(Protocol):
    """Envelope encryption bound to an encryption context."""

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> Sealed: ...

    def decrypt(self, sealed: Sealed, context: dict[str, str]) -> bytes | None: ...


class Identity(Protocol):
    """Logins (Cognito)."""

    def login(self, email: str, password: str) -> tuple[str, int]: ...

    def create_login(self, email: str, password: str) -> str: ...

    def delete_login(self, email: str) -> None: ...

    def set_password(self, email: str, password: str) -> None: ...


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]: ...


class Secrets(Protocol):
    def otp_secret(self) -> bytes: ...


class Ports(Protocol):
    """Everything a service may use; each built once per container, on first use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def wall_clock(self) -> WallClock: ...

    @property
    def files(self) -> FileStore: ...

    @property
    def mailer(self) -> Mailer: ...

    @property
    def sms(self) -> SmsSender: ...

    @property
    def sealer(self) -> Sealer: ...

    @property
    def vault(self) -> Vault: ...

    @property
    def identity(self) -> Identity: ...

    @property
    def tokens(self) -> TokenVerifier: ...

    @property
    def secrets(self) -> Secrets: ...

    @property
    def tenants(self) -> Tenants: ...

    @property
    def people(self) -> People: ...

    @property
    def clients(self) -> Clients: ...

    @property
    def documents(self) -> Documents: ...

    @property
    def messages(self) -> Messages: ...

    @property
    def signing(self) -> SigningRequests: ...
