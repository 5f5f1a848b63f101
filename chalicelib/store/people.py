"""People: one login per e-mail address, its memberships of firms, revoked tokens, failed logins.

The module functions put a login or a membership into another repository's transaction (a
client's activation, an advisor's addition); they are the store's own, not part of `People`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import size

from chalicelib.auth.principal import ROLES, Membership, Person
from chalicelib.clock import iso, parse_iso
from chalicelib.errors import Conflict, DependencyFailed, NotFound
from chalicelib.store import keys
from chalicelib.store.models import LoginFailuresItem, LoginItem, MembershipMap, PersonItem
from chalicelib.store.transaction import Transition, condition_failed
from chalicelib.tenants.ports import LOGIN_FAILURE_WINDOW, LoginFailures


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()


def _membership(value: MembershipMap) -> Membership:
    return Membership(tenant_id=value.tenant_id, role=value.role, subject_id=value.subject_id,  # type: ignore[arg-type]
                      firm=value.firm, created_at=value.created_at)


def _map(membership: Membership) -> MembershipMap:
    return MembershipMap(tenant_id=membership.tenant_id, role=membership.role, subject_id=membership.subject_id,
                         firm=membership.firm, created_at=membership.created_at)


def read_person(sub: str) -> Person | None:
    """The person behind a login with every membership, oldest first; None for an unknown sub."""
    try:
        item = PersonItem.get(keys.person(sub), keys.PERSON)
    except DoesNotExist:
        return None
    memberships = sorted((_membership(m) for m in item.memberships or () if m.role in ROLES),
                         key=lambda m: (m.created_at, m.tenant_id))
    return Person(sub=sub, email=item.email, memberships=tuple(memberships),
                  revoked_before=int(item.revoked_before or 0), version=int(item.version or 1))


def put_login(transition: Transition, sub: str, email: str, membership: Membership) -> None:
    """A new login with its first membership; an address with a login refuses ("login")."""
    transition.put("login", LoginItem(keys.login(email), keys.LOGIN, sub=sub, created_at=membership.created_at))
    transition.put("person", PersonItem(keys.person(sub), keys.PERSON, email=email.lower(),
                                        memberships=[_map(membership)], created_at=membership.created_at))


def add_membership(transition: Transition, person: Person, membership: Membership) -> None:
    """Another membership of an existing person; a change to the person since it was read refuses ("person")."""
    if any(m.tenant_id == membership.tenant_id for m in person.memberships):
        raise Conflict("already_a_member")
    transition.update("person", PersonItem(keys.person(person.sub), keys.PERSON), [
        PersonItem.memberships.set(PersonItem.memberships.append([_map(membership)])),
        PersonItem.version.set(person.version + 1),
    ], PersonItem.version == person.version)


def join(transition: Transition, sub: str, email: str, membership: Membership) -> None:
    """A membership for `sub` on `transition`: the login's first one creates its records."""
    person = read_person(sub)
    if person is None:
        put_login(transition, sub, email, membership)
    else:
        add_membership(transition, person, membership)


class PersonRepository:
    """`tenants.ports.People` on the table."""

    def find(self, sub: str) -> Person | None:
        return read_person(sub)

    def sub_for_email(self, email: str) -> str | None:
        try:
            return str(LoginItem.get(keys.login(email), keys.LOGIN, consistent_read=True).sub)
        except DoesNotExist:
            return None

    def revoke_tokens(self, sub: str, before: int) -> None:
        try:
            PersonItem(keys.person(sub), keys.PERSON).update(
                actions=[PersonItem.revoked_before.set(before)], condition=PersonItem.pk.exists())
        except UpdateError as exc:
            raise (NotFound() if condition_failed(exc) else DependencyFailed()) from exc

    def login_failures(self, email: str, now: datetime) -> LoginFailures:
        try:
            item = LoginFailuresItem.get(keys.login_failures(_email_digest(email)), keys.COUNTER,
                                         consistent_read=True)
        except DoesNotExist:
            return LoginFailures()
        stored = [parse_iso(str(f)) for f in item.failures or ()]
        return LoginFailures(recent=tuple(sorted(m for m in stored if now - m < LOGIN_FAILURE_WINDOW)),
                             seen=len(stored))

    def record_login_failure(self, email: str, now: datetime, seen: LoginFailures) -> None:
        """The rewrite holds only if nobody added a failure since `seen` was read; else it is appended."""
        item = LoginFailuresItem(keys.login_failures(_email_digest(email)), keys.COUNTER)
        expires = LoginFailuresItem.ttl.set(int((now + LOGIN_FAILURE_WINDOW + timedelta(minutes=1)).timestamp()))
        unchanged = (LoginFailuresItem.failures.does_not_exist() if seen.seen == 0
                     else size(LoginFailuresItem.failures) == seen.seen)
        try:
            item.update(actions=[LoginFailuresItem.failures.set([iso(m) for m in (*seen.recent, now)]), expires],
                        condition=unchanged)
        except UpdateError:  # refused (or failed): appending still counts this failure
            item.update(actions=[LoginFailuresItem.failures.set(LoginFailuresItem.failures.append([iso(now)])),
                                 expires])
