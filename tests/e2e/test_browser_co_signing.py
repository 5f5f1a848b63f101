"""Two signers on one document, one after the other, in a real browser (issue 15).

The advisor asks Harry de Vries and a second client (made and activated over HTTP, with a mobile
number of their own) to sign one PDF in sequential order, through the compose form. The second
signer looks first and is told to wait for Harry; Harry signs; then the second signer signs; the
advisor sees 'Ondertekend en verzegeld' for both. Screenshots land in artifacts/screenshots/
as co-01 and on, at desktop and phone width.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from local.launch import RunningStack
from tests.conftest import random_mobile
from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    HARRY,
    HARRY_PHONE,
    Tab,
    browser_fixture,
    call,
    deadline_in,
    draw_signature,
    invite,
    log_in,
    open_tab,
    small_pdf,
    sms_count,
    tabs_fixture,
    wait_for_sms_code,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)

PASSWORD = "Mede-tekenen-2026!"


def message_row(page: Page, subject: str) -> Locator:
    return page.locator("li", has=page.get_by_role("link", name=re.compile(re.escape(subject))))


def new_co_signer(stack: RunningStack, advisor_token: str) -> tuple[str, str, str]:
    """A client of the Demo firm with a mobile number of their own, invited and activated: (name, email, phone)."""
    tag = uuid.uuid4().hex[:6]
    name, email, phone = f"Noor Mede {tag}", f"noor-{tag}@example.com", random_mobile()
    client_id, token = invite(stack, advisor_token, name, email)
    changed = call(stack, "PATCH", f"/advisor/clients/{client_id}", advisor_token, {"phone": phone, "city": "Utrecht"})
    assert changed.status_code == 200, changed.text
    activated = call(stack, "POST", "/auth/activate", body={"token": token, "password": PASSWORD})
    assert activated.ok, activated.text
    return name, email, phone


def sign_with_code(stack: RunningStack, tab: Tab, phone: str, city: str | None = None) -> None:
    """The PDF shown, 'Akkoord en ondertekenen', the SMS code from the outbox, a drawn signature, 'Ondertekenen'."""
    portal = tab.page
    seen = sms_count(stack, phone)
    agree = portal.get_by_role("button", name="Akkoord en ondertekenen")
    expect(agree).to_be_enabled()  # once the document is on the screen
    agree.click()
    portal.get_by_label("Sms-code", exact=True).fill(wait_for_sms_code(stack, phone, seen))
    portal.get_by_role("button", name="Bevestigen").click()
    pad = portal.locator("canvas#signature-pad")
    expect(pad).to_be_visible()
    draw_signature(portal, pad)
    if city:
        portal.get_by_label("Plaats van ondertekening", exact=True).fill(city)
    portal.get_by_role("button", name="Ondertekenen", exact=True).click()
    expect(portal.get_by_role("heading", name="Ondertekend")).to_be_visible()


def test_two_signers_sign_one_after_the_other_and_the_advisor_sees_both_seals(
        browser: Browser, stack: RunningStack, tabs: list[Tab]) -> None:
    subject = f"Aangifte fiscale partners {uuid.uuid4().hex[:6]}"
    advisor_token = stack.login(*ADVISOR)
    noor, noor_email, noor_phone = new_co_signer(stack, advisor_token)

    # The advisor: Harry under 'Aan', Noor as co-signer, one after the other.
    advisor = open_tab(tabs, browser, stack, "/advisor")
    page = advisor.page
    log_in(page, *ADVISOR)
    page.get_by_role("link", name="Nieuw bericht").click()
    page.get_by_label("Aan", exact=True).select_option(label="Harry de Vries (harry@demo.example)")
    page.get_by_label("Onderwerp", exact=True).fill(subject)
    co_signers = page.locator("#co-signers")
    expect(co_signers).to_be_hidden()  # only for 'Bestand laten ondertekenen'
    page.get_by_label("Soort reactie", exact=True).select_option(label="Bestand laten ondertekenen")
    expect(co_signers).to_be_visible()
    page.get_by_label("Deadline", exact=True).fill(deadline_in(14))
    page.get_by_label("Bericht", exact=True).fill("Beste Harry en Noor,\n\nGraag allebei de aangifte ondertekenen.")

    search = page.get_by_label("Medeondertekenaar zoeken", exact=True)
    search.fill("Harry de Vries")  # the client under 'Aan' is never offered
    expect(co_signers.get_by_text("Geen andere cliënten gevonden voor ‘Harry de Vries’.")).to_be_visible()
    search.fill(noor)
    option = page.get_by_role("button", name=f"Toevoegen als medeondertekenaar: {noor}")
    expect(option).to_be_visible()
    search.press("ArrowDown")  # the keyboard reaches the results from the search field
    expect(option).to_be_focused()
    option.press("Enter")
    chosen = page.locator("#co-signer-list")
    expect(chosen.get_by_text(noor)).to_be_visible()
    expect(search).to_be_focused()
    page.get_by_role("radio", name="Op volgorde", exact=True).check()
    expect(page.locator("#signing-order-hint")).to_have_text(f"Volgorde: 1. Harry de Vries, 2. {noor}.")
    pdf: FilePayload = {"name": "aangifte-2025.pdf", "mimeType": "application/pdf", "buffer": small_pdf(subject)}
    page.get_by_label("Bijlage toevoegen", exact=True).set_input_files(files=[pdf])
    expect(page.get_by_text("Gecontroleerd en gereed")).to_be_visible()
    advisor.snap("co-01-advisor-compose-two-signers")
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_text(f"Het bericht is verstuurd aan Harry de Vries en {noor}.")).to_be_visible()

    row = message_row(page, subject)
    expect(row.get_by_text("0 van 2 getekend")).to_be_visible()
    expect(row.locator(".signers-list li")).to_have_count(2)

    # Noor looks first: it is Harry's turn, so there is nothing to sign yet, and the server agrees.
    second = open_tab(tabs, browser, stack, "/", phone=True)
    portal = second.page
    log_in(portal, noor_email, PASSWORD)
    waiting = portal.locator(".todo")
    expect(waiting.get_by_text(subject)).to_be_visible()
    expect(waiting.get_by_text("Eerst ondertekent Harry de Vries")).to_be_visible()
    second.snap("co-02-second-signer-overview-waiting")
    portal.get_by_role("link", name=f"Bekijken: {subject}").click()
    expect(portal.get_by_role("heading", name=subject)).to_be_visible()
    expect(portal.get_by_text("aangifte-2025.pdf")).to_be_visible()
    expect(portal.locator("#sign-waiting")).to_contain_text("eerst ondertekent Harry de Vries")
    expect(portal.get_by_role("button", name="Akkoord en ondertekenen")).to_have_count(0)
    expect(portal.get_by_role("button", name="Afwijzen")).to_be_visible()
    expect(portal.get_by_text("0 van 2 getekend")).to_be_visible()
    second.snap("co-03-second-signer-waits-for-harry")
    portal.get_by_role("button", name="English").click()
    expect(portal.locator("#sign-waiting")).to_contain_text("It is not your turn yet: Harry de Vries signs first.")
    expect(portal.get_by_text("0 of 2 signed")).to_be_visible()
    second.snap("co-03-second-signer-waits-for-harry-english", both=False)
    portal.get_by_role("button", name="Nederlands").click()

    noor_token = stack.login(noor_email, PASSWORD)
    mine = next(m for m in call(stack, "GET", "/portal/messages", noor_token).json()["items"] if m["subject"] == subject)
    own = next(s for s in mine["signings"] if s["own"])
    refused = call(stack, "POST", f"/portal/signing-requests/{own['id']}/otp", noor_token)
    assert refused.status_code == 409 and refused.json()["code"] == "not_your_turn", refused.text
    assert sms_count(stack, noor_phone) == 0

    # Harry signs first.
    first = open_tab(tabs, browser, stack, "/", phone=True)
    harry = first.page
    log_in(harry, *HARRY)
    harry.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}").click()
    expect(harry.get_by_text("0 van 2 getekend")).to_be_visible()
    first.snap("co-04-harry-signing-request")
    sign_with_code(stack, first, HARRY_PHONE)
    expect(harry.get_by_text("zodra ook de andere ondertekenaars hebben getekend")).to_be_visible()
    first.snap("co-05-harry-signed")

    # Now it is Noor's turn.
    portal.get_by_role("button", name="Opnieuw bekijken").click()
    expect(portal.get_by_role("button", name="Akkoord en ondertekenen")).to_be_visible()
    expect(portal.get_by_text("1 van 2 getekend")).to_be_visible()
    expect(portal.locator("#sign-waiting")).to_have_count(0)
    second.snap("co-06-second-signer-turn")
    sign_with_code(stack, second, noor_phone, city="Utrecht")
    expect(portal.get_by_text("in Utrecht")).to_be_visible()
    second.snap("co-07-second-signer-signed")

    # The advisor: both signed, each with a seal of their own (a reload: the list is on screen since sending).
    page.reload()
    row = message_row(page, subject)
    expect(row.get_by_text("2 van 2 getekend")).to_be_visible()
    expect(row.get_by_text("Ondertekend", exact=True)).to_be_visible()
    for name in ("Harry de Vries", noor):
        expect(row.get_by_role("link", name=f"Ondertekend en verzegeld: {name}")).to_be_visible()
    advisor.snap("co-08-advisor-both-sealed")

    row.get_by_role("link", name=f"Ondertekend en verzegeld: {noor}").click()
    expect(page.get_by_role("heading", name="Ondertekend en verzegeld")).to_be_visible()
    expect(page.locator("[data-check=seal]")).to_have_class(re.compile(r"\bok\b"))
    expect(page.get_by_role("img", name=f"Handtekening van {noor}")).to_be_visible()
    advisor.snap("co-09-advisor-receipt-second-signer")

    page.get_by_role("link", name="Terug naar het bericht").click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    expect(page.get_by_text("2 van 2 getekend")).to_be_visible()
    page.get_by_role("link", name="Ondertekend en verzegeld: Harry de Vries").click()
    expect(page.get_by_role("heading", name="Ondertekend en verzegeld")).to_be_visible()
    expect(page.get_by_role("img", name="Handtekening van Harry de Vries")).to_be_visible()
    advisor.snap("co-10-advisor-receipt-harry", both=False)


def test_a_co_signer_who_cannot_get_an_sms_code_is_named_in_the_compose_form(
        browser: Browser, stack: RunningStack, tabs: list[Tab]) -> None:
    subject = f"Machtiging bestuurders {uuid.uuid4().hex[:6]}"
    advisor_token = stack.login(*ADVISOR)
    tag = uuid.uuid4().hex[:6]
    landline = f"Lotte Vast {tag}"  # a valid number, but no mobile one: only the server can tell
    created = call(stack, "POST", "/advisor/clients", advisor_token,
                   {"name": landline, "email": f"lotte-{tag}@example.com", "phone": "020 123 4567"})
    assert created.status_code == 201, created.text
    emails_before = len(stack.outbox()["emails"])

    advisor = open_tab(tabs, browser, stack, "/advisor")
    page = advisor.page
    log_in(page, *ADVISOR)
    page.get_by_role("link", name="Nieuw bericht").click()
    page.get_by_label("Aan", exact=True).select_option(label="Harry de Vries (harry@demo.example)")
    page.get_by_label("Onderwerp", exact=True).fill(subject)
    page.get_by_label("Soort reactie", exact=True).select_option(label="Bestand laten ondertekenen")
    page.get_by_label("Bericht", exact=True).fill("Graag allebei ondertekenen.")
    pdf: FilePayload = {"name": "machtiging.pdf", "mimeType": "application/pdf", "buffer": small_pdf(subject)}
    page.get_by_label("Bijlage toevoegen", exact=True).set_input_files(files=[pdf])
    expect(page.get_by_text("Gecontroleerd en gereed")).to_be_visible()
    send = page.get_by_role("button", name="Versturen")

    # Sanne has no phone number at all: the form says so at once and does not send.
    search = page.get_by_label("Medeondertekenaar zoeken", exact=True)
    search.fill("Sanne")
    page.get_by_role("button", name="Toevoegen als medeondertekenaar: Sanne Bakker").click()
    block = page.locator("#phone-block")
    expect(block).to_contain_text("mobiel nummer van medeondertekenaar Sanne Bakker nodig")
    expect(page.locator("#co-signer-list")).to_contain_text("Geen mobiel nummer")
    expect(send).to_be_disabled()
    advisor.snap("co-11-advisor-co-signer-without-phone")
    page.get_by_role("button", name="Verwijderen: Sanne Bakker").click()
    expect(search).to_be_focused()
    expect(block).to_be_hidden()
    expect(send).to_be_enabled()

    # A landline: the server refuses with 422 phone_required, and the form names that co-signer.
    search.fill(landline)
    page.get_by_role("button", name=f"Toevoegen als medeondertekenaar: {landline}").click()
    send.click()
    expect(page.get_by_role("alert").first).to_be_visible()
    item = page.locator("#co-signer-list li", has_text=landline)
    expect(item.locator(".signer-error")).to_be_visible()
    expect(block).to_be_hidden()  # Harry has a mobile number: the form does not say he lacks one
    expect(page.get_by_role("heading", name="Nieuw bericht")).to_be_visible()
    advisor.snap("co-12-advisor-co-signer-refused-by-server")
    assert len(stack.outbox()["emails"]) == emails_before
    sent = call(stack, "GET", "/advisor/messages?limit=200", advisor_token).json()["items"]
    assert not [m for m in sent if m["subject"] == subject]
