"""Reading messages on fake ports: the advisor's lists and card, the client's overview, and opening (read, viewed)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.messaging import service
from chalicelib.signing.states import SigningStatus, advance
from chalicelib.validation import MAX_LIMIT
from tests.fakes.messaging import Office


@pytest.fixture
def office() -> Office:
    return Office()


def ids(answer: dict) -> list[str]:
    return [m["id"] for m in answer["items"]]


# --- opening ---------------------------------------------------------------------------------


def test_opening_marks_a_message_read_and_its_request_viewed_with_an_audit_event(office: Office):
    sent = office.send()
    opened = service.open_message(office.ports, office.client, sent["id"])
    assert opened["status"] == "read" and opened["signing"]["status"] == "viewed"
    assert office.message(sent["id"]).status == "read"
    assert office.request(sent["signing"]["id"]).status == SigningStatus.VIEWED
    assert office.events(sent["signing"]["id"]) == ["sent", "viewed"]
    event = office.ports.signing.audit_events("t1", sent["signing"]["id"])[1]
    assert (event.actor, event.at) == ("client:k1", "2026-12-01T10:00:00.000Z")


def test_opening_again_changes_nothing(office: Office):
    sent = office.send()
    first = service.open_message(office.ports, office.client, sent["id"])
    office.ports.clock.advance(hours=1)
    again = service.open_message(office.ports, office.client, sent["id"])
    assert again == {**first, "documents": again["documents"]}
    assert office.events(sent["signing"]["id"]) == ["sent", "viewed"]


def test_opening_gives_each_document_a_download_link_of_its_version(office: Office):
    sent = office.send()
    [document] = service.open_message(office.ports, office.client, sent["id"])["documents"]
    stored = office.message(sent["id"]).documents[0]
    assert document["content_type"] == "application/pdf"
    assert document["download_url"] == office.ports.files.download_url(stored.s3_key, stored.version_id, stored.filename)


def test_opening_a_message_that_is_not_for_signing_only_marks_it_read(office: Office):
    sent = office.send("approve")
    assert service.open_message(office.ports, office.client, sent["id"])["status"] == "read"
    assert office.ports.signing.requests == {}


def test_opening_shows_the_conversation(office: Office):
    sent = office.send("reply")
    service.reply(office.ports, office.client, sent["id"], {"body": "Klopt."})
    opened = service.open_message(office.ports, office.client, sent["id"])
    assert [r["body"] for r in opened["conversation"]] == ["Klopt."]


def test_a_request_viewed_already_is_not_viewed_twice(office: Office):
    sent = office.send()
    request = office.request(sent["signing"]["id"])
    office.ports.signing.apply_step(advance(request, "viewed", office.now, "client:k1"))  # the signing screen saw it
    assert service.open_message(office.ports, office.client, sent["id"])["status"] == "read"
    assert office.events(request.id) == ["sent", "viewed"]


def test_two_opens_at_once_record_one_view(office: Office, monkeypatch):
    sent = office.send()
    # The second open read the message and its request before the first one wrote.
    stale_message, stale_request = office.message(sent["id"]), office.request(sent["signing"]["id"])
    service.open_message(office.ports, office.client, sent["id"])
    messages, requests = office.ports.messages, office.ports.signing
    reads = {"message": [stale_message], "request": [stale_request]}
    real_message, real_request = messages.get_message, requests.get
    monkeypatch.setattr(messages, "get_message", lambda *a: reads["message"].pop() if reads["message"] else real_message(*a))
    monkeypatch.setattr(requests, "get", lambda *a: reads["request"].pop() if reads["request"] else real_request(*a))
    opened = service.open_message(office.ports, office.client, sent["id"])
    assert (opened["status"], opened["signing"]["status"]) == ("read", "viewed")
    assert office.events(sent["signing"]["id"]) == ["sent", "viewed"]


def test_another_clients_message_is_not_found_like_a_missing_one(office: Office):
    office.add_client("k2")
    sent = office.send()
    for message_id in (sent["id"], "missing"):
        with pytest.raises(NotFound):
            service.open_message(office.ports, office.client_principal("k2"), message_id)
    assert office.message(sent["id"]).status == "sent"


def test_a_message_of_another_firm_is_not_found(office: Office):
    sent = office.send("approve")
    stranger = replace(office.client, tenant_id="t2")
    with pytest.raises(NotFound):
        service.open_message(office.ports, stranger, sent["id"])


# --- the client's overview -------------------------------------------------------------------


def test_the_overview_holds_the_clients_own_messages_newest_first(office: Office):
    office.add_client("k2")
    first, second = office.send("approve"), office.send("none")
    office.send("approve", client_id="k2")
    answer = service.portal_messages(office.ports, office.client, None, None)
    assert sorted(ids(answer)) == sorted([first["id"], second["id"]]) and answer["next_cursor"] is None
    assert ids(answer) == sorted(ids(answer), reverse=True)


def test_the_overview_pages(office: Office):
    for _ in range(3):
        office.send("none")
    page = service.portal_messages(office.ports, office.client, "2", None)
    rest = service.portal_messages(office.ports, office.client, "2", page["next_cursor"])
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "201", "x", "²", "-1"])
def test_a_bad_limit_is_refused(office: Office, limit: str):
    with pytest.raises(ValidationFailed):
        service.portal_messages(office.ports, office.client, limit, None)


def test_a_forged_cursor_is_refused(office: Office):
    with pytest.raises(ValidationFailed):
        service.portal_messages(office.ports, office.client, None, "eyJwayI6IHsiUyI6ICJ4In19")


# --- the advisor -----------------------------------------------------------------------------


def test_the_advisor_lists_the_firms_messages_or_one_clients(office: Office):
    office.add_client("k2")
    mine, theirs = office.send("approve"), office.send("approve", client_id="k2")
    assert set(ids(service.list_messages(office.ports, office.advisor, None, None, None, None))) == {
        mine["id"], theirs["id"]}
    assert ids(service.list_messages(office.ports, office.advisor, "k2", None, None, None)) == [theirs["id"]]


def test_the_advisor_filters_by_status(office: Office):
    reply, approve = office.send("reply"), office.send("approve")
    service.reply(office.ports, office.client, reply["id"], {"body": "Ja."})
    assert ids(service.list_messages(office.ports, office.advisor, "k1", "replied", None, None)) == [reply["id"]]
    assert ids(service.list_messages(office.ports, office.advisor, None, "sent", None, None)) == [approve["id"]]


def test_an_unknown_status_is_refused(office: Office):
    with pytest.raises(ValidationFailed) as caught:
        service.list_messages(office.ports, office.advisor, None, "lost", None, None)
    assert [(e.field, e.message) for e in caught.value.errors] == [("status", "invalid_status")]


def test_an_empty_status_is_no_filter(office: Office):
    sent = office.send("approve")
    assert ids(service.list_messages(office.ports, office.advisor, None, "", None, None)) == [sent["id"]]


def test_the_advisors_view_holds_the_conversation_and_the_audit_events(office: Office):
    sent = office.send()
    service.open_message(office.ports, office.client, sent["id"])
    seen = service.advisor_message(office.ports, office.advisor, sent["id"])
    events = seen["signing"]["audit_events"]
    assert [e["type"] for e in events] == ["sent", "viewed"] and events[1]["prev_hash"] == events[0]["hash"]
    assert seen["conversation"] == [] and seen["status"] == "read"


def test_the_advisors_view_of_a_message_without_request_has_no_signing(office: Office):
    sent = office.send("reply")
    service.reply(office.ports, office.client, sent["id"], {"body": "Ja."})
    seen = service.advisor_message(office.ports, office.advisor, sent["id"])
    assert seen["signing"] is None and [r["author"] for r in seen["conversation"]] == ["client:k1"]


def test_an_unknown_message_is_not_found_for_the_advisor(office: Office):
    with pytest.raises(NotFound):
        service.advisor_message(office.ports, office.advisor, "missing")


def test_the_client_card_holds_every_message_of_the_client_over_every_page(office: Office):
    office.add_client("k2")
    office.send("none", client_id="k2")
    for _ in range(MAX_LIMIT + 1):
        office.send("none")
    card = service.client_card(office.ports, office.advisor, "k1")
    assert card["id"] == "k1" and card["name"] == "Klant k1"
    assert len(card["messages"]) == MAX_LIMIT + 1 and {m["client_id"] for m in card["messages"]} == {"k1"}


def test_the_card_of_an_unknown_client_is_not_found(office: Office):
    with pytest.raises(NotFound):
        service.client_card(office.ports, office.advisor, "nobody")


def test_a_client_without_messages_has_an_empty_card(office: Office):
    assert service.client_card(office.ports, office.advisor, "k1")["messages"] == []
