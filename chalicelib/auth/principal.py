"""Who is calling: resolved from a verified token, never from the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["advisor", "client"]


@dataclass(frozen=True)
class Principal:
    sub: str
    tenant_id: str
    role: Role
    subject_id: str  # the advisor id or the client id

    def as_context(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id, "role": self.role, "subject_id": self.subject_id}

    @classmethod
    def from_context(cls, context: dict[str, str]) -> Principal:
        role = context["role"]
        if role not in ("advisor", "client"):
            raise ValueError("unknown role")
        return cls(sub=context["principalId"], tenant_id=context["tenant_id"], role=role, subject_id=context["subject_id"])  # type: ignore[arg-type]
