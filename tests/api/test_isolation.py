"""The isolation matrix: every protected route against every caller that must not get through.

Each (route, caller) pair is one test. The routes come from `app.routes`, so a new route fails
here until it has a recipe below. Every answer must be problem+json with the expected status and
code, and the victim firm must look exactly the same to its owners before and after the call:
clients, cards, messages with their audit events, notifications, documents, the code state of
the open signing request, and the outbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app import app
from chalicelib.ids import new_id
from tests.conftest import Api, activate_client, data_url, last_code, outbox, random_mobile, signature_png, upload

# Pages, static files, public and local-only routes: no tenant data behind them.
UNPROTECTED = {"/", "/advisor", "/activate", "/outbox", "/static/{name}", "/health", "/keys/seal", "/keys"}
UNPROTECTED_PREFIXES = ("/auth/", "/dev/")


def protected_routes() -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for path, methods in app.routes.items()
        for method in methods
        if method != "OPTIONS" and path not in UNPROTECTED and not path.startswith(UNPROTECTED_PREFIXES)
    )


@dataclass(frozen=True)
class Recipe:
    """How to call one route on the victim firm's real resources, as its rightful owner would."""

    params: dict[str, str] = field(default_factory=dict)  # path parameter -> name of a World id
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)  # query parameter -> name of a World id
    foreign_caller: str = "not_found"  # what another firm's advisor (or another client) gets
    foreign_body: dict[str, Any] | None = None  # the body that caller sends, when not `body`


SIGN_BODY = {"signature_image": data_url(signature_png()), "city": "Haarlem"}

