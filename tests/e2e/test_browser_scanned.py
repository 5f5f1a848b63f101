"""A scanned document, as accountants receive them: its page is a JPEG 2000 image, and the client sees it."""

from __future__ import annotations

import io
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    browser_fixture,
    deadline_in,
    log_in,
    new_signer,
    open_tab,
    send_signing_request,
    tabs_fixture,
)
from tests.e2e.test_browser_ceremony import ink

pytestmark = pytest.mark.e2e
expect.set_options(timeout=20_000)


def scanned_pdf() -> bytes:
    """One A4 page that is nothing but a dark grey JPEG 2000 image, as a scanner makes it."""
    from PIL import Image

    from tests.conftest import make_pdf

    buffer = io.BytesIO()
    Image.new("RGB", (300, 424), (40, 40, 60)).save(buffer, format="JPEG2000")
    image = buffer.getvalue()
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return make_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width 300 /Height 424 /Filter /JPXDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(image), image),
    )


def test_a_scanned_jpeg2000_page_is_drawn_in_the_portal(browser, stack, tabs):
    subject = f"Gescande machtiging {uuid.uuid4().hex[:6]}"
    signer = new_signer(stack, stack.login(*ADVISOR), f"Sven Scan {uuid.uuid4().hex[:4]}", "Assen")
    send_signing_request(stack, signer["name"], subject, deadline_in(10), pdf=scanned_pdf())
    tab = open_tab(tabs, browser, stack, "/")
    page = tab.page
    log_in(page, signer["email"], signer["password"])
    page.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}").click()
    expect(page.locator(".pdf-page canvas").first).to_be_visible()
    expect(page.get_by_role("button", name="Akkoord en ondertekenen")).to_be_enabled()
    assert ink(page, ".pdf-page canvas") > 0.5, "the scanned page is drawn blank"
    tab.snap("scan-01-jpeg2000-page")
