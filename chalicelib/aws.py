"""The composition root: real adapters, built lazily once per container.

Nothing here runs at import time, so a cold start only pays for what a request uses.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from chalicelib.clock import Clock, SystemClock, SystemWallClock
from chalicelib.config import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.auth.identity import CognitoIdentity
    from chalicelib.auth.tokens import TokenVerifier
    from chalicelib.bulk.queue import SqsQueue
    from chalicelib.documents.storage import DocumentStorage
    from chalicelib.notify.email import Mailer
    from chalicelib.notify.sms import SmsSender
    from chalicelib.ports import Ports
    from chalicelib.signing.crypto import KmsSealKeyAdmin, Sealer, Vault
    from chalicelib.signing.pdf_seal import KmsPdfSealer
    from chalicelib.signing.trusted_time import AuthorityTimeStamper
    from chalicelib.store.bulk_sends import BulkSendRepository
    from chalicelib.store.clients import ClientRepository
    from chalicelib.store.documents import DocumentRepository
    from chalicelib.store.messages import MessageRepository
    from chalicelib.store.people import PersonRepository
    from chalicelib.store.seal_keys import SealKeyRepository
    from chalicelib.store.signing_requests import SigningRequestRepository
    from chalicelib.store.tenants import TenantRepository
    from chalicelib.store.webhooks import WebhookRepository
    from chalicelib.webhooks.queue import SqsWebhookQueue
    from chalicelib.webhooks.transport import HttpSender


@functools.cache
def client(service: str) -> Any:
    """A boto3 client with short timeouts and standard retries (endpoint from AWS_ENDPOINT_URL)."""
    import boto3
    from botocore.config import Config

    settings = get_settings()
    config = Config(
        region_name=settings.region,
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "max_attempts": 3},
        signature_version="s3v4" if service == "s3" else None,
    )
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


@functools.cache
def bind_store() -> None:
    """Point the PynamoDB models at the configured table, once."""
    from chalicelib.store.models import bind

    settings = get_settings()
    bind(settings.table_name, settings.region)


def clock() -> Clock:
    return _clock_override or SystemClock()


_clock_override: Clock | None = None


def use_clock(replacement: Clock | None) -> None:
    """Tests and the local reminder trigger move time; production never calls this."""
    global _clock_override  # noqa: PLW0603 - one process-wide seam for time
    _clock_override = replacement


@functools.cache
def token_verifier() -> TokenVerifier:
    from chalicelib.auth.tokens import TokenVerifier

    settings = get_settings()
    return TokenVerifier(
        jwks_url=settings.jwks_url,
        issuer=settings.token_issuer,
        audience=settings.user_pool_client_id,
    )


@functools.cache
def identity() -> CognitoIdentity:
    from chalicelib.auth.identity import CognitoIdentity

    settings = get_settings()
    return CognitoIdentity(client("cognito-idp"), settings.user_pool_id, settings.user_pool_client_id)


@functools.cache
def mailer() -> Mailer:
    from chalicelib.notify.email import Mailer

    return Mailer(client("ses"), get_settings().sender_email)


@functools.cache
def sms() -> SmsSender:
    from chalicelib.notify.sms import SmsSender

    return SmsSender(client("sns"))


@functools.cache
def document_storage() -> DocumentStorage:
    from chalicelib.documents.storage import DocumentStorage

    settings = get_settings()
    return DocumentStorage(client("s3"), settings.documents_bucket, settings.data_key_id)


@functools.cache
def seal_keys() -> SealKeyRepository:
    from chalicelib.store.seal_keys import SealKeyRepository

    bind_store()
    return SealKeyRepository()


@functools.cache
def sealer() -> Sealer:
    """The seal, with this container's copy of the seal key history (read at most once a minute)."""
    from chalicelib.signing.crypto import KmsSealKeys, Sealer
    from chalicelib.signing.seal_keys import SealKeyring

    kms = KmsSealKeys(client("kms"))
    return Sealer(kms, SealKeyring(seal_keys(), kms, get_settings().seal_key_id, lambda: clock().now()))


@functools.cache
def seal_key_admin() -> KmsSealKeyAdmin:
    """Making seal keys: only the operator's credentials may (the API's role reaches it only locally)."""
    from chalicelib.signing.crypto import KmsSealKeyAdmin

    return KmsSealKeyAdmin(client("kms"))


@functools.cache
def pdf_sealer() -> KmsPdfSealer:
    """The transactiebon's seal: the active seal key, with the configured certificate when it is that key's."""
    from chalicelib.signing.pdf_seal import LOCAL_ISSUER, KmsPdfSealer, certifies

    settings = get_settings()

    def active_key() -> tuple[str, str]:
        seal = sealer()
        return seal.key_id, seal.public_key_pem

    @functools.cache
    def chain_for(key_id: str, public_key_pem: str) -> tuple[str, ...]:
        if certifies(settings.seal_certificate_chain, public_key_pem):
            return settings.seal_certificate_chain
        if settings.is_local and LOCAL_ISSUER:
            return tuple(LOCAL_ISSUER[0](public_key_pem))
        return ()

    return KmsPdfSealer(client("kms"), active_key, chain_for, settings.tsa_url, settings.tsa_certificate_chain)


