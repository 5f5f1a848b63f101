"""One contract for the accounts repositories (firms, people, client cards, documents): the same tests
against the in-memory fakes (tests/fakes/accounts.py) and against DynamoDB on moto (chalicelib/store/).

Every test makes its own firms, cards and addresses, so the moto table the session shares is no
obstacle, and times are fixed arguments, never a clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.auth.principal import Membership
from chalicelib.clients.model import Client, Invitation
from chalicelib.clock import iso
from chalicelib.documents.model import PDF, Document
from chalicelib.errors import Conflict, NotFound, RateLimited, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.tenants.model import Advisor, Tenant

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam
AT = iso(NOW)


@pytest.fixture(params=["fake", "moto"])
def ports(request: pytest.FixtureRequest) -> Any:
    """The fakes' ports, or the composition root's real repositories on the session's moto."""
    if request.param == "fake":
        from tests.fakes import FakePorts

        return FakePorts()
    request.getfixturevalue("backend")
    from chalicelib import aws

    return aws.ports()


def at(minutes: float = 0, days: float = 0) -> str:
    return iso(NOW + timedelta(minutes=minutes, days=days))


def a_tenant(ports: Any, name: str = "Kantoor", features: frozenset[str] = frozenset()) -> Tenant:
    tenant = Tenant(id=f"t-{new_id()}", name=name, features=features)
    ports.tenants.add(tenant, created_at=AT)
    return tenant


def an_address() -> str:
    return f"iemand-{new_id().lower()}@example.com"


def an_advisor(ports: Any, tenant: Tenant, email: str | None = None, sub: str | None = None,
               created_at: str = AT) -> tuple[Advisor, str]:
    advisor = Advisor(id=new_id(), tenant_id=tenant.id, name="Adviseur", email=email or an_address())
    sub = sub or f"sub-{new_id()}"
    ports.tenants.add_advisor(advisor, sub=sub, firm=tenant.name, created_at=created_at)
    return advisor, sub


def a_card(ports: Any, tenant: Tenant, email: str | None = None, name: str = "Eva de Jong",
           phone: str | None = None) -> Client:
    client = Client(id=new_id(), tenant_id=tenant.id, name=name, email=email or an_address(), phone=phone,
                    city=None, language="nl", portal_access="none", created_at=AT)
    ports.clients.add(client)
    return client


def invited(ports: Any, client: Client, now: datetime = NOW) -> Invitation:
    invitation = Invitation(token_hash=new_id(), tenant_id=client.tenant_id, client_id=client.id, email=client.email,
                            expires_at=iso(now + timedelta(days=7)))
    ports.clients.mark_invited(invitation, now)
    return invitation


def as_client(client: Client, firm: str = "Kantoor", created_at: str = AT) -> Membership:
    return Membership(tenant_id=client.tenant_id, role="client", subject_id=client.id, firm=firm, created_at=created_at)


def token_error(refused: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in refused.value.errors]


# --- firms and advisors -------------------------------------------------------------------------

def test_a_firm_is_read_back_as_it_was_added(ports):
    tenant = a_tenant(ports, "Kantoor De Vries", frozenset({"signing"}))

    assert ports.tenants.get(tenant.id) == Tenant(id=tenant.id, name="Kantoor De Vries", features=frozenset({"signing"}),
                                                  sms_daily_budget=None)


def test_a_second_firm_with_the_same_id_is_a_conflict(ports):
    tenant = a_tenant(ports)

    with pytest.raises(Conflict):
        ports.tenants.add(replace(tenant, name="Ander"), created_at=AT)
    assert ports.tenants.get(tenant.id).name == "Kantoor"


def test_an_unknown_firm_is_not_found(ports):
    with pytest.raises(NotFound):
        ports.tenants.get(f"t-{new_id()}")


def test_features_are_replaced_and_may_be_emptied(ports):
    tenant = a_tenant(ports)

    ports.tenants.set_features(tenant.id, frozenset({"signing"}))
    assert ports.tenants.get(tenant.id).features == {"signing"}
    ports.tenants.set_features(tenant.id, frozenset())
    assert ports.tenants.get(tenant.id).features == frozenset()


def test_the_sms_budget_is_read_back(ports):
    tenant = a_tenant(ports)

    ports.tenants.set_sms_budget(tenant.id, 25)

    assert ports.tenants.get(tenant.id).sms_daily_budget == 25