RECIPES: dict[tuple[str, str], Recipe] = {
    # Names no resource: every advisor sees only their own profile (tests/api/test_logins.py).
    ("GET", "/advisor/me"): Recipe(foreign_caller="not_applicable"),
    ("GET", "/advisor/clients"): Recipe(query={"q": "joost_email"}, foreign_caller="sees_nothing"),
    ("POST", "/advisor/clients"): Recipe(body={"name": "Nieuwe Klant", "email": "@fresh_email"},
                                         foreign_caller="creates_own",
                                         foreign_body={"name": "Joost Elders", "email": "@joost_email"}),
    ("GET", "/advisor/clients/{client_id}"): Recipe(params={"client_id": "joost"}),
    ("PATCH", "/advisor/clients/{client_id}"): Recipe(params={"client_id": "joost"}, body={"city": "Gekaapt"}),
    ("POST", "/advisor/clients/{client_id}/invite"): Recipe(params={"client_id": "joost"}),
    ("POST", "/advisor/documents"): Recipe(body={"filename": "x.pdf", "content_type": "application/pdf", "size": 100},
                                           foreign_caller="not_applicable"),
    ("POST", "/advisor/documents/{document_id}/complete"): Recipe(params={"document_id": "pending_document"}),
    ("GET", "/advisor/documents/{document_id}/download"): Recipe(params={"document_id": "ready_document"}),
    ("POST", "/advisor/messages"): Recipe(body={"client_id": "@eva", "subject": "Nep", "body": "Nep",
                                                "response_type": "sign", "document_ids": ["@ready_document"]}),
    ("GET", "/advisor/messages"): Recipe(query={"client_id": "eva"}, foreign_caller="sees_nothing"),
    ("GET", "/advisor/messages/{message_id}"): Recipe(params={"message_id": "open_sign_message"}),
    ("POST", "/advisor/signing-requests/{request_id}/withdraw"): Recipe(params={"request_id": "open_request"}),
    ("GET", "/advisor/signing-requests/{request_id}/receipt"): Recipe(params={"request_id": "signed_request"}),
    ("GET", "/advisor/signing-requests/{request_id}/evidence"): Recipe(params={"request_id": "signed_request"}),
    ("GET", "/advisor/signing-requests/{request_id}/certificate"): Recipe(params={"request_id": "signed_request"}),
    ("GET", "/advisor/notifications"): Recipe(foreign_caller="sees_nothing"),
    ("POST", "/advisor/notifications/{notification_id}/read"): Recipe(params={"notification_id": "notification"}),
    # Names no resource: it marks the caller's own (another firm's advisor has none of these).
    ("POST", "/advisor/notifications/read-all"): Recipe(foreign_caller="sees_nothing"),
    ("POST", "/advisor/bulk-sends"): Recipe(
        body={"subject": "Nep", "body": "Nep", "response_type": "approve", "recipients": [{"client_id": "@eva"}]},
        foreign_caller="creates_own"),  # another firm's batch, whose recipient is no client of theirs
    ("GET", "/advisor/bulk-sends"): Recipe(foreign_caller="sees_nothing"),
    ("GET", "/advisor/bulk-sends/{bulk_send_id}"): Recipe(params={"bulk_send_id": "bulk_send"}),
    ("POST", "/advisor/bulk-sends/{bulk_send_id}/withdraw"): Recipe(params={"bulk_send_id": "bulk_send"}),
    ("POST", "/advisor/bulk-sends/{bulk_send_id}/remind"): Recipe(params={"bulk_send_id": "bulk_send"}),
    ("POST", "/advisor/webhooks"): Recipe(body={"url": "http://127.0.0.1:9/hook", "events": ["signing.signed"]},
                                          foreign_caller="creates_own"),  # another firm's own endpoint
    ("GET", "/advisor/webhooks"): Recipe(foreign_caller="sees_nothing"),
    ("DELETE", "/advisor/webhooks/{webhook_id}"): Recipe(params={"webhook_id": "webhook"}),
    ("POST", "/advisor/webhooks/{webhook_id}/rotate-secret"): Recipe(params={"webhook_id": "webhook"}),
    ("POST", "/advisor/webhooks/{webhook_id}/test"): Recipe(params={"webhook_id": "webhook"}),
    ("GET", "/advisor/webhooks/{webhook_id}/deliveries"): Recipe(params={"webhook_id": "webhook"}),
    ("GET", "/portal/messages"): Recipe(foreign_caller="sees_nothing"),
    ("GET", "/portal/messages/{message_id}"): Recipe(params={"message_id": "open_sign_message"}),
    ("POST", "/portal/messages/{message_id}/reply"): Recipe(params={"message_id": "reply_message"},
                                                             body={"body": "Ingebroken antwoord"}),
    ("POST", "/portal/messages/{message_id}/approve"): Recipe(params={"message_id": "approve_message"}, body={}),
    ("POST", "/portal/messages/{message_id}/reject"): Recipe(params={"message_id": "approve_message"},
                                                              body={"reason": "Nee"}),
    ("POST", "/portal/signing-requests/{request_id}/reject"): Recipe(params={"request_id": "open_request"},
                                                                      body={"reason": "Nee"}),
    ("GET", "/portal/signing-requests/{request_id}"): Recipe(params={"request_id": "open_request"}),
    ("POST", "/portal/signing-requests/{request_id}/otp"): Recipe(params={"request_id": "open_request"}),
    ("POST", "/portal/signing-requests/{request_id}/otp/verify"): Recipe(params={"request_id": "open_request"},
                                                                          body={"code": "123456"}),
    ("POST", "/portal/signing-requests/{request_id}/sign"): Recipe(params={"request_id": "open_request"},
                                                                    body=SIGN_BODY),
}

# Who calls, and what they must get. Advisor routes get the firm's own client as the wrong role;
# portal routes get the firm's own advisor.
COMMON_CALLERS = ("no_token", "forged_token", "wrong_role")
ADVISOR_FOREIGN = ("other_firm_advisor",)
PORTAL_FOREIGN = ("other_client_same_firm", "client_of_other_firm")


