"""One login, several firms, in a real browser: accepting an invitation with an existing login,
choosing and switching the firm, logging out, and the login page's own refusals.

The people here are made over HTTP only, as a firm would: the Demo advisor invites the Basis
advisor's address as a client (the cross-firm invitation of issue 11), and a new client of Demo
is invited by Basis too. Screenshots land in artifacts/screenshots/ (17 and on).
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, Request, expect

from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    BASIS_ADVISOR,
    browser_fixture,
    call,
    invite,
    log_in,
    open_tab,
    send_information,
    tabs_fixture,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)

DEMO, BASIS = "Demo Administratiekantoor", "Basis Boekhouding"
PASSWORD = "Twee-kantoren-2026!"


def switch_firm(page: Page, to: str) -> None:
    """Through the header: open the switcher and choose the membership named `to`."""
    page.get_by_role("button", name=re.compile("^Kantoor wisselen")).click()
    page.locator("#firm-menu").get_by_role("button", name=to).click()


def firm_headers(page: Page) -> list[tuple[str, str | None]]:
    """(path, X-Firm) of every API call the page makes from now on."""
    seen: list[tuple[str, str | None]] = []

    def record(request: Request) -> None:
        path = request.url.split("/", 3)[3]
        if path.startswith(("advisor/", "portal/")):
            seen.append((path, request.headers.get("x-firm")))

    page.on("request", record)
    return seen


def test_an_advisor_invited_as_a_client_elsewhere_accepts_with_their_own_login_and_switches_firms(browser, stack, tabs):
    demo = stack.login(*ADVISOR)
    subject = f"Informatie van Demo {uuid.uuid4().hex[:6]}"
    client_id, token = invite(stack, demo, "Bram Dubbelrol", BASIS_ADVISOR[0])
    send_information(stack, demo, client_id, subject)

    tab = open_tab(tabs, browser, stack, f"/activate?token={token}")
    page = tab.page
    page.get_by_label("Nieuw wachtwoord", exact=True).fill("Overgenomen-2026!!")
    page.get_by_label("Herhaal het wachtwoord", exact=True).fill("Overgenomen-2026!!")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page.get_by_role("heading", name="U heeft al een account")).to_be_visible()
    expect(page.get_by_text("Log in met uw eigen wachtwoord om de uitnodiging te accepteren")).to_be_visible()
    assert "token=" not in page.url  # the one-time token left the address bar at once
    tab.snap("17-activate-existing-login")
    assert call(stack, "POST", "/auth/login", body={"email": BASIS_ADVISOR[0], "password": "Overgenomen-2026!!"}
                ).status_code == 401  # the invitation set no password

    page.get_by_label("E-mailadres").fill(BASIS_ADVISOR[0])
    page.get_by_label("Wachtwoord").fill(BASIS_ADVISOR[1])
    page.get_by_role("button", name="Inloggen en uitnodiging accepteren").click()
    expect(page.get_by_text(f"u bent nu ook klant bij {DEMO}")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(f"^Adviseur bij {BASIS}"))).to_be_visible()
    tab.snap("18-activate-accepted-choose-firm")

    page.get_by_role("button", name=re.compile(f"^Adviseur bij {BASIS}")).click()
    expect(page).to_have_url(re.compile(r"/advisor$"))
    calls = firm_headers(page)
    page.get_by_role("link", name="Cliënten", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("Piet Jansen"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Bram Dubbelrol"))).to_have_count(0)
    page.get_by_role("button", name=re.compile("^Kantoor wisselen")).click()
    expect(page.locator("#firm-menu").get_by_role("button", name=f"Klant bij {DEMO}")).to_be_visible()
    tab.snap("19-advisor-firm-switcher", both=False)
    page.keyboard.press("Escape")
    expect(page.locator("#firm-menu")).to_be_hidden()
    basis_id = tab.session()["firm"]
    assert calls and all(firm == basis_id for _, firm in calls), calls

    switch_firm(page, f"Klant bij {DEMO}")
    expect(page.get_by_role("heading", name="Uw berichten")).to_be_visible()
    expect(page.get_by_text(subject)).to_be_visible()
    expect(page.get_by_role("button", name=f"Kantoor wisselen: Klant bij {DEMO}")).to_be_visible()
    tab.snap("20-portal-after-switching-firm")

    switch_firm(page, f"Adviseur bij {BASIS}")
    expect(page.get_by_role("heading", name="Communicatie")).to_be_visible()
    old_token = tab.session()["token"]
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", name="Inloggen voor adviseurs")).to_be_visible()
    assert tab.session() is None
    assert call(stack, "GET", "/advisor/me", old_token).status_code == 401
    assert call(stack, "GET", "/portal/messages", old_token).status_code == 401


def test_a_client_of_two_firms_chooses_one_after_login_and_sees_only_that_firms_messages(browser, stack, tabs):
    email = f"twee-kantoren-{uuid.uuid4().hex[:8]}@example.com"
    demo, basis = stack.login(*ADVISOR), stack.login(*BASIS_ADVISOR)
    demo_client, token = invite(stack, demo, "Pim Tweekantoren", email)
    assert call(stack, "POST", "/auth/activate", body={"token": token, "password": PASSWORD}).status_code == 200
    basis_client, token = invite(stack, basis, "Pim Tweekantoren", email)
    accepted = call(stack, "POST", "/auth/accept-invite", stack.login(email, PASSWORD), {"token": token})
    assert [m["firm"] for m in accepted.json()["memberships"]] == [DEMO, BASIS], accepted.text
    from_demo, from_basis = f"Van Demo {uuid.uuid4().hex[:6]}", f"Van Basis {uuid.uuid4().hex[:6]}"
    send_information(stack, demo, demo_client, from_demo)
    send_information(stack, basis, basis_client, from_basis)

    tab = open_tab(tabs, browser, stack, "/", phone=True)
    page = tab.page
    log_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Kies een kantoor")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(f"^Klant bij {DEMO}"))).to_be_visible()
    tab.snap("21-client-choose-firm")
    calls = firm_headers(page)
    page.get_by_role("button", name=re.compile(f"^Klant bij {BASIS}")).click()
    expect(page.get_by_text(from_basis)).to_be_visible()
    expect(page.get_by_text(from_demo)).to_have_count(0)
    tab.snap("22-client-acting-for-basis")
    basis_id = tab.session()["firm"]
    assert calls and all(firm == basis_id for _, firm in calls), calls

    page.reload()  # the choice lasts for the session
    expect(page.get_by_text(from_basis)).to_be_visible()
    switch_firm(page, f"Klant bij {DEMO}")
    expect(page.get_by_text(from_demo)).to_be_visible()
    expect(page.get_by_text(from_basis)).to_have_count(0)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name=f"Switch firm: Client of {DEMO}")).to_be_visible()
    page.get_by_role("button", name="Nederlands").click()

    old_token = tab.session()["token"]
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    assert call(stack, "GET", "/portal/messages", old_token).status_code == 401


def test_the_login_page_shows_the_servers_own_sentence_when_logins_are_throttled(browser, stack, tabs):
    email = f"onbekend-{uuid.uuid4().hex[:8]}@example.com"  # an unknown address is throttled the same way
    for _ in range(5):
        assert call(stack, "POST", "/auth/login", body={"email": email, "password": "Fout-wachtwoord-2026!"}
                    ).status_code == 401
    tab = open_tab(tabs, browser, stack, "/advisor")
    page = tab.page
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("Fout-wachtwoord-2026!")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Te veel mislukte inlogpogingen met dit e-mailadres\. Probeer het over \d+ seconden opnieuw\."))
    tab.snap("23-login-throttled", both=False)
