"""Where the ceremony stands, for a page that reloads; a typed signature; the signer's confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.clock import parse_iso
from tests.conftest import Api, data_url, emails_to, last_code, signature_png, upload


def _request(api: Api, firm, signer) -> str:
    document = upload(api, firm["token"]).json["id"]
    sent = api.post("/advisor/messages", firm["token"], {
        "client_id": signer["id"], "subject": "Jaarrekening 2025", "body": "Graag ondertekenen.",
        "response_type": "sign", "document_ids": [document]})
    assert sent.status_code == 201, sent.body
    return str(sent.json["signing"]["id"])


def _screen(api: Api, signer, request_id: str) -> dict:
    answer = api.get(f"/portal/signing-requests/{request_id}", signer["token"])
    assert answer.status_code == 200, answer.body
    return dict(answer.json)


def test_the_signing_screen_says_where_the_ceremony_stands_at_every_step(api: Api, firm, signer, backend, clock):
    request_id = _request(api, firm, signer)
    base = f"/portal/signing-requests/{request_id}"
    assert (_screen(api, signer, request_id)["code"], _screen(api, signer, request_id)["confirmation"]) == (None, None)

    assert api.post(f"{base}/otp", signer["token"]).status_code == 202
    code = _screen(api, signer, request_id)["code"]
    sent_at = parse_iso(code["sent_at"])
    assert parse_iso(code["expires_at"]) == sent_at + timedelta(minutes=5)
    assert parse_iso(code["resend_after"]) == sent_at + timedelta(seconds=60)
    assert (code["attempts_left"], code["verified_until"]) == (5, None)

    wrong = "000000" if last_code(backend, signer["phone"]) != "000000" else "111111"
    assert api.post(f"{base}/otp/verify", signer["token"], {"code": wrong}).status_code == 422
    assert _screen(api, signer, request_id)["code"]["attempts_left"] == 4

    clock.advance(seconds=61)
    assert parse_iso(_screen(api, signer, request_id)["code"]["resend_after"]) <= clock.now()  # may ask again now
    verified = api.post(f"{base}/otp/verify", signer["token"], {"code": last_code(backend, signer["phone"])})
    assert verified.status_code == 200
    code = _screen(api, signer, request_id)["code"]
    assert abs(parse_iso(code["verified_until"]) - (clock.now() + timedelta(minutes=10))) < timedelta(seconds=1)

    clock.advance(minutes=11)
    assert _screen(api, signer, request_id)["code"]["verified_until"] is None  # the verification has lapsed


def test_after_signing_the_screen_shows_the_confirmation_and_the_signer_gets_an_email(api: Api, firm, signer, backend):
    request_id = _request(api, firm, signer)
    base = f"/portal/signing-requests/{request_id}"
    assert api.post(f"{base}/otp", signer["token"]).status_code == 202
    assert api.post(f"{base}/otp/verify", signer["token"], {"code": last_code(backend, signer["phone"])}).status_code == 200
    signed = api.post(f"{base}/sign", signer["token"], {"signature_image": data_url(signature_png()), "city": "Delft"})
    assert signed.status_code == 200
    screen = _screen(api, signer, request_id)
    assert screen["code"] is None
    assert screen["confirmation"] == {"signed_at": signed.json["signed_at"], "place": "Delft",
                                      "document_sha256": screen["document"]["sha256"]}
    recorded = [m for m in emails_to(backend, signer["email"]) if "vastgelegd" in m["subject"]]
    assert len(recorded) == 1
    assert "Jaarrekening 2025" in recorded[0]["subject"] and "Graag ondertekenen" not in recorded[0]["body"]


def test_a_typed_signature_is_sealed_as_typed_with_its_name(api: Api, firm, signer, backend):
    request_id = _request(api, firm, signer)
    base = f"/portal/signing-requests/{request_id}"
    assert api.post(f"{base}/otp", signer["token"]).status_code == 202
    assert api.post(f"{base}/otp/verify", signer["token"], {"code": last_code(backend, signer["phone"])}).status_code == 200
    signed = api.post(f"{base}/sign", signer["token"], {
        "signature_image": data_url(signature_png()), "city": "Delft", "method": "typed", "typed_name": "Eva de Jong"})
    assert signed.status_code == 200, signed.body
    assert api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json["signature_method"] == "typed"
    sealed = api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json["receipt"]
    assert (sealed["signature_method"], sealed["typed_name"]) == ("typed", "Eva de Jong")


@pytest.mark.parametrize("body", [
    {"method": "typed"}, {"method": "typed", "typed_name": ""}, {"method": "typed", "typed_name": "x" * 101},
    {"method": "stamped"},
])
def test_a_typed_signature_needs_a_name_of_1_to_100_characters_and_a_known_method(api: Api, firm, signer, backend,
                                                                                   body):
    request_id = _request(api, firm, signer)
    base = f"/portal/signing-requests/{request_id}"
    assert api.post(f"{base}/otp", signer["token"]).status_code == 202
    assert api.post(f"{base}/otp/verify", signer["token"], {"code": last_code(backend, signer["phone"])}).status_code == 200
    refused = api.post(f"{base}/sign", signer["token"],
                       {"signature_image": data_url(signature_png()), "city": "Delft", **body})
    assert (refused.status_code, refused.json["code"]) == (400, "validation_error")
    assert _screen(api, signer, request_id)["status"] != "signed"


def test_a_code_voided_by_a_new_phone_number_shows_as_spent_with_its_wait(api: Api, firm, signer, backend, clock):
    from tests.conftest import random_mobile

    request_id = _request(api, firm, signer)
    assert api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"]).status_code == 202
    clock.advance(seconds=1)
    assert api.patch(f"/advisor/clients/{signer['id']}", firm["token"], {"phone": random_mobile()}).status_code == 200
    code = _screen(api, signer, request_id)["code"]
    assert (code["expires_at"], code["attempts_left"], code["verified_until"]) == (None, 0, None)
    assert parse_iso(code["resend_after"]) > clock.now()  # the page shows the wait, not a code to type