def matrix() -> list[Any]:
    pairs = []
    for method, path in protected_routes():
        recipe = RECIPES.get((method, path))
        foreign = ADVISOR_FOREIGN if path.startswith("/advisor/") else PORTAL_FOREIGN
        callers = COMMON_CALLERS + (() if recipe and recipe.foreign_caller == "not_applicable" else foreign)
        pairs += [pytest.param(method, path, caller, id=f"{method} {path} by {caller}") for caller in callers]
    return pairs


@dataclass
class World:
    """The victim firm with real resources, its neighbours and the outsiders."""

    tenant_id: str
    ids: dict[str, str]
    tokens: dict[str, str]
    secrets: set[str]  # values that must never show up in an outsider's answer
    conversations: list[str]
    advisor_id: str
    backend: Any
    last_seen: dict[str, Any] = field(default_factory=dict)  # the state after the previous test


def _forge(token: str) -> str:
    """The same claims and key id, signed with the attacker's own key."""
    claims = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, attacker, algorithm="RS256", headers={"kid": header.get("kid", "dummy")})


def _new_firm(api: Api) -> tuple[str, str]:
    from chalicelib import aws
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING

    tenant = tenants.create_tenant(aws.ports(), f"Kantoor {new_id()[-6:]}", frozenset({SIGNING}))
    email = f"adviseur-{new_id().lower()}@firm.example"
    tenants.add_advisor(aws.ports(), tenant.id, "Test Adviseur", email, "Adviseur-test-2026!")
    return tenant.id, api.login(email, "Adviseur-test-2026!")


def _client(api: Api, advisor: str, name: str) -> dict[str, Any]:
    answer = api.post("/advisor/clients", advisor, {
        "name": name, "email": f"{name.split(maxsplit=1)[0].lower()}-{new_id().lower()}@example.com", "phone": random_mobile(),
        "city": "Haarlem"})
    assert answer.status_code == 201, answer.body
    return dict(answer.json)


def _send(api: Api, advisor: str, client: str, response_type: str, document: str | None = None) -> dict[str, Any]:
    answer = api.post("/advisor/messages", advisor, {
        "client_id": client, "subject": f"Bericht {response_type}", "body": "Vertrouwelijk",
        "response_type": response_type, "document_ids": [document] if document else []})
    assert answer.status_code == 201, answer.body
    return dict(answer.json)


def _verify_code(api: Api, backend: Any, token: str, request_id: str, phone: str) -> None:
    assert api.post(f"/portal/signing-requests/{request_id}/otp", token).status_code == 202
    verified = api.post(f"/portal/signing-requests/{request_id}/otp/verify", token,
                        {"code": last_code(backend, phone)})
    assert verified.status_code == 200, verified.body


