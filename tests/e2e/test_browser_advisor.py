"""The advisor's side of issue 16, in a real browser: only what the firm has, notifications that can be
read, the sent document opened from the dashboard, the audit trail and the receipt in words, a phone
number added without losing the message being written; and the portal's polish (the firm's name, the
waiting request among all messages, plurals, the pad's hint).

The clients here are made over HTTP, each with a phone of their own, so no SMS limit is shared with
other tests; the ceremony itself runs over HTTP where it is not what is being shown. Screenshots are
`adv-NN-...` in artifacts/screenshots/, at 1280 px and at 375 px (touch); axe-core checks each screen
against the WCAG 2.2 A and AA rules.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser_helpers import (  # noqa: F401 - browser_fixture and tabs_fixture are the fixtures
    ADVISOR,
    BASIS_ADVISOR,
    browser_fixture,
    call,
    draw_signature,
    log_in,
    new_signer,
    open_tab,
    reject_over_http,
    send_to_sign,
    sign_over_http,
    small_pdf,
    sms_count,
    tabs_fixture,
    wait_for_sms_code,
)

pytestmark = pytest.mark.e2e
expect.set_options(timeout=15_000)

# What the server calls an event ('code_failed', 'turn'): no line of the trail may be one of those.
RAW_CODE = re.compile(r"^[a-z]+(_[a-z]+)*$")


@pytest.fixture(name="advisor_token")
def advisor_token_fixture(stack) -> str:
    return str(stack.login(*ADVISOR))


def assert_in_words(trail: Locator) -> None:
    lines = trail.locator("li > span:not(.when)").all_inner_texts()
    assert lines and not [line for line in lines if RAW_CODE.match(line.strip())], lines


def open_message(page: Page, subject: str) -> None:
    page.get_by_role("link", name="Communicatie").click()
    page.get_by_role("link", name=re.compile(re.escape(subject))).first.click()
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()


def test_a_firm_without_signing_is_not_offered_bestand_laten_ondertekenen(browser, stack, tabs):
    tab = open_tab(tabs, browser, stack, "/advisor")
    page = tab.page
    log_in(page, *BASIS_ADVISOR)
    expect(page.locator(".firm-name")).to_have_text("Kantoor: Basis Boekhouding")
    page.get_by_role("link", name="Nieuw bericht").click()
    kind = page.get_by_label("Soort reactie", exact=True)
    expect(kind.locator("option")).to_have_text(["Ter informatie", "Reactie gevraagd", "Akkoord gevraagd"])
    tab.snap("adv-01-basis-compose-without-signing")

    demo = open_tab(tabs, browser, stack, "/advisor")  # the firm with signing is offered it
    log_in(demo.page, *ADVISOR)
    demo.page.get_by_role("link", name="Nieuw bericht").click()
    expect(demo.page.get_by_label("Soort reactie", exact=True).locator("option")).to_have_text(
        ["Ter informatie", "Reactie gevraagd", "Akkoord gevraagd", "Bestand laten ondertekenen"])


def test_the_advisor_reads_one_notification_by_opening_it_and_then_marks_all_read(browser, stack, tabs, advisor_token):
    assert call(stack, "POST", "/advisor/notifications/read-all", advisor_token).ok  # start from none unread
    client = new_signer(stack, advisor_token, f"Mila Melding {uuid.uuid4().hex[:4]}", "Delft")
    client_token = stack.login(client["email"], client["password"])
    subjects = [f"Akkoord offerte {n} {uuid.uuid4().hex[:4]}" for n in (1, 2)]
    for subject in subjects:
        sent = call(stack, "POST", "/advisor/messages", advisor_token, {
            "client_id": client["id"], "subject": subject, "body": "Gaat u akkoord?", "response_type": "approve"})
        assert sent.status_code == 201, sent.text
        assert call(stack, "POST", f"/portal/messages/{sent.json()['id']}/approve", client_token, {}).ok

    tab = open_tab(tabs, browser, stack, "/advisor")
    page = tab.page
    log_in(page, *ADVISOR)
    badge = page.locator("#unread-count")
    expect(badge).to_have_text("2")
    expect(badge).to_have_attribute("aria-label", "2 ongelezen meldingen")
    page.get_by_role("link", name=re.compile("^Meldingen")).click()
    unread = page.locator("li", has=page.get_by_text("Ongelezen", exact=True))
    expect(unread).to_have_count(2)
    tab.snap("adv-02-notifications-unread")

    page.locator("li", has_text=subjects[0]).get_by_role("link").click()  # opening one marks it read
    expect(page.get_by_role("heading", name=subjects[0], level=1)).to_be_visible()
    expect(badge).to_have_text("1")
    expect(badge).to_have_attribute("aria-label", "1 ongelezen melding")
    page.get_by_role("link", name=re.compile("^Meldingen")).click()
    expect(unread).to_have_count(1)
    expect(page.locator("li", has_text=subjects[1])).to_contain_text("Ongelezen")

    page.get_by_role("button", name="Alles gelezen").click()
    expect(page.get_by_text("1 melding gemarkeerd als gelezen.")).to_be_visible()
    expect(unread).to_have_count(0)
    expect(badge).to_be_hidden()
    expect(page.get_by_role("button", name="Alles gelezen")).to_have_count(0)
    tab.snap("adv-03-notifications-all-read")
    left = call(stack, "GET", "/advisor/notifications?unread=true&limit=200", advisor_token).json()["items"]
    assert not left, left


def test_the_advisor_opens_the_sent_document_and_reads_the_audit_trail_and_the_receipt_in_words(
        browser, stack, tabs, advisor_token, tmp_path):
    subject = f"Volmacht in woorden {uuid.uuid4().hex[:6]}"
    signer = new_signer(stack, advisor_token, f"Ruben Typer {uuid.uuid4().hex[:4]}", "Leiden")
    pdf = small_pdf(subject)
    message = send_to_sign(stack, advisor_token, signer["id"], subject, pdf)
    sign_over_http(stack, signer, message["signing"]["id"], method="typed", wrong_code_first=True)

    tab = open_tab(tabs, browser, stack, "/advisor")
    page = tab.page
    log_in(page, *ADVISOR)
    open_message(page, subject)
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Document openen: volmacht.pdf").click()
    download = downloading.value
    assert download.suggested_filename == "volmacht.pdf"
    saved = tmp_path / "volmacht.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == pdf  # the exact version that was sent
    assert hashlib.sha256(pdf).hexdigest() == message["documents"][0]["sha256"]

    trail = page.locator(".timeline")
    for line in ("Verzoek verstuurd aan de cliënt", "Document geopend door de cliënt", "Sms-code verstuurd",
                 "Onjuiste sms-code ingevoerd", "Sms-code bevestigd", "Ondertekend en verzegeld"):
        expect(trail).to_contain_text(line)
    assert_in_words(trail)
    tab.snap("adv-04-message-document-and-audit-trail")
    page.get_by_role("button", name="English").click()
    expect(trail).to_contain_text("Incorrect SMS code entered")
    expect(trail).to_contain_text("Signed and sealed")
    assert_in_words(trail)
    page.get_by_role("button", name="Nederlands").click()

    page.locator(".card", has=page.get_by_role("heading", name="Ondertekening")).get_by_role(
        "link", name="Ondertekend en verzegeld").click()
    expect(page.get_by_role("heading", name="Ondertekend en verzegeld")).to_be_visible()
    seal = page.locator("section[aria-labelledby=seal-title] dl")
    expect(seal).to_contain_text("Vingerafdruk van de transactiebon")
    expect(seal).not_to_contain_text("Samenvatting")
    expect(seal).to_contain_text(re.compile(r"Zegelsleutel (in gebruik sinds \d{1,2} [a-z]+ 20\d\d|…\S{1,8})"))
    assert "arn:" not in seal.inner_text()
    expect(page.locator("[data-method=typed]")).to_have_text("Naam getypt (in een handschriftletter)")
    tab.snap("adv-05-receipt-in-words")
    page.get_by_role("button", name="English").click()
    expect(seal).to_contain_text("Fingerprint of the transaction receipt")
    expect(page.locator("[data-method=typed]")).to_have_text("Name typed (in a handwriting font)")
    page.get_by_role("button", name="Nederlands").click()


def test_a_co_signers_rejection_shows_in_the_main_signers_trail_as_a_withdrawal_in_words(
        browser, stack, tabs, advisor_token):
    subject = f"Aangifte partners {uuid.uuid4().hex[:6]}"
    main = new_signer(stack, advisor_token, f"Anna Eerste {uuid.uuid4().hex[:4]}", "Gouda")
    partner = new_signer(stack, advisor_token, f"Bas Partner {uuid.uuid4().hex[:4]}", "Gouda")
    message = send_to_sign(stack, advisor_token, main["id"], subject, small_pdf(subject), co_signers=(partner["id"],))
    partner_request = next(s for s in message["signings"] if s["client_id"] == partner["id"])
    reject_over_http(stack, partner, partner_request["id"], "Het bedrag klopt niet.")

    tab = open_tab(tabs, browser, stack, "/advisor", phone=True)
    page = tab.page
    log_in(page, *ADVISOR)
    open_message(page, subject)
    trails = page.locator(".timeline")  # each signer's own trail, in signing order
    expect(trails).to_have_count(2)
    expect(trails.nth(0)).to_contain_text("Ingetrokken: een medeondertekenaar heeft afgewezen")
    expect(trails.nth(1)).to_contain_text("Afgewezen")
    assert_in_words(trails)
    tab.snap("adv-06-audit-trail-co-signer-rejected")


def test_adding_a_mobile_number_keeps_the_draft_and_comes_back_to_it(browser, stack, tabs, advisor_token):
    from tests.conftest import random_mobile

    tag = uuid.uuid4().hex[:6]
    name = f"Zoë Zondernummer {tag}"  # like demo client Sanne: a client without a mobile number
    created = call(stack, "POST", "/advisor/clients", advisor_token, {"name": name, "email": f"zonder-{tag}@example.com"})
    assert created.status_code == 201, created.text
    subject = f"Machtiging {tag}"

    tab = open_tab(tabs, browser, stack, "/advisor", phone=True)
    page = tab.page
    log_in(page, *ADVISOR)
    page.get_by_role("link", name=re.compile("Nieuw")).click()
    page.get_by_label("Aan", exact=True).select_option(label=f"{name} (zonder-{tag}@example.com)")
    page.get_by_label("Onderwerp", exact=True).fill(subject)
    page.get_by_label("Soort reactie", exact=True).select_option(label="Bestand laten ondertekenen")
    page.get_by_label("Bericht", exact=True).fill("Beste Zoë,\n\nGraag de machtiging ondertekenen.")
    long_name = "machtiging-belastingdienst-2026-definitief-getekend.pdf"
    page.get_by_label("Bijlage toevoegen", exact=True).set_input_files(
        files=[{"name": long_name, "mimeType": "application/pdf", "buffer": small_pdf(subject)}])
    expect(page.get_by_text("Gecontroleerd en gereed")).to_be_visible()
    assert_breaks_only_between_parts(page, ".uploads .doc-name")
    send = page.get_by_role("button", name="Versturen")
    expect(send).to_be_disabled()
    tab.snap("adv-07-compose-phone-needed")

    page.get_by_role("link", name="Mobiel nummer toevoegen op de cliëntkaart").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    phone = page.get_by_label("Mobiel nummer", exact=True)
    expect(phone).to_be_focused()
    expect(page.get_by_text(f"Uw bericht ‘{subject}’ is bewaard.")).to_be_visible()
    tab.snap("adv-08-client-card-phone-focused")
    phone.fill(random_mobile())
    page.get_by_role("button", name="Opslaan").click()

    expect(page.get_by_role("heading", name="Nieuw bericht")).to_be_visible()
    expect(page.get_by_text("De cliëntkaart is bijgewerkt.")).to_be_visible()
    expect(page.get_by_label("Onderwerp", exact=True)).to_have_value(subject)
    expect(page.get_by_label("Bericht", exact=True)).to_have_value(re.compile("Graag de machtiging ondertekenen"))
    expect(page.get_by_label("Soort reactie", exact=True)).to_have_value("sign")
    expect(page.locator(".uploads")).to_contain_text("Gecontroleerd en gereed")
    expect(page.locator("#phone-block")).to_be_hidden()
    expect(send).to_be_enabled()
    tab.snap("adv-09-back-at-the-draft")
    send.click()
    expect(page.get_by_text(f"Het bericht is verstuurd aan {name}.")).to_be_visible()


def assert_breaks_only_between_parts(page: Page, selector: str) -> None:
    """Every line of the element's text ends after a separator ('-', '_', '.', ' '): no word broken."""
    breaks: list[str] = page.locator(selector).first.evaluate("""(el) => {
        const text = el.textContent;
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        const chars = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.length; i += 1) {
                const range = document.createRange();
                range.setStart(node, i);
                range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (rect) chars.push([node.data[i], Math.round(rect.top)]);
            }
        }
        const before = [];
        for (let i = 1; i < chars.length; i += 1) if (chars[i][1] > chars[i - 1][1] + 2) before.push(chars[i - 1][0]);
        return before;
    }""")
    assert all(char in "-_. " for char in breaks), breaks


