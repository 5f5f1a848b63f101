"""The signing ceremony as people really use it: they read the PDF in the page, the phone reloads the
page while they fetch the SMS, they sign with the keyboard alone, they go back and come again, they
switch language, and afterwards they can see what they signed.

Each client here has a phone number of their own, so the SMS limits per phone and per client are not
shared with other tests. Screenshots are `cer-NN-...` in artifacts/screenshots/, at 1280 px and at
375 px (touch); axe-core checks each of those screens against the WCAG 2.2 A and AA rules.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    Tab,
    browser_fixture,
    call,
    deadline_in,
    draw_signature,
    log_in,
    new_signer,
    open_tab,
    send_signing_request,
    small_pdf,
    sms_count,
    tabs_fixture,
    wait_for_sms_code,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)

AGREE = "Akkoord en ondertekenen"
CODE_TITLE = "Bevestig met de sms-code"
PAD_TITLE = "Zet uw handtekening"
RESEND_WAITING = re.compile(r"^Nieuwe code sturen \(over \d+ s\)$")
# Counts every pointer, mouse and touch event the page sees, from before its first script runs.
NO_POINTER = """
window.__pointerEvents = 0;
for (const type of ['pointerdown', 'pointerup', 'pointermove', 'mousedown', 'mouseup', 'mousemove',
                    'touchstart', 'touchend', 'wheel', 'contextmenu']) {
  window.addEventListener(type, () => { window.__pointerEvents += 1; }, true);
}
"""


@pytest.fixture(name="advisor_token")
def advisor_token_fixture(stack) -> str:
    return str(stack.login(*ADVISOR))


def a_request(stack, advisor_token: str, name: str, city: str, subject: str) -> tuple[dict, dict]:
    """A client of their own and a signing request for them: (signer, the sent message)."""
    signer = new_signer(stack, advisor_token, f"{name} {uuid.uuid4().hex[:4]}", city)
    return signer, send_signing_request(stack, signer["name"], subject, deadline_in(10))


def open_request(page: Page, signer: dict, subject: str) -> None:
    log_in(page, signer["email"], signer["password"])
    page.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}").click()
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()


def ink(page: Page, selector: str) -> float:
    """The share of a canvas's pixels that carry dark ink (0 for a blank one)."""
    share: float = page.locator(selector).first.evaluate("""(canvas) => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 128 && data[i] < 140) dark += 1;
        return dark / (canvas.width * canvas.height);
    }""")
    return share