@functools.cache
def timestamper() -> AuthorityTimeStamper:
    from chalicelib.signing.trusted_time import AuthorityTimeStamper

    settings = get_settings()
    return AuthorityTimeStamper(settings.tsa_url, settings.tsa_certificate_chain,
                                allow_loopback_http=settings.is_local)


@functools.cache
def vault() -> Vault:
    from chalicelib.signing.crypto import Vault

    return Vault(client("kms"), get_settings().data_key_id)


@functools.cache
def otp_secret() -> bytes:
    """The HMAC key for SMS codes, fetched once per container."""
    settings = get_settings()
    value = client("secretsmanager").get_secret_value(SecretId=settings.otp_secret_id)["SecretString"]
    return str(value).encode()


class AwsPorts:
    """The real adapters and repositories behind `chalicelib.ports.Ports`, each built on first use."""

    @property
    def settings(self) -> Settings:
        return get_settings()

    @property
    def clock(self) -> Clock:
        return clock()  # not cached: tests and the local reminder trigger move time

    @property
    def wall_clock(self) -> SystemWallClock:
        return SystemWallClock()

    @functools.cached_property
    def files(self) -> DocumentStorage:
        return document_storage()

    @functools.cached_property
    def mailer(self) -> Mailer:
        return mailer()

    @functools.cached_property
    def sms(self) -> SmsSender:
        return sms()

    @functools.cached_property
    def sealer(self) -> Sealer:
        return sealer()

    @functools.cached_property
    def seal_keys(self) -> SealKeyRepository:
        return seal_keys()

    @functools.cached_property
    def seal_key_admin(self) -> KmsSealKeyAdmin:
        return seal_key_admin()

    @functools.cached_property
    def timestamper(self) -> AuthorityTimeStamper:
        return timestamper()

    @functools.cached_property
    def pdf_sealer(self) -> KmsPdfSealer:
        return pdf_sealer()

    @functools.cached_property
    def vault(self) -> Vault:
        return vault()

    @functools.cached_property
    def identity(self) -> CognitoIdentity:
        return identity()

    @functools.cached_property
    def tokens(self) -> TokenVerifier:
        return token_verifier()

    @property
    def secrets(self) -> AwsPorts:
        return self

    def otp_secret(self) -> bytes:
        return otp_secret()

    @functools.cached_property
    def tenants(self) -> TenantRepository:
        from chalicelib.store.tenants import TenantRepository

        bind_store()
        return TenantRepository()

    @functools.cached_property
    def people(self) -> PersonRepository:
        from chalicelib.store.people import PersonRepository

        bind_store()
        return PersonRepository()

    @functools.cached_property
    def clients(self) -> ClientRepository:
        from chalicelib.store.clients import ClientRepository

        bind_store()
        return ClientRepository()

    @functools.cached_property
    def documents(self) -> DocumentRepository:
        from chalicelib.store.documents import DocumentRepository

        bind_store()
        return DocumentRepository()

    @functools.cached_property
    def messages(self) -> MessageRepository:
        from chalicelib.store.messages import MessageRepository

        bind_store()
        return MessageRepository()

    @functools.cached_property
    def signing(self) -> SigningRequestRepository:
        from chalicelib.store.signing_requests import SigningRequestRepository

        bind_store()
        return SigningRequestRepository()

    @functools.cached_property
    def bulk_sends(self) -> BulkSendRepository:
        from chalicelib.store.bulk_sends import BulkSendRepository

        bind_store()
        return BulkSendRepository()

    @functools.cached_property
    def bulk_queue(self) -> SqsQueue:
        from chalicelib.bulk.queue import SqsQueue

        return SqsQueue(client("sqs"), get_settings().bulk_send_queue_url)

    @functools.cached_property
    def webhooks(self) -> WebhookRepository:
        from chalicelib.store.webhooks import WebhookRepository

        bind_store()
        return WebhookRepository()

    @functools.cached_property
    def webhook_queue(self) -> SqsWebhookQueue:
        from chalicelib.webhooks.queue import SqsWebhookQueue

        return SqsWebhookQueue(client("sqs"), get_settings().webhook_queue_url)

    @functools.cached_property
    def webhook_sender(self) -> HttpSender:
        from chalicelib.webhooks.transport import HttpSender

        return HttpSender()


@functools.cache
def ports() -> Ports:
    """The one set of ports of this container, handed to every service."""
    return AwsPorts()
