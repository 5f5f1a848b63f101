"""Logging in and out, and turning a bearer token into a person.

Two times meet here. Failed logins are counted on the business clock (`ports.clock`). Token times
(`iat`) are whole seconds of the identity provider's wall clock, so a revocation, which is
compared with them, is stamped with a wall clock too (`ports.wall_clock`, the system's):
the business clock is moved by tests and by the local reminder trigger, the provider's never.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from chalicelib.auth.principal import Person, Principal
from chalicelib.errors import InvalidCredentials, NotFound, RateLimited, Unauthenticated
from chalicelib.tenants.ports import LOGIN_FAILURE_WINDOW
from chalicelib.validation import Fields

if TYPE_CHECKING:
    from chalicelib.ports import Ports, WallClock

MAX_FAILED_LOGINS = 5




def login(ports: Ports, body: dict[str, Any]) -> dict[str, Any]:
    """Exchange e-mail and password for an ID token, the person's memberships and the oldest one's role.

    After MAX_FAILED_LOGINS failures for one address within the window every attempt for it is
    RateLimited, right password or not, known address or not: a guessed password is worth nothing
    and the answer tells nobody whether the address exists.
    """
    fields = Fields(body)
    email = fields.text("email", max_length=254)
    password = fields.password("password")
    fields.done()
    assert email is not None and password is not None
    email = email.lower()
    now = ports.clock.now()
    failures = ports.people.login_failures(email, now)
    if len(failures.recent) >= MAX_FAILED_LOGINS:
        wait = failures.recent[-MAX_FAILED_LOGINS] + LOGIN_FAILURE_WINDOW - now
        raise RateLimited("too_many_logins", retry_after=math.ceil(wait.total_seconds()))
    try:
        token, expires_in = ports.identity.login(email, password)
    except InvalidCredentials:
        ports.people.record_login_failure(email, now, failures)
        raise
    token, person = _fresh_login(ports, email, password, token)
    first = person.memberships[0]
    return {"token": token, "role": first.role, "tenant_id": first.tenant_id, "expires_in": expires_in,
            "memberships": [m.to_api() for m in person.memberships]}


def _fresh_login(ports: Ports, email: str, password: str, token: str) -> tuple[str, Person]:
    """The token with its person; InvalidCredentials for a pool user that belongs to no firm."""
    claims = ports.tokens.verify(token)
    person = ports.people.find(str(claims["sub"]))
    if person is None or not person.memberships:
        raise InvalidCredentials()
    if not person.accepts_token_issued_at(int(claims["iat"])):
        # Issued within the very second of a logout, which refuses that whole second: once more.
        ports.wall_clock.sleep(max(0.0, person.revoked_before - ports.wall_clock.now().timestamp()))
        token, _ = ports.identity.login(email, password)
    return token, person


def authenticate(ports: Ports, token: str) -> Person:
    """The person behind a verified ID token that was not revoked; Unauthenticated for anything else."""
    claims = ports.tokens.verify(token)
    person = ports.people.find(str(claims["sub"]))
    if person is None or not person.memberships or not person.accepts_token_issued_at(int(claims["iat"])):
        raise Unauthenticated()
    return person


def logout(ports: Ports, principal: Principal) -> None:
    """Refuse every token of this login issued up to now, this whole second included.

    A token issued just before the logout, in the same second, must not survive it.
    """
    ports.people.revoke_tokens(principal.sub, before=_end_of_this_second(ports.wall_clock))


def reset_password(ports: Ports, email: str, password: str) -> None:
    """Operator path: a new password for a login; every token issued before it is refused."""
    sub = ports.people.sub_for_email(email.lower())
    if sub is None:
        raise NotFound()
    # Revoked first: should setting the password then fail, the person is logged out, which is
    # the safe side; the other order could leave the old password's tokens working.
    ports.people.revoke_tokens(sub, before=_end_of_this_second(ports.wall_clock))
    ports.identity.set_password(email.lower(), password)


def _end_of_this_second(wall: WallClock) -> int:
    return math.floor(wall.now().timestamp()) + 1


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or token.count(".") != 2:
        raise Unauthenticated("missing_token")
    return token.strip()