def test_changing_an_unknown_firm_is_not_found_and_makes_none(ports):
    missing = f"t-{new_id()}"

    with pytest.raises(NotFound):
        ports.tenants.set_features(missing, frozenset({"signing"}))
    with pytest.raises(NotFound):
        ports.tenants.set_sms_budget(missing, 10)
    with pytest.raises(NotFound):
        ports.tenants.get(missing)


def test_an_advisor_with_a_new_login_is_stored_with_its_person_and_login(ports):
    tenant = a_tenant(ports)
    advisor, sub = an_advisor(ports, tenant)

    assert ports.tenants.get_advisor(tenant.id, advisor.id) == advisor
    assert ports.people.sub_for_email(advisor.email.upper()) == sub
    person = ports.people.find(sub)
    assert (person.email, person.revoked_before) == (advisor.email, 0)
    assert person.memberships == (Membership(tenant_id=tenant.id, role="advisor", subject_id=advisor.id,
                                             firm="Kantoor", created_at=AT),)


def test_an_advisor_of_a_second_firm_joins_the_person_and_memberships_come_oldest_first(ports):
    first, second = a_tenant(ports, "Eerste"), a_tenant(ports, "Tweede")
    later, sub = an_advisor(ports, second, created_at=at(minutes=5))

    earlier, _ = an_advisor(ports, first, email=later.email, sub=sub, created_at=at())

    assert [(m.tenant_id, m.subject_id) for m in ports.people.find(sub).memberships] == [
        (first.id, earlier.id), (second.id, later.id)]


def test_an_advisor_added_twice_to_one_firm_is_already_a_member(ports):
    tenant = a_tenant(ports)
    advisor, sub = an_advisor(ports, tenant)

    with pytest.raises(Conflict) as refused:
        an_advisor(ports, tenant, email=advisor.email, sub=sub)

    assert refused.value.message == "already_a_member"
    assert len(ports.people.find(sub).memberships) == 1


def test_an_advisor_whose_address_has_another_login_is_a_conflict_and_nothing_is_stored(ports):
    tenant, other = a_tenant(ports), a_tenant(ports)
    existing, _ = an_advisor(ports, tenant)
    advisor = Advisor(id=new_id(), tenant_id=other.id, name="Dubbel", email=existing.email)
    new_sub = f"sub-{new_id()}"

    with pytest.raises(Conflict):
        ports.tenants.add_advisor(advisor, sub=new_sub, firm=other.name, created_at=AT)

    with pytest.raises(NotFound):
        ports.tenants.get_advisor(other.id, advisor.id)
    assert ports.people.find(new_sub) is None


def test_an_unknown_advisor_is_not_found(ports):
    tenant = a_tenant(ports)

    with pytest.raises(NotFound):
        ports.tenants.get_advisor(tenant.id, new_id())


# --- people -------------------------------------------------------------------------------------

def test_an_unknown_login_has_no_person_and_an_unknown_address_no_login(ports):
    assert ports.people.find(f"sub-{new_id()}") is None
    assert ports.people.sub_for_email(an_address()) is None


def test_revoked_tokens_are_read_back_as_the_moment_before_which_tokens_are_refused(ports):
    _, sub = an_advisor(ports, a_tenant(ports))

    ports.people.revoke_tokens(sub, before=1_800_000_000)

    person = ports.people.find(sub)
    assert person.revoked_before == 1_800_000_000
    assert not person.accepts_token_issued_at(1_799_999_999) and person.accepts_token_issued_at(1_800_000_000)


def test_revoking_the_tokens_of_an_unknown_login_is_not_found(ports):
    with pytest.raises(NotFound):
        ports.people.revoke_tokens(f"sub-{new_id()}", before=1_800_000_000)


def test_failed_logins_within_the_window_are_counted_oldest_first(ports):
    email = an_address()
    for minutes in (0, 2, 4):
        moment = NOW + timedelta(minutes=minutes)
        ports.people.record_login_failure(email, moment, ports.people.login_failures(email, moment))

    failures = ports.people.login_failures(email.upper(), NOW + timedelta(minutes=5))

    assert failures.recent == tuple(NOW + timedelta(minutes=m) for m in (0, 2, 4))
    assert failures.seen == 3


