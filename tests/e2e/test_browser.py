"""The pages in a real browser: the advisor asks, the client signs or rejects, the advisor sees the seal.

Chromium (Debian's, headless) drives the local stack. Screenshots of each step land in
artifacts/screenshots/, at desktop (1280 px) and phone (375 px) width; beside them, the first page
of the transactiebon PDF that the receipt view downloads, as `pdftoppm` (poppler-utils) renders it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    HARRY,
    HARRY_PHONE,
    SCREENSHOTS,
    browser_fixture,
    deadline_in,
    draw_signature,
    log_in,
    open_tab,
    send_signing_request,
    small_pdf,
    sms_count,
    tabs_fixture,
    wait_for_sms_code,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)


def message_row(page: Page, subject: str):
    return page.locator("li", has=page.get_by_role("link", name=re.compile(re.escape(subject))))


def render_first_page(pdf: Path, name: str) -> Path:
    """The PDF's first page as a PNG among the screenshots, drawn by poppler as a PDF reader would."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: `make browser` installs Debian's poppler-utils"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    target.with_suffix(".png").unlink(missing_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
                   check=True, timeout=60, capture_output=True)
    return target.with_suffix(".png")


def test_the_advisor_sends_a_signing_request_and_harry_signs_it_on_his_phone(browser, stack, tabs, tmp_path):
    subject = f"Jaarrekening 2025 ter ondertekening {uuid.uuid4().hex[:6]}"
    advisor = open_tab(tabs, browser, stack, "/advisor")
    page = advisor.page
    expect(page.get_by_role("heading", name="Inloggen voor adviseurs")).to_be_visible()
    advisor.snap("01-advisor-login")
    log_in(page, *ADVISOR)

    page.get_by_role("link", name="Cliënten", exact=True).click()
    page.get_by_role("link", name=re.compile("Harry de Vries")).click()
    expect(page.get_by_role("heading", name="Harry de Vries", level=1)).to_be_visible()
    advisor.snap("02-advisor-client-card")

    page.locator(".page-head").get_by_role("link", name="Nieuw bericht").click()
    expect(page.get_by_label("Aan", exact=True)).to_have_value(re.compile(".+"))
    page.get_by_label("Onderwerp", exact=True).fill(subject)
    page.get_by_label("Soort reactie", exact=True).select_option(label="Bestand laten ondertekenen")
    page.get_by_label("Deadline", exact=True).fill(deadline_in(14))
    page.get_by_label("Bericht", exact=True).fill(
        "Beste Harry,\n\nHierbij de jaarrekening 2025. Wilt u die ondertekenen?\n\nMet vriendelijke groet")
    page.get_by_label("Bijlage toevoegen", exact=True).set_input_files(
        files=[{"name": "jaarrekening-2025.pdf", "mimeType": "application/pdf", "buffer": small_pdf(subject)}])
    expect(page.get_by_text("Gecontroleerd en gereed")).to_be_visible()
    advisor.snap("03-advisor-new-signing-request")
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_text("Het bericht is verstuurd aan Harry de Vries.")).to_be_visible()

    harry = open_tab(tabs, browser, stack, "/", phone=True)
    portal = harry.page
    expect(portal.get_by_role("heading", name="Inloggen")).to_be_visible()
    harry.snap("04-client-login")
    log_in(portal, *HARRY)
    waiting = portal.locator(".todo")
    expect(waiting.get_by_text(subject)).to_be_visible()
    expect(waiting.get_by_text("Deadline:").first).to_be_visible()
    harry.snap("05-client-overview")

    portal.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}").click()
    expect(portal.get_by_role("heading", name=subject)).to_be_visible()
    expect(portal.get_by_text("jaarrekening-2025.pdf")).to_be_visible()
    # 'Akkoord' only once the PDF is shown in the page (PDF.js), its first line readable there.
    expect(portal.get_by_role("button", name="Akkoord en ondertekenen")).to_be_enabled()
    expect(portal.get_by_role("group", name="Pagina 1 van 1")).to_contain_text(subject)
    harry.snap("06-client-signing-request")

    seen = sms_count(stack, HARRY_PHONE)
    portal.get_by_role("button", name="Akkoord en ondertekenen").click()
    expect(portal.get_by_text("+31 6 ****5678")).to_be_visible()
    code = wait_for_sms_code(stack, HARRY_PHONE, seen)
    expect(portal.get_by_role("button", name=re.compile(r"Nieuwe code sturen \(over \d+ s\)"))).to_be_disabled()
    portal.get_by_label("Sms-code", exact=True).fill(code)
    harry.snap("07-client-sms-code")
    portal.get_by_role("button", name="Bevestigen").click()

    pad = portal.locator("canvas#signature-pad")
    expect(pad).to_be_visible()
    city = portal.get_by_label("Plaats van ondertekening", exact=True)
    expect(city).to_have_value("Amsterdam")
    draw_signature(portal, pad)
    city.fill("Haarlem")
    harry.snap("08-client-signature")
    portal.get_by_role("button", name="Ondertekenen", exact=True).click()
    expect(portal.get_by_role("heading", name="Ondertekend")).to_be_visible()
    expect(portal.get_by_text("in Haarlem")).to_be_visible()
    harry.snap("09-client-signed")

    page.get_by_role("link", name="Communicatie").click()
    row = message_row(page, subject)
    expect(row.get_by_text("Ondertekend", exact=True)).to_be_visible()
    sealed = row.get_by_role("link", name="Ondertekend en verzegeld")
    expect(sealed).to_be_visible()
    advisor.snap("10-advisor-communication")
    sealed.click()

    expect(page.get_by_role("heading", name="Ondertekend en verzegeld")).to_be_visible()
    expect(page.locator("[data-check=seal]")).to_have_class(re.compile(r"\bok\b"))
    expect(page.locator("[data-check=document]")).to_have_class(re.compile(r"\bok\b"))
    expect(page.get_by_text("Zegel geldig")).to_be_visible()
    expect(page.get_by_text("Document ongewijzigd")).to_be_visible()
    expect(page.locator(".fingerprint")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(page.get_by_text("Haarlem")).to_be_visible()
    expect(page.get_by_role("img", name="Handtekening van Harry de Vries")).to_be_visible()
    stamp = page.locator("[data-check=timestamp]")  # the authority's time, in words beside the check mark
    expect(stamp).to_have_attribute("data-result", "valid")
    expect(stamp.locator("strong")).to_have_text(
        re.compile(r"^Tijdstempel: \d{1,2} [a-z]+ 20\d\d \d{2}:\d{2}:\d{2} · \S.*$"))
    expect(stamp).to_contain_text("Geldig")
    advisor.snap("11-advisor-receipt")

    code = re.search(r"TB-[0-9A-Z]+", page.locator(".page-head .lead").inner_text())
    assert code, "no receipt code on the receipt view"
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download transactiebon (PDF)").click()
    download = downloading.value
    assert download.failure() is None
    assert download.suggested_filename == f"transactiebon-{code.group(0)}.pdf"
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    shot = render_first_page(pdf, "11-advisor-receipt-transactiebon-page-1")
    with Image.open(shot) as image:
        assert image.format == "PNG"
        assert (image.width, image.height) == pytest.approx((496, 702), abs=3)  # A4 at 60 dpi
        ink = sum(count for count, shade in image.convert("L").getcolors(256) or [] if shade < 128)
        assert ink > 0.01 * image.width * image.height, "the first page is (almost) blank"
    expect(page.get_by_role("button", name="Download transactiebon (PDF)")).to_be_enabled()

    page.get_by_role("button", name="English").click()  # the same view in English
    expect(stamp.locator("strong")).to_have_text(
        re.compile(r"^Time stamp: \d{1,2} [A-Z][a-z]+ 20\d\d \d{2}:\d{2}:\d{2} · \S.*$"))
    expect(page.get_by_role("button", name="Download transaction receipt (PDF)")).to_be_visible()
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("button", name="Download transactiebon (PDF)")).to_be_visible()


