"""One person, one login: invitations never touch an existing login; memberships, X-Firm, logout, throttling."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib import aws
from chalicelib.clock import FixedClock, SystemClock
from chalicelib.config import get_settings
from chalicelib.ids import new_id
from chalicelib.tenants import service as tenants
from chalicelib.tenants.model import SIGNING
from tests.conftest import Api, emails_to

PASSWORD = "Adviseur-test-2026!"


def _new_firm(api: Api, name: str) -> dict[str, Any]:
    tenant = tenants.create_tenant(aws.ports(), f"{name} {new_id()[-6:]}", frozenset({SIGNING}))
    email = f"adviseur-{new_id().lower()}@firm.example"
    tenants.add_advisor(aws.ports(), tenant.id, "Adviseur", email, PASSWORD)
    return {"tenant": tenant, "email": email, "token": api.login(email, PASSWORD)}


def _card(api: Api, firm: dict[str, Any], email: str, name: str = "Kaart") -> dict[str, Any]:
    response = api.post("/advisor/clients", firm["token"], {"name": name, "email": email})
    assert response.status_code == 201, response.body
    return dict(response.json)


def _invite(api: Api, backend: Any, firm: dict[str, Any], card: dict[str, Any]) -> str:
    """Invite the card's address; the token of the link in the e-mail."""
    assert api.post(f"/advisor/clients/{card['id']}/invite", firm["token"]).status_code == 202
    body = emails_to(backend, card["email"])[-1]["body"]
    link = re.search(r'href="([^"]+)"', body).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    return parse_qs(urlparse(link).query)["token"][0]


def _login(api: Api, email: str, password: str) -> Any:
    return api.post("/auth/login", body={"email": email, "password": password})


@pytest.fixture
def two_firms(api: Api, backend: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return _new_firm(api, "Kantoor A"), _new_firm(api, "Kantoor B")


def test_an_invitation_to_an_advisor_of_another_firm_cannot_change_their_password(api: Api, backend, two_firms):
    home, other = two_firms
    card = _card(api, other, home["email"])
    token = _invite(api, backend, other, card)

    taken = api.post("/auth/activate", body={"token": token, "password": "Overgenomen-2026!!"})

    assert taken.status_code == 409
    assert taken.json["code"] == "conflict"
    assert _login(api, home["email"], "Overgenomen-2026!!").status_code == 401
    assert _login(api, home["email"], PASSWORD).status_code == 200
    again = api.post("/auth/activate", body={"token": token, "password": "Overgenomen-2026!!"})
    assert again.status_code == 409, "a refused activation leaves the invitation as it was"


def test_the_person_accepts_the_invitation_while_logged_in_and_then_has_two_memberships(api: Api, backend, two_firms):
    home, other = two_firms
    card = _card(api, other, home["email"], name="Adviseur als klant")
    token = _invite(api, backend, other, card)
    assert api.post("/auth/activate", body={"token": token, "password": "Overgenomen-2026!!"}).status_code == 409

    accepted = api.post("/auth/accept-invite", home["token"], {"token": token})

    assert accepted.status_code == 200, accepted.body
    assert [(m["tenant_id"], m["role"]) for m in accepted.json["memberships"]] == [
        (home["tenant"].id, "advisor"), (other["tenant"].id, "client")]
    login = _login(api, home["email"], PASSWORD).json
    assert login["role"] == "advisor" and login["tenant_id"] == home["tenant"].id
    assert [m["firm"] for m in login["memberships"]] == [home["tenant"].name, other["tenant"].name]
    assert api.post("/auth/accept-invite", home["token"], {"token": token}).status_code == 400, "used up"
    card_now = api.get(f"/advisor/clients/{card['id']}", other["token"]).json
    assert card_now["portal_access"] == "active"


def test_x_firm_picks_the_membership_a_request_acts_as_both_ways(api: Api, backend, two_firms):
    home, other = two_firms
    card = _card(api, other, home["email"])
    assert api.post("/auth/accept-invite", home["token"], {"token": _invite(api, backend, other, card)}).status_code == 200
    token = _login(api, home["email"], PASSWORD).json["token"]

    as_advisor = api.get("/advisor/clients", token, headers={"X-Firm": home["tenant"].id})
    as_client = api.get("/portal/messages", token, headers={"X-Firm": other["tenant"].id})
    oldest = api.get("/advisor/clients", token)
    client_of_other_on_advisor_routes = api.get("/advisor/clients", token, headers={"X-Firm": other["tenant"].id})
    advisor_of_home_on_portal = api.get("/portal/messages", token, headers={"X-Firm": home["tenant"].id})

    assert as_advisor.status_code == 200
    assert card["id"] not in [c["id"] for c in as_advisor.json["items"]], "the home firm sees its own cards only"
    assert as_client.status_code == 200 and as_client.json["items"] == []
    assert oldest.status_code == 200 and oldest.json == as_advisor.json
    assert client_of_other_on_advisor_routes.status_code == 403
    assert advisor_of_home_on_portal.status_code == 403


def test_x_firm_naming_a_firm_the_person_has_no_membership_of_is_forbidden(api: Api, tokens, backend):
    response = api.get("/advisor/clients", tokens["demo_advisor"],
                       headers={"X-Firm": backend.firms["Basis Boekhouding"]})
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_an_invitation_for_another_address_cannot_be_accepted_and_stays_usable(api: Api, backend, two_firms):
    home, other = two_firms
    card = _card(api, other, f"iemand-{new_id().lower()}@example.com")
    token = _invite(api, backend, other, card)

    refused = api.post("/auth/accept-invite", home["token"], {"token": token})

    assert refused.status_code == 403
    assert api.post("/auth/activate", body={"token": token, "password": "Klant-wachtwoord-2026!"}).status_code == 200


def test_a_new_invitation_makes_the_older_link_unusable(api: Api, backend, firm):
    card = _card(api, {"token": firm["token"]}, f"klant-{new_id().lower()}@example.com")
    first = _invite(api, backend, firm, card)
    second = _invite(api, backend, firm, card)

    old = api.post("/auth/activate", body={"token": first, "password": "Klant-wachtwoord-2026!"})

    assert old.status_code == 400
    assert old.json["errors"][0]["field"] == "token"
    assert api.post("/auth/activate", body={"token": second, "password": "Klant-wachtwoord-2026!"}).status_code == 200
    assert _login(api, card["email"], "Klant-wachtwoord-2026!").status_code == 200


def test_at_most_three_invitation_emails_a_day_per_client(api: Api, backend, firm):
    card = _card(api, {"token": firm["token"]}, f"klant-{new_id().lower()}@example.com")
    for _ in range(3):
        assert api.post(f"/advisor/clients/{card['id']}/invite", firm["token"]).status_code == 202

    fourth = api.post(f"/advisor/clients/{card['id']}/invite", firm["token"])

    assert fourth.status_code == 429
    assert fourth.json["code"] == "rate_limited"
    assert int(fourth.headers["Retry-After"]) > 0
    assert len(emails_to(backend, card["email"])) == 3


def test_two_activations_of_one_link_at_once_make_one_login(api: Api, backend, firm):
    card = _card(api, {"token": firm["token"]}, f"klant-{new_id().lower()}@example.com")
    token = _invite(api, backend, firm, card)
    answers: list[int] = []

    def activate(password: str) -> None:
        answers.append(api.post("/auth/activate", body={"token": token, "password": password}).status_code)

    threads = [threading.Thread(target=activate, args=(p,)) for p in ("Eerste-wachtwoord-2026!", "Tweede-wachtwoord-2026!")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers)[0] == 200 and answers.count(200) == 1, answers
    logins = [_login(api, card["email"], p).status_code for p in ("Eerste-wachtwoord-2026!", "Tweede-wachtwoord-2026!")]
    assert sorted(logins) == [200, 401]


def test_an_activation_whose_login_cannot_be_made_leaves_no_login_and_the_link_usable(api: Api, backend, firm,
                                                                                       monkeypatch):
    from chalicelib.errors import DependencyFailed

    card = _card(api, {"token": firm["token"]}, f"klant-{new_id().lower()}@example.com")
    token = _invite(api, backend, firm, card)
    identity = aws.identity()
    original = identity.set_password

    def broken(email: str, password: str) -> None:
        raise DependencyFailed()

    monkeypatch.setattr(identity, "set_password", broken)
    failed = api.post("/auth/activate", body={"token": token, "password": "Klant-wachtwoord-2026!"})
    monkeypatch.setattr(identity, "set_password", original)

    assert failed.status_code == 503
    cognito = aws.client("cognito-idp")
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=get_settings().user_pool_id, Username=card["email"])
    assert api.post("/auth/activate", body={"token": token, "password": "Klant-wachtwoord-2026!"}).status_code == 200