@pytest.fixture(scope="module")
def world(api: Api, backend: Any) -> World:
    tenant_id, advisor = _new_firm(api)
    firm = {"token": advisor}
    eva = _client(api, advisor, "Eva Slachtoffer")
    eva_token = activate_client(api, firm, backend, eva)
    bram = _client(api, advisor, "Bram Buurman")
    bram_token = activate_client(api, firm, backend, bram)
    joost = _client(api, advisor, "Joost Nietuitgenodigd")  # never invited: an invite would change him
    other_tenant, other_advisor = _new_firm(api)
    outsider = _client(api, other_advisor, "Olga Buitenstaander")
    outsider_token = activate_client(api, {"token": other_advisor}, backend, outsider)

    ready = upload(api, advisor).json["id"]
    pending = upload(api, advisor, complete=False).json["id"]  # in S3 but not completed: completing changes it
    open_sign = _send(api, advisor, eva["id"], "sign", ready)
    signed = _send(api, advisor, eva["id"], "sign", ready)
    approve = _send(api, advisor, eva["id"], "approve")
    reply = _send(api, advisor, eva["id"], "reply")
    _verify_code(api, backend, eva_token, signed["signing"]["id"], eva["phone"])
    assert api.post(f"/portal/signing-requests/{signed['signing']['id']}/sign", eva_token, SIGN_BODY).status_code == 200
    bulk = api.post("/advisor/bulk-sends", advisor, {"subject": "Bulk", "body": "Vertrouwelijk", "response_type": "approve",
                                                      "recipients": [{"client_id": eva["id"]}]}).json["id"]
    _drain_bulk_sends()  # its approval is open: a withdraw or a reminder that got through would show
    webhook = api.post("/advisor/webhooks", advisor, {"url": "http://127.0.0.1:9/hook",
                                                       "events": ["signing.signed"]}).json["id"]
    # The open request holds a live verified code: a sign that got through would really sign it.
    _verify_code(api, backend, eva_token, open_sign["signing"]["id"], eva["phone"])

    ids = {
        "eva": eva["id"], "joost": joost["id"], "joost_email": joost["email"], "ready_document": ready,
        "pending_document": pending, "open_sign_message": open_sign["id"], "open_request": open_sign["signing"]["id"],
        "signed_message": signed["id"], "signed_request": signed["signing"]["id"], "approve_message": approve["id"],
        "reply_message": reply["id"], "fresh_email": f"nieuw-{new_id().lower()}@example.com", "bulk_send": bulk,
        "webhook": webhook,
    }
    tokens = {
        "advisor": advisor, "eva": eva_token, "bram": bram_token, "other_firm_advisor": other_advisor,
        "client_of_other_firm": outsider_token, "forged_advisor": _forge(advisor), "forged_eva": _forge(eva_token),
    }
    secrets = {tenant_id, eva["id"], eva["email"], joost["id"], ready, pending, open_sign["id"], signed["id"],
               approve["id"], reply["id"], open_sign["signing"]["id"], signed["signing"]["id"], "Vertrouwelijk", bulk, webhook}
    assert other_tenant != tenant_id
    world = World(tenant_id=tenant_id, ids=ids, tokens=tokens, secrets=secrets, backend=backend,
                  conversations=[m["conversation_id"] for m in (open_sign, signed, approve, reply)], advisor_id="")
    world.advisor_id = _advisor_id(world)
    from chalicelib.store import keys

    world.ids["notification"] = _partition(keys.advisor_inbox(tenant_id, world.advisor_id))[0]["notification_id"]["S"]
    world.secrets.add(world.ids["notification"])
    world.last_seen = snapshot(world)
    return world


def _drain_bulk_sends() -> None:
    from chalicelib import aws
    from chalicelib.config import get_settings
    from local.queue import QueuePoller

    QueuePoller(aws.client("sqs"), get_settings().bulk_send_queue_url).drain()


def _advisor_id(world: World) -> str:
    """The advisor's id as stored on the messages they sent (their inbox is keyed by it)."""
    from chalicelib.store import keys

    messages = [i for i in _partition(keys.tenant(world.tenant_id)) if i["sk"]["S"].startswith("MSG#")]
    assert messages and len({m["advisor_id"]["S"] for m in messages}) == 1
    advisor_id = messages[0]["advisor_id"]["S"]
    assert _partition(keys.advisor_inbox(world.tenant_id, advisor_id)), "the signed request notified the advisor"
    return str(advisor_id)


def _partition(pk: str) -> list[dict[str, Any]]:
    from chalicelib import aws
    from chalicelib.config import get_settings

    pages = aws.client("dynamodb").get_paginator("query").paginate(
        TableName=get_settings().table_name, ConsistentRead=True, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}})
    return [item for page in pages for item in page["Items"]]