def test_harry_rejects_a_signing_request_with_a_reason_and_the_advisor_sees_it(browser, stack, tabs):
    subject = f"Volmacht belastingaangifte {uuid.uuid4().hex[:6]}"
    reason = "Het bedrag op pagina 2 klopt niet; graag eerst aanpassen."
    send_signing_request(stack, "Harry de Vries", subject, deadline_in(7))

    harry = open_tab(tabs, browser, stack, "/")
    portal = harry.page
    log_in(portal, *HARRY)
    expect(portal.get_by_role("button", name=re.compile("^Kantoor wisselen"))).to_have_count(0)  # one firm: no switcher
    portal.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}").click()
    expect(portal.get_by_role("heading", name=subject)).to_be_visible()
    portal.get_by_role("button", name="Afwijzen").click()
    portal.get_by_label("Reden (optioneel)", exact=True).fill(reason)
    harry.snap("12-client-reject")
    portal.get_by_role("button", name="Afwijzing versturen").click()
    expect(portal.get_by_text("U heeft dit verzoek afgewezen")).to_be_visible()
    expect(portal.get_by_text(reason)).to_be_visible()
    harry.snap("13-client-rejected")

    advisor = open_tab(tabs, browser, stack, "/advisor#/messages")
    page = advisor.page
    log_in(page, *ADVISOR)
    row = message_row(page, subject)
    expect(row.get_by_text("Afgewezen", exact=True)).to_be_visible()
    expect(row.get_by_text(reason)).to_be_visible()
    advisor.snap("14-advisor-sees-rejection")

    page.get_by_role("link", name="Meldingen").click()
    expect(page.get_by_text("Harry de Vries heeft afgewezen").first).to_be_visible()


