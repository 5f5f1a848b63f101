"""The seal keys: every key that ever sealed a receipt, the one that seals now, and rotating to a new one.

A seal names its key (`seal.key_id`: the KMS key's ARN, as KMS Sign answers it) and is checked
with that key's public half for as long as receipts are kept, also once the key is retired. The
history is a small partition of the main table, one record per key (store/seal_keys.py). The key
that seals is the newest record in force (active_from passed, retired_at not yet); while there is
no record, the configured key (SEAL_KEY_ID) is the one key, active since KMS created it.

Rotation (the operator's command on a deployed stage, POST /dev/keys/seal/rotate locally) makes a
KMS key like the active one (spec, key policy, tags), records it as active from the moment it
takes effect, moves the alias, and only then retires the keys before it at that same moment. On
AWS that moment is KMS_PROPAGATION away: the API's role may sign with a key by its tag, and a new
key's tag takes up to five minutes to authorise it; every container, whose copy of the history is
at most a minute old, switches then. Stopped midway, a rotation leaves a usable state: before the
record, a key nobody uses; after it, the new key seals from that moment and the old ones still
verify (listed as active until the next rotation retires them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.clock import iso
from chalicelib.observability import logger

if TYPE_CHECKING:
    from chalicelib.ports import Ports, SealKeyHistory

SEAL_ALGORITHM = "ECDSA_SHA_256"  # ECDSA P-256 over SHA-256 (KMS Sign, MessageType=RAW)
# Every seal key carries this tag, its value the app stack's name: the API's role may sign with a
# key so tagged and with no other (.chalice/policy-prod.json, SealReceipts; infra/stateful.yaml).
SEAL_TAG = "signing-portal-seal"
# How long a container trusts its copy of the history (a signature costs no read in between): a
# rotation elsewhere is known here within this time, before its new key takes effect.
HISTORY_TTL_SECONDS = 60.0
# How long after a rotation its new key takes effect on AWS: "it might take up to five minutes for
# tag and alias changes to affect KMS key authorization" (KMS developer guide, ABAC). At least the
# history's TTL, so that every container knows the moment before it comes. Moto needs no wait.
KMS_PROPAGATION = timedelta(minutes=5)


class RotationRefused(Exception):
    """The active key cannot be the model of a new one (the operator's to fix, not a user's)."""


@dataclass(frozen=True)
class SealKey:
    """One seal key of the history; times are RFC 3339 (`clock.iso`), so they compare as text."""

    key_id: str  # the KMS key ARN, as seals name it
    public_key_pem: str
    active_from: str | None
    retired_at: str | None = None

    def retired_by(self, at: str) -> bool:
        return self.retired_at is not None and self.retired_at <= at

    def to_api(self, at: str) -> dict[str, Any]:
        return {"key_id": self.key_id, "algorithm": SEAL_ALGORITHM, "public_key_pem": self.public_key_pem,
                "status": "retired" if self.retired_by(at) else "active", "active_from": self.active_from,
                "retired_at": self.retired_at}


# --- the rules -----------------------------------------------------------------------------------


def bare_key_id(key_id: str) -> str:
    """A key's own id, whether named by its ARN (`arn:aws:kms:<region>:<account>:key/<id>`) or by the id."""
    if key_id.startswith("arn:"):
        _, separator, rest = key_id.partition(":key/")
        if separator:
            return rest
    return key_id


def same_key(one: str, other: str) -> bool:
    """Whether two names are of one key: the ARN that KMS answers and the bare id name the same."""
    return bare_key_id(one) == bare_key_id(other)


def oldest_first(keys: Iterable[SealKey]) -> list[SealKey]:
    return sorted(keys, key=lambda key: key.active_from or "")


def active_key(history: Sequence[SealKey], at: str) -> SealKey | None:
    """The key that seals at `at`: the newest record in force then (None when there is no record).

    With none in force (a clock set before the first key was made), the oldest not yet retired.
    """
    waiting = [key for key in oldest_first(history) if not key.retired_by(at)]
    in_force = [key for key in waiting if (key.active_from or "") <= at]
    return in_force[-1] if in_force else (waiting[0] if waiting else None)


def find_key(history: Iterable[SealKey], key_id: str) -> SealKey | None:
    return next((key for key in history if same_key(key.key_id, key_id)), None)


class KeyFacts(Protocol):
    """What KMS says of a key: its public half (PEM) and when it was made."""

    def public_key_pem(self, key_id: str) -> str: ...

    def created_at(self, key_id: str) -> datetime: ...


def configured_key(facts: KeyFacts, key_id: str, public_key_pem: str | None = None) -> SealKey:
    """The configured key (SEAL_KEY_ID) as the history's first record: active since KMS made it."""
    return SealKey(key_id, public_key_pem or facts.public_key_pem(key_id), iso(facts.created_at(key_id)))


