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
        is_json = "json" in (response.headers.get("Content-Type") or "application/json")
        response.json = json.loads(response.body) if response.body and is_json else None
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
    from chalicelib import aws
    from chalicelib.ids import new_id
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING

    tenant = tenants.create_tenant(aws.ports(), f"Kantoor {new_id()[-6:]}", frozenset({SIGNING}))
    email = f"adviseur-{new_id().lower()}@firm.example"
    tenants.add_advisor(aws.ports(), tenant.id, "Test Adviseur", email, "Adviseur-test-2026!")
    return {"tenant": tenant, "advisor_email": email, "token": api.login(email, "Adviseur-test-2026!")}


def outbox(backend: LocalStack) -> dict[str, Any]:
    from chalicelib.notify.outbox import read_outbox

    return read_outbox()


def emails_to(backend: LocalStack, address: str) -> list[dict[str, Any]]:
    return [m for m in outbox(backend)["emails"] if address in m["to"]]


def make_pdf(*objects: bytes) -> bytes:
    """A PDF of these objects, numbered from 1 (the first is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# The catalog, the page tree and one empty A4 page: objects 1 to 3 of a PDF that opens anywhere.
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
PDF_BYTES = make_pdf(CATALOG, PAGES, PAGE)


def encrypted_pdf(user_password: str = "") -> bytes:
    """A one-page PDF encrypted with AES-256; with no user password, any reader opens it without asking."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password=user_password, owner_password="eigenaar", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def animated_png() -> bytes:
    """An APNG of two frames, each a stroke on a transparent canvas: a viewer shows a moving signature."""
    import io

    from PIL import Image, ImageDraw

    frames = []
    for shift in (0, 40):
        frame = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
        ImageDraw.Draw(frame).line([(20 + shift, 120), (160 + shift, 30)], fill=(20, 20, 60, 255), width=4)
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:], duration=500, loop=0)
    return buffer.getvalue()

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def make_ooxml(main_part: str, main_type: str, content_types: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """An OOXML package: [Content_Types].xml naming `main_part` as `main_type`, the package relationship to it."""
    import io
    import zipfile

    if content_types is None:
        content_types = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>')
    relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Target="{main_part}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", relationships)
        package.writestr(main_part, "<document/>")
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


DOCX_BYTES = make_ooxml("word/document.xml", WORD_MAIN)
XLSX_BYTES = make_ooxml("xl/workbook.xml", EXCEL_MAIN)


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


def sign_request(api: Api, backend: LocalStack, token: str, request_id: str, phone: str, city: str = "Haarlem") -> Any:
    """'Akkoord en ondertekenen' as the portal does it: a code by SMS, that code (read from the outbox), the
    signature; the sign call's answer."""
    assert api.post(f"/portal/signing-requests/{request_id}/otp", token).status_code == 202
    verified = api.post(f"/portal/signing-requests/{request_id}/otp/verify", token, {"code": last_code(backend, phone)})
    assert verified.status_code == 200, verified.body
    return api.post(f"/portal/signing-requests/{request_id}/sign", token,
                    {"signature_image": data_url(signature_png()), "city": city})


def send_as_of(api: Api, firm: dict[str, Any], moment: Any, deadline: str,
               response_type: str = "sign") -> tuple[dict[str, Any], str]:
    """A message with a deadline to a new client, sent as if the clock read `moment`; (message, client e-mail)."""
    from chalicelib import aws
    from chalicelib.clock import FixedClock
    from chalicelib.ids import new_id

    email = f"herinnering-{new_id().lower()}@example.com"
    client = api.post("/advisor/clients", firm["token"], {
        "name": "Herman Herinnering", "email": email, "phone": random_mobile(), "language": "nl"}).json
    documents = [upload(api, firm["token"]).json["id"]] if response_type == "sign" else []
    aws.use_clock(FixedClock(moment))
    try:
        message = api.post("/advisor/messages", firm["token"], {
            "client_id": client["id"], "subject": "Aangifte 2025", "body": "Graag reageren.",
            "response_type": response_type, "document_ids": documents, "deadline": deadline})
    finally:
        aws.use_clock(None)
    assert message.status_code == 201, message.body
    return dict(message.json), email
