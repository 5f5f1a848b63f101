"""Shared fixtures: one moto server per test process, its resources, the demo data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.launch import free_port
from local.stack import LocalStack


@pytest.fixture(scope="session")
def backend() -> Iterator[LocalStack]:
    """moto with every resource and the demo data; settings point at it for the whole session."""
    stack = LocalStack(host="127.0.0.1", moto_port=free_port(), port=free_port())
    stack.start_backend(stage="test")
    yield stack
    stack.stop()


class Api:
    """The app through chalice.test.Client (and the local gateway), speaking JSON."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None, raw: bytes | None = None) -> Any:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = self.client.http.request(method, path, headers=sent, body=payload)
        response.json = json.loads(response.body) if response.body else None
        return response

    def get(self, path: str, token: str | None = None, **kw: Any) -> Any:
        return self.call("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, token, body, **kw)

    def patch(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Any:
        return self.call("PATCH", path, token, body, **kw)

    def login(self, email: str, password: str) -> str:
        response = self.post("/auth/login", body={"email": email, "password": password})
        assert response.status_code == 200, response.body
        return str(response.json["token"])


@pytest.fixture(scope="session")
def api(backend: LocalStack) -> Iterator[Api]:
    from app import app
    from local.gateway import ApiClient

    with ApiClient(app, stage_name="local") as client:
        yield Api(client)


@pytest.fixture(scope="session")
def tokens(api: Api) -> dict[str, str]:
    """A token for each demo user, by first name."""
    return {
        "demo_advisor": api.login("adviseur@demo.example", "Adviseur-demo-2026!"),
        "basis_advisor": api.login("adviseur@basis.example", "Adviseur-basis-2026!"),
        "harry": api.login("harry@demo.example", "Harry-demo-2026!"),
        "sanne": api.login("sanne@demo.example", "Sanne-demo-2026!"),
        "piet": api.login("piet@basis.example", "Piet-basis-2026!"),
    }


@pytest.fixture
def firm(api: Api, backend: LocalStack) -> dict[str, Any]:
    """A fresh firm with signing on and its own advisor, so a test can change state freely."""
    from chalicelib.ids import new_id
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING

    tenant = tenants.create_tenant(f"Kantoor {new_id()[-6:]}", frozenset({SIGNING}))
    email = f"adviseur-{new_id().lower()}@firm.example"
    tenants.add_advisor(tenant.id, "Test Adviseur", email, "Adviseur-test-2026!")
    return {"tenant": tenant, "advisor_email": email, "token": api.login(email, "Adviseur-test-2026!")}


def outbox(backend: LocalStack) -> dict[str, Any]:
    from chalicelib.notify.outbox import read_outbox

    return read_outbox()


def emails_to(backend: LocalStack, address: str) -> list[dict[str, Any]]:
    return [m for m in outbox(backend)["emails"] if address in m["to"]]


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(api: Api, token: str, content: bytes = PDF_BYTES, filename: str = "jaarrekening.pdf",
           content_type: str = "application/pdf", declared: int | None = None, complete: bool = True) -> Any:
    """Upload a document the way the dashboard does: presigned POST straight to S3, then complete."""
    import requests

    created = api.post("/advisor/documents", token, {
        "filename": filename, "content_type": content_type, "size": declared or len(content)})
    assert created.status_code == 201, created.body
    form = created.json["upload"]
    answer = requests.post(form["url"], data=form["fields"], files={"file": (filename, content)}, timeout=10)
    assert answer.status_code in (200, 204), answer.text
    if not complete:
        return created
    return api.post(f"/advisor/documents/{created.json['id']}/complete", token)


def client_id(api: Api, token: str, name: str) -> str:
    items = api.get(f"/advisor/clients?q={name}", token).json["items"]
    return str(items[0]["id"])


def activate_client(api: Api, firm: dict[str, Any], backend: LocalStack, client: dict[str, Any],
                    password: str = "Klant-wachtwoord-2026!") -> str:
    """Invite the client, follow the e-mailed link, set a password, log in; the client's token."""
    import re
    from urllib.parse import parse_qs, urlparse

    assert api.post(f"/advisor/clients/{client['id']}/invite", firm["token"]).status_code == 202
    body = emails_to(backend, client["email"])[-1]["body"]
    link = re.search(r'href="([^"]+)"', body).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    token = parse_qs(urlparse(link).query)["token"][0]
    assert api.post("/auth/activate", body={"token": token, "password": password}).status_code == 200
    return api.login(client["email"], password)


def random_mobile() -> str:
    import secrets

    return "+3161" + "".join(str(secrets.randbelow(10)) for _ in range(7))


@pytest.fixture
def signer(api: Api, firm: dict[str, Any], backend: LocalStack) -> dict[str, Any]:
    """A fresh client with a phone and a portal login, in the fresh firm."""
    from chalicelib.ids import new_id

    client = api.post("/advisor/clients", firm["token"], {
        "name": "Eva de Jong", "email": f"eva-{new_id().lower()}@example.com", "phone": random_mobile(),
        "city": "Haarlem"}).json
    return {**client, "token": activate_client(api, firm, backend, client)}


def signature_png(width: int = 400, height: int = 160, blank: bool = False) -> bytes:
    """A drawing-pad PNG: transparent canvas with a dark stroke (or nothing when blank)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(20, 120), (90, 30), (160, 110), (260, 40), (380, 100)], fill=(20, 20, 60, 255),
                                   width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode()


def last_code(backend: LocalStack, phone: str) -> str:
    import re

    texts = [s["message"] for s in outbox(backend)["sms"] if s["to"] == phone]
    return re.search(r":\s(\d{6})\.", texts[-1]).group(1)  # type: ignore[union-attr]