def test_the_portal_names_the_firm_lists_a_waiting_request_among_all_and_words_attempts_in_plural(
        browser, stack, tabs, advisor_token):
    subject = f"Volmacht portaal {uuid.uuid4().hex[:6]}"
    signer = new_signer(stack, advisor_token, f"Iris Portaal {uuid.uuid4().hex[:4]}", "Zwolle")
    send_to_sign(stack, advisor_token, signer["id"], subject, small_pdf(subject))

    tab = open_tab(tabs, browser, stack, "/", phone=True)
    page = tab.page
    log_in(page, signer["email"], signer["password"])
    expect(page.locator(".firm-name")).to_have_text("Kantoor: Demo Administratiekantoor")
    expect(page.locator(".todo")).to_contain_text(subject)
    everything = page.locator("[aria-labelledby=all-title]")
    expect(everything.get_by_text(subject)).to_be_visible()  # 'Alle berichten' includes the waiting one
    tab.snap("adv-10-portal-firm-and-all-messages")

    page.get_by_role("link", name=f"Bekijken en ondertekenen: {subject}").click()
    agree = page.get_by_role("button", name="Akkoord en ondertekenen")
    expect(agree).to_be_enabled()
    seen = sms_count(stack, signer["phone"])
    agree.click()
    code = wait_for_sms_code(stack, signer["phone"], seen)
    page.get_by_label("Sms-code", exact=True).fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_role("alert")).to_have_text("De code is onjuist. U heeft nog 4 pogingen.")
    page.get_by_role("button", name="English").click()
    page.get_by_label("SMS code", exact=True).fill(f"{(int(code) + 2) % 1_000_000:06d}")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_have_text("The code is incorrect. You have 3 more attempts.")
    page.get_by_role("button", name="Nederlands").click()
    page.get_by_label("Sms-code", exact=True).fill(code)
    page.get_by_role("button", name="Bevestigen").click()

    pad = page.locator("canvas#signature-pad")
    expect(pad).to_be_visible()
    hint = page.locator(".pad-hint")
    expect(hint).to_be_visible()
    page.get_by_role("button", name="Ondertekenen", exact=True).click()
    empty = page.get_by_text("Zet eerst uw handtekening in het vak")
    expect(empty).to_be_visible()
    draw_signature(page, pad)
    expect(hint).to_be_hidden()  # 'Teken hier' and the empty-pad error go once there is ink
    expect(empty).to_have_count(0)
    tab.snap("adv-11-portal-pad-drawn")
    page.get_by_role("button", name="Wissen").click()
    expect(hint).to_be_visible()
    draw_signature(page, pad)
    page.get_by_role("button", name="Ondertekenen", exact=True).click()
    expect(page.get_by_role("heading", name="Ondertekend")).to_be_visible()