def test_failures_out_of_the_window_no_longer_count_and_are_dropped_with_the_next(ports):
    email = an_address()
    ports.people.record_login_failure(email, NOW, ports.people.login_failures(email, NOW))
    later = NOW + timedelta(minutes=15)

    seen = ports.people.login_failures(email, later)
    assert (seen.recent, seen.seen) == ((), 1)
    ports.people.record_login_failure(email, later, seen)

    assert ports.people.login_failures(email, later) == type(seen)(recent=(later,), seen=1)


def test_a_failure_recorded_meanwhile_is_kept_beside_this_one(ports):
    email = an_address()
    stale = ports.people.login_failures(email, NOW)
    ports.people.record_login_failure(email, NOW, ports.people.login_failures(email, NOW))

    ports.people.record_login_failure(email, NOW + timedelta(seconds=1), stale)

    assert len(ports.people.login_failures(email, NOW + timedelta(seconds=2)).recent) == 2


def test_failures_of_one_address_are_not_another_addresses(ports):
    email = an_address()
    ports.people.record_login_failure(email, NOW, ports.people.login_failures(email, NOW))

    assert ports.people.login_failures(an_address(), NOW).recent == ()


# --- client cards -------------------------------------------------------------------------------

def test_a_card_is_read_back_as_it_was_added(ports):
    client = a_card(ports, a_tenant(ports), phone="+31612345678")

    assert ports.clients.get(client.tenant_id, client.id) == client


def test_a_second_card_with_the_address_in_any_case_is_email_taken(ports):
    tenant = a_tenant(ports)
    client = a_card(ports, tenant)

    with pytest.raises(Conflict) as refused:
        a_card(ports, tenant, email=client.email.upper())

    assert refused.value.message == "email_taken"


def test_another_firm_may_have_a_card_with_the_same_address(ports):
    client = a_card(ports, a_tenant(ports))

    assert a_card(ports, a_tenant(ports), email=client.email).email == client.email


def test_an_unknown_card_and_a_card_of_another_firm_are_not_found(ports):
    client = a_card(ports, a_tenant(ports))

    with pytest.raises(NotFound):
        ports.clients.get(client.tenant_id, new_id())
    with pytest.raises(NotFound):
        ports.clients.get(a_tenant(ports).id, client.id)


def test_search_finds_cards_by_part_of_name_or_address_in_any_case(ports):
    tenant = a_tenant(ports)
    jan = a_card(ports, tenant, name="Jan Jansen")
    piet = a_card(ports, tenant, name="Piet", email=f"piet-{new_id().lower()}@jansen.example")
    a_card(ports, tenant, name="Klaas Vaak")

    found, cursor = ports.clients.search(tenant.id, "JANSEN", 50, None)

    assert {c.id for c in found} == {jan.id, piet.id} and cursor is None


def test_search_pages_through_every_card_once(ports):
    tenant = a_tenant(ports)
    cards = {a_card(ports, tenant, name=f"Klant {n}").id for n in range(5)}

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page, cursor = ports.clients.search(tenant.id, None, 2, cursor)
        seen += [c.id for c in page]
        if cursor is None:
            break

    assert sorted(seen) == sorted(cards)


def test_search_refuses_a_cursor_of_another_firm(ports):
    tenant, other = a_tenant(ports), a_tenant(ports)
    for _ in range(2):
        a_card(ports, other)
    _, foreign = ports.clients.search(other.id, None, 1, None)

    with pytest.raises(ValidationFailed) as refused:
        ports.clients.search(tenant.id, None, 1, foreign)
    assert token_error(refused) == [("cursor", "invalid_cursor")]


def test_a_card_change_is_read_back_and_none_clears_a_field(ports):
    client = a_card(ports, a_tenant(ports))
    ports.clients.update_card(client.tenant_id, client.id, {"city": "Haarlem", "language": "en"}, AT)

    changed = ports.clients.update_card(client.tenant_id, client.id, {"city": None}, AT)

    assert (changed.city, changed.language) == (None, "en")
    assert ports.clients.get(client.tenant_id, client.id) == changed


def test_a_new_phone_is_stamped_and_the_same_phone_again_is_not(ports):
    client = a_card(ports, a_tenant(ports), phone="+31612345678")

    ports.clients.update_card(client.tenant_id, client.id, {"phone": "+31612345678"}, at(minutes=1))
    assert ports.clients.get(client.tenant_id, client.id).phone_changed_at is None
    ports.clients.update_card(client.tenant_id, client.id, {"phone": "+31687654321"}, at(minutes=2))
    assert ports.clients.get(client.tenant_id, client.id).phone_changed_at == at(minutes=2)


