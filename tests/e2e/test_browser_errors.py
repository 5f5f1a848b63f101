"""A refusal reaches the person in the server's own words, in the language they chose on the page.

The pages keep no sentence per error code: they send the chosen language (Accept-Language) and
show the answer's `detail` (chalicelib/web/ui.js, errorText).
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Request, expect

from chalicelib.errors import CODES
from tests.e2e.browser_helpers import browser_fixture, open_tab, tabs_fixture  # noqa: F401 - the fixtures

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)


def test_a_refused_login_is_told_in_the_servers_words_in_the_language_chosen_on_the_page(browser, stack, tabs):
    email = f"onbekend-{uuid.uuid4().hex[:8]}@example.com"
    page = open_tab(tabs, browser, stack, "/advisor").page
    languages: list[str | None] = []

    def record(request: Request) -> None:
        if request.url.endswith("/auth/login"):
            languages.append(request.headers.get("accept-language"))

    page.on("request", record)
    page.get_by_role("button", name="English").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("Fout-wachtwoord-2026!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(CODES["invalid_credentials"].en)

    page.get_by_role("button", name="Nederlands").click()
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("Fout-wachtwoord-2026!")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_have_text(CODES["invalid_credentials"].nl)
    assert languages == ["en", "nl"]
