"""Logging in and turning a bearer token into a principal."""

from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.errors import InvalidCredentials, Unauthenticated
from chalicelib.store.tenants import TenantRepository
from chalicelib.validation import Fields


def login(body: dict[str, Any]) -> dict[str, Any]:
    """Exchange e-mail and password for an ID token with the caller's role and firm."""
    fields = Fields(body)
    email = fields.text("email", max_length=254)
    password = fields.text("password", max_length=256)
    fields.done()
    assert email is not None and password is not None
    token, expires_in = aws.identity().login(email.lower(), password)
    try:
        principal = authenticate(token)
    except Unauthenticated as exc:  # a pool user that belongs to no firm
        raise InvalidCredentials() from exc
    return {"token": token, "role": principal.role, "tenant_id": principal.tenant_id, "expires_in": expires_in}


def authenticate(token: str) -> Principal:
    """The principal behind a verified ID token; Unauthenticated for anything else."""
    claims = aws.token_verifier().verify(token)
    aws.bind_store()
    principal = TenantRepository().find_principal(str(claims["sub"]))
    if principal is None:
        raise Unauthenticated()
    return principal


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or token.count(".") != 2:
        raise Unauthenticated("missing_token")
    return token.strip()
