"""The client card: create, find, change, invite to the portal, activate."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalicelib.auth.principal import Membership, Principal
from chalicelib.clients import phone as phones
from chalicelib.clients.model import Client, Invitation
from chalicelib.clock import iso
from chalicelib.errors import Conflict, FieldError, Forbidden, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.notify.templates import render_email
from chalicelib.texts import LANGUAGES
from chalicelib.validation import Fields, parse_limit

if TYPE_CHECKING:
    from chalicelib.clients.ports import CardChanges
    from chalicelib.ports import Ports

INVITATION_LIFETIME = timedelta(days=7)
# How long an activation holds its invitation: long enough for the identity provider's calls.
ACTIVATION_HOLD = timedelta(minutes=2)
PASSWORD_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


def _card_fields(fields: Fields, *, creating: bool) -> CardChanges:
    """The optional card fields present in the body, validated and normalised."""
    values: CardChanges = {}
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


def create_client(ports: Ports, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """A new card in the advisor's firm; phone in E.164, language nl unless en."""
    fields = Fields(body)
    email = fields.email("email")
    values = _card_fields(fields, creating=True)
    fields.done()
    client = Client(
        id=new_id(), tenant_id=principal.tenant_id, name=str(values["name"]), email=str(email),
        phone=values.get("phone"), city=values.get("city"), language=str(values["language"]),
        portal_access="none", created_at=iso(ports.clock.now()),
    )
    ports.clients.add(client)
    return client.to_api()


def list_clients(ports: Ports, principal: Principal, query: str | None, limit: str | None,
                 cursor: str | None) -> dict[str, Any]:
    """A page of the firm's cards, those whose name or address contains `query` when given."""
    clients, next_cursor = ports.clients.search(principal.tenant_id, (query or "").strip() or None,
                                                parse_limit(limit), cursor)
    return {"items": [c.to_api() for c in clients], "next_cursor": next_cursor}


def update_client(ports: Ports, principal: Principal, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change the fields present in the body; a new phone number voids the codes sent before it."""
    fields = Fields(body)
    values = _card_fields(fields, creating=False)
    fields.done()
    return ports.clients.update_card(principal.tenant_id, client_id, values, iso(ports.clock.now())).to_api()


def invite_client(ports: Ports, principal: Principal, client_id: str) -> dict[str, Any]:
    """E-mail a one-time activation link (stored only as its SHA-256, valid 7 days).

    The new link makes every older one of this client unusable.
    """
    client = ports.clients.get(principal.tenant_id, client_id)
    firm = ports.tenants.get(principal.tenant_id)
    token = secrets.token_urlsafe(32)
    now = ports.clock.now()
    expires = now + INVITATION_LIFETIME
    ports.clients.mark_invited(Invitation(token_hash=_hash(token), tenant_id=principal.tenant_id,
                                          client_id=client_id, email=client.email, expires_at=iso(expires)), now)
    link = f"{ports.settings.portal_url}/activate?{urlencode({'token': token})}"
    email = render_email("invitation", client.language, {"name": client.name, "firm": firm.name, "link": link})
    ports.mailer.send(client.email, email)
    return {"status": "invited", "expires_at": iso(expires)}


def activate(ports: Ports, body: dict[str, Any]) -> dict[str, Any]:
    """A new login for the invited client, with the password they chose.

    The invitation is claimed before any login is made, and never sets the password of a login
    that exists: an address with a login is a Conflict, and that person accepts the invitation
    while logged in (`accept_invite`). A failure after the claim leaves no login behind.
    """
    token, password = _activation_fields(body)
    invitation = _usable_invitation(ports, token)
    now = ports.clock.now()
    until = iso(now + ACTIVATION_HOLD)
    ports.clients.claim_invite(invitation, iso(now), until)
    try:
        sub = ports.identity.create_login(invitation.email, password)
    except Exception:
        ports.clients.release_invite(invitation, until)
        raise
    try:
        ports.clients.complete_activation(invitation, until, sub, _membership(ports, invitation, now))
    except Exception:
        if _activation_landed(ports, invitation):
            return {"status": "active"}  # only the answer was lost: undoing would strand the person
        ports.identity.delete_login(invitation.email)
        ports.clients.release_invite(invitation, until)
        raise
    return {"status": "active"}


def _activation_landed(ports: Ports, invitation: Invitation) -> bool:
    """Whether a completion whose answer failed did commit (the invitation is used)."""
    try:
        current = ports.clients.find_invite(invitation.token_hash)
    except Exception:  # noqa: BLE001 - unknown stays unknown: the caller undoes, the safer side
        return False
    return current is not None and current.used_at is not None


def _activation_fields(body: dict[str, Any]) -> tuple[str, str]:
    fields = Fields(body)
    token = fields.text("token", max_length=200)
    password = fields.password("password")
    fields.done()
    assert token is not None and password is not None
    if not password_meets_policy(password):
        raise ValidationFailed(FieldError("password", "weak_password"))
    return token, password


def accept_invite(ports: Ports, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Add the firm of an invitation to the logged-in person, who must be the one it was sent to."""
    fields = Fields(body)
    token = fields.text("token", max_length=200)
    fields.done()
    assert token is not None
    invitation = _usable_invitation(ports, token)
    person = ports.people.find(principal.sub)
    if person is None or person.email != invitation.email.lower():
        raise Forbidden("invitation_for_another")
    if any(m.tenant_id == invitation.tenant_id for m in person.memberships):
        raise Conflict("already_a_member")
    membership = _membership(ports, invitation, ports.clock.now())
    ports.clients.accept_invite(invitation, person, membership)
    return {"memberships": [m.to_api() for m in (*person.memberships, membership)]}


def _usable_invitation(ports: Ports, token: str) -> Invitation:
    """The invitation of a token, if unused and unexpired (the store checks both again when using it)."""
    invitation = ports.clients.find_invite(_hash(token))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= iso(ports.clock.now()):
        raise ValidationFailed(FieldError("token", "invalid_token"))
    return invitation


def _membership(ports: Ports, invitation: Invitation, now: datetime) -> Membership:
    firm = ports.tenants.get(invitation.tenant_id)
    return Membership(tenant_id=invitation.tenant_id, role="client", subject_id=invitation.client_id, firm=firm.name,
                      created_at=iso(now))


def grant_access_directly(ports: Ports, tenant_id: str, client_id: str, password: str) -> None:
    """Operator and demo path: portal access without an invitation e-mail.

    An address with a login keeps it and its password and gains the membership; a login made
    here is undone when the access cannot be stored.
    """
    client = ports.clients.get(tenant_id, client_id)
    membership = Membership(tenant_id=tenant_id, role="client", subject_id=client_id,
                            firm=ports.tenants.get(tenant_id).name, created_at=iso(ports.clock.now()))
    sub = ports.people.sub_for_email(client.email)
    created = sub is None
    if sub is None:
        sub = ports.identity.create_login(client.email, password)
    try:
        ports.clients.grant_access(client, sub, membership)
    except Exception:
        if created:
            ports.identity.delete_login(client.email)
        raise


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
