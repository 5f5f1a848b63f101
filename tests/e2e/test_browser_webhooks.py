"""'Koppelingen' in a real browser: the demo advisor adds a webhook endpoint on a receiver that this test
runs on 127.0.0.1, copies its secret (shown once), sends a test event and sees it delivered (the receiver
got it, signed by the Standard Webhooks scheme), renews the secret, and deletes the endpoint. A disabled
endpoint says so in words, on the list and on its screen.

Screenshots are `webhooks-NN-...` in artifacts/screenshots/, at 1280 px and at 375 px; axe-core checks each
screen against the WCAG 2.2 A and AA rules.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect
from standardwebhooks.webhooks import Webhook

from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    DESKTOP,
    PHONE,
    Tab,
    assert_no_horizontal_overflow,
    browser_fixture,
    call,
    log_in,
    open_tab,
    tabs_fixture,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)
# The local stack delivers within seconds (and /dev/webhooks/run at once); this is an upper bound, not a wait.
DELIVERY_TIMEOUT_MS = 60_000


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """An integrator's endpoint on 127.0.0.1: answers every POST with 204 and keeps what came."""

    port: int
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def with_id(self, event_id: str, timeout: float = 10) -> Received:
        """The first request whose `webhook-id` is `event_id` (other events of the firm may come too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [r for r in self.requests if r.headers.get("webhook-id") == event_id]
            if found:
                return found[0]
            time.sleep(0.1)  # polling what the server thread recorded, not waiting for a fixed time
        raise AssertionError(f"the receiver got no request with webhook-id {event_id}: {self.requests}")


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    received: list[Received] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
            with lock:
                received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the test reads what came, not a log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(server.server_address[1], received, lock)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(name="advisor_token")
def advisor_token_fixture(stack: Any) -> str:
    return str(stack.login(*ADVISOR))


@pytest.fixture(name="cleanup")
def cleanup_fixture(stack: Any, advisor_token: str, receiver: Receiver) -> Iterator[None]:
    """Whatever happens in the test, no endpoint on this run's receiver outlives it (a dead address would
    fail deliveries and notify the demo advisor during the tests after this one)."""
    yield
    listed = call(stack, "GET", "/advisor/webhooks", advisor_token)
    for endpoint in listed.json().get("items", []) if listed.ok else []:
        if endpoint["url"] == receiver.url:
            call(stack, "DELETE", f"/advisor/webhooks/{endpoint['id']}", advisor_token)


def event_box(page: Page, event_type: str) -> Locator:
    return page.get_by_role("checkbox", name=re.compile(rf"{re.escape(event_type)}$"))


def run_deliveries(stack: Any) -> None:
    ran = call(stack, "POST", "/dev/webhooks/run", body={})
    assert ran.ok, ran.text


def test_an_advisor_adds_an_endpoint_sees_its_secret_once_gets_a_test_event_delivered_renews_and_deletes_it(
        browser: Browser, stack: Any, tabs: list[Tab], receiver: Receiver, advisor_token: str, cleanup: None) -> None:
    tab = open_tab(tabs, browser, stack, "/advisor")
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page = tab.page
    log_in(page, *ADVISOR)
    page.get_by_role("link", name="Koppelingen").click()
    expect(page.get_by_role("heading", name="Koppelingen", level=1)).to_be_visible()
    expect(page.locator("section[aria-labelledby=webhooks-list-title] .loading")).to_have_count(0)  # the list has come

    # the add form: the address and two events, each named in words and by its technical name
    address = page.get_by_label("Adres (URL)", exact=True)
    address.fill(receiver.url)
    for event_type in ("signing.signed", "message.sent"):
        event_box(page, event_type).check()
    expect(event_box(page, "signing.signed")).to_have_accessible_name("Een ondertekenaar heeft ondertekend signing.signed")
    tab.snap("webhooks-01-add-form")
    assert_no_horizontal_overflow(tab)

    # an address the server refuses is marked at the field, with the server's own words
    address.fill("http://example.com/hook")
    page.get_by_role("button", name="Koppeling toevoegen").click()
    expect(address).to_have_attribute("aria-invalid", "true")
    error_id = address.get_attribute("aria-describedby")
    assert error_id, "the refused address is not tied to its message"
    expect(page.locator(f"#{error_id}.field-error")).not_to_be_empty()
    expect(page.get_by_role("alert").first).to_contain_text("Controleer de gemarkeerde velden.")

    # added: the endpoint's screen shows the secret, once, with a warning and a copy button
    address.fill(receiver.url)
    with page.expect_response(lambda r: r.url.endswith("/advisor/webhooks") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Koppeling toevoegen").click()
    assert answer.value.status == 201, answer.value.text()
    created = answer.value.json()
    expect(page.get_by_role("heading", name=f"Koppeling met 127.0.0.1:{receiver.port}", level=1)).to_be_visible()
    assert page.url.endswith(f"#/webhooks/{created['id']}"), page.url
    expect(page.get_by_text("De koppeling is toegevoegd. Kopieer nu het geheim.")).to_be_visible()
    secret_field = page.get_by_label("Geheim", exact=True)
    expect(secret_field).to_have_value(created["secret"])
    secret = secret_field.input_value()
    assert secret.startswith("whsec_"), secret
    expect(secret_field).to_have_attribute("readonly", "")
    expect(page.locator("#webhook-secret-card")).to_contain_text("Het wordt maar één keer getoond")
    page.get_by_role("button", name="Geheim kopiëren").click()
    expect(page.get_by_text("Het geheim is gekopieerd.")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    expect(page.locator("#webhook-address")).to_have_text(receiver.url)
    tab.snap("webhooks-02-secret-shown")
    page.get_by_role("button", name="English").click()  # the same screen in other words: the secret stays
    expect(page.get_by_role("button", name="Copy secret")).to_be_visible()
    expect(page.get_by_label("Secret", exact=True)).to_have_value(secret)
    page.get_by_role("button", name="Nederlands").click()
    expect(secret_field).to_have_value(secret)
    assert_no_horizontal_overflow(tab)

    listed = call(stack, "GET", "/advisor/webhooks", advisor_token).json()["items"]
    mine = [e for e in listed if e["id"] == created["id"]]
    assert len(mine) == 1 and sorted(mine[0]["events"]) == ["message.sent", "signing.signed"], listed
    assert secret not in json.dumps(listed), "the list carries the secret"

    # shown once: back on the list and into the endpoint again, the secret is gone from the page
    page.get_by_role("link", name="Naar koppelingen").click()
    row = page.locator(f'li[data-webhook-id="{created["id"]}"]')
    expect(row).to_contain_text(receiver.url)
    expect(row).to_contain_text("Actief")
    expect(row).to_contain_text("2 gebeurtenissen")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"Koppeling met 127.0.0.1:{receiver.port}", level=1)).to_be_visible()
    expect(page.locator("#webhook-secret")).to_have_count(0)
    assert secret not in page.content()

    # a test event: delivered to the receiver, signed with the secret, and so in the deliveries table
    with page.expect_response(lambda r: r.url.endswith("/test") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="Testbericht sturen").click()
    assert sent.value.status == 202, sent.value.text()
    event_id = sent.value.json()["event_id"]
    assert sent.value.json()["type"] == "webhook.test"
    expect(page.locator(".webhook-outcome")).to_contain_text(event_id)
    delivery = page.locator(f'.deliveries-table tr[data-event-id="{event_id}"]')
    expect(delivery).to_be_visible()
    expect(delivery.get_by_role("rowheader")).to_contain_text("Testbericht")
    run_deliveries(stack)
    expect(delivery).to_have_attribute("data-status", "delivered", timeout=DELIVERY_TIMEOUT_MS)
    expect(delivery).to_contain_text("Afgeleverd")
    expect(delivery).to_contain_text("HTTP 204")
    expect(delivery.locator("td.attempts")).to_have_text("1")
    got = receiver.with_id(event_id)
    assert got.path == "/hook", got.path
    assert got.headers["webhook-timestamp"].isdigit(), got.headers
    assert got.headers["webhook-signature"].startswith("v1,"), got.headers
    Webhook(secret).verify(got.body, got.headers)  # raises unless the secret signed it
    assert json.loads(got.body)["type"] == "webhook.test"
    page.get_by_role("button", name="Afleveringen bijwerken").click()
    expect(page.locator(".deliveries-checked")).to_contain_text("Bijgewerkt om")
    tab.snap("webhooks-03-endpoint-with-deliveries")
    assert_no_horizontal_overflow(tab)

    # a new secret: shown once too, and the old one signs beside it until the moment said
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.url.endswith("/rotate-secret")) as rotated:
        page.get_by_role("button", name="Geheim vernieuwen").click()
    assert rotated.value.status == 200, rotated.value.text()
    expect(page.get_by_role("heading", name="Het nieuwe geheim", level=2)).to_be_visible()
    new_secret = page.get_by_label("Geheim", exact=True).input_value()
    assert new_secret.startswith("whsec_") and new_secret != secret
    expect(page.locator("#webhook-secret-card")).to_contain_text(
        re.compile(r"Het vorige geheim blijft tot \d{1,2} \w+ \d{4} om \d{2}:\d{2} naast het nieuwe ondertekenen\."))
    tab.snap("webhooks-04-secret-renewed")
    page.get_by_role("button", name="Ik heb het geheim bewaard").click()
    expect(page.locator("#webhook-secret")).to_have_count(0)

    # deleted, after a confirmation: gone from the list and from the API
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Koppeling verwijderen").click()
    expect(page.get_by_role("heading", name="Koppelingen", level=1)).to_be_visible()
    expect(page.get_by_text(f"De koppeling met {receiver.url} is verwijderd.")).to_be_visible()
    expect(page.locator(f'li[data-webhook-id="{created["id"]}"]')).to_have_count(0)
    listed = call(stack, "GET", "/advisor/webhooks", advisor_token).json()["items"]
    assert created["id"] not in [e["id"] for e in listed]
    assert call(stack, "GET", f"/advisor/webhooks/{created['id']}/deliveries", advisor_token).status_code == 404


DISABLED = {"id": "whk_disabled_in_this_test", "url": "https://boekhouding.example.nl/webhooks", "events": ["signing.signed"],
            "created_at": "2026-03-01T09:00:00Z", "status": "disabled", "disabled_at": "2026-03-04T09:00:00Z"}


def test_a_disabled_endpoint_says_so_in_words_on_the_list_and_on_its_screen(
        browser: Browser, stack: Any, tabs: list[Tab]) -> None:
    """The server disables an endpoint after three days of failures; the browser is shown one such (the
    answers are the page's own stand-ins: waiting three days is not a test)."""
    tab = open_tab(tabs, browser, stack, "/advisor")
    page = tab.page

    def endpoints(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"items": [DISABLED], "next_cursor": None}))

    def deliveries(route: Route) -> None:
        failed = {"event_id": "evt_failed_in_this_test", "type": "signing.signed", "status": "failed", "attempts": 8,
                  "last_status_code": 503, "next_attempt_at": None, "created_at": "2026-03-02T10:00:00Z"}
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"items": [failed], "next_cursor": None}))

    page.route(re.compile(r"/advisor/webhooks(\?.*)?$"), endpoints)
    page.route(re.compile(r"/advisor/webhooks/[^/]+/deliveries(\?.*)?$"), deliveries)
    log_in(page, *ADVISOR)
    page.get_by_role("link", name="Koppelingen").click()
    row = page.locator(f'li[data-webhook-id="{DISABLED["id"]}"]')
    expect(row.locator(".badge")).to_have_text("Uitgeschakeld")
    expect(row).to_contain_text("Uitgeschakeld sinds 4 maart 2026 om 10:00")
    tab.snap("webhooks-05-disabled-in-the-list")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Koppeling met boekhouding.example.nl", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Drie dagen lang kon geen bericht worden afgeleverd")
    failed = page.locator('.deliveries-table tr[data-event-id="evt_failed_in_this_test"]')
    expect(failed).to_contain_text("Mislukt")
    expect(failed).to_contain_text("HTTP 503")
    expect(page.get_by_role("button", name="Testbericht sturen")).to_have_count(0)
    expect(page.get_by_role("button", name="Koppeling verwijderen")).to_be_visible()
    tab.snap("webhooks-06-disabled-endpoint")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Integration with boekhouding.example.nl", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Disabled since 4 March 2026 at 10:00")
    expect(failed).to_contain_text("Failed")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Koppeling met boekhouding.example.nl", level=1)).to_be_visible()


