"""Client cards, their unique e-mail per firm, and invitations."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.clients.model import Client
from chalicelib.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.store import keys
from chalicelib.store.connection import shared_connection
from chalicelib.store.models import ClientItem, EmailClaimItem, InviteItem, PrincipalItem
from chalicelib.store.pages import decode_cursor, encode_cursor


def _to_client(tenant_id: str, item: ClientItem) -> Client:
    return Client(
        id=item.client_id, tenant_id=tenant_id, name=item.name, email=item.email, phone=item.phone,
        city=item.city, language=item.language, portal_access=item.portal_access, created_at=item.created_at,
    )


def _search_text(name: str, email: str) -> str:
    return f"{name} {email}".lower()


class ClientRepository:
    def add(self, client: Client) -> None:
        """Store a new card; the e-mail claim makes a second card with that address a Conflict."""
        pk = keys.tenant(client.tenant_id)
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(
                    ClientItem(pk, keys.client(client.id), client_id=client.id, name=client.name,
                               email=client.email, phone=client.phone, city=client.city,
                               language=client.language, portal_access=client.portal_access,
                               search=_search_text(client.name, client.email), created_at=client.created_at),
                    condition=ClientItem.pk.does_not_exist(),
                )
                tx.save(EmailClaimItem(pk, keys.client_email(client.email), client_id=client.id),
                        condition=EmailClaimItem.pk.does_not_exist())
        except TransactWriteError as exc:
            raise Conflict("email_taken") from exc

    def get(self, tenant_id: str, client_id: str) -> Client:
        try:
            return _to_client(tenant_id, ClientItem.get(keys.tenant(tenant_id), keys.client(client_id)))
        except DoesNotExist as exc:
            raise NotFound() from exc

    def list(self, tenant_id: str, query: str | None, limit: int, cursor: str | None) -> tuple[list[Client], str | None]:
        pk = keys.tenant(tenant_id)
        start = decode_cursor(cursor, partition=("pk", pk))
        condition = ClientItem.search.contains(query.lower()) if query else None
        results = ClientItem.query(
            pk, ClientItem.sk.startswith("CLIENT#"), filter_condition=condition,
            limit=limit, last_evaluated_key=start,
        )
        clients = [_to_client(tenant_id, item) for item in results]
        next_key = results.last_evaluated_key if len(clients) == limit else None
        return clients, encode_cursor(next_key)

    def update(self, tenant_id: str, client_id: str, changes: dict[str, Any]) -> Client:
        """Apply field changes to an existing card (None clears a field)."""
        current = self.get(tenant_id, client_id)
        item = ClientItem(keys.tenant(tenant_id), keys.client(client_id))
        actions = []
        for name, value in changes.items():
            attribute = getattr(ClientItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        if "name" in changes:
            actions.append(ClientItem.search.set(_search_text(changes["name"], current.email)))
        if not actions:
            return current
        try:
            item.update(actions=actions, condition=ClientItem.pk.exists())
        except UpdateError as exc:
            raise NotFound() from exc
        return _to_client(tenant_id, item)

    def mark_invited(self, tenant_id: str, client_id: str, token_hash: str, expires_at: str, ttl: int) -> None:
        """Record a new invitation; an active client cannot be invited again."""
        pk = keys.tenant(tenant_id)
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(ClientItem(pk, keys.client(client_id)),
                          actions=[ClientItem.portal_access.set("invited")],
                          condition=ClientItem.pk.exists() & (ClientItem.portal_access != "active"))
                tx.save(InviteItem(keys.invite(token_hash), keys.INVITE, tenant_id=tenant_id, client_id=client_id,
                                   expires_at=expires_at, ttl=ttl),
                        condition=InviteItem.pk.does_not_exist())
        except TransactWriteError as exc:
            raise Conflict() from exc

    def find_invite(self, token_hash: str) -> InviteItem | None:
        try:
            return InviteItem.get(keys.invite(token_hash), keys.INVITE)
        except DoesNotExist:
            return None

    def activate(self, invite: InviteItem, sub: str, now: str) -> None:
        """Use the invitation once, mark the portal access active and map the login to the client."""
        pk = keys.tenant(invite.tenant_id)
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(invite, actions=[InviteItem.used_at.set(now)],
                          condition=InviteItem.used_at.does_not_exist() & (InviteItem.expires_at > now))
                tx.update(ClientItem(pk, keys.client(invite.client_id)),
                          actions=[ClientItem.portal_access.set("active"), ClientItem.sub.set(sub)],
                          condition=ClientItem.pk.exists() & (ClientItem.portal_access != "active"))
                tx.save(PrincipalItem(keys.principal(sub), keys.PRINCIPAL, tenant_id=invite.tenant_id,
                                      role="client", subject_id=invite.client_id),
                        condition=PrincipalItem.pk.does_not_exist())
        except TransactWriteError as exc:
            raise ValidationFailed(FieldError("token", "invalid_token")) from exc

    def activate_directly(self, tenant_id: str, client_id: str, sub: str) -> None:
        """Operator/seed path: give a client portal access without an invitation e-mail."""
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(ClientItem(keys.tenant(tenant_id), keys.client(client_id)),
                          actions=[ClientItem.portal_access.set("active"), ClientItem.sub.set(sub)],
                          condition=ClientItem.pk.exists())
                tx.save(PrincipalItem(keys.principal(sub), keys.PRINCIPAL, tenant_id=tenant_id,
                                      role="client", subject_id=client_id),
                        condition=PrincipalItem.pk.does_not_exist())
        except (TransactWriteError, PutError) as exc:
            raise Conflict() from exc
