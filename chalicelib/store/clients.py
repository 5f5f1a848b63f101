"""Client cards, their unique e-mail per firm, and invitations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.auth.principal import Membership, Person
from chalicelib.clients.model import Client, Invitation
from chalicelib.clients.ports import MAX_INVITES_PER_DAY, CardChanges
from chalicelib.clock import AMSTERDAM, parse_iso, seconds_to_midnight
from chalicelib.errors import Conflict, DependencyFailed, FieldError, NotFound, RateLimited, ValidationFailed
from chalicelib.store import keys
from chalicelib.store.models import ClientItem, CounterItem, EmailClaimItem, InviteItem, LoginItem
from chalicelib.store.pages import decode_cursor, encode_cursor
from chalicelib.store.people import add_membership, join, put_login
from chalicelib.store.transaction import Transition, TransitionRefused, condition_failed


def to_client(tenant_id: str, item: ClientItem) -> Client:
    return Client(
        id=item.client_id, tenant_id=tenant_id, name=item.name, email=item.email, phone=item.phone,
        city=item.city, language=item.language, portal_access=item.portal_access, created_at=item.created_at,
        phone_changed_at=item.phone_changed_at,
    )


def _search_text(name: str, email: str) -> str:
    return f"{name} {email}".lower()


class ClientRepository:
    """`clients.ports.Clients` on the table."""

    def add(self, client: Client) -> None:
        """Store a new card; the e-mail claim makes a second card with that address a Conflict."""
        pk = keys.tenant(client.tenant_id)
        transition = Transition()
        transition.put("client", ClientItem(
            pk, keys.client(client.id), client_id=client.id, name=client.name, email=client.email, phone=client.phone,
            city=client.city, language=client.language, portal_access=client.portal_access,
            search=_search_text(client.name, client.email), created_at=client.created_at))
        transition.put("email", EmailClaimItem(pk, keys.client_email(client.email), client_id=client.id))
        try:
            transition.commit()
        except TransitionRefused as exc:
            raise Conflict("email_taken") from exc

    def get(self, tenant_id: str, client_id: str) -> Client:
        try:
            return to_client(tenant_id, ClientItem.get(keys.tenant(tenant_id), keys.client(client_id)))
        except DoesNotExist as exc:
            raise NotFound() from exc

    def search(self, tenant_id: str, query: str | None, limit: int,
               cursor: str | None) -> tuple[list[Client], str | None]:
        pk = keys.tenant(tenant_id)
        start = decode_cursor(cursor, partition=("pk", pk), prefixes={"sk": "CLIENT#"})
        condition = ClientItem.search.contains(query.lower()) if query else None
        results = ClientItem.query(
            pk, ClientItem.sk.startswith("CLIENT#"), filter_condition=condition,
            limit=limit, last_evaluated_key=start,
        )
        clients = [to_client(tenant_id, item) for item in results]
        next_key = results.last_evaluated_key if len(clients) == limit else None
        return clients, encode_cursor(next_key)

    def update_card(self, tenant_id: str, client_id: str, changes: CardChanges, now: str) -> Client:
        current = self.get(tenant_id, client_id)
        if "phone" in changes and changes["phone"] != current.phone:
            changes = {**changes, "phone_changed_at": now}
        item = ClientItem(keys.tenant(tenant_id), keys.client(client_id))
        actions = []
        for name, value in changes.items():
            attribute = getattr(ClientItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        if "name" in changes and changes["name"] is not None:
            actions.append(ClientItem.search.set(_search_text(changes["name"], current.email)))
        if not changes:
            return current
        try:
            item.update(actions=actions, condition=ClientItem.pk.exists())
        except UpdateError as exc:
            raise (NotFound() if condition_failed(exc) else DependencyFailed()) from exc
        return to_client(tenant_id, item)

    def mark_invited(self, invitation: Invitation, now: datetime) -> None:
        """Record a new invitation, which makes every older one unusable.

        An active client cannot be invited again (Conflict); at most MAX_INVITES_PER_DAY a day
        per client (RateLimited), so the invitation cannot be used to flood an inbox.
        """
        pk = keys.tenant(invitation.tenant_id)
        day = now.astimezone(AMSTERDAM).strftime("%Y-%m-%d")
        transition = Transition()
        transition.update("client", ClientItem(pk, keys.client(invitation.client_id)),
                          [ClientItem.portal_access.set("invited"), ClientItem.current_invite.set(invitation.token_hash)],
                          ClientItem.pk.exists() & (ClientItem.portal_access != "active"))
        transition.put("invite", InviteItem(
            keys.invite(invitation.token_hash), keys.INVITE, tenant_id=invitation.tenant_id,
            client_id=invitation.client_id, email=invitation.email, expires_at=invitation.expires_at,
            ttl=int((parse_iso(invitation.expires_at) + timedelta(days=30)).timestamp())))
        transition.update("daily_limit", CounterItem(keys.invites_sent(invitation.tenant_id, invitation.client_id, day),
                                                     keys.COUNTER),
                          [CounterItem.total.add(1), CounterItem.ttl.set(int((now + timedelta(days=2)).timestamp()))],
                          CounterItem.total.does_not_exist() | (CounterItem.total < MAX_INVITES_PER_DAY))
        try:
            transition.commit()
        except TransitionRefused as exc:
            if "daily_limit" in exc.failed:
                raise RateLimited("too_many_invitations", retry_after=seconds_to_midnight(now)) from exc
            raise Conflict("already_active") from exc

    def find_invite(self, token_hash: str) -> Invitation | None:
        try:
            item = InviteItem.get(keys.invite(token_hash), keys.INVITE, consistent_read=True)
        except DoesNotExist:
            return None
        return Invitation(token_hash=token_hash, tenant_id=item.tenant_id, client_id=item.client_id,
                          email=item.email, expires_at=item.expires_at, claimed_until=item.claimed_until,
                          used_at=item.used_at)

    def _invite_usable(self, invitation: Invitation, transition: Transition, now: str,
                       actions: Sequence[Action]) -> None:
        """The invitation's own rules, on `transition`: unused, unexpired, not held, the client's newest."""
        transition.update("invite", InviteItem(keys.invite(invitation.token_hash), keys.INVITE), actions,
                          InviteItem.used_at.does_not_exist() & (InviteItem.expires_at > now)
                          & (InviteItem.claimed_until.does_not_exist() | (InviteItem.claimed_until <= now)))

    def claim_invite(self, invitation: Invitation, now: str, until: str) -> None:
        """Hold the invitation for one activation, before any login is made.

        Refused with Conflict when its address has a login already (nothing changes: the person
        accepts it while logged in), and as an invalid token when it is used, expired, superseded
        or held by another activation.
        """
        transition = Transition()
        self._invite_usable(invitation, transition, now, [InviteItem.claimed_until.set(until)])
        transition.check("client", ClientItem(keys.tenant(invitation.tenant_id), keys.client(invitation.client_id)),
                         (ClientItem.current_invite == invitation.token_hash) & (ClientItem.portal_access != "active"))
        transition.check("login", LoginItem(keys.login(invitation.email), keys.LOGIN), LoginItem.pk.does_not_exist())
        try:
            transition.commit()
        except TransitionRefused as exc:
            if exc.failed == {"login"}:
                raise Conflict("login_exists") from exc
            raise ValidationFailed(FieldError("token", "invalid_token")) from exc

    def release_invite(self, invitation: Invitation, until: str) -> None:
        """Give back a claim whose activation failed, so the link can be tried again."""
        try:
            InviteItem(keys.invite(invitation.token_hash), keys.INVITE).update(
                actions=[InviteItem.claimed_until.remove()],
                condition=(InviteItem.claimed_until == until) & InviteItem.used_at.does_not_exist())
        except UpdateError as exc:
            if not condition_failed(exc):  # not ours any more (lapsed and taken, or used): nothing to give back
                raise DependencyFailed() from exc

    def complete_activation(self, invitation: Invitation, until: str, sub: str, membership: Membership) -> None:
        """Use the claimed invitation: the client is active and the new login is its member."""
        now = membership.created_at
        transition = Transition()
        transition.update("invite", InviteItem(keys.invite(invitation.token_hash), keys.INVITE),
                          [InviteItem.used_at.set(now), InviteItem.claimed_until.remove()],
                          (InviteItem.claimed_until == until) & InviteItem.used_at.does_not_exist())
        self._activate_client(transition, invitation, sub)
        put_login(transition, sub, invitation.email, membership)
        try:
            transition.commit()
        except TransitionRefused as exc:
            raise ValidationFailed(FieldError("token", "invalid_token")) from exc

    def accept_invite(self, invitation: Invitation, person: Person, membership: Membership) -> None:
        """Use the invitation for a person who has a login: one more membership."""
        transition = Transition()
        self._invite_usable(invitation, transition, membership.created_at, [InviteItem.used_at.set(membership.created_at)])
        self._activate_client(transition, invitation, person.sub)
        add_membership(transition, person, membership)
        try:
            transition.commit()
        except TransitionRefused as exc:
            if exc.failed == {"person"}:
                raise Conflict("request_in_progress") from exc
            raise ValidationFailed(FieldError("token", "invalid_token")) from exc

    def _activate_client(self, transition: Transition, invitation: Invitation, sub: str) -> None:
        transition.update("client", ClientItem(keys.tenant(invitation.tenant_id), keys.client(invitation.client_id)),
                          [ClientItem.portal_access.set("active"), ClientItem.sub.set(sub),
                           ClientItem.current_invite.remove()],
                          (ClientItem.current_invite == invitation.token_hash) & (ClientItem.portal_access != "active"))

    def grant_access(self, client: Client, sub: str, membership: Membership) -> None:
        """Operator/seed path: the client active and the login's membership, in one transaction."""
        transition = Transition()
        transition.update("client", ClientItem(keys.tenant(client.tenant_id), keys.client(client.id)),
                          [ClientItem.portal_access.set("active"), ClientItem.sub.set(sub)], ClientItem.pk.exists())
        join(transition, sub, client.email, membership)
        try:
            transition.commit()
        except TransitionRefused as exc:
            raise (NotFound() if "client" in exc.failed else Conflict()) from exc
