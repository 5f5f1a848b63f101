"""The operator's firm actions on fakes: create, features, advisors, the SMS budget; and the advisor's profile."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, DependencyFailed, NotFound, ValidationFailed
from chalicelib.tenants import service as tenants
from chalicelib.tenants.model import SIGNING
from tests.fakes import FakePorts
from tests.fakes.accounts import ADVISOR_PASSWORD, a_firm


@pytest.fixture
def ports() -> FakePorts:
    return FakePorts()


def field_errors(refused: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in refused.value.errors}


# --- firms --------------------------------------------------------------------------------------

def test_a_new_firm_has_the_features_it_was_given(ports):
    tenant = tenants.create_tenant(ports, "Kantoor", frozenset({SIGNING}))

    assert ports.tenants.get(tenant.id).features == {SIGNING}
    assert tenants.create_tenant(ports, "Basis").features == frozenset()


def test_a_firm_may_be_created_with_its_own_id(ports):
    assert tenants.create_tenant(ports, "Kantoor", tenant_id="kantoor-1").id == "kantoor-1"


def test_a_second_firm_with_the_same_id_is_a_conflict(ports):
    tenants.create_tenant(ports, "Kantoor", tenant_id="kantoor-1")

    with pytest.raises(Conflict):
        tenants.create_tenant(ports, "Ander", tenant_id="kantoor-1")
    assert ports.tenants.get("kantoor-1").name == "Kantoor"


def test_an_unknown_feature_is_refused_and_no_firm_is_made(ports):
    with pytest.raises(ValidationFailed) as refused:
        tenants.create_tenant(ports, "Kantoor", frozenset({"telepathie", "vliegen"}))

    assert field_errors(refused) == {"features": "unknown_feature"}
    assert refused.value.errors[0].params == {"names": "telepathie, vliegen"}
    assert ports.tenants.firms == {}


def test_signing_is_switched_on_and_off(ports):
    tenant = tenants.create_tenant(ports, "Kantoor")

    assert tenants.set_feature(ports, tenant.id, SIGNING, True).features == {SIGNING}
    assert tenants.set_feature(ports, tenant.id, SIGNING, True).features == {SIGNING}, "on twice is on"
    assert tenants.set_feature(ports, tenant.id, SIGNING, False).features == frozenset()


def test_switching_an_unknown_feature_is_refused(ports):
    tenant = tenants.create_tenant(ports, "Kantoor")

    with pytest.raises(ValidationFailed):
        tenants.set_feature(ports, tenant.id, "telepathie", True)


def test_switching_a_feature_of_an_unknown_firm_is_not_found(ports):
    with pytest.raises(NotFound):
        tenants.set_feature(ports, "onbekend", SIGNING, True)


@pytest.mark.parametrize("budget", [0, 1, 500, tenants.MAX_SMS_BUDGET])
def test_a_daily_sms_budget_within_bounds_is_set(ports, budget):
    tenant = tenants.create_tenant(ports, "Kantoor", frozenset({SIGNING}))

    assert tenants.set_sms_budget(ports, tenant.id, budget).sms_daily_budget == budget


@pytest.mark.parametrize("budget", [-1, tenants.MAX_SMS_BUDGET + 1])
def test_a_daily_sms_budget_out_of_bounds_is_refused_and_changes_nothing(ports, budget):
    tenant = tenants.create_tenant(ports, "Kantoor", frozenset({SIGNING}))

    with pytest.raises(ValidationFailed) as refused:
        tenants.set_sms_budget(ports, tenant.id, budget)

    assert field_errors(refused) == {"budget": "invalid_sms_budget"}
    assert refused.value.errors[0].params == {"max": tenants.MAX_SMS_BUDGET}
    assert ports.tenants.get(tenant.id).sms_daily_budget is None


def test_the_sms_budget_of_an_unknown_firm_is_not_found(ports):
    with pytest.raises(NotFound):
        tenants.set_sms_budget(ports, "onbekend", 10)


# --- advisors -----------------------------------------------------------------------------------

def test_a_new_address_gets_a_login_with_the_password_and_an_advisor_membership(ports):
    tenant = tenants.create_tenant(ports, "Kantoor")

    advisor = tenants.add_advisor(ports, tenant.id, "Anna", "Anna@Kantoor.Example", ADVISOR_PASSWORD)

    assert advisor.email == "anna@kantoor.example"
    sub = ports.people.sub_for_email("anna@kantoor.example")
    assert ports.identity.users["anna@kantoor.example"] == (ADVISOR_PASSWORD, sub)
    assert [(m.tenant_id, m.role, m.subject_id, m.firm) for m in ports.people.find(sub).memberships] == [
        (tenant.id, "advisor", advisor.id, "Kantoor")]
    assert ports.tenants.get_advisor(tenant.id, advisor.id) == advisor


def test_a_new_address_without_a_password_is_refused_and_gets_no_login(ports):
    tenant = tenants.create_tenant(ports, "Kantoor")

    with pytest.raises(ValidationFailed) as refused:
        tenants.add_advisor(ports, tenant.id, "Anna", "anna@kantoor.example", None)

    assert field_errors(refused) == {"password": "required"}
    assert ports.identity.users == {}


def test_an_address_with_a_login_keeps_its_password_and_gains_a_membership(ports):
    home = a_firm(ports)
    other = tenants.create_tenant(ports, "Tweede Kantoor")
    ports.clock.advance(minutes=1)

    tenants.add_advisor(ports, other.id, "Zelfde", "adviseur@devries.example", "Nieuw-wachtwoord-2026!")

    assert ports.identity.users["adviseur@devries.example"][0] == ADVISOR_PASSWORD
    assert [m.tenant_id for m in ports.people.find(home.sub).memberships] == [home.tenant_id, other.id]


def test_a_client_login_may_become_an_advisor_of_another_firm_without_a_password(ports):
    from chalicelib.clients import service as clients

    home = a_firm(ports)
    card = clients.create_client(ports, home, {"name": "Eva", "email": "eva@example.com"})
    clients.grant_access_directly(ports, home.tenant_id, card["id"], "Klant-wachtwoord-2026!")
    other = tenants.create_tenant(ports, "Tweede Kantoor")

    tenants.add_advisor(ports, other.id, "Eva", "eva@example.com", None)

    roles = {m.tenant_id: m.role for m in ports.people.find(ports.people.sub_for_email("eva@example.com")).memberships}
    assert roles == {home.tenant_id: "client", other.id: "advisor"}


def test_adding_a_member_of_the_firm_again_is_a_conflict(ports):
    home = a_firm(ports)

    with pytest.raises(Conflict) as refused:
        tenants.add_advisor(ports, home.tenant_id, "Nogmaals", "adviseur@devries.example", None)

    assert refused.value.message == "already_a_member"
    assert len(ports.tenants.advisors) == 1


def test_an_advisor_of_an_unknown_firm_is_not_found_and_gets_no_login(ports):
    with pytest.raises(NotFound):
        tenants.add_advisor(ports, "onbekend", "Anna", "anna@kantoor.example", ADVISOR_PASSWORD)
    assert ports.identity.users == {}


def test_an_advisor_that_cannot_be_stored_leaves_no_new_login(ports, monkeypatch):
    tenant = tenants.create_tenant(ports, "Kantoor")

    def broken(*args: object, **kwargs: object) -> None:
        raise DependencyFailed()

    monkeypatch.setattr(ports.tenants, "add_advisor", broken)
    with pytest.raises(DependencyFailed):
        tenants.add_advisor(ports, tenant.id, "Anna", "anna@kantoor.example", ADVISOR_PASSWORD)

    assert ports.identity.users == {}


def test_an_advisor_that_cannot_be_stored_keeps_a_login_that_was_there(ports, monkeypatch):
    home = a_firm(ports)
    other = tenants.create_tenant(ports, "Tweede Kantoor")

    def broken(*args: object, **kwargs: object) -> None:
        raise DependencyFailed()

    monkeypatch.setattr(ports.tenants, "add_advisor", broken)
    with pytest.raises(DependencyFailed):
        tenants.add_advisor(ports, other.id, "Zelfde", "adviseur@devries.example", None)

    assert ports.identity.users["adviseur@devries.example"][0] == ADVISOR_PASSWORD
    assert [m.tenant_id for m in ports.people.find(home.sub).memberships] == [home.tenant_id]


def test_a_failing_identity_provider_stores_no_advisor(ports):
    tenant = tenants.create_tenant(ports, "Kantoor")
    ports.identity.fail_next()

    with pytest.raises(DependencyFailed):
        tenants.add_advisor(ports, tenant.id, "Anna", "anna@kantoor.example", ADVISOR_PASSWORD)

    assert ports.tenants.advisors == {} and ports.people.persons == {}


# --- the advisor's profile ----------------------------------------------------------------------

def test_the_profile_names_the_advisor_and_what_the_firm_may_do(ports):
    advisor = a_firm(ports)

    assert tenants.advisor_profile(ports, advisor) == {
        "advisor": {"id": advisor.subject_id, "name": "Adviseur", "email": "adviseur@devries.example"},
        "firm": {"id": advisor.tenant_id, "name": "Kantoor De Vries", "features": [SIGNING]},
    }


def test_the_profile_of_an_advisor_the_firm_does_not_have_is_not_found(ports):
    from dataclasses import replace

    advisor = a_firm(ports)

    with pytest.raises(NotFound):
        tenants.advisor_profile(ports, replace(advisor, subject_id="onbekend"))
