"""The client card: list, create, change, invite and activate."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from chalicelib import aws
from chalicelib.clock import FixedClock, SystemClock
from chalicelib.ids import new_id
from tests.conftest import Api, emails_to


def test_the_demo_advisor_lists_harry_and_sanne_and_not_piet(api: Api, tokens):
    response = api.get("/advisor/clients", tokens["demo_advisor"])
    assert response.status_code == 200
    names = {c["name"] for c in response.json["items"]}
    assert {"Harry de Vries", "Sanne Bakker"} <= names
    assert "Piet Jansen" not in names
    harry = next(c for c in response.json["items"] if c["name"] == "Harry de Vries")
    assert harry["phone"] == "+31612345678"
    assert harry["city"] == "Amsterdam"
    assert harry["portal_access"] == "active"


def test_the_search_matches_name_or_email(api: Api, tokens):
    by_name = api.get("/advisor/clients?q=sanne", tokens["demo_advisor"]).json["items"]
    by_email = api.get("/advisor/clients?q=HARRY@demo", tokens["demo_advisor"]).json["items"]
    assert [c["name"] for c in by_name] == ["Sanne Bakker"]
    assert [c["name"] for c in by_email] == ["Harry de Vries"]


def test_another_firms_client_is_not_found(api: Api, tokens):
    harry = api.get("/advisor/clients?q=harry", tokens["demo_advisor"]).json["items"][0]
    response = api.get(f"/advisor/clients/{harry['id']}", tokens["basis_advisor"])
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    assert api.patch(f"/advisor/clients/{harry['id']}", tokens["basis_advisor"], {"city": "X"}).status_code == 404
    assert api.post(f"/advisor/clients/{harry['id']}/invite", tokens["basis_advisor"]).status_code == 404
    unknown = api.get(f"/advisor/clients/{new_id()}", tokens["basis_advisor"])
    assert (unknown.status_code, unknown.json) == (response.status_code, response.json)


def test_a_dutch_mobile_number_is_stored_in_e164(api: Api, firm):
    response = api.post("/advisor/clients", firm["token"], {
        "name": "Jan Smit", "email": "Jan@Example.com", "phone": "06 12345678", "city": "Delft",
    })
    assert response.status_code == 201
    assert response.json["phone"] == "+31612345678"
    assert response.json["email"] == "jan@example.com"
    assert response.json["language"] == "nl"
    assert response.json["portal_access"] == "none"


def test_an_invalid_phone_number_is_refused_and_nothing_is_stored(api: Api, firm):
    response = api.post("/advisor/clients", firm["token"], {"name": "A", "email": "a@example.com", "phone": "12"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json["errors"]] == ["phone"]
    assert "06 12345678" in response.json["errors"][0]["message"]
    assert api.get("/advisor/clients", firm["token"]).json["items"] == []


def test_a_second_client_with_the_same_email_is_a_conflict(api: Api, firm):
    first = api.post("/advisor/clients", firm["token"], {"name": "A", "email": "same@example.com"})
    second = api.post("/advisor/clients", firm["token"], {"name": "B", "email": "SAME@example.com"})
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json["code"] == "conflict"
    assert [c["name"] for c in api.get("/advisor/clients", firm["token"]).json["items"]] == ["A"]


def test_the_same_email_may_exist_in_another_firm(api: Api, firm, tokens):
    response = api.post("/advisor/clients", firm["token"], {"name": "Harry elders", "email": "harry@demo.example"})
    assert response.status_code == 201


def test_the_card_can_be_changed_and_a_phone_cleared(api: Api, firm):
    created = api.post("/advisor/clients", firm["token"], {"name": "A", "email": "a@example.com"}).json
    changed = api.patch(f"/advisor/clients/{created['id']}", firm["token"],
                        {"phone": "+31 6 87654321", "city": "Zwolle", "language": "en"})
    assert changed.status_code == 200
    assert (changed.json["phone"], changed.json["city"], changed.json["language"]) == ("+31687654321", "Zwolle", "en")
    cleared = api.patch(f"/advisor/clients/{created['id']}", firm["token"], {"phone": None})
    assert cleared.json["phone"] is None
    assert api.get(f"/advisor/clients/{created['id']}", firm["token"]).json["city"] == "Zwolle"


def test_a_bad_language_is_a_validation_error(api: Api, firm):
    response = api.post("/advisor/clients", firm["token"], {"name": "A", "email": "a@example.com", "language": "de"})
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "language"


def test_list_limit_must_be_between_1_and_200(api: Api, firm):
    assert api.get("/advisor/clients?limit=0", firm["token"]).status_code == 400
    assert api.get("/advisor/clients?limit=201", firm["token"]).status_code == 400


def test_the_list_pages_with_a_cursor(api: Api, firm):
    for n in range(3):
        api.post("/advisor/clients", firm["token"], {"name": f"Client {n}", "email": f"c{n}@example.com"})
    first = api.get("/advisor/clients?limit=2", firm["token"]).json
    second = api.get(f"/advisor/clients?limit=2&cursor={first['next_cursor']}", firm["token"]).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    assert len(second["items"]) == 1
    assert {c["name"] for c in first["items"] + second["items"]} == {"Client 0", "Client 1", "Client 2"}


def test_a_cursor_cannot_reach_into_another_firm(api: Api, firm, tokens):
    import base64
    import json

    demo_tenant = api.post("/auth/login", body={"email": "adviseur@demo.example",
                                                 "password": "Adviseur-demo-2026!"}).json["tenant_id"]
    forged = base64.urlsafe_b64encode(json.dumps(
        {"pk": {"S": f"TENANT#{demo_tenant}"}, "sk": {"S": "CLIENT#0"}}).encode()).decode()
    response = api.get(f"/advisor/clients?cursor={forged}", firm["token"])
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "cursor"


def _activation_token(backend, address: str) -> str:
    body = emails_to(backend, address)[-1]["body"]
    link = re.search(r'href="([^"]+)"', body).group(1)
    return parse_qs(urlparse(link.replace("&amp;", "&")).query)["token"][0]


def test_invite_then_activate_then_login(api: Api, firm, backend):
    email = f"nieuw-{new_id().lower()}@example.com"
    client = api.post("/advisor/clients", firm["token"], {"name": "Nieuwe Klant", "email": email}).json
    invited = api.post(f"/advisor/clients/{client['id']}/invite", firm["token"])
    assert invited.status_code == 202
    assert api.get(f"/advisor/clients/{client['id']}", firm["token"]).json["portal_access"] == "invited"

    mail = emails_to(backend, email)[-1]
    assert firm["tenant"].name in mail["subject"]
    token = _activation_token(backend, email)

    weak = api.post("/auth/activate", body={"token": token, "password": "short"})
    assert weak.status_code == 400
    assert weak.json["errors"][0]["field"] == "password"

    activated = api.post("/auth/activate", body={"token": token, "password": "Nieuw-wachtwoord-2026!"})
    assert activated.status_code == 200
    login = api.post("/auth/login", body={"email": email, "password": "Nieuw-wachtwoord-2026!"})
    assert login.status_code == 200
    assert (login.json["role"], login.json["tenant_id"]) == ("client", firm["tenant"].id)
    assert api.get(f"/advisor/clients/{client['id']}", firm["token"]).json["portal_access"] == "active"

    again = api.post("/auth/activate", body={"token": token, "password": "Ander-wachtwoord-2026!"})
    assert again.status_code == 400
    assert again.json["code"] == "validation_error"
    assert api.post("/auth/login", body={"email": email, "password": "Ander-wachtwoord-2026!"}).status_code == 401


def test_an_invitation_expires_after_seven_days(api: Api, firm, backend):
    email = f"laat-{new_id().lower()}@example.com"
    client = api.post("/advisor/clients", firm["token"], {"name": "Late Klant", "email": email, "language": "en"}).json
    api.post(f"/advisor/clients/{client['id']}/invite", firm["token"])
    assert "Invitation" in emails_to(backend, email)[-1]["subject"]
    token = _activation_token(backend, email)
    aws.use_clock(FixedClock(SystemClock().now() + timedelta(days=7, minutes=1)))
    try:
        response = api.post("/auth/activate", body={"token": token, "password": "Nieuw-wachtwoord-2026!"})
    finally:
        aws.use_clock(None)
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "token"


def test_an_unknown_activation_token_is_refused(api: Api):
    response = api.post("/auth/activate", body={"token": "not-a-token", "password": "Nieuw-wachtwoord-2026!"})
    assert response.status_code == 400
