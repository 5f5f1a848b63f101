"""'Bulkverzending' in a real browser: one message to sign to four fresh clients, each with a PDF of their
own (two matched by a CSV file, two picked per client), the preview with the client's name, the sending
(once, however often the button is pressed), the progress up to done with the failure first, and the
reminder and the withdrawal for the whole batch.

The clients are made over HTTP, each with a name and e-mail address of this run (never a demo client's
name: other tests find those by name). Screenshots are `bulk-NN-...` in artifacts/screenshots/, at 1280 px
and at 375 px; axe-core checks each screen against the WCAG 2.2 A and AA rules.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    DESKTOP,
    PHONE,
    Tab,
    assert_no_horizontal_overflow,
    browser_fixture,
    call,
    deadline_in,
    log_in,
    open_tab,
    small_pdf,
    tabs_fixture,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)
# The local stack's background poller sends the queue within seconds; this is an upper bound, not a wait.
SENDING_TIMEOUT_MS = 60_000


@pytest.fixture(name="advisor_token")
def advisor_token_fixture(stack: Any) -> str:
    return str(stack.login(*ADVISOR))


def new_client(stack: Any, token: str, first_name: str, tag: str, *, mobile: bool) -> dict[str, Any]:
    """A client card of the demo firm named for this run, with a mobile number of its own or none; `file` is
    the name of the PDF meant for them."""
    from tests.conftest import random_mobile

    body = {"name": f"{first_name} Bulkproef {tag}", "email": f"bulk-{first_name.lower()}-{tag}@example.com"}
    if mobile:
        body["phone"] = random_mobile()
    created = call(stack, "POST", "/advisor/clients", token, body)
    assert created.status_code == 201, created.text
    return {**created.json(), "file": f"aangifte-2025-{first_name.lower()}-{tag}.pdf"}


def choose_file(select: Locator, filename: str) -> None:
    select.select_option(label=filename)
    expect(select.locator("option:checked")).to_have_text(filename)


def test_a_bulk_send_to_sign_reaches_three_clients_and_fails_first_for_the_one_without_a_mobile(
        browser: Browser, stack: Any, tabs: list[Tab], advisor_token: str) -> None:
    tag = uuid.uuid4().hex[:6]
    lotte, daan, femke = (new_client(stack, advisor_token, first, tag, mobile=True) for first in ("Lotte", "Daan", "Femke"))
    joris = new_client(stack, advisor_token, "Joris", tag, mobile=False)
    everyone = (lotte, daan, femke, joris)
    subject = f"Aangifte inkomstenbelasting 2025 {tag}"

    tab = open_tab(tabs, browser, stack, "/advisor")
    page = tab.page
    log_in(page, *ADVISOR)
    page.get_by_role("link", name="Bulkverzending").click()
    expect(page.get_by_role("heading", name="Bulkverzending", level=1)).to_be_visible()

    # 1. the message
    page.get_by_label("Onderwerp", exact=True).fill(subject)
    page.get_by_label("Soort reactie", exact=True).select_option("sign")
    page.get_by_label("Deadline", exact=True).fill(deadline_in(14))
    page.get_by_label("Bericht", exact=True).fill("Beste {{naam}},\n\nHierbij uw aangifte over 2025. Wilt u die ondertekenen?")

    # 2. the clients: found by the filter, all shown chosen at once; the one without a mobile is marked
    page.get_by_label("Cliënten zoeken").fill(tag)
    shown = page.locator(".pick-list li")
    expect(shown).to_have_count(4)
    expect(shown.filter(has_text=joris["name"])).to_contain_text("Geen mobiel nummer")
    page.get_by_role("button", name="Alle getoonde cliënten kiezen").click()
    expect(page.get_by_text("4 cliënten gekozen.")).to_be_visible()
    for client in everyone:
        expect(page.get_by_role("checkbox", name=re.compile(re.escape(client["name"])))).to_be_checked()
    expect(page.get_by_text(f"Deze gekozen cliënt heeft geen mobiel nummer: {joris['name']}.")).to_be_visible()

    # 3. the documents: one PDF per client, two matched by a CSV file, two picked per client
    page.get_by_label("Per cliënt een eigen document").check()
    pdfs = [FilePayload(name=c["file"], mimeType="application/pdf", buffer=small_pdf(f"Aangifte {c['name']}")) for c in everyone]
    page.get_by_label("Bestanden toevoegen").set_input_files(files=pdfs)
    expect(page.locator(".uploads li", has_text="Gecontroleerd en gereed")).to_have_count(4)
    matching = ('"E-mailadres";"Bestand"\r\n'
                f'{lotte["email"]};"{lotte["file"]}"\r\n'
                f'"{daan["id"]}";{daan["file"]}\r\n'
                f'onbekend-{tag}@example.com;"{femke["file"]}"\r\n')
    page.get_by_label("Koppelbestand (CSV) kiezen").set_input_files(
        files=[FilePayload(name="koppeling.csv", mimeType="text/csv", buffer=matching.encode())])
    expect(page.get_by_text("‘koppeling.csv’: 2 van 3 regels gekoppeld.")).to_be_visible()
    unknown = f"Regel 4 (onbekend-{tag}@example.com; {femke['file']}): geen cliënt met dit e-mailadres of cliëntnummer."
    expect(page.get_by_text(unknown)).to_be_visible()
    for client in (lotte, daan):
        matched = page.get_by_label(f"Document voor {client['name']}", exact=True)
        expect(matched.locator("option:checked")).to_have_text(client["file"])
    expect(page.get_by_text(f"2 cliënten nog zonder document: {femke['name']}, {joris['name']}.")).to_be_visible()
    for client in (femke, joris):
        choose_file(page.get_by_label(f"Document voor {client['name']}", exact=True), client["file"])
    expect(page.get_by_text("Alle 4 gekozen cliënten hebben een document.")).to_be_visible()
    expect(page.locator("#bulk-send-summary")).to_have_text(
        "Er gaan 4 berichten uit, één per cliënt. Voor 1 cliënt zonder mobiel nummer zal het mislukken.")
    tab.snap("bulk-01-compose")
    assert_no_horizontal_overflow(tab)

    # 4. the preview, for one chosen recipient: {{naam}} is their name
    page.get_by_label("Voorbeeld voor").select_option(label=f"{daan['name']} ({daan['email']})")
    preview = page.locator(".bulk-preview")
    expect(preview.locator("[data-preview=body]")).to_contain_text(f"Beste {daan['name']},")
    expect(preview).to_contain_text(daan["file"])
    expect(preview).not_to_contain_text("{{naam}}")
    preview.scroll_into_view_if_needed()
    tab.snap("bulk-02-preview")

    # 5. sending: a double click starts one bulk send
    page.get_by_role("button", name="Versturen").dblclick()
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()
    expect(page.get_by_text("De bulkverzending is gestart: 4 berichten staan in de wachtrij.")).to_be_visible()
    assert re.search(r"#/bulk-sends/[^/?]+$", page.url), page.url
    batch_id = page.url.rsplit("/", 1)[1]
    listed = call(stack, "GET", "/advisor/bulk-sends?limit=200", advisor_token).json()["items"]
    assert [b["id"] for b in listed if b["subject"] == subject] == [batch_id], listed

    # 6. the progress, up to done: three sent, the one without a mobile failed and listed first
    expect(page.locator("#bulk-progress-text")).to_have_text("3 van 4 verzonden, 1 mislukt", timeout=SENDING_TIMEOUT_MS)
    expect(page.get_by_text("Alle cliënten zijn verwerkt.")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Verwerkt")).to_have_attribute("value", "4")
    rows = page.locator(".results-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first.get_by_role("rowheader")).to_have_text(joris["name"])
    expect(rows.first).to_have_attribute("data-error", "phone_required")
    expect(rows.first).to_contain_text("Mislukt")
    expect(rows.first).to_contain_text("Geen mobiel nummer: ondertekenen vraagt een sms-code.")
    for client in (lotte, daan, femke):
        assert_links_to_its_message(stack, advisor_token, page, client)
    tab.snap("bulk-03-results")
    assert_no_horizontal_overflow(tab)

    page.get_by_role("link", name=f"Bericht openen: {lotte['name']}").click()  # the link opens the message view
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()
    expect(page.locator(".message-body")).to_contain_text(f"Beste {lotte['name']},")
    page.go_back()
    expect(page.locator("#bulk-progress-text")).to_have_text("3 van 4 verzonden, 1 mislukt")

    # the whole batch: a reminder (once per 24 hours), then the withdrawal of what is still open
    outcome = page.locator(".bulk-outcome")
    remind = page.get_by_role("button", name="Herinnering sturen")
    remind.click()
    expect(outcome).to_have_text("Herinnering verstuurd aan 3 cliënten.")
    remind.click()
    expect(outcome).to_contain_text("Voor deze bulkverzending is de afgelopen 24 uur al een herinnering verstuurd")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Intrekken").click()
    expect(outcome).to_have_text("3 openstaande verzoeken ingetrokken.")
    tab.snap("bulk-04-reminded-and-withdrawn")
    page.get_by_role("button", name="English").click()
    expect(page.locator("#bulk-progress-text")).to_have_text("3 of 4 sent, 1 failed")
    page.get_by_role("button", name="Nederlands").click()

    # 7. the earlier bulk sends, on the Bulkverzending screen
    page.get_by_role("link", name="Naar bulkverzending").click()
    earlier = page.locator("section[aria-labelledby=bulk-history-title] tr", has=page.get_by_role("link", name=subject))
    expect(earlier).to_contain_text("3 van 4 verzonden, 1 mislukt")
    expect(earlier).to_contain_text("Klaar")


def assert_links_to_its_message(stack: Any, token: str, page: Page, client: dict[str, Any]) -> None:
    """The client's row says 'Verzonden' and links to the message that went to them, with their name in it."""
    row = page.locator(f'.results-table tr[data-client-id="{client["id"]}"]')
    expect(row).to_contain_text("Verzonden")
    href = row.get_by_role("link", name=f"Bericht openen: {client['name']}").get_attribute("href")
    found = re.fullmatch(r"#/messages/([^/?]+)", href or "")
    assert found, href
    message = call(stack, "GET", f"/advisor/messages/{found.group(1)}", token)
    assert message.ok, message.text
    assert message.json()["client_id"] == client["id"]
    assert message.json()["body"].startswith(f"Beste {client['name']},")
    assert [d["filename"] for d in message.json()["documents"]] == [client["file"]]
