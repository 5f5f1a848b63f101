"""Who is calling: a person (one login) and the firm membership a request acts as.

Both come from a verified token and our own records, never from the request: the only thing a
request may choose is which of the person's own memberships it acts as (`X-Firm`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.errors import Forbidden

Role = Literal["advisor", "client"]
ROLES: tuple[Role, ...] = ("advisor", "client")


@dataclass(frozen=True)
class Membership:
    """One tie of a person to a firm: as its advisor, or as its client."""

    tenant_id: str
    role: Role
    subject_id: str  # the advisor id or the client id
    firm: str
    created_at: str

    def to_api(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id, "firm": self.firm, "role": self.role}


@dataclass(frozen=True)
class Person:
    """A login and its memberships, oldest first."""

    sub: str
    email: str
    memberships: tuple[Membership, ...]
    revoked_before: int = 0  # tokens issued (`iat`, epoch seconds) before this are refused
    version: int = 1

    def accepts_token_issued_at(self, issued_at: int) -> bool:
        return issued_at >= self.revoked_before

    def as_context(self) -> dict[str, str]:
        """The authorizer's context: flat strings, as API Gateway requires."""
        ties = [[m.tenant_id, m.role, m.subject_id] for m in self.memberships]
        return {"email": self.email, "memberships": json.dumps(ties, separators=(",", ":"))}


@dataclass(frozen=True)
class Principal:
    """The person acting as one of their memberships."""

    sub: str
    tenant_id: str
    role: Role
    subject_id: str  # the advisor id or the client id
    email: str = ""

    @classmethod
    def from_context(cls, context: dict[str, Any], firm: str | None) -> Principal:
        """The membership named by `firm` (the X-Firm header), else the oldest; Forbidden for another's."""
        ties = json.loads(context["memberships"])
        if not ties:
            raise ValueError("a person without memberships")
        chosen = ties[0] if not firm else next((t for t in ties if t[0] == firm), None)
        if chosen is None:
            raise Forbidden("not_your_firm")
        tenant_id, role, subject_id = (str(part) for part in chosen)
        if role not in ROLES:
            raise ValueError("unknown role")
        return cls(sub=str(context["principalId"]), tenant_id=tenant_id, role=role,  # type: ignore[arg-type]
                   subject_id=subject_id, email=str(context.get("email", "")))