def focus_by_tab(page: Page, target, limit: int = 60) -> None:
    """Press Tab until `target` has the focus, as a keyboard user walks a page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            return
    raise AssertionError(f"{target} was not reached with Tab")


def test_the_client_reads_the_pdf_in_the_page_before_agreeing_and_zooms_on_a_phone(browser, stack, tabs, advisor_token):
    subject = f"Volmacht om te lezen {uuid.uuid4().hex[:6]}"
    signer, _ = a_request(stack, advisor_token, "Carla Lezer", "Zwolle", subject)
    tab = open_tab(tabs, browser, stack, "/", phone=True)
    page = tab.page
    held: list[Route] = []  # the PDF from the bucket waits until the test lets it through

    def hold(route: Route) -> None:
        held.append(route)

    page.route(lambda url: not url.startswith(stack.url), hold)
    open_request(page, signer, subject)

    agree = page.get_by_role("button", name=AGREE)
    expect(page.get_by_text("Het document wordt geladen…")).to_be_visible()
    expect(agree).to_be_disabled()  # not before the document is on the screen
    expect(page.get_by_text("U kunt akkoord gaan zodra het document hierboven is getoond.")).to_be_visible()
    tab.snap("cer-01-read-loading")
    deadline = time.monotonic() + 15
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert held, "the page never fetched the document"
    for route in held:
        route.continue_()
    page.unroute_all()

    expect(agree).to_be_enabled()
    expect(page.get_by_text("U kunt akkoord gaan zodra")).to_be_hidden()
    first = page.get_by_role("group", name="Pagina 1 van 1")
    expect(first).to_contain_text(subject)  # the page's text, there for screen readers
    assert ink(page, ".pdf-page canvas") > 0.0005, "the PDF page is drawn blank"
    download = page.get_by_role("link", name="Downloaden: volmacht.pdf")
    expect(download).to_have_attribute("href", re.compile(r"^https?://"))  # still offered
    box = first.bounding_box()
    assert box and 300 <= box["width"] <= 375, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the page itself never scrolls sideways
    tab.snap("cer-02-read-pdf")

    page.get_by_role("button", name="Inzoomen").click()
    page.get_by_role("button", name="Inzoomen").click()
    expect(page.locator(".pdf-zoom-level")).to_have_text("200%")
    pages = page.get_by_role("region", name="Pagina’s van volmacht.pdf")
    assert first.evaluate("(el) => el.offsetWidth") >= 1.9 * pages.evaluate("(el) => el.clientWidth")
    assert pages.evaluate("(el) => el.scrollWidth > el.clientWidth + 100"), "zoomed in, the page is wider than its frame"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.wait_for_timeout(400)  # drawn anew, sharp at the new size
    tab.snap("cer-03-read-pdf-zoomed", both=False)
    page.get_by_role("button", name="Passend").click()
    expect(page.locator(".pdf-zoom-level")).to_have_text("100%")

    seen = sms_count(stack, signer["phone"])
    agree.click()
    expect(page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    wait_for_sms_code(stack, signer["phone"], seen)


def test_a_reload_at_the_code_step_and_at_the_pad_continues_where_it_was(browser, stack, tabs, advisor_token):
    subject = f"Machtiging herladen {uuid.uuid4().hex[:6]}"
    signer, _ = a_request(stack, advisor_token, "Ruud Herlaad", "Deventer", subject)
    tab = open_tab(tabs, browser, stack, "/", phone=True)
    page = tab.page
    open_request(page, signer, subject)
    seen = sms_count(stack, signer["phone"])
    page.get_by_role("button", name=AGREE).click()
    expect(page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    code = wait_for_sms_code(stack, signer["phone"], seen)
    tab.snap("cer-04-code")

    page.reload()  # the phone reloads the page while the client reads the SMS
    expect(page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    expect(page.get_by_label("Sms-code", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=RESEND_WAITING)).to_be_disabled()  # a wait, never 'too many attempts'
    expect(page.get_by_text("Te veel")).to_have_count(0)
    assert sms_count(stack, signer["phone"]) == seen + 1, "the reload sent another code"
    tab.snap("cer-05-code-after-reload")
    page.get_by_label("Sms-code", exact=True).fill(code)
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.locator("canvas#signature-pad")).to_be_visible()

    page.reload()  # and again at the pad: the verified code still allows signing
    expect(page.get_by_role("heading", name=PAD_TITLE)).to_be_visible()
    pad = page.locator("canvas#signature-pad")
    expect(pad).to_be_visible()
    expect(page.get_by_label("Plaats van ondertekening", exact=True)).to_have_value("Deventer")
    tab.snap("cer-06-pad-after-reload")
    draw_signature(page, pad)
    page.get_by_role("button", name="Ondertekenen", exact=True).click()
    expect(page.get_by_role("heading", name="Ondertekend")).to_be_visible()
    expect(page.locator(".page-head .badge")).to_have_text("Ondertekend")  # the header says so too
    tab.snap("cer-07-drawn-signed")

    page.reload()  # what was signed, when and where: also after a reload
    expect(page.get_by_role("heading", name="Ondertekend")).to_be_visible()
    expect(page.get_by_role("heading", name="Ondertekenen", exact=True)).to_have_count(0)
    expect(page.locator(".page-head .badge")).to_have_text("Ondertekend")
    details = page.locator(".signed-details")
    expect(details).to_contain_text("volmacht.pdf")
    expect(details).to_contain_text("Deventer")
    expect(details).to_contain_text(hashlib.sha256(small_pdf(subject)).hexdigest())
    expect(page.get_by_text(re.compile(r"ondertekend op \d{1,2} [a-z]+ 20\d\d om \d{2}:\d{2} in Deventer"))).to_be_visible()
    tab.snap("cer-08-confirmation-after-reload")


def test_the_keyboard_alone_signs_with_a_typed_name_from_the_overview_to_done(browser, stack, tabs, advisor_token):
    subject = f"Opdrachtbevestiging toetsenbord {uuid.uuid4().hex[:6]}"
    signer, sent = a_request(stack, advisor_token, "Kees Toetsenbord", "Leiden", subject)
    tab = Tab(browser, stack.url)
    tabs.append(tab)
    page = tab.page
    tab.context.add_init_script(NO_POINTER)
    page.goto("/")

    expect(page.get_by_label("E-mailadres")).to_be_focused()
    tab.snap("cer-09-login")
    page.keyboard.type(signer["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(signer["password"])
    page.keyboard.press("Enter")
    open_link = page.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}")
    expect(open_link).to_be_visible()
    tab.snap("cer-10-overview")
    focus_by_tab(page, open_link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_focused()

    agree = page.get_by_role("button", name=AGREE)
    expect(agree).to_be_enabled()  # the document is on the screen
    focus_by_tab(page, agree)
    seen = sms_count(stack, signer["phone"])
    page.keyboard.press("Enter")
    expect(page.get_by_label("Sms-code", exact=True)).to_be_focused()
    page.keyboard.type(wait_for_sms_code(stack, signer["phone"], seen))
    page.keyboard.press("Enter")

    drawn = page.get_by_role("radio", name="Tekenen")
    expect(drawn).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Typ uw naam")).to_be_checked()
    expect(page.locator("canvas#signature-pad")).to_be_hidden()
    page.keyboard.press("Tab")
    name = page.get_by_label("Uw volledige naam", exact=True)
    expect(name).to_be_focused()
    page.keyboard.type(signer["name"])
    expect(page.get_by_role("img", name=f"Voorbeeld van uw handtekening: {signer['name']}")).to_be_visible()
    page.evaluate("() => document.fonts.ready.then(() => true)")
    assert ink(page, "canvas#typed-preview") > 0.005, "the typed name is not drawn"
    tab.snap("cer-11-typed-signature")
    focus_by_tab(page, page.get_by_role("button", name="Ondertekenen", exact=True))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Ondertekend")).to_be_visible()
    expect(page.locator(".steps [aria-current=step]")).to_have_text("Klaar")
    expect(page.locator(".signed-details")).to_contain_text("Leiden")
    tab.snap("cer-12-typed-signed")
    assert page.evaluate("() => window.__pointerEvents") == 0, "a mouse or touch event reached the page"

    receipt = call(stack, "GET", f"/advisor/signing-requests/{sent['signing']['id']}/receipt", advisor_token)
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["signature_method"] == "typed"
    assert receipt.json()["signature"]["image"].startswith("data:image/png;base64,")


def test_the_new_code_link_stays_after_back_and_reopen_and_a_language_switch(browser, stack, tabs, advisor_token):
    subject = f"Volmacht terug en weer {uuid.uuid4().hex[:6]}"
    signer, _ = a_request(stack, advisor_token, "Bram Terug", "Arnhem", subject)
    tab = open_tab(tabs, browser, stack, "/", phone=True)
    page = tab.page
    open_request(page, signer, subject)
    page.get_by_role("button", name=AGREE).click()
    expect(page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    expect(page.get_by_role("button", name=RESEND_WAITING)).to_be_visible()

    page.get_by_role("link", name="Terug naar het overzicht").click()
    page.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}").click()
    expect(page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    expect(page.get_by_role("button", name=RESEND_WAITING)).to_be_visible()
    tab.snap("cer-13-code-reopened")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Confirm with the SMS code")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Send a new code \(in \d+ s\)$"))).to_be_visible()
    tab.snap("cer-14-code-english")
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("button", name=RESEND_WAITING)).to_be_visible()

    page.get_by_role("button", name="Annuleren").click()  # back to reading: 'Akkoord' goes on with the code that lives
    seen = sms_count(stack, signer["phone"])
    page.get_by_role("button", name=AGREE).click()
    expect(page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    expect(page.get_by_role("button", name=RESEND_WAITING)).to_be_visible()
    assert sms_count(stack, signer["phone"]) == seen


def test_a_second_tab_that_asks_for_a_code_too_soon_is_told_how_long_to_wait(browser, stack, tabs, advisor_token):
    subject = f"Volmacht twee tabbladen {uuid.uuid4().hex[:6]}"
    signer, _ = a_request(stack, advisor_token, "Tara Tweetab", "Delft", subject)
    first = open_tab(tabs, browser, stack, "/")
    second = open_tab(tabs, browser, stack, "/", phone=True)
    open_request(first.page, signer, subject)
    open_request(second.page, signer, subject)
    expect(second.page.get_by_role("button", name=AGREE)).to_be_enabled()

    first.page.get_by_role("button", name=AGREE).click()
    expect(first.page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    second.page.get_by_role("button", name=AGREE).click()  # a minute has not passed: no second code yet
    expect(second.page.get_by_role("heading", name=CODE_TITLE)).to_be_visible()
    expect(second.page.get_by_text(re.compile(r"^U kunt over \d+ seconden een nieuwe code aanvragen\.$"))).to_be_visible()
    expect(second.page.get_by_text("Te veel")).to_have_count(0)
    expect(second.page.get_by_role("button", name=RESEND_WAITING)).to_be_disabled()
    second.snap("cer-15-code-wait")


def test_a_withdrawn_request_is_headed_as_withdrawn_not_as_signing(browser, stack, tabs, advisor_token):
    subject = f"Volmacht ingetrokken {uuid.uuid4().hex[:6]}"
    signer, sent = a_request(stack, advisor_token, "Wim Ingetrokken", "Ede", subject)
    withdrawn = call(stack, "POST", f"/advisor/signing-requests/{sent['signing']['id']}/withdraw", advisor_token)
    assert withdrawn.status_code == 200, withdrawn.text
    tab = open_tab(tabs, browser, stack, "/", phone=True)
    page = tab.page
    log_in(page, signer["email"], signer["password"])
    page.get_by_role("link", name=re.compile(re.escape(subject))).click()
    expect(page.get_by_role("heading", name="Verzoek ingetrokken")).to_be_visible()
    expect(page.get_by_role("heading", name="Ondertekenen", exact=True)).to_have_count(0)
    expect(page.locator(".page-head .badge")).to_have_text("Ingetrokken")
    tab.snap("cer-16-withdrawn")
