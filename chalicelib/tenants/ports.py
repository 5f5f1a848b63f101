"""What the firm and login services need: the firms, the people behind logins, and real time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.auth.principal import Person
    from chalicelib.tenants.model import Advisor, Tenant

# Failed logins older than this no longer count against an address.
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginFailures:
    """An address's failed logins within the window, oldest first.

    `seen` is how many the store held when they were read (older ones included): recording the
    next failure holds only if it is still that many, so concurrent failures all count.
    """

    recent: tuple[datetime, ...] = ()
    seen: int = 0


class Tenants(Protocol):
    """A firm and its advisors."""

    def add(self, tenant: Tenant, created_at: str) -> None:
        """A new firm; Conflict when one with its id exists."""
        ...

    def get(self, tenant_id: str) -> Tenant:
        """NotFound for an unknown firm."""
        ...

    def get_advisor(self, tenant_id: str, advisor_id: str) -> Advisor:
        """NotFound for an advisor the firm does not have."""
        ...

    def set_features(self, tenant_id: str, features: frozenset[str]) -> None:
        """NotFound for an unknown firm."""
        ...

    def set_sms_budget(self, tenant_id: str, budget: int) -> None:
        """NotFound for an unknown firm."""
        ...

    def add_advisor(self, advisor: Advisor, sub: str, firm: str, created_at: str) -> None:
        """The advisor and the membership of login `sub`, at once (the login's first creates its person).

        Conflict("already_a_member") when the person is a member of the firm already; Conflict when
        the login's records changed meanwhile.
        """
        ...


class People(Protocol):
    """The people behind logins: their memberships, revoked tokens and failed logins."""

    def find(self, sub: str) -> Person | None:
        """The person with every membership, oldest first; None for an unknown login."""
        ...

    def sub_for_email(self, email: str) -> str | None:
        """The login of an address, if it has one."""
        ...

    def revoke_tokens(self, sub: str, before: int) -> None:
        """Refuse every token of the login issued before `before` (epoch seconds); NotFound for an unknown one."""
        ...

    def login_failures(self, email: str, now: datetime) -> LoginFailures:
        ...

    def record_login_failure(self, email: str, now: datetime, seen: LoginFailures) -> None:
        """One more failure, forgetting those out of the window; appended instead when others were recorded since."""
        ...
