"""The client card on fakes: create, find, change, invite, activate, accept, and the operator's direct access."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.clients import service as clients
from chalicelib.clock import iso
from chalicelib.errors import Conflict, DependencyFailed, Forbidden, NotFound, RateLimited, ValidationFailed
from chalicelib.tenants import service as tenants
from tests.fakes import FakePorts
from tests.fakes.accounts import ADVISOR_PASSWORD, a_firm

PASSWORD = "Klant-wachtwoord-2026!"


@pytest.fixture
def ports() -> FakePorts:
    return FakePorts()


@pytest.fixture
def advisor(ports: FakePorts) -> Principal:
    return a_firm(ports)


def card(ports: FakePorts, advisor: Principal, **fields: object) -> dict:
    return clients.create_client(ports, advisor, {"name": "Eva de Jong", "email": "eva@example.com", **fields})


def invite(ports: FakePorts, advisor: Principal, client: dict) -> str:
    """Invite the client; the token of the link in the e-mail."""
    clients.invite_client(ports, advisor, client["id"])
    _, email = ports.mailer.sent[-1]
    link = re.search(r'href="([^"]+)"', email.html).group(1).replace("&amp;", "&")
    return parse_qs(urlparse(link).query)["token"][0]


def activate(ports: FakePorts, token: str, password: str = PASSWORD) -> dict:
    return clients.activate(ports, {"token": token, "password": password})


def invitation_of(ports: FakePorts, client: dict):
    return next(i for i in ports.clients.invites.values() if i.client_id == client["id"])


def field_errors(refused: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in refused.value.errors}


# --- creating a card ----------------------------------------------------------------------------

def test_a_new_card_has_its_phone_in_e164_dutch_as_language_and_no_portal_access(ports, advisor):
    created = card(ports, advisor, phone="06 12345678", city="Haarlem")

    assert created["phone"] == "+31612345678"
    assert (created["language"], created["portal_access"], created["city"]) == ("nl", "none", "Haarlem")
    assert created["created_at"] == iso(ports.clock.now())
    assert ports.clients.get(advisor.tenant_id, created["id"]).email == "eva@example.com"


def test_a_card_may_be_in_english(ports, advisor):
    assert card(ports, advisor, language="en")["language"] == "en"


def test_an_unknown_language_is_refused(ports, advisor):
    with pytest.raises(ValidationFailed) as refused:
        card(ports, advisor, language="de")
    assert field_errors(refused) == {"language": "invalid_language"}


def test_a_phone_that_is_no_number_is_refused(ports, advisor):
    with pytest.raises(ValidationFailed) as refused:
        card(ports, advisor, phone="12")
    assert field_errors(refused) == {"phone": "invalid_phone"}


@pytest.mark.parametrize("phone", [None, ""])
def test_an_empty_phone_is_no_phone(ports, advisor, phone):
    assert card(ports, advisor, phone=phone)["phone"] is None


def test_a_blank_city_is_no_city(ports, advisor):
    assert card(ports, advisor, city="   ")["city"] is None


def test_the_address_is_stored_in_lower_case(ports, advisor):
    assert card(ports, advisor, email="Eva@Example.COM")["email"] == "eva@example.com"


def test_missing_name_and_address_are_each_named(ports, advisor):
    with pytest.raises(ValidationFailed) as refused:
        clients.create_client(ports, advisor, {})
    assert field_errors(refused) == {"name": "required", "email": "required"}


def test_an_address_that_is_no_address_is_refused(ports, advisor):
    with pytest.raises(ValidationFailed) as refused:
        card(ports, advisor, email="geen-adres")
    assert field_errors(refused) == {"email": "invalid_email"}


def test_a_second_card_with_the_same_address_is_a_conflict_in_any_case(ports, advisor):
    card(ports, advisor)

    with pytest.raises(Conflict) as refused:
        card(ports, advisor, name="Dubbel", email="EVA@example.com")
    assert refused.value.message == "email_taken"


def test_two_firms_may_each_have_a_card_for_one_address(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    card(ports, advisor)

    assert card(ports, other)["email"] == "eva@example.com"


# --- finding cards ------------------------------------------------------------------------------

def test_the_list_finds_cards_by_part_of_the_name_or_address_in_any_case(ports, advisor):
    card(ports, advisor, name="Jan Jansen", email="jan@example.com")
    card(ports, advisor, name="Piet Pieters", email="piet@jansen.example")
    card(ports, advisor, name="Klaas Vaak", email="klaas@example.com")

    by_name = clients.list_clients(ports, advisor, "JANS", None, None)
    everyone = clients.list_clients(ports, advisor, "  ", None, None)

    assert sorted(c["name"] for c in by_name["items"]) == ["Jan Jansen", "Piet Pieters"]
    assert len(everyone["items"]) == 3 and everyone["next_cursor"] is None


def test_the_list_pages_with_a_cursor(ports, advisor):
    for number in range(5):
        card(ports, advisor, name=f"Klant {number}", email=f"klant{number}@example.com")

    first = clients.list_clients(ports, advisor, None, "2", None)
    second = clients.list_clients(ports, advisor, None, "2", first["next_cursor"])
    third = clients.list_clients(ports, advisor, None, "2", second["next_cursor"])

    names = [c["name"] for page in (first, second, third) for c in page["items"]]
    assert [len(page["items"]) for page in (first, second, third)] == [2, 2, 1]
    assert sorted(names) == [f"Klant {n}" for n in range(5)], "each card once"
    assert third["next_cursor"] is None


def test_a_firm_lists_only_its_own_cards(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    card(ports, other)

    assert clients.list_clients(ports, advisor, None, None, None)["items"] == []


@pytest.mark.parametrize("limit", ["0", "201", "x", "-1", "²"])
def test_a_limit_out_of_range_is_refused(ports, advisor, limit):
    with pytest.raises(ValidationFailed) as refused:
        clients.list_clients(ports, advisor, None, limit, None)
    assert field_errors(refused) == {"limit": "invalid_limit"}


def test_a_cursor_of_another_firm_is_refused(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    for number in range(2):
        card(ports, other, email=f"klant{number}@example.com")
    foreign = clients.list_clients(ports, other, None, "1", None)["next_cursor"]

    with pytest.raises(ValidationFailed) as refused:
        clients.list_clients(ports, advisor, None, "1", foreign)
    assert field_errors(refused) == {"cursor": "invalid_cursor"}


def test_a_cursor_that_is_no_cursor_is_refused(ports, advisor):
    with pytest.raises(ValidationFailed) as refused:
        clients.list_clients(ports, advisor, None, None, "bm9uc2Vuc2U=")
    assert field_errors(refused) == {"cursor": "invalid_cursor"}


# --- changing a card ----------------------------------------------------------------------------

def test_a_new_phone_is_normalised_and_stamps_when_it_changed(ports, advisor):
    created = card(ports, advisor, phone="+31612345678")
    ports.clock.advance(hours=1)

    changed = clients.update_client(ports, advisor, created["id"], {"phone": "06-87654321"})

    assert changed["phone"] == "+31687654321"
    assert ports.clients.get(advisor.tenant_id, created["id"]).phone_changed_at == iso(ports.clock.now())


def test_the_same_phone_again_is_no_change_of_phone(ports, advisor):
    created = card(ports, advisor, phone="+31612345678")

    clients.update_client(ports, advisor, created["id"], {"phone": "06 12345678"})

    assert ports.clients.get(advisor.tenant_id, created["id"]).phone_changed_at is None


@pytest.mark.parametrize("cleared", [None, ""])
def test_clearing_the_phone_removes_it_and_stamps_the_change(ports, advisor, cleared):
    created = card(ports, advisor, phone="+31612345678")

    changed = clients.update_client(ports, advisor, created["id"], {"phone": cleared})

    assert changed["phone"] is None
    assert ports.clients.get(advisor.tenant_id, created["id"]).phone_changed_at is not None


def test_only_the_fields_in_the_body_change(ports, advisor):
    created = card(ports, advisor, phone="+31612345678", city="Haarlem", language="en")

    changed = clients.update_client(ports, advisor, created["id"], {"city": "Leiden"})

    assert (changed["city"], changed["phone"], changed["language"], changed["name"]) == (
        "Leiden", "+31612345678", "en", "Eva de Jong")


def test_a_new_name_is_found_by_the_search(ports, advisor):
    created = card(ports, advisor)

    clients.update_client(ports, advisor, created["id"], {"name": "Eva Bakker"})

    assert [c["id"] for c in clients.list_clients(ports, advisor, "bakker", None, None)["items"]] == [created["id"]]


def test_an_empty_change_leaves_the_card_as_it_was(ports, advisor):
    created = card(ports, advisor)

    assert clients.update_client(ports, advisor, created["id"], {}) == created


def test_a_bad_change_is_refused_and_changes_nothing(ports, advisor):
    created = card(ports, advisor)

    with pytest.raises(ValidationFailed) as refused:
        clients.update_client(ports, advisor, created["id"], {"city": "Leiden", "phone": "12", "language": "fr"})

    assert field_errors(refused) == {"phone": "invalid_phone", "language": "invalid_language"}
    assert ports.clients.get(advisor.tenant_id, created["id"]).city is None


def test_changing_an_unknown_card_is_not_found(ports, advisor):
    with pytest.raises(NotFound):
        clients.update_client(ports, advisor, "onbekend", {"city": "Leiden"})


def test_a_card_of_another_firm_cannot_be_changed(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    foreign = card(ports, other)

    with pytest.raises(NotFound):
        clients.update_client(ports, advisor, foreign["id"], {"city": "Leiden"})


# --- inviting -----------------------------------------------------------------------------------

def test_an_invitation_emails_a_one_time_link_valid_for_seven_days(ports, advisor):
    created = card(ports, advisor)

    answer = clients.invite_client(ports, advisor, created["id"])

    assert answer == {"status": "invited", "expires_at": iso(ports.clock.now() + timedelta(days=7))}
    (to, email), = ports.mailer.sent
    assert to == "eva@example.com" and "Kantoor De Vries" in email.subject
    assert "https://portal.example/activate?token=" in email.text
    assert ports.clients.get(advisor.tenant_id, created["id"]).portal_access == "invited"


def test_the_link_is_stored_only_as_its_hash(ports, advisor):
    created = card(ports, advisor)
    token = invite(ports, advisor, created)

    assert token not in ports.clients.invites
    assert invitation_of(ports, created).token_hash == clients._hash(token)


def test_an_english_card_gets_an_english_invitation(ports, advisor):
    created = card(ports, advisor, language="en")

    clients.invite_client(ports, advisor, created["id"])

    assert "invitation" in ports.mailer.sent[0][1].subject.lower()


def test_at_most_three_invitations_a_day_until_midnight_in_amsterdam(ports, advisor):
    created = card(ports, advisor)
    for _ in range(3):
        clients.invite_client(ports, advisor, created["id"])

    with pytest.raises(RateLimited) as refused:
        clients.invite_client(ports, advisor, created["id"])

    assert refused.value.message == "too_many_invitations"
    assert refused.value.retry_after == 13 * 3600 + 1  # 10:00 UTC is 11:00 in Amsterdam in December
    assert len(ports.mailer.sent) == 3


def test_the_next_day_brings_three_invitations_more(ports, advisor):
    created = card(ports, advisor)
    for _ in range(3):
        clients.invite_client(ports, advisor, created["id"])
    ports.clock.advance(days=1)

    assert clients.invite_client(ports, advisor, created["id"])["status"] == "invited"


def test_the_daily_limit_is_per_client(ports, advisor):
    first, second = card(ports, advisor), card(ports, advisor, email="tweede@example.com")
    for _ in range(3):
        clients.invite_client(ports, advisor, first["id"])

    assert clients.invite_client(ports, advisor, second["id"])["status"] == "invited"


def test_an_active_client_is_not_invited_again(ports, advisor):
    created = card(ports, advisor)
    activate(ports, invite(ports, advisor, created))

    with pytest.raises(Conflict) as refused:
        clients.invite_client(ports, advisor, created["id"])

    assert refused.value.message == "already_active"
    assert len(ports.mailer.sent) == 1


def test_inviting_an_unknown_card_is_not_found_and_sends_nothing(ports, advisor):
    with pytest.raises(NotFound):
        clients.invite_client(ports, advisor, "onbekend")
    assert ports.mailer.sent == []


# --- activating ---------------------------------------------------------------------------------

def test_activating_makes_a_login_with_the_chosen_password_and_a_client_membership(ports, advisor):
    created = card(ports, advisor)

    assert activate(ports, invite(ports, advisor, created)) == {"status": "active"}

    sub = ports.people.sub_for_email("eva@example.com")
    person = ports.people.find(sub)
    assert [(m.tenant_id, m.role, m.subject_id, m.firm) for m in person.memberships] == [
        (advisor.tenant_id, "client", created["id"], "Kantoor De Vries")]
    assert ports.identity.users["eva@example.com"] == (PASSWORD, sub)
    assert ports.clients.get(advisor.tenant_id, created["id"]).portal_access == "active"
    assert invitation_of(ports, created).used_at == iso(ports.clock.now())


@pytest.mark.parametrize("weak", ["Kort-1!", "zonder-hoofdletter-2026!", "ZONDER-KLEINE-2026!", "Zonder-cijfers-hier!",
                                  "ZonderSymbool2026"])
def test_a_password_weaker_than_the_pools_policy_is_refused_and_the_link_stays_usable(ports, advisor, weak):
    created = card(ports, advisor)
    token = invite(ports, advisor, created)

    with pytest.raises(ValidationFailed) as refused:
        activate(ports, token, weak)

    assert field_errors(refused) == {"password": "weak_password"}
    assert ports.identity.users == {"adviseur@devries.example": ports.identity.users["adviseur@devries.example"]}
    assert activate(ports, token) == {"status": "active"}


def test_activation_names_a_missing_token_and_password(ports):
    with pytest.raises(ValidationFailed) as refused:
        clients.activate(ports, {})
    assert field_errors(refused) == {"token": "required", "password": "required"}


def test_an_unknown_token_is_an_invalid_token(ports, advisor):
    with pytest.raises(ValidationFailed) as refused:
        activate(ports, "niet-uitgegeven")
    assert field_errors(refused) == {"token": "invalid_token"}


def test_a_used_token_is_an_invalid_token(ports, advisor):
    token = invite(ports, advisor, card(ports, advisor))
    activate(ports, token)

    with pytest.raises(ValidationFailed) as refused:
        activate(ports, token, "Ander-wachtwoord-2026!")
    assert field_errors(refused) == {"token": "invalid_token"}


def test_an_expired_token_is_an_invalid_token(ports, advisor):
    token = invite(ports, advisor, card(ports, advisor))
    ports.clock.advance(days=7)

    with pytest.raises(ValidationFailed) as refused:
        activate(ports, token)
    assert field_errors(refused) == {"token": "invalid_token"}


def test_a_token_still_works_just_before_it_expires(ports, advisor):
    token = invite(ports, advisor, card(ports, advisor))
    ports.clock.advance(days=7, seconds=-1)

    assert activate(ports, token) == {"status": "active"}


def test_a_new_invitation_makes_the_older_link_an_invalid_token(ports, advisor):
    created = card(ports, advisor)
    first = invite(ports, advisor, created)
    second = invite(ports, advisor, created)

    with pytest.raises(ValidationFailed) as refused:
        activate(ports, first)

    assert field_errors(refused) == {"token": "invalid_token"}
    assert ports.people.sub_for_email("eva@example.com") is None
    assert activate(ports, second) == {"status": "active"}


def test_an_address_with_a_login_is_a_conflict_and_nothing_changes(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    created = card(ports, other, email="adviseur@devries.example")
    token = invite(ports, other, created)

    with pytest.raises(Conflict) as refused:
        activate(ports, token, "Overgenomen-2026!!")

    assert refused.value.message == "login_exists"
    assert ports.identity.users["adviseur@devries.example"][0] == ADVISOR_PASSWORD
    assert invitation_of(ports, created).claimed_until is None and invitation_of(ports, created).used_at is None
    assert ports.clients.get(other.tenant_id, created["id"]).portal_access == "invited"
    assert [m.tenant_id for m in ports.people.find(advisor.sub).memberships] == [advisor.tenant_id]


def test_an_identity_failure_after_the_claim_releases_it_and_leaves_no_login(ports, advisor):
    created = card(ports, advisor)
    token = invite(ports, advisor, created)
    ports.identity.fail_next()

    with pytest.raises(DependencyFailed):
        activate(ports, token)

    assert "eva@example.com" not in ports.identity.users
    assert invitation_of(ports, created).claimed_until is None
    assert activate(ports, token) == {"status": "active"}, "the link can be tried again at once"


def test_a_store_failure_after_the_login_deletes_the_login_and_releases_the_claim(ports, advisor, monkeypatch):
    created = card(ports, advisor)
    token = invite(ports, advisor, created)

    def broken(*args: object) -> None:
        raise DependencyFailed()

    monkeypatch.setattr(ports.clients, "complete_activation", broken)
    with pytest.raises(DependencyFailed):
        activate(ports, token)
    monkeypatch.undo()

    assert "eva@example.com" not in ports.identity.users
    assert invitation_of(ports, created).claimed_until is None
    assert activate(ports, token) == {"status": "active"}


def test_a_completion_that_landed_but_whose_answer_was_lost_keeps_the_login(ports, advisor, monkeypatch):
    created = card(ports, advisor)
    token = invite(ports, advisor, created)
    complete = ports.clients.complete_activation

    def landed_then_timed_out(*args: object) -> None:
        complete(*args)
        raise DependencyFailed()

    monkeypatch.setattr(ports.clients, "complete_activation", landed_then_timed_out)

    assert activate(ports, token) == {"status": "active"}
    assert "eva@example.com" in ports.identity.users
    assert invitation_of(ports, created).used_at is not None


def test_an_activation_under_way_holds_the_link_until_its_hold_lapses(ports, advisor):
    created = card(ports, advisor)
    token = invite(ports, advisor, created)
    invitation = invitation_of(ports, created)
    now = ports.clock.now()
    ports.clients.claim_invite(invitation, iso(now), iso(now + clients.ACTIVATION_HOLD))

    with pytest.raises(ValidationFailed):
        activate(ports, token)
    ports.clock.advance(seconds=clients.ACTIVATION_HOLD.total_seconds())
    assert activate(ports, token) == {"status": "active"}


# --- accepting while logged in ------------------------------------------------------------------

def test_a_person_with_a_login_accepts_an_invitation_and_gains_a_membership(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    ports.clock.advance(minutes=1)
    created = card(ports, other, email="adviseur@devries.example")
    token = invite(ports, other, created)

    answer = clients.accept_invite(ports, advisor, {"token": token})

    assert [(m["tenant_id"], m["role"]) for m in answer["memberships"]] == [
        (advisor.tenant_id, "advisor"), (other.tenant_id, "client")]
    assert [m.tenant_id for m in ports.people.find(advisor.sub).memberships] == [advisor.tenant_id, other.tenant_id]
    assert ports.clients.get(other.tenant_id, created["id"]).portal_access == "active"
    assert ports.identity.users["adviseur@devries.example"][0] == ADVISOR_PASSWORD


def test_an_accepted_invitation_is_used_up(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    token = invite(ports, other, card(ports, other, email="adviseur@devries.example"))
    clients.accept_invite(ports, advisor, {"token": token})

    with pytest.raises(ValidationFailed) as refused:
        clients.accept_invite(ports, advisor, {"token": token})
    assert field_errors(refused) == {"token": "invalid_token"}


def test_an_invitation_for_another_address_is_forbidden_and_stays_usable(ports, advisor):
    created = card(ports, advisor)
    token = invite(ports, advisor, created)
    someone = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")

    with pytest.raises(Forbidden) as refused:
        clients.accept_invite(ports, someone, {"token": token})

    assert refused.value.message == "invitation_for_another"
    assert activate(ports, token) == {"status": "active"}


def test_a_login_without_a_person_cannot_accept(ports, advisor):
    token = invite(ports, advisor, card(ports, advisor))
    stranger = Principal(sub="onbekend", tenant_id=advisor.tenant_id, role="client", subject_id="x")

    with pytest.raises(Forbidden):
        clients.accept_invite(ports, stranger, {"token": token})


def test_a_member_of_the_firm_already_is_a_conflict(ports, advisor):
    created = card(ports, advisor, email="adviseur@devries.example")
    token = invite(ports, advisor, created)

    with pytest.raises(Conflict) as refused:
        clients.accept_invite(ports, advisor, {"token": token})

    assert refused.value.message == "already_a_member"
    assert invitation_of(ports, created).used_at is None


def test_accepting_an_unknown_or_expired_token_is_an_invalid_token(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    token = invite(ports, other, card(ports, other, email="adviseur@devries.example"))
    ports.clock.advance(days=8)

    for attempt in (token, "niet-uitgegeven"):
        with pytest.raises(ValidationFailed) as refused:
            clients.accept_invite(ports, advisor, {"token": attempt})
        assert field_errors(refused) == {"token": "invalid_token"}


def test_accepting_names_a_missing_token(ports, advisor):
    with pytest.raises(ValidationFailed) as refused:
        clients.accept_invite(ports, advisor, {})
    assert field_errors(refused) == {"token": "required"}


# --- the operator's direct access ---------------------------------------------------------------

def test_direct_access_gives_a_new_address_a_login_and_the_client_membership(ports, advisor):
    created = card(ports, advisor)

    clients.grant_access_directly(ports, advisor.tenant_id, created["id"], PASSWORD)

    sub = ports.people.sub_for_email("eva@example.com")
    assert ports.identity.users["eva@example.com"] == (PASSWORD, sub)
    assert [(m.role, m.subject_id) for m in ports.people.find(sub).memberships] == [("client", created["id"])]
    assert ports.clients.get(advisor.tenant_id, created["id"]).portal_access == "active"


def test_direct_access_for_an_address_with_a_login_keeps_its_password(ports, advisor):
    other = a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    created = card(ports, other, email="adviseur@devries.example")

    clients.grant_access_directly(ports, other.tenant_id, created["id"], "Nieuw-wachtwoord-2026!")

    assert ports.identity.users["adviseur@devries.example"][0] == ADVISOR_PASSWORD
    assert {m.tenant_id for m in ports.people.find(advisor.sub).memberships} == {advisor.tenant_id, other.tenant_id}


def test_direct_access_to_an_unknown_card_is_not_found_and_makes_no_login(ports, advisor):
    with pytest.raises(NotFound):
        clients.grant_access_directly(ports, advisor.tenant_id, "onbekend", PASSWORD)
    assert list(ports.identity.users) == ["adviseur@devries.example"]


def test_direct_access_that_cannot_be_stored_undoes_the_login_it_made(ports, advisor, monkeypatch):
    created = card(ports, advisor)

    def broken(*args: object) -> None:
        raise DependencyFailed()

    monkeypatch.setattr(ports.clients, "grant_access", broken)
    with pytest.raises(DependencyFailed):
        clients.grant_access_directly(ports, advisor.tenant_id, created["id"], PASSWORD)

    assert "eva@example.com" not in ports.identity.users


def test_direct_access_that_cannot_be_stored_keeps_a_login_that_was_there(ports, advisor):
    created = card(ports, advisor, email="adviseur@devries.example")

    with pytest.raises(Conflict):
        clients.grant_access_directly(ports, advisor.tenant_id, created["id"], PASSWORD)

    assert ports.identity.users["adviseur@devries.example"][0] == ADVISOR_PASSWORD


def test_direct_access_in_a_firm_that_does_not_exist_makes_no_login(ports, advisor):
    created = card(ports, advisor)
    del ports.tenants.firms[advisor.tenant_id]

    with pytest.raises(NotFound):
        clients.grant_access_directly(ports, advisor.tenant_id, created["id"], PASSWORD)
    assert "eva@example.com" not in ports.identity.users


# --- the password policy ------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "meets"), [
    ("Klant-wachtwoord-2026!", True), ("Aa1!aaaaaaaa", True), ("Aa1!aaaaaaa", False), ("aa1!aaaaaaaa", False),
    ("AA1!AAAAAAAA", False), ("Aa!aaaaaaaaa", False), ("Aa1aaaaaaaaa", False), ("Aa1 aaaaaaaa", True),
])
def test_the_password_policy_is_the_pools(password, meets):
    assert clients.password_meets_policy(password) is meets


def test_an_operator_made_firm_is_invited_in_its_own_name(ports):
    tenant = tenants.create_tenant(ports, "Jansen & Co")
    advisor_record = tenants.add_advisor(ports, tenant.id, "Jan", "jan@jansen.example", ADVISOR_PASSWORD)
    principal = Principal(sub="s", tenant_id=tenant.id, role="advisor", subject_id=advisor_record.id)

    clients.invite_client(ports, principal, card(ports, principal)["id"])

    assert "Jansen & Co" in ports.mailer.sent[0][1].subject
