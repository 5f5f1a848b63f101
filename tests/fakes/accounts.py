"""In-memory twins of the accounts repositories: firms, people, client cards, documents.

Each keeps the rules of the DynamoDB repository it stands in for (chalicelib/store/tenants.py,
people.py, clients.py, documents.py): the same conditions, checked all together before anything
changes, as a transaction is, and the same domain errors. tests/integration/test_contract_accounts.py
runs one set of tests against both.

A change of several records is a list of `Part`s: each names the records that refused it (empty
when its condition holds) and how it applies. `_commit` applies them all or none, like
`store.transaction.Transition`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.auth.principal import ROLES, Membership, Person, Principal
from chalicelib.clients.model import Client, Invitation
from chalicelib.clients.ports import MAX_INVITES_PER_DAY, CardChanges
from chalicelib.clock import AMSTERDAM, seconds_to_midnight
from chalicelib.documents.model import Document
from chalicelib.errors import Conflict, FieldError, NotFound, RateLimited, ValidationFailed
from chalicelib.store import keys
from chalicelib.store.pages import decode_cursor, encode_cursor
from chalicelib.tenants.model import Advisor, Tenant
from chalicelib.tenants.ports import LOGIN_FAILURE_WINDOW, LoginFailures


@dataclass
class Part:
    failed: set[str]
    apply: Callable[[], None]


def _commit(*parts: Part) -> set[str]:
    """Apply every part if none refused; the names of those that refused."""
    failed = set().union(*(part.failed for part in parts))
    if not failed:
        for part in parts:
            part.apply()
    return failed


def _invalid_token() -> ValidationFailed:
    return ValidationFailed(FieldError("token", "invalid_token"))


class FakeTenants:
    """`tenants.ports.Tenants` in memory."""

    def __init__(self, ports: Any) -> None:
        self._ports = ports
        self.firms: dict[str, Tenant] = {}
        self.advisors: dict[tuple[str, str], Advisor] = {}

    def add(self, tenant: Tenant, created_at: str) -> None:
        if tenant.id in self.firms:
            raise Conflict()
        self.firms[tenant.id] = tenant

    def get(self, tenant_id: str) -> Tenant:
        if tenant_id not in self.firms:
            raise NotFound()
        return self.firms[tenant_id]

    def get_advisor(self, tenant_id: str, advisor_id: str) -> Advisor:
        if (tenant_id, advisor_id) not in self.advisors:
            raise NotFound()
        return self.advisors[(tenant_id, advisor_id)]

    def set_features(self, tenant_id: str, features: frozenset[str]) -> None:
        self.firms[tenant_id] = replace(self.get(tenant_id), features=frozenset(features))

    def set_sms_budget(self, tenant_id: str, budget: int) -> None:
        self.firms[tenant_id] = replace(self.get(tenant_id), sms_daily_budget=budget)

    def add_advisor(self, advisor: Advisor, sub: str, firm: str, created_at: str) -> None:
        membership = Membership(tenant_id=advisor.tenant_id, role="advisor", subject_id=advisor.id, firm=firm,
                                created_at=created_at)
        key = (advisor.tenant_id, advisor.id)
        stored = Part({"advisor"} if key in self.advisors else set(), lambda: self.advisors.__setitem__(key, advisor))
        if _commit(stored, self._ports.people.join_part(sub, advisor.email, membership)):
            raise Conflict()


class FakePeople:
    """`tenants.ports.People` in memory; `*_part` are the store's private steps that other fakes use."""

    def __init__(self, ports: Any) -> None:
        self._ports = ports
        self.logins: dict[str, str] = {}  # lower-case address -> sub
        self.persons: dict[str, Person] = {}
        self.failures: dict[str, list[datetime]] = {}  # lower-case address -> as stored

    def find(self, sub: str) -> Person | None:
        person = self.persons.get(sub)
        if person is None:
            return None
        memberships = sorted((m for m in person.memberships if m.role in ROLES), key=lambda m: (m.created_at, m.tenant_id))
        return replace(person, memberships=tuple(memberships))

    def sub_for_email(self, email: str) -> str | None:
        return self.logins.get(email.lower())

    def revoke_tokens(self, sub: str, before: int) -> None:
        if sub not in self.persons:
            raise NotFound()
        self.persons[sub] = replace(self.persons[sub], revoked_before=before)

    def login_failures(self, email: str, now: datetime) -> LoginFailures:
        stored = self.failures.get(email.lower(), [])
        return LoginFailures(recent=tuple(sorted(m for m in stored if now - m < LOGIN_FAILURE_WINDOW)), seen=len(stored))

    def record_login_failure(self, email: str, now: datetime, seen: LoginFailures) -> None:
        stored = self.failures.setdefault(email.lower(), [])
        if len(stored) == seen.seen:
            stored[:] = [*seen.recent, now]
        else:  # another failure was recorded since `seen` was read: this one counts as well
            stored.append(now)

    # --- the store's own steps, for the transactions of other repositories ---------------------

    def login_part(self, sub: str, email: str, membership: Membership) -> Part:
        """A new login with its first membership: refused ("login") for an address with one."""
        failed = ({"login"} if email.lower() in self.logins else set()) | ({"person"} if sub in self.persons else set())

        def apply() -> None:
            self.logins[email.lower()] = sub
            self.persons[sub] = Person(sub=sub, email=email.lower(), memberships=(membership,))

        return Part(failed, apply)

    def membership_part(self, person: Person, membership: Membership) -> Part:
        """One more membership of `person` as read: refused ("person") when it changed since."""
        if any(m.tenant_id == membership.tenant_id for m in person.memberships):
            raise Conflict("already_a_member")
        current = self.persons.get(person.sub)
        failed = {"person"} if current is None or current.version != person.version else set()

        def apply() -> None:
            stored = self.persons[person.sub]
            self.persons[person.sub] = replace(stored, memberships=(*stored.memberships, membership),
                                               version=person.version + 1)

        return Part(failed, apply)

    def join_part(self, sub: str, email: str, membership: Membership) -> Part:
        person = self.find(sub)
        if person is None:
            return self.login_part(sub, email, membership)
        return self.membership_part(person, membership)