def test_five_failed_logins_lock_the_address_for_fifteen_minutes_even_with_the_right_password(api: Api, firm):
    for _ in range(5):
        assert _login(api, firm["advisor_email"], "Verkeerd-wachtwoord-1!").status_code == 401

    locked = _login(api, firm["advisor_email"], "Adviseur-test-2026!")

    assert locked.status_code == 429
    assert locked.json["code"] == "rate_limited"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    aws.use_clock(FixedClock(SystemClock().now() + timedelta(minutes=15, seconds=1)))
    try:
        assert _login(api, firm["advisor_email"], "Adviseur-test-2026!").status_code == 200
    finally:
        aws.use_clock(None)


def test_an_unknown_address_is_locked_the_same_way(api: Api):
    address = f"niemand-{new_id().lower()}@example.com"
    answers = [_login(api, address, "Wat-dan-ook-2026!").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_logout_revokes_the_token_and_a_new_login_works(api: Api, firm):
    token = api.login(firm["advisor_email"], "Adviseur-test-2026!")
    other_session = api.login(firm["advisor_email"], "Adviseur-test-2026!")
    assert api.get("/advisor/me", token).status_code == 200

    assert api.post("/auth/logout", token).status_code == 204

    assert api.get("/advisor/me", token).status_code == 401
    assert api.get("/advisor/me", other_session).status_code == 401, "every earlier token of the login"
    fresh = api.login(firm["advisor_email"], "Adviseur-test-2026!")
    assert api.get("/advisor/me", fresh).status_code == 200


def test_logout_without_a_token_is_401(api: Api):
    assert api.post("/auth/logout").status_code == 401


def test_an_operator_adding_an_existing_login_to_a_firm_keeps_its_password(api: Api, two_firms):
    home, other = two_firms
    tenants.add_advisor(aws.ports(), other["tenant"].id, "Tweede kantoor", home["email"], "Nieuw-wachtwoord-2026!")

    assert _login(api, home["email"], "Nieuw-wachtwoord-2026!").status_code == 401
    memberships = _login(api, home["email"], PASSWORD).json["memberships"]
    assert [m["tenant_id"] for m in memberships] == [home["tenant"].id, other["tenant"].id]
