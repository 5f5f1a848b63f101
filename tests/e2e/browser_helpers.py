"""What the browser tests share: Debian's Chromium, tabs, page sizes, screenshots, logins, a PDF, the SMS code."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# Playwright cannot download its own browser here (no network): drive the system's Chromium.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

ADVISOR = ("adviseur@demo.example", "Adviseur-demo-2026!")
BASIS_ADVISOR = ("adviseur@basis.example", "Adviseur-basis-2026!")
HARRY = ("harry@demo.example", "Harry-demo-2026!")
HARRY_PHONE = "+31612345678"
SESSION_KEY = "login.session"  # the pages' sessionStorage entry: token, memberships, the chosen firm


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("Chromium is missing: `make browser` installs Debian's chromium")
    return found


@contextmanager
def launch_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """A page in its own context (its own sessionStorage), collecting script errors and CSP refusals."""

    def __init__(self, browser: Browser, base_url: str, phone: bool = False) -> None:
        options: dict[str, Any] = {"viewport": PHONE if phone else DESKTOP, "locale": "nl-NL",
                                   "timezone_id": "Europe/Amsterdam", "base_url": base_url}
        if phone:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        self.context: BrowserContext = browser.new_context(**options)
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        self.phone = phone
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        self.page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # A refused request (4xx answer) is logged by Chromium too; those are expected in these flows.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def snap(self, name: str, both: bool = True, audit: bool = True) -> None:
        """Full-page screenshots of the current screen at this tab's width and, with `both`, at the other;
        with `audit`, axe-core's WCAG 2.2 A and AA rules must find nothing at each width."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        sizes = [PHONE, DESKTOP] if self.phone else [DESKTOP, PHONE]
        violations: dict[str, list[dict[str, Any]]] = {}
        for size in sizes if both else sizes[:1]:
            self.page.set_viewport_size(size)
            self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            label = "phone" if size is PHONE else "desktop"
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
            if audit and (found := axe_violations(self.page)):
                violations[label] = found
        self.page.set_viewport_size(sizes[0])
        assert not violations, f"axe-core on {name}: {violations}"

    def close(self) -> None:
        self.context.close()

    def session(self) -> Any:
        """What the pages keep in this tab's sessionStorage (None when logged out)."""
        return self.page.evaluate(f"() => JSON.parse(sessionStorage.getItem('{SESSION_KEY}') || 'null')")


# The fixtures every browser test module imports (`from ... import browser_fixture, tabs_fixture`).
@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Browser]:
    with launch_browser() as chromium:
        yield chromium


@pytest.fixture(name="tabs")
def tabs_fixture(browser: Browser, stack: Any) -> Iterator[list[Tab]]:
    """Open tabs; each must end without a script error or a Content-Security-Policy refusal."""
    opened: list[Tab] = []
    yield opened
    errors = [error for tab in opened for error in tab.errors]
    for tab in opened:
        tab.close()
    assert not errors, errors


def open_tab(tabs: list[Tab], browser: Browser, stack: Any, path: str, phone: bool = False) -> Tab:
    tab = Tab(browser, stack.url, phone=phone)
    tabs.append(tab)
    tab.page.goto(path)
    return tab


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("button", name="Uitloggen").wait_for()


def deadline_in(days: int) -> str:
    """A date `days` ahead in Amsterdam, where the API's deadlines live."""
    today: date = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    return (today + timedelta(days=days)).isoformat()


def small_pdf(title: str) -> bytes:
    """A one-page PDF with one line of text."""
    from tests.conftest import make_pdf

    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )
    return make_pdf(*objects)


def sms_count(stack: Any, phone: str) -> int:
    return sum(1 for sms in stack.outbox()["sms"] if sms["to"] == phone)