# --- this container's copy ----------------------------------------------------------------------


class SealKeyring:
    """The seal keys as this container knows them, so that a signature costs no extra call.

    The history is read again at most every `ttl` seconds, and at once for a key it does not
    hold (another container may have rotated a moment ago). A key's public half never changes,
    so it is kept for good once known.
    """

    def __init__(self, history: SealKeyHistory, facts: KeyFacts, configured_key_id: str, now: Callable[[], datetime], *,
                 ttl: float = HISTORY_TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._history = history
        self._now = now  # the clock the seals' signed_at comes from
        self._facts = facts
        self._configured = configured_key_id
        self._ttl = ttl
        self._monotonic = monotonic
        self._recorded: list[SealKey] = []
        self._read_at: float | None = None
        self._public: dict[str, str] = {}  # bare key id -> PEM
        self._configured_key: SealKey | None = None

    def active_key_id(self) -> str:
        """The key that seals now: the newest record in force, or the configured key while there is none."""
        active = active_key(self._read(), iso(self._now()))
        return active.key_id if active is not None else self._configured

    def public_key_of(self, key_id: str) -> str | None:
        """The public half (PEM) of the key a seal names, by ARN or bare id; None for a key that never sealed."""
        bare = bare_key_id(key_id)
        if bare not in self._public:
            just_read = self._stale()
            key = find_key(self._read(), key_id)
            if key is None and same_key(key_id, self._configured):
                self._public[bare] = self._facts.public_key_pem(self._configured)
                return self._public[bare]
            if key is None and not just_read:
                key = find_key(self._read(fresh=True), key_id)
            if key is None:
                return None
            self._public[bare] = key.public_key_pem
        return self._public[bare]

    def known_keys(self) -> list[SealKey]:
        """Every seal key, oldest first: the history, or the configured key alone while there is none."""
        recorded = self._read()
        if recorded:
            return list(recorded)
        if self._configured_key is None:
            self._configured_key = configured_key(self._facts, self._configured, self.public_key_of(self._configured))
        return [self._configured_key]

    def forget(self) -> None:
        """Read the history again at the next use (this container has just rotated)."""
        self._read_at = None

    def _stale(self) -> bool:
        return self._read_at is None or self._monotonic() - self._read_at >= self._ttl

    def _read(self, fresh: bool = False) -> list[SealKey]:
        if fresh or self._stale():
            self._recorded = oldest_first(self._history.history())
            self._read_at = self._monotonic()
        return self._recorded


# --- the services ---------------------------------------------------------------------------------


def keys_view(ports: Ports, seal_chain: Sequence[str], tsa_chain: Sequence[str]) -> dict[str, Any]:
    """GET /keys: every key that ever sealed a receipt, oldest first, and the two certificate chains (leaf first)."""
    at = iso(ports.clock.now())
    return {"seal_keys": [key.to_api(at) for key in ports.sealer.known_keys()],
            "seal_certificate_chain_pem": list(seal_chain), "tsa_certificate_chain_pem": list(tsa_chain)}


def rotate_seal_key(ports: Ports) -> dict[str, str]:
    """A new seal key that seals from the moment it takes effect; the keys before it retired at that moment
    (still published, still verifying).

    On a deployed stage this runs with the operator's credentials (local/cli.py): the API's role
    may not make keys. Each step leaves a usable state when the next one never comes.
    """
    at = iso(ports.clock.now() + (timedelta(0) if ports.settings.is_local else KMS_PROPAGATION))
    admin = ports.seal_key_admin
    history = ports.seal_keys.history()
    if not history:  # the configured key sealed alone so far: it goes on record first
        history = [configured_key(admin, ports.settings.seal_key_id)]
        ports.seal_keys.record(history[0])
    before = [key for key in history if not key.retired_by(at)]
    current = oldest_first(before or history)[-1]  # the key that seals until `at`, and the new one's model
    if SEAL_TAG not in admin.tags(current.key_id):
        raise RotationRefused(f"seal key {current.key_id} has no {SEAL_TAG} tag, so a copy of it could not seal: "
                              "deploy the stateful stack (infra/deploy.sh) first")
    new_key_id = admin.create_like(current.key_id)
    ports.seal_keys.record(SealKey(new_key_id, admin.public_key_pem(new_key_id), at))
    moved = admin.move_aliases(current.key_id, new_key_id)
    for key in before:
        if key.retired_at is None:
            ports.seal_keys.retire(key.key_id, at)
    ports.sealer.forget()  # this container reads the new record at once, the others within HISTORY_TTL_SECONDS
    logger.info("seal key rotated", extra={"key_id": new_key_id, "retired_key_id": current.key_id, "active_from": at,
                                           "aliases": moved})
    return {"key_id": new_key_id, "retired_key_id": current.key_id, "active_from": at}