def test_a_new_name_is_found_by_search(ports):
    client = a_card(ports, a_tenant(ports))

    ports.clients.update_card(client.tenant_id, client.id, {"name": "Eva Bakker"}, AT)

    assert [c.id for c in ports.clients.search(client.tenant_id, "bakker", 50, None)[0]] == [client.id]


def test_changing_an_unknown_card_is_not_found(ports):
    with pytest.raises(NotFound):
        ports.clients.update_card(a_tenant(ports).id, new_id(), {"city": "Haarlem"}, AT)


# --- invitations --------------------------------------------------------------------------------

def test_an_invitation_is_found_by_its_hash_and_the_card_is_invited(ports):
    client = a_card(ports, a_tenant(ports))

    invitation = invited(ports, client)

    assert ports.clients.find_invite(invitation.token_hash) == invitation
    assert ports.clients.get(client.tenant_id, client.id).portal_access == "invited"
    assert ports.clients.find_invite(new_id()) is None


def test_a_fourth_invitation_in_one_amsterdam_day_is_rate_limited_until_midnight(ports):
    client = a_card(ports, a_tenant(ports))
    for _ in range(3):
        invited(ports, client)

    with pytest.raises(RateLimited) as refused:
        invited(ports, client)

    assert refused.value.message == "too_many_invitations"
    assert refused.value.retry_after == 13 * 3600 + 1


def test_the_daily_count_starts_again_on_the_next_amsterdam_day(ports):
    client = a_card(ports, a_tenant(ports))
    late = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam
    for _ in range(3):
        invited(ports, client, late)

    invitation = invited(ports, client, late + timedelta(hours=1))  # 00:30 the next day

    assert ports.clients.find_invite(invitation.token_hash) is not None


def test_an_active_client_cannot_be_invited(ports):
    client = a_card(ports, a_tenant(ports))
    ports.clients.grant_access(client, f"sub-{new_id()}", as_client(client))

    with pytest.raises(Conflict) as refused:
        invited(ports, client)
    assert refused.value.message == "already_active"


def test_a_claim_holds_the_invitation_against_another_claim_until_it_lapses(ports):
    invitation = invited(ports, a_card(ports, a_tenant(ports)))
    ports.clients.claim_invite(invitation, AT, at(minutes=2))

    with pytest.raises(ValidationFailed) as refused:
        ports.clients.claim_invite(invitation, at(minutes=1), at(minutes=3))

    assert token_error(refused) == [("token", "invalid_token")]
    ports.clients.claim_invite(invitation, at(minutes=2), at(minutes=4))
    assert ports.clients.find_invite(invitation.token_hash).claimed_until == at(minutes=4)


def test_a_superseded_invitation_cannot_be_claimed_but_the_newest_can(ports):
    client = a_card(ports, a_tenant(ports))
    older, newer = invited(ports, client), invited(ports, client)

    with pytest.raises(ValidationFailed):
        ports.clients.claim_invite(older, AT, at(minutes=2))
    ports.clients.claim_invite(newer, AT, at(minutes=2))


def test_an_expired_invitation_cannot_be_claimed(ports):
    invitation = invited(ports, a_card(ports, a_tenant(ports)))

    with pytest.raises(ValidationFailed):
        ports.clients.claim_invite(invitation, at(days=7), at(days=7, minutes=2))


def test_a_claim_for_an_address_with_a_login_is_login_exists_and_changes_nothing(ports):
    tenant = a_tenant(ports)
    advisor, _ = an_advisor(ports, a_tenant(ports))
    invitation = invited(ports, a_card(ports, tenant, email=advisor.email))

    with pytest.raises(Conflict) as refused:
        ports.clients.claim_invite(invitation, AT, at(minutes=2))

    assert refused.value.message == "login_exists"
    assert ports.clients.find_invite(invitation.token_hash).claimed_until is None


def test_a_released_claim_can_be_claimed_again_at_once(ports):
    invitation = invited(ports, a_card(ports, a_tenant(ports)))
    ports.clients.claim_invite(invitation, AT, at(minutes=2))

    ports.clients.release_invite(invitation, at(minutes=2))

    ports.clients.claim_invite(invitation, at(minutes=1), at(minutes=3))


