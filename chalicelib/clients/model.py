"""The client card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Client:
    id: str
    tenant_id: str
    name: str
    email: str
    phone: str | None
    city: str | None
    language: str
    portal_access: str
    created_at: str
    phone_changed_at: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "email": self.email, "phone": self.phone,
            "city": self.city, "language": self.language, "portal_access": self.portal_access,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Invitation:
    """An invitation to the portal, known by the SHA-256 of its one-time token."""

    token_hash: str
    tenant_id: str
    client_id: str
    email: str
    expires_at: str
    claimed_until: str | None = None
    used_at: str | None = None