@dataclass
class _Card:
    client: Client
    current_invite: str | None = None
    sub: str | None = None


class FakeClients:
    """`clients.ports.Clients` in memory."""

    def __init__(self, ports: Any) -> None:
        self._ports = ports
        self.cards: dict[tuple[str, str], _Card] = {}
        self.emails: set[tuple[str, str]] = set()  # (tenant, lower-case address) of every card
        self.invites: dict[str, Invitation] = {}
        self.invites_sent: dict[tuple[str, str, str], int] = {}  # (tenant, client, Amsterdam day) -> count

    @property
    def _people(self) -> FakePeople:
        return self._ports.people  # type: ignore[no-any-return]

    def add(self, client: Client) -> None:
        key, email = (client.tenant_id, client.id), (client.tenant_id, client.email.lower())
        if key in self.cards or email in self.emails:
            raise Conflict("email_taken")
        self.cards[key] = _Card(client)
        self.emails.add(email)

    def get(self, tenant_id: str, client_id: str) -> Client:
        return self._card(tenant_id, client_id).client

    def _card(self, tenant_id: str, client_id: str) -> _Card:
        if (tenant_id, client_id) not in self.cards:
            raise NotFound()
        return self.cards[(tenant_id, client_id)]

    def search(self, tenant_id: str, query: str | None, limit: int,
               cursor: str | None) -> tuple[list[Client], str | None]:
        partition = keys.tenant(tenant_id)
        start = decode_cursor(cursor, partition=("pk", partition), prefixes={"sk": "CLIENT#"})
        after = start["sk"]["S"] if start else ""
        ordered = sorted((keys.client(c.client.id), c.client) for (t, _), c in self.cards.items() if t == tenant_id)
        matching = [(sk, c) for sk, c in ordered if sk > after
                    and (not query or query.lower() in f"{c.name} {c.email}".lower())]
        page = matching[:limit]
        last = {"pk": {"S": partition}, "sk": {"S": page[-1][0]}} if len(page) == limit else None
        return [c for _, c in page], encode_cursor(last)

    def update_card(self, tenant_id: str, client_id: str, changes: CardChanges, now: str) -> Client:
        card = self._card(tenant_id, client_id)
        if "phone" in changes and changes["phone"] != card.client.phone:
            changes = {**changes, "phone_changed_at": now}
        card.client = replace(card.client, **changes)  # type: ignore[arg-type]
        return card.client

    def mark_invited(self, invitation: Invitation, now: datetime) -> None:
        card = self.cards.get((invitation.tenant_id, invitation.client_id))
        counter = (invitation.tenant_id, invitation.client_id, now.astimezone(AMSTERDAM).strftime("%Y-%m-%d"))

        def apply() -> None:
            assert card is not None
            card.client = replace(card.client, portal_access="invited")
            card.current_invite = invitation.token_hash
            self.invites[invitation.token_hash] = replace(invitation, claimed_until=None, used_at=None)
            self.invites_sent[counter] = self.invites_sent.get(counter, 0) + 1

        failed = _commit(
            Part({"client"} if card is None or card.client.portal_access == "active" else set(), apply),
            Part({"invite"} if invitation.token_hash in self.invites else set(), lambda: None),
            Part({"daily_limit"} if self.invites_sent.get(counter, 0) >= MAX_INVITES_PER_DAY else set(), lambda: None),
        )
        if "daily_limit" in failed:
            raise RateLimited("too_many_invitations", retry_after=seconds_to_midnight(now))
        if failed:
            raise Conflict("already_active")

    def find_invite(self, token_hash: str) -> Invitation | None:
        return self.invites.get(token_hash)

    def claim_invite(self, invitation: Invitation, now: str, until: str) -> None:
        failed = _commit(
            self._usable_part(invitation, now, claimed_until=until),
            self._newest_part(invitation, lambda: None),
            Part({"login"} if invitation.email.lower() in self._people.logins else set(), lambda: None),
        )
        if failed == {"login"}:
            raise Conflict("login_exists")
        if failed:
            raise _invalid_token()

    def release_invite(self, invitation: Invitation, until: str) -> None:
        stored = self.invites.get(invitation.token_hash)
        if stored is not None and stored.claimed_until == until and stored.used_at is None:
            self.invites[invitation.token_hash] = replace(stored, claimed_until=None)

    def complete_activation(self, invitation: Invitation, until: str, sub: str, membership: Membership) -> None:
        stored = self.invites.get(invitation.token_hash)
        held = stored is not None and stored.claimed_until == until and stored.used_at is None
        used = Part(set() if held else {"invite"}, self._use(invitation, membership.created_at))
        if _commit(used, self._newest_part(invitation, self._activate(invitation, sub)),
                   self._people.login_part(sub, invitation.email, membership)):
            raise _invalid_token()

    def accept_invite(self, invitation: Invitation, person: Person, membership: Membership) -> None:
        usable = self._usable_part(invitation, membership.created_at, used_at=membership.created_at)
        newest = self._newest_part(invitation, self._activate(invitation, person.sub))
        failed = _commit(usable, newest, self._people.membership_part(person, membership))
        if failed == {"person"}:
            raise Conflict("request_in_progress")
        if failed:
            raise _invalid_token()

    def grant_access(self, client: Client, sub: str, membership: Membership) -> None:
        joined = self._people.join_part(sub, client.email, membership)
        card = self.cards.get((client.tenant_id, client.id))

        def apply() -> None:
            assert card is not None
            card.client = replace(card.client, portal_access="active")
            card.sub = sub

        failed = _commit(Part({"client"} if card is None else set(), apply), joined)
        if "client" in failed:
            raise NotFound()
        if failed:
            raise Conflict()

    # --- the rules of an invitation ------------------------------------------------------------

    def _usable_part(self, invitation: Invitation, now: str, **changes: str) -> Part:
        """Unused, unexpired and not held by another activation."""
        stored = self.invites.get(invitation.token_hash)
        usable = (stored is not None and stored.used_at is None and stored.expires_at > now
                  and (stored.claimed_until is None or stored.claimed_until <= now))

        def apply() -> None:
            self.invites[invitation.token_hash] = replace(self.invites[invitation.token_hash], **changes)

        return Part(set() if usable else {"invite"}, apply)

    def _newest_part(self, invitation: Invitation, apply: Callable[[], None]) -> Part:
        """The client's current invitation, and the client not active yet."""
        card = self.cards.get((invitation.tenant_id, invitation.client_id))
        newest = card is not None and card.current_invite == invitation.token_hash and card.client.portal_access != "active"
        return Part(set() if newest else {"client"}, apply)

    def _use(self, invitation: Invitation, at: str) -> Callable[[], None]:
        def apply() -> None:
            self.invites[invitation.token_hash] = replace(self.invites[invitation.token_hash], used_at=at,
                                                          claimed_until=None)
        return apply

    def _activate(self, invitation: Invitation, sub: str) -> Callable[[], None]:
        def apply() -> None:
            card = self.cards[(invitation.tenant_id, invitation.client_id)]
            card.client = replace(card.client, portal_access="active")
            card.sub, card.current_invite = sub, None
        return apply


