"""Logging in and out, and turning a bearer token into a person."""

from __future__ import annotations

import math
import time
from typing import Any

from chalicelib import aws
from chalicelib.auth.principal import Person, Principal
from chalicelib.errors import InvalidCredentials, NotFound, RateLimited, Unauthenticated
from chalicelib.store.people import LOGIN_FAILURE_WINDOW, PersonRepository
from chalicelib.validation import Fields

MAX_FAILED_LOGINS = 5


def login(body: dict[str, Any]) -> dict[str, Any]:
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
    aws.bind_store()
    people, now = PersonRepository(), aws.clock().now()
    failures, stored = people.login_failures(email, now)
    if len(failures) >= MAX_FAILED_LOGINS:
        wait = failures[-MAX_FAILED_LOGINS] + LOGIN_FAILURE_WINDOW - now
        raise RateLimited("too_many_logins", retry_after=math.ceil(wait.total_seconds()))
    try:
        token, expires_in = aws.identity().login(email, password)
    except InvalidCredentials:
        people.record_login_failure(email, now, failures, stored)
        raise
    token, person = _fresh_login(email, password, token)
    first = person.memberships[0]
    return {"token": token, "role": first.role, "tenant_id": first.tenant_id, "expires_in": expires_in,
            "memberships": [m.to_api() for m in person.memberships]}


def _fresh_login(email: str, password: str, token: str) -> tuple[str, Person]:
    """The token with its person; InvalidCredentials for a pool user that belongs to no firm."""
    claims = aws.token_verifier().verify(token)
    person = PersonRepository().find(str(claims["sub"]))
    if person is None or not person.memberships:
        raise InvalidCredentials()
    if not person.accepts_token_issued_at(int(claims["iat"])):
        # Issued within the very second of a logout, which refuses that whole second: once more.
        time.sleep(max(0.0, person.revoked_before - time.time()))
        token, _ = aws.identity().login(email, password)
    return token, person


def authenticate(token: str) -> Person:
    """The person behind a verified ID token that was not revoked; Unauthenticated for anything else."""
    claims = aws.token_verifier().verify(token)
    aws.bind_store()
    person = PersonRepository().find(str(claims["sub"]))
    if person is None or not person.memberships or not person.accepts_token_issued_at(int(claims["iat"])):
        raise Unauthenticated()
    return person


def logout(principal: Principal) -> None:
    """Refuse every token of this login issued up to now, this whole second included.

    Token times (`iat`) are whole seconds of the identity provider's wall clock, so the refusal
    covers the current second too: a token issued just before the logout, in the same second,
    must not survive it.
    """
    aws.bind_store()
    PersonRepository().revoke_tokens(principal.sub, before=math.floor(time.time()) + 1)


def reset_password(email: str, password: str) -> None:
    """Operator path: a new password for a login; every token issued before it is refused."""
    aws.bind_store()
    people = PersonRepository()
    sub = people.sub_for_email(email.lower())
    if sub is None:
        raise NotFound()
    aws.identity().set_password(email.lower(), password)
    people.revoke_tokens(sub, before=math.floor(time.time()) + 1)


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or token.count(".") != 2:
        raise Unauthenticated("missing_token")
    return token.strip()