def test_releasing_a_claim_that_is_no_longer_ours_leaves_the_new_holder_alone(ports):
    invitation = invited(ports, a_card(ports, a_tenant(ports)))
    ports.clients.claim_invite(invitation, AT, at(minutes=2))
    ports.clients.claim_invite(invitation, at(minutes=3), at(minutes=5))  # ours lapsed; another took it

    ports.clients.release_invite(invitation, at(minutes=2))

    assert ports.clients.find_invite(invitation.token_hash).claimed_until == at(minutes=5)


def test_completing_an_activation_makes_the_login_and_activates_the_client(ports):
    client = a_card(ports, a_tenant(ports))
    invitation = invited(ports, client)
    ports.clients.claim_invite(invitation, AT, at(minutes=2))
    sub = f"sub-{new_id()}"

    ports.clients.complete_activation(invitation, at(minutes=2), sub, as_client(client, created_at=at(minutes=1)))

    assert ports.people.sub_for_email(client.email) == sub
    assert ports.people.find(sub).memberships == (as_client(client, created_at=at(minutes=1)),)
    assert ports.clients.get(client.tenant_id, client.id).portal_access == "active"
    used = ports.clients.find_invite(invitation.token_hash)
    assert (used.used_at, used.claimed_until) == (at(minutes=1), None)


def test_completing_without_holding_the_claim_is_an_invalid_token_and_makes_no_login(ports):
    client = a_card(ports, a_tenant(ports))
    invitation = invited(ports, client)
    sub = f"sub-{new_id()}"

    with pytest.raises(ValidationFailed) as refused:
        ports.clients.complete_activation(invitation, at(minutes=2), sub, as_client(client))

    assert token_error(refused) == [("token", "invalid_token")]
    assert ports.people.find(sub) is None and ports.people.sub_for_email(client.email) is None


def test_completing_after_the_address_got_a_login_meanwhile_changes_nothing(ports):
    tenant = a_tenant(ports)
    client = a_card(ports, tenant)
    invitation = invited(ports, client)
    ports.clients.claim_invite(invitation, AT, at(minutes=2))
    _, first = an_advisor(ports, a_tenant(ports), email=client.email)

    with pytest.raises(ValidationFailed):
        ports.clients.complete_activation(invitation, at(minutes=2), f"sub-{new_id()}", as_client(client))

    assert ports.people.sub_for_email(client.email) == first
    assert ports.clients.get(client.tenant_id, client.id).portal_access == "invited"
    assert ports.clients.find_invite(invitation.token_hash).used_at is None


def test_accepting_adds_a_membership_activates_the_client_and_uses_the_invitation(ports):
    advisor, sub = an_advisor(ports, a_tenant(ports, "Eigen"))
    client = a_card(ports, a_tenant(ports), email=advisor.email)
    invitation = invited(ports, client)
    person = ports.people.find(sub)

    ports.clients.accept_invite(invitation, person, as_client(client, created_at=at(minutes=1)))

    assert [m.role for m in ports.people.find(sub).memberships] == ["advisor", "client"]
    assert ports.clients.get(client.tenant_id, client.id).portal_access == "active"
    assert ports.clients.find_invite(invitation.token_hash).used_at == at(minutes=1)
    with pytest.raises(ValidationFailed):
        ports.clients.accept_invite(invitation, ports.people.find(sub),
                                    as_client(replace(client, tenant_id=f"t-{new_id()}")))


def test_accepting_for_a_person_changed_since_it_was_read_is_a_request_in_progress(ports):
    advisor, sub = an_advisor(ports, a_tenant(ports))
    read = ports.people.find(sub)
    an_advisor(ports, a_tenant(ports), email=advisor.email, sub=sub)  # the person changes meanwhile
    client = a_card(ports, a_tenant(ports), email=advisor.email)
    invitation = invited(ports, client)

    with pytest.raises(Conflict) as refused:
        ports.clients.accept_invite(invitation, read, as_client(client))

    assert refused.value.message == "request_in_progress"
    assert ports.clients.find_invite(invitation.token_hash).used_at is None


def test_accepting_for_a_member_of_the_firm_already_is_already_a_member(ports):
    tenant = a_tenant(ports)
    advisor, sub = an_advisor(ports, tenant)
    client = a_card(ports, tenant, email=advisor.email)
    invitation = invited(ports, client)

    with pytest.raises(Conflict) as refused:
        ports.clients.accept_invite(invitation, ports.people.find(sub), as_client(client))
    assert refused.value.message == "already_a_member"