class FakeDocuments:
    """`documents.ports.Documents` in memory."""

    def __init__(self, ports: Any) -> None:
        self._ports = ports
        self.documents: dict[tuple[str, str], Document] = {}

    def add(self, document: Document, created_by: str, created_at: str) -> None:
        if (document.tenant_id, document.id) in self.documents:
            raise Conflict()
        self.documents[(document.tenant_id, document.id)] = document

    def get(self, tenant_id: str, document_id: str) -> Document:
        if (tenant_id, document_id) not in self.documents:
            raise NotFound()
        return self.documents[(tenant_id, document_id)]

    def mark_ready(self, tenant_id: str, document_id: str, sha256: str, size: int, version_id: str | None) -> Document:
        document = self.get(tenant_id, document_id)
        if document.status != "pending":
            raise Conflict()
        ready = replace(document, status="ready", sha256=sha256, size=size, version_id=version_id or document.version_id)
        self.documents[(tenant_id, document_id)] = ready
        return ready



ADVISOR_PASSWORD = "Adviseur-unit-2026!"


def a_firm(ports: Any, name: str = "Kantoor De Vries", email: str = "adviseur@devries.example",
           features: frozenset[str] = frozenset({"signing"})) -> Principal:
    """A firm with one advisor who has a login, made through the operator's service; that advisor."""
    from chalicelib.tenants import service as tenants

    tenant = tenants.create_tenant(ports, name, features)
    advisor = tenants.add_advisor(ports, tenant.id, "Adviseur", email, ADVISOR_PASSWORD)
    sub = ports.people.sub_for_email(email)
    return Principal(sub=str(sub), tenant_id=tenant.id, role="advisor", subject_id=advisor.id, email=email.lower())