def test_a_signing_request_for_a_client_without_a_phone_is_blocked_before_sending(browser, stack, tabs):
    emails_before = len(stack.outbox()["emails"])
    advisor = open_tab(tabs, browser, stack, "/advisor")
    page = advisor.page
    log_in(page, *ADVISOR)
    page.get_by_role("link", name="Nieuw bericht").click()
    page.get_by_label("Aan", exact=True).select_option(label="Sanne Bakker (sanne@demo.example)")
    page.get_by_label("Onderwerp", exact=True).fill("Machtiging")
    page.get_by_label("Bericht", exact=True).fill("Graag ondertekenen.")
    send = page.get_by_role("button", name="Versturen")
    expect(send).to_be_enabled()

    page.get_by_label("Soort reactie", exact=True).select_option(label="Bestand laten ondertekenen")
    block = page.locator("#phone-block")
    expect(block).to_be_visible()
    expect(block).to_contain_text("mobiel nummer van Sanne Bakker nodig")
    expect(send).to_be_disabled()
    advisor.snap("15-advisor-phone-required")

    page.get_by_role("button", name="English").click()  # English by the switch; the form keeps what was typed
    expect(block).to_contain_text("Signing needs a mobile number for Sanne Bakker")
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Machtiging")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_disabled()
    advisor.snap("16-advisor-phone-required-english", both=False)
    page.get_by_role("button", name="Nederlands").click()
    expect(block).to_contain_text("mobiel nummer van Sanne Bakker nodig")

    send.click(force=True)  # a disabled button does nothing, even when clicked
    expect(page.get_by_role("heading", name="Nieuw bericht")).to_be_visible()
    assert len(stack.outbox()["emails"]) == emails_before

    page.get_by_label("Soort reactie", exact=True).select_option(label="Akkoord gevraagd")
    expect(block).to_be_hidden()
    expect(send).to_be_enabled()


def test_the_pages_carry_a_strict_policy_and_serve_only_allow_listed_files(stack):
    for path in ("/", "/advisor", "/activate", "/outbox"):
        answer = requests.get(f"{stack.url}{path}", timeout=10)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"].startswith("text/html")
        policy = answer.headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "worker-src 'self'", "style-src 'self'",
                          "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"):
            assert directive in policy, (path, directive)
        assert "unsafe-inline" not in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" not in answer.text and "style=" not in answer.text
        assert "Strict-Transport-Security" not in answer.headers  # the local stage is plain HTTP
    script = requests.get(f"{stack.url}/static/portal.js", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    for name in ("portal.js", "app.css", "logo.svg", "signature_pad.umd.min.js", "pdf.min.js", "pdf.worker.min.js",
                 "handwriting-font.js"):
        static = requests.get(f"{stack.url}/static/{name}", timeout=10)
        assert static.status_code == 200, name
        assert "frame-ancestors 'none'" in static.headers["Content-Security-Policy"], name
        assert static.headers["Referrer-Policy"] == "no-referrer", name
        assert static.headers["X-Content-Type-Options"] == "nosniff", name
    assert requests.get(f"{stack.url}/static/signature_pad.umd.min.js", timeout=10).status_code == 200
    for name in ("web.py", "..%2Fapi%2Fweb.py", "%2E%2E", ".hidden.js", "index.html", "nothing.js"):
        refused = requests.get(f"{stack.url}/static/{name}", timeout=10)
        assert refused.status_code == 404, name
