"""The communication module: sending, the client's overview, answers, notifications."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.ids import new_id
from tests.conftest import PNG_BYTES, Api, activate_client, client_id, emails_to, upload


def _sign_message(api: Api, token: str, client: str, document_id: str, **extra) -> dict:
    return {"client_id": client, "subject": "Jaarrekening 2025", "body": "Graag uw handtekening.",
            "response_type": "sign", "document_ids": [document_id], **extra}


def _new_client(api: Api, firm, phone: str | None = "06 11122233", language: str = "nl") -> dict:
    email = f"klant-{new_id().lower()}@example.com"
    return api.post("/advisor/clients", firm["token"], {
        "name": "Klant Test", "email": email, "phone": phone, "city": "Leiden", "language": language}).json


def test_a_client_without_phone_gets_no_signing_request_until_the_phone_is_added(api: Api, tokens, backend):
    advisor = tokens["demo_advisor"]
    sanne = client_id(api, advisor, "sanne")
    document = upload(api, advisor).json["id"]
    before = len(emails_to(backend, "sanne@demo.example"))
    try:
        refused = api.post("/advisor/messages", advisor, _sign_message(api, advisor, sanne, document))
        assert refused.status_code == 422
        assert refused.json["code"] == "phone_required"
        assert len(emails_to(backend, "sanne@demo.example")) == before
        assert api.get(f"/advisor/messages?client_id={sanne}", advisor).json["items"] == []

        api.patch(f"/advisor/clients/{sanne}", advisor, {"phone": "06 23456789"})
        sent = api.post("/advisor/messages", advisor, _sign_message(api, advisor, sanne, document))
        assert sent.status_code == 201
        assert sent.json["signing"]["status"] == "sent"
        assert len(emails_to(backend, "sanne@demo.example")) == before + 1
    finally:
        api.patch(f"/advisor/clients/{sanne}", advisor, {"phone": None})
        for item in api.get(f"/advisor/messages?client_id={sanne}", advisor).json["items"]:
            api.post(f"/advisor/signing-requests/{item['signing']['id']}/withdraw", advisor)


def test_a_firm_without_the_feature_cannot_send_for_signing_but_can_ask_approval(api: Api, tokens):
    advisor = tokens["basis_advisor"]
    piet = client_id(api, advisor, "piet")
    document = upload(api, advisor).json["id"]
    refused = api.post("/advisor/messages", advisor, _sign_message(api, advisor, piet, document))
    assert refused.status_code == 403
    assert refused.json["code"] == "feature_not_enabled"
    approve = api.post("/advisor/messages", advisor, {
        "client_id": piet, "subject": "Akkoord begroting", "body": "Gaat u akkoord?", "response_type": "approve",
        "document_ids": [document]})
    assert approve.status_code == 201
    assert approve.json["signing"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deadline": (date.today() - timedelta(days=2)).isoformat()}, "deadline"),
        ({"deadline": "31-12-2030"}, "deadline"),
        ({"response_type": "none", "deadline": "2099-01-01"}, "deadline"),
        ({"response_type": "maybe"}, "response_type"),
        ({"subject": ""}, "subject"),
        ({"document_ids": []}, "document_ids"),
    ],
)
def test_invalid_requests_are_400_and_send_nothing(api: Api, firm, backend, change, field):
    client = _new_client(api, firm)
    document = upload(api, firm["token"]).json["id"]
    response = api.post("/advisor/messages", firm["token"], {**_sign_message(api, "", client["id"], document), **change})
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json["errors"]}
    assert emails_to(backend, client["email"]) == []


def test_signing_needs_exactly_one_pdf(api: Api, firm):
    client = _new_client(api, firm)
    pdf = upload(api, firm["token"]).json["id"]
    png = upload(api, firm["token"], content=PNG_BYTES, filename="scan.png", content_type="image/png").json["id"]
    two = api.post("/advisor/messages", firm["token"], {**_sign_message(api, "", client["id"], pdf),
                                                        "document_ids": [pdf, pdf + "x"]})
    image = api.post("/advisor/messages", firm["token"], _sign_message(api, "", client["id"], png))
    assert (two.status_code, image.status_code) == (400, 400)


def test_documents_must_be_ready_and_of_this_firm(api: Api, firm, tokens):
    client = _new_client(api, firm)
    pending = upload(api, firm["token"], complete=False).json["id"]
    foreign = upload(api, tokens["basis_advisor"]).json["id"]
    not_ready = api.post("/advisor/messages", firm["token"], _sign_message(api, "", client["id"], pending))
    other_firm = api.post("/advisor/messages", firm["token"], _sign_message(api, "", client["id"], foreign))
    assert (not_ready.status_code, not_ready.json["code"]) == (422, "document_not_ready")
    assert (other_firm.status_code, other_firm.json["code"]) == (404, "not_found")


def test_the_email_notice_holds_a_link_but_not_the_body_or_the_document(api: Api, firm, backend):
    dutch, english = _new_client(api, firm), _new_client(api, firm, language="en")
    document = upload(api, firm["token"], filename="geheim-contract.pdf").json["id"]
    for client in (dutch, english):
        message = {**_sign_message(api, "", client["id"], document), "body": "Vertrouwelijke inhoud XYZ"}
        assert api.post("/advisor/messages", firm["token"], message).status_code == 201
    nl_mail, en_mail = emails_to(backend, dutch["email"])[-1], emails_to(backend, english["email"])[-1]
    assert nl_mail["subject"] == f"Nieuw bericht van {firm['tenant'].name}: Jaarrekening 2025"
    assert en_mail["subject"] == f"New message from {firm['tenant'].name}: Jaarrekening 2025"
    for mail in (nl_mail, en_mail):
        assert backend.url + "/#/messages/" in mail["body"]
        assert "Vertrouwelijke inhoud" not in mail["body"]
        assert "geheim-contract" not in mail["body"]
    assert "klantportaal" in nl_mail["body"] and "client portal" in en_mail["body"]


def test_one_idempotency_key_gives_one_message_and_one_email(api: Api, firm, backend):
    client = _new_client(api, firm)
    document = upload(api, firm["token"]).json["id"]
    message = _sign_message(api, "", client["id"], document)
    key = {"Idempotency-Key": new_id()}
    first = api.post("/advisor/messages", firm["token"], message, headers=key)
    second = api.post("/advisor/messages", firm["token"], message, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert len(api.get(f"/advisor/messages?client_id={client['id']}", firm["token"]).json["items"]) == 1
    assert len(emails_to(backend, client["email"])) == 1
    changed = api.post("/advisor/messages", firm["token"], {**message, "subject": "Anders"}, headers=key)
    assert changed.status_code == 422
    assert changed.json["code"] == "idempotency_key_reused"


def test_harry_sees_his_request_and_sanne_cannot_open_it(api: Api, tokens):
    advisor = tokens["demo_advisor"]
    harry = client_id(api, advisor, "harry")
    document = upload(api, advisor).json["id"]
    sent = api.post("/advisor/messages", advisor, _sign_message(api, advisor, harry, document,
                                                                deadline=(date.today() + timedelta(days=5)).isoformat()))
    overview = api.get("/portal/messages", tokens["harry"]).json["items"]
    assert overview[0]["id"] == sent.json["id"]
    assert overview[0]["signing"]["status"] == "sent"
    stranger = api.get(f"/portal/messages/{sent.json['id']}", tokens["sanne"])
    assert (stranger.status_code, stranger.json["code"]) == (404, "not_found")
    assert api.post(f"/portal/signing-requests/{sent.json['signing']['id']}/reject", tokens["sanne"]).status_code == 404
    assert api.get(f"/portal/messages/{sent.json['id']}", tokens["piet"]).status_code == 404


def test_opening_marks_read_and_viewed_with_an_audit_event(api: Api, tokens):
    advisor = tokens["demo_advisor"]
    harry = client_id(api, advisor, "harry")
    sent = api.post("/advisor/messages", advisor, _sign_message(api, advisor, harry, upload(api, advisor).json["id"]))
    opened = api.get(f"/portal/messages/{sent.json['id']}", tokens["harry"])
    assert opened.status_code == 200
    assert opened.json["status"] == "read"
    assert opened.json["documents"][0]["download_url"]
    assert "X-Amz-Expires=300" in opened.json["documents"][0]["download_url"] or \
        "Expires=" in opened.json["documents"][0]["download_url"]
    seen = api.get(f"/advisor/messages/{sent.json['id']}", advisor).json
    assert seen["signing"]["status"] == "viewed"
    assert [e["type"] for e in seen["signing"]["audit_events"]] == ["sent", "viewed"]
    assert seen["signing"]["audit_events"][1]["prev_hash"] == seen["signing"]["audit_events"][0]["hash"]
    api.get(f"/portal/messages/{sent.json['id']}", tokens["harry"])
    again = api.get(f"/advisor/messages/{sent.json['id']}", advisor).json
    assert len(again["signing"]["audit_events"]) == 2


def test_rejecting_a_signing_request_with_a_reason_tells_the_advisor(api: Api, tokens, backend):
    advisor = tokens["demo_advisor"]
    harry = client_id(api, advisor, "harry")
    sent = api.post("/advisor/messages", advisor, _sign_message(api, advisor, harry, upload(api, advisor).json["id"]))
    request_id = sent.json["signing"]["id"]
    too_long = api.post(f"/portal/signing-requests/{request_id}/reject", tokens["harry"], {"reason": "x" * 501})
    assert too_long.status_code == 400
    rejected = api.post(f"/portal/signing-requests/{request_id}/reject", tokens["harry"],
                        {"reason": "Bedrag klopt niet"})
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected"
    again = api.post(f"/portal/signing-requests/{request_id}/reject", tokens["harry"])
    assert (again.status_code, again.json["code"]) == (409, "not_open")
    message = api.get(f"/advisor/messages/{sent.json['id']}", advisor).json
    assert message["status"] == "rejected"
    assert message["signing"]["reject_reason"] == "Bedrag klopt niet"
    notes = api.get("/advisor/notifications", advisor).json["items"]
    assert notes[0]["type"] == "rejected" and notes[0]["signing_request_id"] == request_id
    mail = emails_to(backend, "adviseur@demo.example")[-1]
    assert "afgewezen" in mail["subject"] and "Bedrag klopt niet" in mail["body"]


def test_a_withdrawn_request_cannot_be_rejected_or_withdrawn_again(api: Api, tokens):
    advisor = tokens["demo_advisor"]
    harry = client_id(api, advisor, "harry")
    sent = api.post("/advisor/messages", advisor, _sign_message(api, advisor, harry, upload(api, advisor).json["id"]))
    request_id = sent.json["signing"]["id"]
    assert api.post(f"/advisor/signing-requests/{request_id}/withdraw", advisor).json["status"] == "withdrawn"
    assert api.post(f"/advisor/signing-requests/{request_id}/withdraw", advisor).status_code == 409
    assert api.post(f"/portal/signing-requests/{request_id}/reject", tokens["harry"]).json["code"] == "not_open"
    assert api.post(f"/advisor/signing-requests/{request_id}/withdraw", tokens["basis_advisor"]).status_code == 404


def test_reply_and_approval_answers_reach_the_advisor(api: Api, firm, backend):
    client = _new_client(api, firm)
    token = activate_client(api, firm, backend, client)
    reply = api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Vraag", "body": "Klopt dit?", "response_type": "reply"}).json
    approve = api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Akkoord?", "body": "Akkoord?", "response_type": "approve"}).json
    info = api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Ter info", "body": "Info", "response_type": "none"}).json

    assert api.post(f"/portal/messages/{reply['id']}/reply", token, {"body": "Ja, klopt."}).status_code == 201
    assert api.post(f"/portal/messages/{info['id']}/reply", token, {"body": "?"}).status_code == 409
    assert api.post(f"/portal/messages/{reply['id']}/approve", token).status_code == 409
    assert api.post(f"/portal/messages/{approve['id']}/reject", token, {"reason": "Nee"}).json["status"] == "rejected"
    assert api.post(f"/portal/messages/{approve['id']}/approve", token).json["code"] == "not_open"

    conversation = api.get(f"/advisor/messages/{reply['id']}", firm["token"]).json
    assert conversation["status"] == "replied"
    assert [r["body"] for r in conversation["conversation"]] == ["Ja, klopt."]
    kinds = [n["type"] for n in api.get("/advisor/notifications", firm["token"]).json["items"]]
    assert kinds == ["rejected", "replied"]
    card = api.get(f"/advisor/clients/{client['id']}", firm["token"]).json
    assert [m["status"] for m in card["messages"]] == ["sent", "rejected", "replied"]
    filtered = api.get(f"/advisor/messages?client_id={client['id']}&status=replied", firm["token"]).json["items"]
    assert [m["id"] for m in filtered] == [reply["id"]]

