"""SMS codes go only to mobile numbers, carry nothing an advisor typed, and are limited per client and firm."""

from __future__ import annotations

import pytest

from chalicelib import aws
from chalicelib.ids import new_id
from chalicelib.store.tenants import TenantRepository
from tests.conftest import Api, data_url, last_code, outbox, random_mobile, signature_png, upload


def _send(api: Api, firm, client_id: str, filename: str = "jaarrekening.pdf") -> dict:
    document = upload(api, firm["token"], filename=filename).json["id"]
    answer = api.post("/advisor/messages", firm["token"], {
        "client_id": client_id, "subject": "Jaarrekening 2025", "body": "Graag ondertekenen.",
        "response_type": "sign", "document_ids": [document]})
    return answer


def _sms_to(backend, phone: str) -> list[str]:
    return [s["message"] for s in outbox(backend)["sms"] if s["to"] == phone]


def _messages_of(api: Api, firm, client_id: str) -> list:
    return api.get(f"/advisor/messages?client_id={client_id}", firm["token"]).json["items"]


@pytest.mark.parametrize(("number", "kind"), [
    ("0900 1234567", "premium rate"), ("0800 0123456", "toll free"), ("088 1234567", "company number"),
    ("020 1234567", "landline"), ("+49 1512 3456789", "foreign mobile"),
])
def test_a_signing_request_needs_a_mobile_number_in_an_allowed_country(api: Api, firm, number, kind):
    card = api.post("/advisor/clients", firm["token"], {
        "name": "Vaste Lijn", "email": f"vast-{new_id().lower()}@example.com", "phone": number}).json
    assert card["phone"], f"a {kind} number is a valid number for the card itself"

    answer = _send(api, firm, card["id"])

    assert answer.status_code == 422, kind
    assert answer.json["code"] == "phone_required"
    assert _messages_of(api, firm, card["id"]) == [], "nothing is stored"


def test_the_sms_holds_the_code_and_the_firm_but_nothing_the_advisor_typed(api: Api, firm, signer, backend):
    filename = "Bel 0900-1234 voor uw teruggave.pdf"
    request_id = _send(api, firm, signer["id"], filename=filename).json["signing"]["id"]

    assert api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"]).status_code == 202

    text = _sms_to(backend, signer["phone"])[-1]
    assert "0900" not in text and "teruggave" not in text and "Jaarrekening" not in text
    assert firm["tenant"].name in text
    assert "niemand" in text  # the warning not to share it
    assert len(text) <= 160, "one SMS segment"


def _verify(api: Api, backend, signer, request_id: str) -> str:
    assert api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"]).status_code == 202
    code = last_code(backend, signer["phone"])
    return code


def test_a_new_phone_number_voids_a_verification_and_an_unused_code(api: Api, firm, signer, backend, clock):
    first = _send(api, firm, signer["id"]).json["signing"]["id"]
    second = _send(api, firm, signer["id"]).json["signing"]["id"]
    code = _verify(api, backend, signer, first)
    assert api.post(f"/portal/signing-requests/{first}/otp/verify", signer["token"], {"code": code}).status_code == 200
    unused = _verify(api, backend, signer, second)

    clock.advance(seconds=1)
    assert api.patch(f"/advisor/clients/{signer['id']}", firm["token"], {"phone": random_mobile()}).status_code == 200
    clock.advance(seconds=1)

    sign = api.post(f"/portal/signing-requests/{first}/sign", signer["token"],
                    {"signature_image": data_url(signature_png()), "city": "Haarlem"})
    assert (sign.status_code, sign.json["code"]) == (409, "otp_required")
    verify = api.post(f"/portal/signing-requests/{second}/otp/verify", signer["token"], {"code": unused})
    assert (verify.status_code, verify.json["code"]) == (422, "invalid_code")


def test_the_receipt_names_the_signer_as_sent_and_the_number_the_code_went_to(api: Api, firm, signer, backend):
    request_id = _send(api, firm, signer["id"]).json["signing"]["id"]
    code = _verify(api, backend, signer, request_id)
    assert api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"],
                    {"code": code}).status_code == 200
    assert api.patch(f"/advisor/clients/{signer['id']}", firm["token"], {"name": "Andere Naam"}).status_code == 200

    assert api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                    {"signature_image": data_url(signature_png()), "city": "Haarlem"}).status_code == 200

    receipt = api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json["receipt"]
    masked = f"+31 6 ****{signer['phone'][-4:]}"
    assert receipt["signer"]["name"] == "Eva de Jong"
    assert receipt["otp"]["phone_hint"] == masked and receipt["signer"]["phone_hint"] == masked


def test_a_client_gets_at_most_ten_codes_a_day_over_all_requests_and_numbers(api: Api, firm, signer, backend, clock):
    requests = [_send(api, firm, signer["id"]).json["signing"]["id"] for _ in range(4)]
    answers = []
    for n in range(11):
        if n == 5:  # another number halfway, so the limit per phone number is not what stops it
            api.patch(f"/advisor/clients/{signer['id']}", firm["token"], {"phone": random_mobile()})
        clock.advance(seconds=61)
        answers.append(api.post(f"/portal/signing-requests/{requests[n % 4]}/otp", signer["token"]))

    assert [a.status_code for a in answers[:10]] == [202] * 10
    assert (answers[10].status_code, answers[10].json["code"]) == (429, "rate_limited")
    assert "vandaag al te veel sms-codes naar u" in answers[10].json["detail"]
    assert int(answers[10].headers["Retry-After"]) > 60


def test_a_firm_stops_at_its_daily_sms_budget_and_warns_at_eighty_percent(api: Api, firm, backend, clock, monkeypatch):
    from chalicelib.signing import ceremony

    counted: list[str] = []
    monkeypatch.setattr(ceremony, "count", lambda metric, value=1: counted.append(metric))
    TenantRepository().set_sms_budget(firm["tenant"].id, 5)
    from tests.conftest import activate_client

    signers = []
    for n in range(6):
        card = api.post("/advisor/clients", firm["token"], {
            "name": f"Klant {n}", "email": f"klant-{new_id().lower()}@example.com", "phone": random_mobile()}).json
        signers.append({**card, "token": activate_client(api, firm, backend, card)})
    requests = [_send(api, firm, s["id"]).json["signing"]["id"] for s in signers]

    answers = [api.post(f"/portal/signing-requests/{r}/otp", s["token"]) for r, s in zip(requests, signers, strict=True)]

    assert [a.status_code for a in answers] == [202] * 5 + [429]
    assert "kantoor kan vandaag geen sms-codes meer" in answers[5].json["detail"].lower()
    assert counted.count("SmsBudgetWarning") == 2 and counted.index("SmsBudgetWarning") == 3, counted
    assert counted.count("SmsBudgetExhausted") == 1
    assert _sms_to(backend, signers[5]["phone"]) == []


def test_no_stored_item_holds_the_code_in_clear(api: Api, firm, signer, backend):
    """After a code is sent and verified, the table holds it nowhere: only its HMAC."""
    import re

    from chalicelib.config import get_settings

    request_id = _send(api, firm, signer["id"]).json["signing"]["id"]
    code = _verify(api, backend, signer, request_id)
    assert api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"],
                    {"code": code}).status_code == 200
    pages = aws.client("dynamodb").get_paginator("scan").paginate(TableName=get_settings().table_name)
    dumped = repr([page["Items"] for page in pages])  # a test may scan
    assert re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", dumped) is None
