"""What the client-card service needs of the store: cards, and the life of an invitation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.auth.principal import Membership, Person
    from chalicelib.clients.model import Client, Invitation

# How many invitation e-mails one client may get a day (Amsterdam's calendar day).
MAX_INVITES_PER_DAY = 3

CardChanges = dict[str, str | None]  # name, phone, city, language; None clears a field


class Clients(Protocol):
    """Client cards and their invitations."""

    def add(self, client: Client) -> None:
        """A new card; Conflict("email_taken") when the firm has a card with its address."""
        ...

    def get(self, tenant_id: str, client_id: str) -> Client:
        """NotFound for a card the firm does not have."""
        ...

    def search(self, tenant_id: str, query: str | None, limit: int,
               cursor: str | None) -> tuple[list[Client], str | None]:
        """A page of the firm's cards whose name or address contains `query`, and the next page's cursor.

        ValidationFailed (field `cursor`) for a cursor this search did not hand out.
        """
        ...

    def update_card(self, tenant_id: str, client_id: str, changes: CardChanges, now: str) -> Client:
        """The card with `changes`; a new phone number is stamped `phone_changed_at` (codes sent before it are void).

        NotFound for an unknown card.
        """
        ...

    def mark_invited(self, invitation: Invitation, now: datetime) -> None:
        """Record a new invitation, which makes every older one of the client unusable.

        Conflict("already_active") for a client with portal access; RateLimited("too_many_invitations")
        after MAX_INVITES_PER_DAY today.
        """
        ...

    def find_invite(self, token_hash: str) -> Invitation | None: ...

    def claim_invite(self, invitation: Invitation, now: str, until: str) -> None:
        """Hold the invitation for one activation until `until`, before any login is made.

        Conflict("login_exists") when its address has a login (nothing changes); ValidationFailed
        (`token`) when it is used, expired, superseded or held by another activation.
        """
        ...

    def release_invite(self, invitation: Invitation, until: str) -> None:
        """Give back our claim (the one held until `until`); nothing when it is no longer ours."""
        ...

    def complete_activation(self, invitation: Invitation, until: str, sub: str, membership: Membership) -> None:
        """Use the claimed invitation: the client active, the new login `sub` with its first membership.

        ValidationFailed (`token`) when the claim is lost or the address got a login meanwhile.
        """
        ...

    def accept_invite(self, invitation: Invitation, person: Person, membership: Membership) -> None:
        """Use the invitation for a person who has a login: one more membership.

        Conflict("already_a_member"), Conflict("request_in_progress") when the person changed since
        read, ValidationFailed (`token`) when the invitation is no longer usable.
        """
        ...

    def grant_access(self, client: Client, sub: str, membership: Membership) -> None:
        """Operator and demo path: portal access for login `sub` without an invitation, at once.

        NotFound for an unknown card; Conflict("already_a_member"), or Conflict when the login's
        records changed meanwhile.
        """
        ...
