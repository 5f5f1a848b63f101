"""The ports the services talk to: what they need of the world, and nothing of how it is done.

The composition root (`chalicelib.aws.ports()`) builds the real adapters once, lazily; the unit
tests hand in in-memory fakes (`tests/fakes/`). Each capability declares the repository
it needs beside its service (`signing/ports.py`, `messaging/ports.py`, ...); `Ports` gathers them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.bulk.ports import BulkQueue, BulkSends
    from chalicelib.clients.ports import Clients
    from chalicelib.config import Settings
    from chalicelib.documents.ports import Documents
    from chalicelib.documents.storage import StoredObject
    from chalicelib.messaging.ports import Messages
    from chalicelib.notify.templates import RenderedEmail
    from chalicelib.signing.crypto import Sealed
    from chalicelib.signing.ports import SigningRequests
    from chalicelib.signing.seal_keys import SealKey
    from chalicelib.signing.timestamps import StampInfo
    from chalicelib.tenants.ports import People, Tenants
    from chalicelib.webhooks.ports import WebhookQueue, Webhooks, WebhookSender


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


class TimeStamper(Protocol):
    """An RFC 3161 time-stamping authority: trusted time over bytes, checked against its published chain."""

    def stamp(self, data: bytes) -> bytes:
        """A DER TimeStampToken over SHA-256(data); DependencyFailed when the authority does not answer in time."""
        ...

    def check(self, token: bytes, data: bytes) -> StampInfo | None:
        """What a token says (its time, its authority) when it holds for `data` and the chain; else None."""
        ...


class PdfSealer(Protocol):
    """PAdES seals on PDFs (the transactiebon): the active seal key with its certificate, time-stamped."""

    def seal(self, pdf: bytes, *, reason: str, location: str | None = None) -> bytes:
        """The sealed PDF; DependencyFailed without a certificate for the key, or an authority that answers."""
        ...


class Sealer(Protocol):
    """Seals 32-byte digests with the active seal key; knows the public half of every key that ever sealed."""

    @property
    def key_id(self) -> str:
        """The active key, which the next `seal` (in this thread) signs with."""
        ...

    @property
    def public_key_pem(self) -> str:
        """The active key's public half."""
        ...

    def seal(self, digest: bytes) -> str: ...

    def public_key_of(self, key_id: str) -> str | None:
        """The public half of the key a seal names, retired or not; None for a key that never sealed."""
        ...

    def known_keys(self) -> list[SealKey]:
        """Every seal key that ever sealed, oldest first."""
        ...

    def forget(self) -> None:
        """Read the history of seal keys again at the next use."""
        ...


class SealKeyHistory(Protocol):
    """Every seal key that ever sealed a receipt, one record each (signing/seal_keys.py has the rules)."""

    def history(self) -> list[SealKey]:
        """Every record, oldest first (a consistent read)."""
        ...

    def record(self, key: SealKey) -> bool:
        """A new record; False when the key is on record already."""
        ...

    def retire(self, key_id: str, at: str) -> bool:
        """The key retired at `at`; False when it was retired already, or is not on record."""
        ...


class SealKeyAdmin(Protocol):
    """Making seal keys (KMS): what the operator's credentials may do and the API's role may not."""

    def public_key_pem(self, key_id: str) -> str: ...

    def created_at(self, key_id: str) -> datetime: ...

    def tags(self, key_id: str) -> dict[str, str]: ...

    def create_like(self, key_id: str) -> str:
        """A new key with the spec, key policy, tags and description of `key_id`; its ARN."""
        ...

    def move_aliases(self, from_key_id: str, to_key_id: str) -> list[str]:
        """Every alias of one key pointed at the other; the aliases moved."""
        ...


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
    def seal_keys(self) -> SealKeyHistory: ...

    @property
    def seal_key_admin(self) -> SealKeyAdmin: ...

    @property
    def timestamper(self) -> TimeStamper: ...

    @property
    def pdf_sealer(self) -> PdfSealer: ...

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

    @property
    def bulk_sends(self) -> BulkSends: ...

    @property
    def bulk_queue(self) -> BulkQueue: ...

    @property
    def webhooks(self) -> Webhooks: ...

    @property
    def webhook_queue(self) -> WebhookQueue: ...

    @property
    def webhook_sender(self) -> WebhookSender: ...