def snapshot(world: World) -> dict[str, Any]:
    """Every stored item of the victim firm, item by item, and what the outbox holds.

    Stricter than the owners' GETs: any write at all (a status, an audit event, a code
    attempt, a reply, a notification, a document check, a client field) shows up.
    """
    from chalicelib.store import keys

    tenant, ids = world.tenant_id, world.ids
    mail = outbox(world.backend)
    return {
        "tenant": _partition(keys.tenant(tenant)),
        "audit": {r: _partition(keys.audit_chain(tenant, ids[r])) for r in ("open_request", "signed_request")},
        "conversations": {c: _partition(keys.conversation(tenant, c)) for c in world.conversations},
        "inbox": _partition(keys.advisor_inbox(tenant, world.advisor_id)),
        "outbox": (len(mail["emails"]), len(mail["sms"])),
    }


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    """"@name" in a body stands for the World id of that name."""
    if isinstance(value, str) and value.startswith("@"):
        return ids[value[1:]]
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    return value


def _request(recipe: Recipe, path: str, ids: dict[str, str], foreign: bool) -> tuple[str, Any]:
    body = recipe.foreign_body if foreign and recipe.foreign_body is not None else recipe.body
    for name, source in recipe.params.items():
        path = path.replace("{" + name + "}", ids[source])
    if recipe.query:
        path += "?" + urlencode({k: ids[v] for k, v in recipe.query.items()})
    return path, _resolve(body, ids)


def _caller(caller: str, path: str, world: World) -> tuple[str | None, int, str]:
    """The token a caller presents, and the status and code it must get."""
    advisor_route = path.startswith("/advisor/")
    return {
        "no_token": (None, 401, "unauthenticated"),
        "forged_token": (world.tokens["forged_advisor" if advisor_route else "forged_eva"], 401, "unauthenticated"),
        "wrong_role": (world.tokens["eva" if advisor_route else "advisor"], 403, "forbidden"),
        "other_firm_advisor": (world.tokens["other_firm_advisor"], 404, "not_found"),
        "other_client_same_firm": (world.tokens["bram"], 404, "not_found"),
        "client_of_other_firm": (world.tokens["client_of_other_firm"], 404, "not_found"),
    }[caller]


def _assert_problem(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["status"] == status and answer.json["code"] == code
    assert answer.json["type"] and answer.json["title"] and answer.json["detail"]


def _assert_sees_nothing(answer: Any, world: World) -> None:
    assert answer.status_code == 200, answer.body
    leaked = {value for value in world.secrets if value in answer.body.decode()}
    assert not leaked, f"an outsider's list shows {leaked}"


def test_every_protected_route_has_a_recipe_in_the_matrix():
    missing = [route for route in protected_routes() if route not in RECIPES]
    stale = [route for route in RECIPES if route not in protected_routes()]
    assert (missing, stale) == ([], [])


@pytest.mark.parametrize(("method", "path", "caller"), matrix())
def test_a_caller_without_rights_is_refused_and_changes_nothing(api: Api, world: World, method, path, caller):
    recipe = RECIPES.get((method, path))
    assert recipe is not None, f"{method} {path} is a new route: give it a recipe in RECIPES"
    foreign = caller in ADVISOR_FOREIGN + PORTAL_FOREIGN
    url, body = _request(recipe, path, world.ids, foreign)
    token, status, code = _caller(caller, path, world)
    # Nothing else touches this firm, so the state after the previous test is the state before this one.
    before = world.last_seen

    answer = api.call(method, url, token, body)
    world.last_seen = after = snapshot(world)

    if foreign and recipe.foreign_caller == "sees_nothing":
        _assert_sees_nothing(answer, world)
    elif caller in ADVISOR_FOREIGN and recipe.foreign_caller == "creates_own":
        # The same e-mail in another firm is no conflict: a 409 would tell them it exists here. A batch
        # is accepted (202) and its recipient fails in the caller's own firm, where no such client is.
        assert answer.status_code in (201, 202), answer.body
        assert answer.json["id"] not in world.secrets
    else:
        _assert_problem(answer, status, code)
        assert not {value for value in world.secrets if value in json.dumps(answer.json)}
    assert after == before
