"""What a hostile caller sends gets 400 validation_error naming the field, and changes nothing.

Each case was seen answering a 5xx (or a misleading 404/409) before: JSON nested 1,000 levels
deep, lone surrogates, control and invisible characters, non-ASCII digits in `?limit=`, crafted
cursors and impossible ids.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chalicelib.ids import new_id
from tests.conftest import Api, activate_client, data_url, emails_to, last_code, random_mobile, signature_png, upload

DEEP = "[" * 1000 + "]" * 1000
SURROGATE = "\ud800"  # json.dumps sends it as the escape "\ud800", which json.loads turns into a lone surrogate


def refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["code"] == "validation_error", response.json
    assert field in [e["field"] for e in response.json["errors"]], response.json


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _key(cursor: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(cursor)))


def _client(api: Api, firm: dict[str, Any], **fields: Any) -> dict[str, Any]:
    answer = api.post("/advisor/clients", firm["token"], {
        "name": "Klant Test", "email": f"klant-{new_id().lower()}@example.com", **fields})
    assert answer.status_code == 201, answer.body
    return dict(answer.json)


def _messages_of(api: Api, firm: dict[str, Any], client_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/advisor/messages?client_id={client_id}", firm["token"]).json["items"])


# --- JSON nested too deeply -------------------------------------------------------------------

@pytest.mark.parametrize(("path", "who"), [
    ("/auth/login", None), ("/auth/activate", None), ("/advisor/clients", "advisor"), ("/advisor/messages", "advisor"),
    ("/advisor/documents", "advisor"),
])
def test_json_nested_a_thousand_levels_deep_is_refused_not_a_crash(api: Api, tokens, path, who):
    token = tokens["demo_advisor"] if who else None
    answer = api.post(path, token, raw=('{"email": ' + DEEP + ', "password": "x"}').encode())
    refused(answer, "body")


def test_json_nested_thirty_three_levels_is_too_deep_and_thirty_two_is_not(api: Api):
    too_deep = api.post("/auth/login", raw=('{"email": ' + "[" * 32 + "]" * 32 + "}").encode())
    refused(too_deep, "body")
    assert "32" in too_deep.json["detail"]
    deep_enough = api.post("/auth/login", raw=('{"email": ' + "[" * 31 + "]" * 31 + "}").encode())
    refused(deep_enough, "email")  # parsed, then refused for what it is: not a string


def test_nan_is_not_json(api: Api):
    refused(api.post("/auth/login", raw=b'{"email": NaN, "password": "x"}'), "body")


# --- Logins and invitations --------------------------------------------------------------------

@pytest.mark.parametrize("field", ["email", "password"])
def test_a_lone_surrogate_in_a_login_field_is_refused(api: Api, field):
    body = {"email": "harry@demo.example", "password": "Harry-demo-2026!"} | {field: "x" + SURROGATE}
    refused(api.post("/auth/login", body=body), field)


def test_a_line_break_inside_a_password_is_refused_before_cognito_sees_it(api: Api):
    refused(api.post("/auth/login", body={"email": "harry@demo.example", "password": "Harry-demo\n-2026!"}), "password")


def test_a_password_is_used_as_typed_not_normalised(api: Api, firm, backend):
    client = _client(api, firm)
    decomposed = "Wachtwoord-e\u0301e\u0301n-2026!"  # é written as e + combining accent (NFD)
    token = activate_client(api, firm, backend, client, password=decomposed)
    assert token
    composed = api.post("/auth/login", body={"email": client["email"], "password": "Wachtwoord-\u00e9\u00e9n-2026!"})
    assert composed.status_code == 401


def test_a_lone_surrogate_at_activate_changes_nothing_and_the_link_still_works(api: Api, firm, backend):
    import re
    from urllib.parse import parse_qs, urlparse

    client = _client(api, firm)
    assert api.post(f"/advisor/clients/{client['id']}/invite", firm["token"]).status_code == 202
    link = re.search(r'href="([^"]+)"', emails_to(backend, client["email"])[-1]["body"]).group(1)  # type: ignore[union-attr]
    token = parse_qs(urlparse(link.replace("&amp;", "&")).query)["token"][0]

    refused(api.post("/auth/activate", body={"token": token, "password": "Klant-wacht" + SURROGATE + "woord-2026!"}),
            "password")
    refused(api.post("/auth/activate", body={"token": token + SURROGATE, "password": "Klant-wachtwoord-2026!"}), "token")
    assert api.get(f"/advisor/clients/{client['id']}", firm["token"]).json["portal_access"] == "invited"
    assert api.post("/auth/activate", body={"token": token, "password": "Klant-wachtwoord-2026!"}).status_code == 200


# --- The client card ------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("name", "Jan" + SURROGATE), ("city", SURROGATE), ("phone", "06" + SURROGATE),
    ("name", "Jan\x00Jansen"), ("name", "Jan\nJansen"), ("name", "Jan\u202eJansen"), ("name", "Jan\u200bJansen"),
    ("city", "Amster\u2066dam"), ("email", "jan\u200d@example.com"), ("email", "jan\r\n@example.com"),
    ("email", "jan" + SURROGATE + "@example.com"),
])
def test_a_new_client_card_with_hostile_text_is_refused_and_not_stored(api: Api, firm, field, value):
    before = api.get("/advisor/clients", firm["token"]).json["items"]
    body = {"name": "Jan Jansen", "email": f"jan-{new_id().lower()}@example.com"} | {field: value}
    refused(api.post("/advisor/clients", firm["token"], body), field)
    assert api.get("/advisor/clients", firm["token"]).json["items"] == before


@pytest.mark.parametrize(("field", "value"), [("name", SURROGATE), ("city", "Haar\u202elem"), ("phone", "\x0006 12345678")])
def test_a_card_change_with_hostile_text_is_refused_and_the_card_unchanged(api: Api, firm, field, value):
    client = _client(api, firm, city="Leiden", phone="06 12345678")
    before = api.get(f"/advisor/clients/{client['id']}", firm["token"]).json
    refused(api.patch(f"/advisor/clients/{client['id']}", firm["token"], {field: value}), field)
    assert api.get(f"/advisor/clients/{client['id']}", firm["token"]).json == before


def test_names_are_stored_in_nfc_so_the_composed_spelling_finds_them(api: Api, firm):
    from urllib.parse import quote

    client = _client(api, firm, name="Rene\u0301 Cafe\u0301")
    assert client["name"] == "Ren\u00e9 Caf\u00e9"
    found = api.get("/advisor/clients?q=" + quote("Ren\u00e9"), firm["token"]).json["items"]
    assert [c["id"] for c in found] == [client["id"]]
    decomposed = api.get("/advisor/clients?q=" + quote("Rene\u0301"), firm["token"]).json["items"]
    assert [c["id"] for c in decomposed] == [client["id"]]


# --- Messages ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("subject", "Jaarrekening" + SURROGATE), ("body", "Graag" + SURROGATE), ("client_id", SURROGATE),
    ("subject", "Jaarrekening\r\nBcc: iedereen@example.com"), ("subject", "Jaar\trekening"),
    ("subject", "Factuur \u202efdp.exe"), ("subject", "Fac\u200btuur"), ("body", "Graag\x00 ondertekenen"),
    ("body", "Graag\x1b[31m"), ("document_ids", [SURROGATE]),
])
def test_a_message_with_hostile_text_is_refused_and_nothing_is_sent(api: Api, firm, backend, field, value):
    client = _client(api, firm)
    body = {"client_id": client["id"], "subject": "Jaarrekening", "body": "Graag lezen.", "response_type": "reply",
            field: value}
    refused(api.post("/advisor/messages", firm["token"], body), field)
    assert _messages_of(api, firm, client["id"]) == []
    assert emails_to(backend, client["email"]) == []


def test_a_message_body_keeps_its_line_breaks_and_tabs(api: Api, firm):
    client = _client(api, firm)
    sent = api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Overzicht", "body": "Beste klant,\r\n\n\tPost 1\tEUR 10\n",
        "response_type": "none"})
    assert sent.status_code == 201, sent.body
    assert sent.json["body"] == "Beste klant,\r\n\n\tPost 1\tEUR 10"


def test_a_reply_or_a_reason_with_a_lone_surrogate_or_a_control_character_is_refused(api: Api, firm, backend):
    client = _client(api, firm)
    token = activate_client(api, firm, backend, client)
    message = api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Vraag", "body": "Klopt dit?", "response_type": "reply"}).json
    refused(api.post(f"/portal/messages/{message['id']}/reply", token, {"body": "Ja" + SURROGATE}), "body")
    refused(api.post(f"/portal/messages/{message['id']}/reply", token, {"body": "Ja\x07"}), "body")
    assert api.get(f"/advisor/messages/{message['id']}", firm["token"]).json["conversation"] == []
    approve = api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Akkoord?", "body": "Akkoord?", "response_type": "approve"}).json
    refused(api.post(f"/portal/messages/{approve['id']}/reject", token, {"reason": "Nee" + SURROGATE}), "reason")
    assert api.get(f"/advisor/messages/{approve['id']}", firm["token"]).json["status"] != "rejected"


# --- Documents ----------------------------------------------------------------------------------------

def _documents_of(firm: dict[str, Any]) -> int:
    from chalicelib.store import keys
    from chalicelib.store.models import DocumentItem

    return sum(1 for _ in DocumentItem.query(keys.tenant(firm["tenant"].id), DocumentItem.sk.startswith("DOC#")))


@pytest.mark.parametrize(("field", "value"), [
    ("filename", "jaarrekening" + SURROGATE + ".pdf"), ("filename", "factuur\u202efdp.exe"),
    ("filename", "jaar\u200brekening.pdf"), ("filename", "jaar\nrekening.pdf"), ("content_type", "application/pdf" + SURROGATE),
])
def test_a_document_with_a_hostile_name_is_refused_and_not_registered(api: Api, firm, field, value):
    before = _documents_of(firm)
    body = {"filename": "jaarrekening.pdf", "content_type": "application/pdf", "size": 100} | {field: value}
    refused(api.post("/advisor/documents", firm["token"], body), field)
    assert _documents_of(firm) == before


# --- Signing ---------------------------------------------------------------------------------------------

def _verified_request(api: Api, firm: dict[str, Any], signer: dict[str, Any], backend) -> str:
    document = upload(api, firm["token"]).json["id"]
    sent = api.post("/advisor/messages", firm["token"], {
        "client_id": signer["id"], "subject": "Jaarrekening", "body": "Graag ondertekenen.", "response_type": "sign",
        "document_ids": [document]})
    assert sent.status_code == 201, sent.body
    request_id = str(sent.json["signing"]["id"])
    assert api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"]).status_code == 202
    code = last_code(backend, signer["phone"])
    assert api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"], {"code": code}).status_code == 200
    return request_id


def test_a_hostile_city_at_sign_after_a_verified_code_is_refused_and_the_request_stays_open(api: Api, firm, signer,
                                                                                             backend):
    request_id = _verified_request(api, firm, signer, backend)
    image = data_url(signature_png())
    for city in ("Haarlem" + SURROGATE, "Haar\u202elem", "Haar\u200blem", "Haarlem\r\nBcc: x@example.com", "Haar\x00lem"):
        refused(api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                         {"signature_image": image, "city": city}), "city")
    assert api.get(f"/portal/signing-requests/{request_id}", signer["token"]).json["status"] in ("sent", "viewed")
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": image, "city": "Haarlem"})
    assert signed.status_code == 200, signed.body


def test_a_lone_surrogate_in_the_otp_code_is_refused(api: Api, firm, signer):
    document = upload(api, firm["token"]).json["id"]
    request_id = api.post("/advisor/messages", firm["token"], {
        "client_id": signer["id"], "subject": "Jaarrekening", "body": "Graag ondertekenen.", "response_type": "sign",
        "document_ids": [document]}).json["signing"]["id"]
    refused(api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"], {"code": "12345" + SURROGATE}),
            "code")


# --- Query parameters and cursors ------------------------------------------------------------------------

ADVISOR_LISTS = ("/advisor/clients", "/advisor/messages", "/advisor/notifications")


@pytest.mark.parametrize("path", [*ADVISOR_LISTS, "/portal/messages"])
@pytest.mark.parametrize("limit", ["%C2%B2", "%D9%A3", "%EF%BC%95", "1e2", "+5", "%205", "0x10", "99999999999999999999"])
def test_a_limit_that_is_not_plain_ascii_digits_is_refused(api: Api, tokens, path, limit):
    token = tokens["harry"] if path.startswith("/portal") else tokens["demo_advisor"]
    refused(api.get(f"{path}?limit={limit}", token), "limit")


@pytest.mark.parametrize(("path", "name", "value"), [
    ("/advisor/clients", "q", "har%00ry"), ("/advisor/clients", "q", "har%E2%80%AEry"), ("/advisor/clients", "q", "x" * 3000),
    ("/advisor/messages", "client_id", "%0D%0A"), ("/advisor/messages", "status", "sent%E2%80%8B"),
    ("/advisor/messages", "client_id", "x" * 3000), ("/advisor/messages", "cursor", "%00"),
])
def test_a_query_parameter_with_odd_characters_is_refused_naming_it(api: Api, tokens, path, name, value):
    refused(api.get(f"{path}?{name}={value}", tokens["demo_advisor"]), name)


@pytest.fixture
def oversized_keys(monkeypatch) -> list[str]:
    """Every key sent to DynamoDB that it would refuse (over 1024 bytes: a 400, so our 503); moto takes them."""
    from pynamodb.connection.base import Connection

    found: list[str] = []
    original = Connection._make_api_call

    def spy(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        for key in (operation_kwargs.get("Key"), operation_kwargs.get("ExclusiveStartKey")):
            found.extend(name for name, value in (key or {}).items() if len(value.get("S", "").encode()) > 1024)
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", spy)
    return found


@pytest.mark.parametrize("path", ["/advisor/clients/{}", "/advisor/messages/{}", "/advisor/signing-requests/{}/receipt"])
def test_an_id_no_resource_can_have_is_not_found_without_asking_dynamodb(api: Api, tokens, oversized_keys, path):
    for impossible in ("x" * 3000, "%E2%80%AE" + new_id(), "%00"):
        answer = api.get(path.format(impossible), tokens["demo_advisor"])
        assert (answer.status_code, answer.json["code"]) == (404, "not_found"), answer.body
    assert oversized_keys == []


@pytest.fixture(scope="module")
def pages(api: Api, backend) -> dict[str, tuple[str, str, str]]:
    """A real cursor of each list route (path, token), in a firm with two of everything."""
    from chalicelib import aws
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING

    tenant = tenants.create_tenant(aws.ports(), f"Kantoor {new_id()[-6:]}", frozenset({SIGNING}))
    email = f"adviseur-{new_id().lower()}@firm.example"
    tenants.add_advisor(aws.ports(), tenant.id, "Test Adviseur", email, "Adviseur-test-2026!")
    firm = {"tenant": tenant, "token": api.login(email, "Adviseur-test-2026!")}
    client = _client(api, firm, phone=random_mobile())
    _client(api, firm)
    client_token = activate_client(api, firm, backend, client)
    for n in range(2):
        message = api.post("/advisor/messages", firm["token"], {
            "client_id": client["id"], "subject": f"Vraag {n}", "body": "Klopt dit?", "response_type": "reply"}).json
        assert api.post(f"/portal/messages/{message['id']}/reply", client_token, {"body": "Ja"}).status_code == 201
    routes = {
        "clients": ("/advisor/clients?limit=1", firm["token"]),
        "messages": ("/advisor/messages?limit=1", firm["token"]),
        "client_messages": (f"/advisor/messages?limit=1&client_id={client['id']}", firm["token"]),
        "notifications": ("/advisor/notifications?limit=1", firm["token"]),
        "portal_messages": ("/portal/messages?limit=1", client_token),
    }
    cursors = {}
    for name, (path, token) in routes.items():
        first = api.get(path, token).json
        assert first["next_cursor"], name
        following = api.get(f"{path}&cursor={first['next_cursor']}", token)
        assert following.status_code == 200 and following.json["items"] != first["items"], name  # the real one works
        cursors[name] = (path, token, first["next_cursor"])
    return cursors


def _mutations(key: dict[str, Any]) -> list[Any]:
    """Cursors a caller could make from a real one: right partition, wrong everything else."""
    partition = "gsi1pk" if "gsi1pk" in key else "pk"
    forged: list[Any] = [
        {**key, "extra": {"S": "x"}}, {**key, partition: {"S": key[partition]["S"] + SURROGATE}},
        {**key, partition: [key[partition]]}, [key], {"a": "[" * 40 + "]" * 40},
        {"a": json.loads("[" * 40 + "]" * 40)},
    ]
    for name in (name for name in key if name != partition):
        prefix = key[name]["S"].split("#")[0] + "#"
        forged += [
            {**key, name: {"N": "1"}}, {**key, name: {"S": 5}}, {**key, name: {"S": ["x"]}}, {**key, name: "plain"},
            {**key, name: {"S": prefix + "x" * 1100}}, {**key, name: {"S": prefix + SURROGATE}},
            {**key, name: {"S": "DOC#" + new_id()}}, {**key, name: {"S": ""}}, {**key, name: {"S": prefix, "N": "1"}},
            {other: value for other, value in key.items() if other != name},
        ]
    return forged


@pytest.mark.parametrize("route", ["clients", "messages", "client_messages", "notifications", "portal_messages"])
def test_a_crafted_cursor_is_refused_before_it_reaches_dynamodb(api: Api, pages, route):
    path, token, cursor = pages[route]
    for forged in _mutations(_key(cursor)):
        refused(api.get(f"{path}&cursor={_cursor(forged)}", token), "cursor")
    for garbage in ("%%%", "eyJ", "x" * 5000, "%C2%B2", base64.urlsafe_b64encode(b"\xff\xfe").decode()):
        refused(api.get(f"{path}&cursor={garbage}", token), "cursor")
