"""In-memory fakes of every port, for the fast unit tier: same rules, no AWS, a clock that only moves when told.

`FakePorts()` satisfies `chalicelib.ports.Ports`. Each fake repository keeps the business rules
(the conditions) of its DynamoDB twin; `tests/integration/test_contract_*.py` runs the same
repository tests against both, so the two cannot drift apart. The fakes page with the store's
own cursor format (`chalicelib.store.pages`), so a cursor means the same to both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.clock import FixedClock
from chalicelib.config import Settings
from tests.fakes.adapters import (
    FakeFiles,
    FakeIdentity,
    FakeKms,
    FakeMailer,
    FakeSealer,
    FakeSealKeyHistory,
    FakeSecrets,
    FakeSms,
    FakeTimeStamper,
    FakeTokens,
    FakeVault,
    FakeWallClock,
)

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _lazy(name: str) -> Any:
    """A fake repository, from the module of its capability (imported on first use)."""
    import importlib

    module, cls = {
        "tenants": ("tests.fakes.accounts", "FakeTenants"), "people": ("tests.fakes.accounts", "FakePeople"),
        "clients": ("tests.fakes.accounts", "FakeClients"), "documents": ("tests.fakes.accounts", "FakeDocuments"),
        "messages": ("tests.fakes.messaging", "FakeMessages"), "signing": ("tests.fakes.signing", "FakeSigningRequests"),
        "bulk_sends": ("tests.fakes.bulk", "FakeBulkSends"),
    }[name]
    return getattr(importlib.import_module(module), cls)


def unit_settings() -> Settings:
    """Settings as a deployed stage would have them, with made-up resource names."""
    from chalicelib.config import environment, load_settings

    return load_settings(environment(
        stage="unit", table_name="table", documents_bucket="bucket",
        data_key_id="data-key", seal_key_id="seal-key", user_pool_id="eu-west-1_unit", user_pool_client_id="client",
        sender_email="noreply@portal.example", portal_url="https://portal.example", otp_secret_id="otp-secret",
        bulk_send_queue_url="https://sqs.eu-west-1.amazonaws.com/111122223333/unit-bulk-sends",
        webhook_queue_url="https://sqs.eu-west-1.amazonaws.com/111122223333/unit-webhooks"))


@dataclass
class FakePorts:
    settings: Settings = field(default_factory=unit_settings)
    clock: FixedClock = field(default_factory=lambda: FixedClock(START))
    files: FakeFiles = field(default_factory=FakeFiles)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    sms: FakeSms = field(default_factory=FakeSms)
    kms: FakeKms = field(default_factory=FakeKms)  # the seal keys; also the seal_key_admin port
    seal_keys: FakeSealKeyHistory = field(default_factory=FakeSealKeyHistory)
    sealer: FakeSealer = field(default=None)  # type: ignore[assignment]  # on kms and seal_keys, after init
    timestamper: FakeTimeStamper = field(default_factory=FakeTimeStamper)
    vault: FakeVault = field(default_factory=FakeVault)
    identity: FakeIdentity = field(default_factory=FakeIdentity)
    tokens: FakeTokens = field(default_factory=FakeTokens)
    secrets: FakeSecrets = field(default_factory=FakeSecrets)
    bulk_queue: Any = field(default=None)  # a FakeBulkQueue, after init
    _repositories: dict[str, Any] = field(default_factory=dict)
    _wall: FakeWallClock | None = None

    @property
    def wall_clock(self) -> FakeWallClock:
        """The identity provider's time: this clock, which FakeIdentity stamps `iat` with."""
        if self._wall is None:
            self._wall = FakeWallClock(self.clock)
        return self._wall

    @property
    def seal_key_admin(self) -> FakeKms:
        return self.kms

    def __post_init__(self) -> None:
        if self.bulk_queue is None:
            from tests.fakes.bulk import FakeBulkQueue

            self.bulk_queue = FakeBulkQueue()
        self.kms.now = self.clock.now
        if self.sealer is None:  # the history's copy expires as this clock moves
            self.sealer = FakeSealer(self.kms, self.seal_keys, self.settings.seal_key_id, now=self.clock.now)
        self.tokens.identity = self.identity  # tokens are the ones this identity issued
        self.identity.now = lambda: self.clock.now().timestamp()
        self.timestamper.now = self.clock.now

    def _repository(self, name: str) -> Any:
        if name not in self._repositories:
            self._repositories[name] = _lazy(name)(self)
        return self._repositories[name]

    @property
    def tenants(self) -> Any:
        return self._repository("tenants")

    @property
    def people(self) -> Any:
        return self._repository("people")

    @property
    def clients(self) -> Any:
        return self._repository("clients")

    @property
    def documents(self) -> Any:
        return self._repository("documents")

    @property
    def messages(self) -> Any:
        return self._repository("messages")

    @property
    def signing(self) -> Any:
        return self._repository("signing")

    @property
    def bulk_sends(self) -> Any:
        return self._repository("bulk_sends")