def test_where_the_clipboard_is_refused_the_secret_is_selected_for_copying_by_hand(
        browser: Browser, stack: Any, tabs: list[Tab]) -> None:
    """The browser refuses the clipboard (a policy, an old browser): the secret is selected in its field, and
    the page says to copy it with Ctrl+C. The API's answers are the page's own stand-ins here."""
    tab = open_tab(tabs, browser, stack, "/advisor")
    page = tab.page
    page.add_init_script(
        "Clipboard.prototype.writeText = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));")
    page.reload()  # the page was opened before: the refusal holds from its next load on
    secret = "whsec_" + "A" * 43 + "="
    endpoint = {"id": "whk_clipboard_in_this_test", "url": "https://praktijk.example.nl/hooks", "events": ["message.sent"],
                "created_at": "2026-03-01T09:00:00Z", "status": "active", "disabled_at": None}
    made: list[dict[str, Any]] = []

    def endpoints(route: Route) -> None:
        if route.request.method == "POST":
            made.append(json.loads(route.request.post_data or "{}"))
            route.fulfill(status=201, content_type="application/json", body=json.dumps({**endpoint, "secret": secret}))
        else:
            body = {"items": [endpoint] if made else [], "next_cursor": None}
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(re.compile(r"/advisor/webhooks(\?.*)?$"), endpoints)
    page.route(re.compile(r"/advisor/webhooks/[^/]+/deliveries(\?.*)?$"), lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"items": [], "next_cursor": None})))
    log_in(page, *ADVISOR)
    page.get_by_role("link", name="Koppelingen").click()
    expect(page.get_by_text("Nog geen koppelingen. Voeg hieronder de eerste toe.")).to_be_visible()
    page.get_by_role("button", name="Koppeling toevoegen").click()  # nothing filled in: said at once, nothing sent
    expect(page.get_by_role("alert")).to_have_text("Vul het adres in waarop uw software de berichten ontvangt.")
    page.get_by_label("Adres (URL)", exact=True).fill(endpoint["url"])
    page.get_by_role("button", name="Koppeling toevoegen").click()
    expect(page.get_by_role("alert")).to_have_text("Kies minstens één gebeurtenis.")
    assert not made
    event_box(page, "message.sent").check()
    page.get_by_role("button", name="Koppeling toevoegen").click()
    expect(page.get_by_role("heading", name="Koppeling met praktijk.example.nl", level=1)).to_be_visible()
    assert made == [{"url": endpoint["url"], "events": ["message.sent"]}]
    page.get_by_role("button", name="Geheim kopiëren").click()
    expect(page.get_by_text("Kopiëren lukte niet vanzelf. Het geheim staat geselecteerd in het veld")).to_be_visible()
    selected = page.evaluate(
        "() => { const f = document.activeElement; return f.id + ':' + f.value.slice(f.selectionStart, f.selectionEnd); }")
    assert selected == f"webhook-secret:{secret}", selected
