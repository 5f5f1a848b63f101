"""The advisor's notifications read, one or all; the advisor opening the document that was sent."""

from __future__ import annotations

import requests

from tests.conftest import PDF_BYTES, Api, upload


def _approve_asked(api: Api, firm, signer) -> None:
    sent = api.post("/advisor/messages", firm["token"], {"client_id": signer["id"], "subject": "Begroting",
                                                         "body": "Akkoord?", "response_type": "approve"})
    assert sent.status_code == 201
    assert api.post(f"/portal/messages/{sent.json['id']}/approve", signer["token"], {}).status_code == 200


def test_opening_a_notification_marks_it_read_and_read_all_marks_the_rest(api: Api, firm, signer):
    for _ in range(3):
        _approve_asked(api, firm, signer)
    unread = api.get("/advisor/notifications?unread=true", firm["token"]).json["items"]
    assert len(unread) == 3
    opened = api.post(f"/advisor/notifications/{unread[0]['id']}/read", firm["token"])
    assert opened.status_code == 200 and opened.json["read"] is True and opened.json["id"] == unread[0]["id"]
    assert len(api.get("/advisor/notifications?unread=true", firm["token"]).json["items"]) == 2
    assert api.post("/advisor/notifications/read-all", firm["token"]).json == {"marked": 2}
    assert api.get("/advisor/notifications?unread=true", firm["token"]).json["items"] == []
    assert all(n["read"] for n in api.get("/advisor/notifications", firm["token"]).json["items"])


def test_a_notification_that_is_not_the_advisors_is_404_and_a_bad_filter_400(api: Api, firm, tokens):
    assert api.post("/advisor/notifications/01HZZZZZZZZZZZZZZZZZZZZZZZ/read", firm["token"]).status_code == 404
    bad = api.get("/advisor/notifications?unread=misschien", firm["token"])
    assert (bad.status_code, bad.json["code"]) == (400, "validation_error")


def test_the_advisor_downloads_the_exact_document_that_was_completed(api: Api, firm):
    document = upload(api, firm["token"]).json["id"]
    answer = api.get(f"/advisor/documents/{document}/download", firm["token"])
    assert answer.status_code == 200
    fetched = requests.get(answer.json["download_url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content == PDF_BYTES
    pending = upload(api, firm["token"], complete=False).json["id"]
    refused = api.get(f"/advisor/documents/{pending}/download", firm["token"])
    assert (refused.status_code, refused.json["code"]) == (422, "document_not_ready")