def test_granting_access_activates_the_card_and_makes_or_joins_the_login(ports):
    tenant = a_tenant(ports)
    new, known = a_card(ports, tenant), a_card(ports, tenant)
    _, sub = an_advisor(ports, a_tenant(ports), email=known.email)
    fresh_sub = f"sub-{new_id()}"

    ports.clients.grant_access(new, fresh_sub, as_client(new))
    ports.clients.grant_access(known, sub, as_client(known, created_at=at(minutes=1)))

    assert ports.people.sub_for_email(new.email) == fresh_sub
    assert [m.role for m in ports.people.find(sub).memberships] == ["advisor", "client"]
    assert {ports.clients.get(tenant.id, c.id).portal_access for c in (new, known)} == {"active"}


def test_granting_access_to_an_unknown_card_is_not_found_and_makes_no_login(ports):
    tenant = a_tenant(ports)
    ghost = Client(id=new_id(), tenant_id=tenant.id, name="Geest", email=an_address(), phone=None, city=None,
                   language="nl", portal_access="none", created_at=AT)
    sub = f"sub-{new_id()}"

    with pytest.raises(NotFound):
        ports.clients.grant_access(ghost, sub, as_client(ghost))
    assert ports.people.find(sub) is None


def test_granting_access_to_a_member_of_the_firm_already_is_already_a_member(ports):
    tenant = a_tenant(ports)
    advisor, sub = an_advisor(ports, tenant)
    client = a_card(ports, tenant, email=advisor.email)

    with pytest.raises(Conflict) as refused:
        ports.clients.grant_access(client, sub, as_client(client))
    assert refused.value.message == "already_a_member"
    assert ports.clients.get(tenant.id, client.id).portal_access == "none"


# --- documents ----------------------------------------------------------------------------------

def a_document(ports: Any, tenant_id: str | None = None) -> Document:
    tenant_id = tenant_id or f"t-{new_id()}"
    document_id = new_id()
    document = Document(id=document_id, tenant_id=tenant_id, filename="aangifte.pdf", content_type=PDF,
                        declared_size=1234, status="pending", s3_key=f"tenants/{tenant_id}/documents/{document_id}",
                        sha256=None, size=None, version_id=None)
    ports.documents.add(document, created_by="a1", created_at=AT)
    return document


def test_a_document_is_read_back_pending_as_it_was_added(ports):
    document = a_document(ports)

    assert ports.documents.get(document.tenant_id, document.id) == document


def test_a_second_document_with_the_same_id_is_a_conflict(ports):
    document = a_document(ports)

    with pytest.raises(Conflict):
        ports.documents.add(replace(document, filename="ander.pdf"), created_by="a1", created_at=AT)
    assert ports.documents.get(document.tenant_id, document.id).filename == "aangifte.pdf"


def test_an_unknown_document_and_one_of_another_firm_are_not_found(ports):
    document = a_document(ports)

    with pytest.raises(NotFound):
        ports.documents.get(document.tenant_id, new_id())
    with pytest.raises(NotFound):
        ports.documents.get(f"t-{new_id()}", document.id)


def test_marking_ready_fixes_the_fingerprint_size_and_version(ports):
    document = a_document(ports)

    ready = ports.documents.mark_ready(document.tenant_id, document.id, "ab" * 32, 1234, "v1")

    assert ready == replace(document, status="ready", sha256="ab" * 32, size=1234, version_id="v1")
    assert ports.documents.get(document.tenant_id, document.id) == ready


def test_a_document_without_a_version_is_ready_without_one(ports):
    document = a_document(ports)

    assert ports.documents.mark_ready(document.tenant_id, document.id, "ab" * 32, 1234, None).version_id is None


def test_a_ready_document_is_not_marked_ready_again(ports):
    document = a_document(ports)
    ports.documents.mark_ready(document.tenant_id, document.id, "ab" * 32, 1234, "v1")

    with pytest.raises(Conflict):
        ports.documents.mark_ready(document.tenant_id, document.id, "cd" * 32, 1234, "v2")
    assert ports.documents.get(document.tenant_id, document.id).sha256 == "ab" * 32


def test_marking_an_unknown_document_ready_is_not_found(ports):
    with pytest.raises(NotFound):
        ports.documents.mark_ready(f"t-{new_id()}", new_id(), "ab" * 32, 1234, "v1")