def wait_for_sms_code(stack: Any, phone: str, seen: int, timeout: float = 15) -> str:
    """The 6-digit code of the first SMS to `phone` after the `seen` ones already there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [sms["message"] for sms in stack.outbox()["sms"] if sms["to"] == phone]
        if len(texts) > seen:
            found = re.search(r"\b(\d{6})\b", texts[-1])
            assert found, f"no 6-digit code in the SMS: {texts[-1]!r}"
            return found.group(1)
        time.sleep(0.2)  # polling the outbox, not waiting for a fixed time
    raise AssertionError(f"no new SMS to {phone} within {timeout} s")


def draw_signature(page: Page, canvas: Locator) -> None:
    """Two strokes with the mouse, like a hurried initial and surname."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box, "the drawing pad is not visible"
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    strokes = [
        [(0.10, 0.65), (0.14, 0.30), (0.18, 0.62), (0.22, 0.35), (0.26, 0.60)],
        [(0.32, 0.55), (0.40, 0.35), (0.47, 0.62), (0.55, 0.40), (0.63, 0.58), (0.72, 0.42), (0.85, 0.50)],
    ]
    for stroke in strokes:
        page.mouse.move(x + stroke[0][0] * w, y + stroke[0][1] * h)
        page.mouse.down()
        for fx, fy in stroke[1:]:
            page.mouse.move(x + fx * w, y + fy * h, steps=6)
        page.mouse.up()


def send_signing_request(stack: Any, client_name: str, subject: str, deadline: str,
                         pdf: bytes | None = None) -> dict[str, Any]:
    """Through the API (the browser path is test 1's): a ready PDF (`pdf`, or a line of text) and a `sign`
    message to the client."""
    token = stack.login(*ADVISOR)
    headers = {"Authorization": f"Bearer {token}"}
    clients = requests.get(f"{stack.url}/advisor/clients", headers=headers, timeout=10).json()["items"]
    client = next(c for c in clients if c["name"] == client_name)
    pdf = pdf if pdf is not None else small_pdf(subject)
    created = requests.post(f"{stack.url}/advisor/documents", headers=headers, timeout=10, json={
        "filename": "volmacht.pdf", "content_type": "application/pdf", "size": len(pdf)}).json()
    upload = created["upload"]
    stored = requests.post(upload["url"], data=upload["fields"], timeout=10,
                           files={"file": ("volmacht.pdf", pdf, "application/pdf")})
    assert stored.ok, stored.text
    ready = requests.post(f"{stack.url}/advisor/documents/{created['id']}/complete", headers=headers, timeout=10)
    assert ready.ok, ready.text
    sent = requests.post(f"{stack.url}/advisor/messages", headers=headers, timeout=10, json={
        "client_id": client["id"], "subject": subject, "body": "Graag uw handtekening onder de volmacht.",
        "response_type": "sign", "document_ids": [created["id"]], "deadline": deadline})
    assert sent.status_code == 201, sent.text
    return dict(sent.json())


def call(stack: Any, method: str, path: str, token: str | None = None, body: Any = None,
         firm: str | None = None) -> requests.Response:
    """One API call as a person acting as `firm` (X-Firm), or as their oldest membership."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if firm:
        headers["X-Firm"] = firm
    return requests.request(method, f"{stack.url}{path}", json=body, headers=headers, timeout=10)


def invite(stack: Any, advisor_token: str, name: str, email: str, **card: str) -> tuple[str, str]:
    """A client card of the advisor's firm for `email` (with the other fields of `card`), invited: (client id,
    the link's one-time token)."""
    client = call(stack, "POST", "/advisor/clients", advisor_token, {"name": name, "email": email, **card})
    assert client.status_code == 201, client.text
    client_id = str(client.json()["id"])
    invited = call(stack, "POST", f"/advisor/clients/{client_id}/invite", advisor_token)
    assert invited.status_code == 202, invited.text
    body = [m for m in stack.outbox()["emails"] if email in m["to"]][-1]["body"]
    found = re.search(r'href="([^"]+/activate\?[^"]+)"', body)
    assert found, f"no activation link in the invitation: {body[:300]!r}"
    link = found.group(1).replace("&amp;", "&")
    return client_id, parse_qs(urlparse(link).query)["token"][0]


def send_information(stack: Any, advisor_token: str, client_id: str, subject: str) -> None:
    """A message for information only (nothing to answer) from the advisor's firm to the client."""
    sent = call(stack, "POST", "/advisor/messages", advisor_token, {
        "client_id": client_id, "subject": subject, "body": "Ter informatie.", "response_type": "none"})
    assert sent.status_code == 201, sent.text


