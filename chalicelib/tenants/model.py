"""A firm (tenant) and its staff."""

from __future__ import annotations

from dataclasses import dataclass, field

SIGNING = "signing"
KNOWN_FEATURES = frozenset({SIGNING})


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    features: frozenset[str] = field(default_factory=frozenset)
    sms_daily_budget: int | None = None  # None: the default budget of the settings

    def has(self, feature: str) -> bool:
        return feature in self.features


@dataclass(frozen=True)
class Advisor:
    id: str
    tenant_id: str
    name: str
    email: str
