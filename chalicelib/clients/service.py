"""The client card: create, find, change, invite to the portal, activate."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.clients import phone as phones
from chalicelib.clients.model import Client
from chalicelib.clock import iso
from chalicelib.config import get_settings
from chalicelib.errors import FieldError, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.messages import LANGUAGES
from chalicelib.notify.templates import render_email
from chalicelib.store.clients import ClientRepository
from chalicelib.store.pages import parse_limit
from chalicelib.store.tenants import TenantRepository
from chalicelib.validation import Fields

INVITATION_LIFETIME = timedelta(days=7)
PASSWORD_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


def _repository() -> ClientRepository:
    aws.bind_store()
    return ClientRepository()


def _card_fields(fields: Fields, *, creating: bool) -> dict[str, Any]:
    """The optional card fields present in the body, validated and normalised."""
    values: dict[str, Any] = {}
    body = fields.body
    if "name" in body or creating:
        values["name"] = fields.text("name", max_length=200)
    if body.get("phone") not in (None, ""):
        raw = fields.text("phone", max_length=40)
        values["phone"] = phones.normalise(raw) if raw else None
        if raw and values["phone"] is None:
            fields.add("phone", "invalid_phone")
    elif "phone" in body:
        values["phone"] = None
    if "city" in body:
        values["city"] = fields.text("city", required=False, max_length=100) or None
    if "language" in body or creating:
        values["language"] = fields.choice("language", LANGUAGES, required=False, message="invalid_language") or "nl"
    return values


def create_client(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """A new card in the advisor's firm; phone in E.164, language nl unless en."""
    fields = Fields(body)
    email = fields.email("email")
    values = _card_fields(fields, creating=True)
    fields.done()
    client = Client(
        id=new_id(), tenant_id=principal.tenant_id, name=values["name"], email=str(email),
        phone=values.get("phone"), city=values.get("city"), language=values["language"],
        portal_access="none", created_at=iso(aws.clock().now()),
    )
    _repository().add(client)
    return client.to_api()


def list_clients(principal: Principal, query: str | None, limit: str | None, cursor: str | None) -> dict[str, Any]:
    clients, next_cursor = _repository().list(principal.tenant_id, (query or "").strip() or None,
                                              parse_limit(limit), cursor)
    return {"items": [c.to_api() for c in clients], "next_cursor": next_cursor}


def update_client(principal: Principal, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(body)
    values = _card_fields(fields, creating=False)
    fields.done()
    return _repository().update(principal.tenant_id, client_id, values).to_api()


def invite_client(principal: Principal, client_id: str) -> dict[str, Any]:
    """E-mail a one-time activation link (stored only as its SHA-256, valid 7 days)."""
    repository = _repository()
    client = repository.get(principal.tenant_id, client_id)
    firm = TenantRepository().get(principal.tenant_id)
    token = secrets.token_urlsafe(32)
    now = aws.clock().now()
    expires = now + INVITATION_LIFETIME
    repository.mark_invited(principal.tenant_id, client_id, _hash(token), iso(expires),
                            ttl=int((expires + timedelta(days=30)).timestamp()))
    link = f"{get_settings().portal_url}/activate?{urlencode({'token': token})}"
    email = render_email("invitation", client.language, {"name": client.name, "firm": firm.name, "link": link})
    aws.mailer().send(client.email, email)
    return {"status": "invited", "expires_at": iso(expires)}


def activate(body: dict[str, Any]) -> dict[str, Any]:
    """Set the invited client's password; the token works once and for 7 days."""
    fields = Fields(body)
    token = fields.text("token", max_length=200)
    password = fields.text("password", max_length=256)
    fields.done()
    assert token is not None and password is not None
    if not password_meets_policy(password):
        raise ValidationFailed(FieldError("password", "weak_password"))
    repository = _repository()
    invite = repository.find_invite(_hash(token))
    now = iso(aws.clock().now())
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise ValidationFailed(FieldError("token", "invalid_token"))
    client = repository.get(invite.tenant_id, invite.client_id)
    identity = aws.identity()
    sub = identity.create_user(client.email)
    identity.set_password(client.email, password)
    repository.activate(invite, sub, now)
    return {"status": "active"}


def password_meets_policy(password: str) -> bool:
    """The user pool's policy, checked first so the answer names the field clearly."""
    return (
        len(password) >= 12
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
        and any(c in PASSWORD_SYMBOLS for c in password)
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