def new_signer(stack: Any, advisor_token: str, name: str, city: str) -> dict[str, str]:
    """A client of the demo firm with a phone of their own (so no SMS limit shared with other tests),
    invited and activated: {id, name, email, password, phone}."""
    from tests.conftest import random_mobile

    tag = uuid.uuid4().hex[:8]
    email, phone, password = f"ceremonie-{tag}@example.com", random_mobile(), f"Ceremonie-{tag}-2026!"
    client_id, token = invite(stack, advisor_token, name, email, phone=phone, city=city)
    activated = call(stack, "POST", "/auth/activate", body={"token": token, "password": password})
    assert activated.ok, activated.text
    return {"id": client_id, "name": name, "email": email, "password": password, "phone": phone}


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A and AA violations of the page as it is now.

    Injected through the DevTools protocol (page.evaluate), which the page's CSP does not govern,
    so the policy stays exactly as served."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {
                runOnly: { type: 'tag', values: tags },
                rules: { 'label-content-name-mismatch': { enabled: true } },
                resultTypes: ['violations'],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
            }));
        }""",
        AXE_TAGS,
    )
    return found


def upload_pdf(stack: Any, token: str, filename: str, pdf: bytes) -> dict[str, Any]:
    """A PDF through the presigned POST, checked by the server: the ready document."""
    created = call(stack, "POST", "/advisor/documents", token,
                   {"filename": filename, "content_type": "application/pdf", "size": len(pdf)})
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    stored = requests.post(upload["url"], data=upload["fields"], timeout=10, files={"file": (filename, pdf, "application/pdf")})
    assert stored.ok, stored.text
    ready = call(stack, "POST", f"/advisor/documents/{created.json()['id']}/complete", token)
    assert ready.ok, ready.text
    return dict(ready.json())


def send_to_sign(stack: Any, token: str, client_id: str, subject: str, pdf: bytes, *, filename: str = "volmacht.pdf",
                 co_signers: tuple[str, ...] = (), order: str = "parallel") -> dict[str, Any]:
    """A `sign` message from the advisor of `token` to a client (and co-signers), by client id: the sent message."""
    document = upload_pdf(stack, token, filename, pdf)
    body: dict[str, Any] = {"client_id": client_id, "subject": subject, "body": "Graag uw handtekening.",
                            "response_type": "sign", "document_ids": [document["id"]], "deadline": deadline_in(10)}
    if co_signers:
        body.update(co_signers=list(co_signers), signing_order=order)
    sent = call(stack, "POST", "/advisor/messages", token, body)
    assert sent.status_code == 201, sent.text
    return dict(sent.json())


def sign_over_http(stack: Any, signer: dict[str, str], request_id: str, *, method: str = "drawn",
                   wrong_code_first: bool = False) -> None:
    """The ceremony as the portal runs it, over HTTP: open, code by SMS (a wrong one first, if asked), sign."""
    from tests.conftest import data_url, signature_png

    token = stack.login(signer["email"], signer["password"])
    base = f"/portal/signing-requests/{request_id}"
    assert call(stack, "GET", base, token).ok
    seen = sms_count(stack, signer["phone"])
    sent = call(stack, "POST", f"{base}/otp", token)
    assert sent.status_code == 202, sent.text
    code = wait_for_sms_code(stack, signer["phone"], seen)
    if wrong_code_first:
        wrong = call(stack, "POST", f"{base}/otp/verify", token, {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
        assert wrong.status_code == 422, wrong.text
    verified = call(stack, "POST", f"{base}/otp/verify", token, {"code": code})
    assert verified.ok, verified.text
    body: dict[str, Any] = {"signature_image": data_url(signature_png()), "city": "Leiden", "method": method}
    if method == "typed":
        body["typed_name"] = signer["name"]
    signed = call(stack, "POST", f"{base}/sign", token, body)
    assert signed.ok, signed.text


def reject_over_http(stack: Any, signer: dict[str, str], request_id: str, reason: str) -> None:
    """'Afwijzen' in the portal, over HTTP."""
    token = stack.login(signer["email"], signer["password"])
    rejected = call(stack, "POST", f"/portal/signing-requests/{request_id}/reject", token, {"reason": reason})
    assert rejected.ok, rejected.text


def assert_no_horizontal_overflow(tab: Tab) -> None:
    """At the phone's width and at the desktop's, the page is no wider than the window."""
    for size in (PHONE, DESKTOP):
        tab.page.set_viewport_size(ViewportSize(width=size["width"], height=size["height"]))
        wider = tab.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wider <= 0, f"{wider} px of horizontal overflow at {size['width']} px"
    tab.page.set_viewport_size(ViewportSize(width=DESKTOP["width"], height=DESKTOP["height"]))
