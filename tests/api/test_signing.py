"""The signing ceremony and the sealed receipt, over the API."""

from __future__ import annotations

import base64
import hashlib

import pytest
import rfc8785
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import aws
from chalicelib.ids import new_id
from tests.conftest import PDF_BYTES, Api, client_id, data_url, emails_to, last_code, signature_png, upload


def _send(api: Api, advisor_token: str, client: str) -> dict:
    document = upload(api, advisor_token).json["id"]
    answer = api.post("/advisor/messages", advisor_token, {
        "client_id": client, "subject": "Jaarrekening 2025", "body": "Graag ondertekenen.",
        "response_type": "sign", "document_ids": [document]})
    assert answer.status_code == 201, answer.body
    return answer.json


def _verified(api: Api, backend, token: str, request_id: str, phone: str) -> None:
    assert api.post(f"/portal/signing-requests/{request_id}/otp", token).status_code == 202
    verify = api.post(f"/portal/signing-requests/{request_id}/otp/verify", token, {"code": last_code(backend, phone)})
    assert verify.status_code == 200, verify.body


def _independently_verified(bundle: dict, document: bytes) -> None:
    """What an outsider does with the evidence bundle: cryptography and rfc8785 only."""
    receipt, seal = bundle["receipt"], bundle["seal"]
    digest = hashlib.sha256(rfc8785.dumps(receipt)).digest()
    assert seal["digest"] == digest.hex()
    key = serialization.load_pem_public_key(bundle["public_key_pem"].encode())
    key.verify(base64.b64decode(seal["signature"]), digest, ec.ECDSA(hashes.SHA256()))  # raises when forged
    assert receipt["document"]["sha256"] == hashlib.sha256(document).hexdigest()
    for field in ("signing_request_id", "signature_image_sha256", "signed_at", "place"):
        assert receipt[field]
    assert receipt["signer"]["client_id"] and receipt["otp"]["verified_at"]


def test_harry_signs_and_the_advisor_sees_it_sealed_and_verifiable(api: Api, tokens, backend):
    advisor, harry = tokens["demo_advisor"], tokens["harry"]
    message = _send(api, advisor, client_id(api, advisor, "harry"))
    request_id = message["signing"]["id"]

    view = api.get(f"/portal/signing-requests/{request_id}", harry).json
    assert view["prefill"] == {"city": "Amsterdam"}
    assert view["phone_hint"] == "+31 6 ****5678"
    assert view["document"]["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert api.post(f"/portal/signing-requests/{request_id}/sign", harry,
                    {"signature_image": data_url(signature_png()), "city": "Amsterdam"}).json["code"] == "otp_required"

    sent = api.post(f"/portal/signing-requests/{request_id}/otp", harry)
    assert sent.status_code == 202
    assert sent.json == {"expires_in": 300, "phone_hint": "+31 6 ****5678", "resend_after": 60}
    sms = [s for s in backend_sms(backend) if s["to"] == "+31612345678"][-1]["message"]
    assert "Demo Administratiekantoor" in sms and "jaarrekening.pdf" not in sms and "http" not in sms
    code = last_code(backend, "+31612345678")
    assert code not in str(sent.json)
    assert api.post(f"/portal/signing-requests/{request_id}/otp/verify", harry, {"code": code}).json == {
        "verified": True, "expires_in": 600}

    png = signature_png()
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", harry,
                      {"signature_image": data_url(png), "city": "Haarlem"})
    assert signed.status_code == 200
    assert signed.json["status"] == "signed"
    assert "receipt" not in signed.json and "seal" not in signed.json

    receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", advisor).json
    assert receipt["status"] == "signed"
    assert (receipt["place"], receipt["place_prefilled"]) == ("Haarlem", "Amsterdam")
    assert receipt["signer"]["name"] == "Harry de Vries"
    assert receipt["signature"]["image"] == data_url(png)
    assert receipt["signature"]["sha256"] == hashlib.sha256(png).hexdigest()
    assert receipt["verification"]["seal_valid"] is True
    assert receipt["verification"]["document_intact"] is True
    assert receipt["seal"]["algorithm"] == "ECDSA_SHA_256"

    _independently_verified(api.get(f"/advisor/signing-requests/{request_id}/evidence", advisor).json, PDF_BYTES)
    published = api.get("/keys/seal").json
    assert published["public_key_pem"] == api.get(f"/advisor/signing-requests/{request_id}/evidence",
                                                  advisor).json["public_key_pem"]

    card = api.get(f"/advisor/messages/{message['id']}", advisor).json
    assert card["status"] == "signed" and card["signing"]["status"] == "signed"
    assert [e["type"] for e in card["signing"]["audit_events"]] == [
        "sent", "viewed", "code_sent", "code_verified", "signed"]
    assert api.get("/advisor/notifications", advisor).json["items"][0]["type"] == "signed"
    assert "ondertekend" in emails_to(backend, "adviseur@demo.example")[-1]["subject"]
    again = api.post(f"/portal/signing-requests/{request_id}/sign", harry,
                     {"signature_image": data_url(png), "city": "Haarlem"})
    assert (again.status_code, again.json["code"]) == (409, "already_signed")


def backend_sms(backend) -> list[dict]:
    from tests.conftest import outbox

    return outbox(backend)["sms"]


def test_the_receipt_is_409_until_signed_and_hidden_from_other_firms(api: Api, firm, signer, tokens):
    message = _send(api, firm["token"], signer["id"])
    request_id = message["signing"]["id"]
    assert api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json["code"] == "not_open"
    assert api.get(f"/advisor/signing-requests/{request_id}/receipt", tokens["demo_advisor"]).status_code == 404
    assert api.get(f"/advisor/signing-requests/{request_id}/evidence", tokens["demo_advisor"]).status_code == 404
    assert api.get(f"/portal/signing-requests/{request_id}", tokens["harry"]).status_code == 404


def test_code_requests_are_limited_per_hour_with_retry_after(api: Api, firm, signer, clock):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    url = f"/portal/signing-requests/{request_id}/otp"
    assert api.post(url, signer["token"]).status_code == 202
    too_soon = api.post(url, signer["token"])
    assert (too_soon.status_code, too_soon.json["code"]) == (429, "rate_limited")
    assert 1 <= int(too_soon.headers["Retry-After"]) <= 60
    statuses = []
    for _ in range(5):
        clock.advance(seconds=61)
        statuses.append(api.post(url, signer["token"]))
    assert [r.status_code for r in statuses] == [202, 202, 429, 429, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 60
    clock.advance(hours=1)
    assert api.post(url, signer["token"]).status_code == 202


def test_five_wrong_codes_burn_the_code(api: Api, firm, signer, backend):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"])
    right = last_code(backend, signer["phone"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    url = f"/portal/signing-requests/{request_id}/otp/verify"
    answers = [api.post(url, signer["token"], {"code": wrong}) for _ in range(5)]
    assert [a.json.get("attempts_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert [a.json["code"] for a in answers] == ["invalid_code"] * 4 + ["otp_locked"]
    assert answers[-1].status_code == 429 and answers[-1].headers["Retry-After"]
    burned = api.post(url, signer["token"], {"code": right})
    assert (burned.status_code, burned.json["code"]) == (429, "otp_locked")


def test_an_expired_code_fails(api: Api, firm, signer, backend, clock):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"])
    clock.advance(minutes=5, seconds=1)
    answer = api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"],
                      {"code": last_code(backend, signer["phone"])})
    assert (answer.status_code, answer.json["code"]) == (422, "invalid_code")


def test_a_code_for_one_request_fails_on_another(api: Api, firm, signer, backend):
    first = _send(api, firm["token"], signer["id"])["signing"]["id"]
    second = _send(api, firm["token"], signer["id"])["signing"]["id"]
    api.post(f"/portal/signing-requests/{first}/otp", signer["token"])
    code = last_code(backend, signer["phone"])
    api.post(f"/portal/signing-requests/{second}/otp", signer["token"])
    other_code = last_code(backend, signer["phone"])
    if other_code == code:  # one in a million; the codes must differ for this test to mean anything
        pytest.skip("the two random codes happened to be equal")
    answer = api.post(f"/portal/signing-requests/{second}/otp/verify", signer["token"], {"code": code})
    assert answer.json["code"] == "invalid_code"


def test_signing_needs_a_verified_code_from_the_last_ten_minutes(api: Api, firm, signer, backend, clock):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    clock.advance(minutes=10, seconds=1)
    late = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                    {"signature_image": data_url(signature_png()), "city": "Haarlem"})
    assert (late.status_code, late.json["code"]) == (409, "otp_required")


def test_a_rejected_or_withdrawn_request_cannot_be_signed(api: Api, firm, signer, backend):
    rejected = _send(api, firm["token"], signer["id"])["signing"]["id"]
    withdrawn = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], rejected, signer["phone"])
    api.post(f"/portal/signing-requests/{rejected}/reject", signer["token"], {"reason": "Nee"})
    api.post(f"/advisor/signing-requests/{withdrawn}/withdraw", firm["token"])
    body = {"signature_image": data_url(signature_png()), "city": "Haarlem"}
    for request_id in (rejected, withdrawn):
        answer = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"], body)
        assert (answer.status_code, answer.json["code"]) == (409, "not_open")
        assert api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"]).json["code"] == "not_open"


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (data_url(signature_png(blank=True)), "invalid_signature_image"),
        ("data:image/jpeg;base64,/9j/4AAQ", "invalid_signature_image"),
        (data_url(b"\x89PNG\r\n\x1a\n" + b"rubbish" * 10), "invalid_signature_image"),
        (data_url(signature_png(width=4000, height=3000) + b"\x00" * 600_000), "invalid_signature_image"),
        ("not a data url", "invalid_signature_image"),
    ],
)
def test_a_blank_or_non_png_signature_is_422(api: Api, firm, signer, backend, image, code):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    answer = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": image, "city": "Haarlem"})
    assert (answer.status_code, answer.json["code"]) == (422, code)
    assert api.get(f"/portal/signing-requests/{request_id}", signer["token"]).json["status"] == "viewed"


@pytest.mark.parametrize("city", ["", "x" * 101])
def test_the_city_must_be_given_and_short(api: Api, firm, signer, backend, city):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    answer = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": data_url(signature_png()), "city": city})
    assert (answer.status_code, answer.json["code"]) == (400, "validation_error")


def test_an_idempotent_sign_replays_the_first_answer(api: Api, firm, signer, backend):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    body = {"signature_image": data_url(signature_png()), "city": "Haarlem"}
    key = {"Idempotency-Key": new_id()}
    first = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"], body, headers=key)
    second = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"], body, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    events = api.get(f"/advisor/messages/{_message_of(api, firm, request_id)}", firm["token"]).json
    assert [e["type"] for e in events["signing"]["audit_events"]].count("signed") == 1
    signed_mails = [m for m in emails_to(backend, firm["advisor_email"]) if "ondertekend" in m["subject"].lower()]
    assert len(signed_mails) == 1, "no second e-mail to the advisor"


def _message_of(api: Api, firm, request_id: str) -> str:
    items = api.get("/advisor/messages", firm["token"]).json["items"]
    return next(m["id"] for m in items if m["signing"] and m["signing"]["id"] == request_id)


def _signed(api: Api, firm, signer, backend) -> str:
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    assert api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                    {"signature_image": data_url(signature_png()), "city": "Haarlem"}).status_code == 200
    return request_id


def test_a_changed_byte_in_the_stored_receipt_breaks_the_seal(api: Api, firm, signer, backend):
    from chalicelib.store import keys
    from chalicelib.store.models import ReceiptItem

    request_id = _signed(api, firm, signer, backend)
    item = next(ReceiptItem.query(keys.conversation(firm["tenant"].id, _conversation(api, firm, request_id)),
                                  ReceiptItem.sk == keys.receipt(request_id)))
    item.ciphertext = bytes([item.ciphertext[0] ^ 1]) + item.ciphertext[1:]
    item.save()
    view = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"])
    assert view.status_code == 200
    assert view.json["verification"]["seal_valid"] is False
    assert view.json["verification"]["document_intact"] is True


def test_a_re_encrypted_forged_receipt_breaks_the_seal(api: Api, firm, signer, backend):
    """Even someone with the data key who rewrites the receipt cannot make the seal fit."""
    import json

    import rfc8785 as canonical

    from chalicelib.signing.crypto import Sealed
    from chalicelib.store import keys
    from chalicelib.store.models import ReceiptItem

    request_id = _signed(api, firm, signer, backend)
    conversation = _conversation(api, firm, request_id)
    item = next(ReceiptItem.query(keys.conversation(firm["tenant"].id, conversation),
                                  ReceiptItem.sk == keys.receipt(request_id)))
    context = {"tenant_id": firm["tenant"].id, "conversation_id": conversation, "signing_request_id": request_id}
    bundle = json.loads(aws.vault().decrypt(Sealed(item.ciphertext, item.encrypted_data_key, item.nonce), context))
    bundle["receipt"]["place"] = "Maastricht"
    forged = aws.vault().encrypt(canonical.dumps(bundle), context)
    item.ciphertext, item.encrypted_data_key, item.nonce = forged.ciphertext, forged.encrypted_data_key, forged.nonce
    item.save()
    view = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
    assert view["place"] == "Maastricht"
    assert view["verification"]["seal_valid"] is False


def test_an_edited_audit_event_breaks_the_seal(api: Api, firm, signer, backend):
    from chalicelib.store import keys
    from chalicelib.store.models import AuditEventItem

    request_id = _signed(api, firm, signer, backend)
    event = AuditEventItem.get(keys.audit_chain(firm["tenant"].id, request_id), keys.audit_event(2))
    event.at = "2020-01-01T00:00:00.000Z"
    event.save()
    assert api.get(f"/advisor/signing-requests/{request_id}/receipt",
                   firm["token"]).json["verification"]["seal_valid"] is False


def test_a_removed_document_version_shows_the_document_is_not_intact(api: Api, firm, signer, backend):
    request_id = _signed(api, firm, signer, backend)
    message = api.get(f"/advisor/messages/{_message_of(api, firm, request_id)}", firm["token"]).json
    from chalicelib.store import keys
    from chalicelib.store.models import SigningRequestItem

    request = SigningRequestItem.get(keys.tenant(firm["tenant"].id), keys.signing_request(request_id))
    aws.client("s3").delete_object(Bucket=backend.resources.documents_bucket, Key=request.document.s3_key,
                                   VersionId=request.document.version_id, BypassGovernanceRetention=True)
    view = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"])
    assert view.status_code == 200
    assert view.json["verification"]["document_intact"] is False
    assert message["documents"][0]["sha256"] == view.json["document"]["sha256"]


def _conversation(api: Api, firm, request_id: str) -> str:
    return str(api.get(f"/advisor/messages/{_message_of(api, firm, request_id)}",
                       firm["token"]).json["conversation_id"])


def test_the_daily_sms_limit_per_phone_holds_across_requests(api: Api, firm, signer, clock):
    urls = [f"/portal/signing-requests/{_send(api, firm['token'], signer['id'])['signing']['id']}/otp"
            for _ in range(4)]
    answers = []
    for n in range(11):
        clock.advance(seconds=61)
        answers.append(api.post(urls[n % 4], signer["token"]))
    assert [a.status_code for a in answers[:10]] == [202] * 10
    assert (answers[10].status_code, answers[10].json["code"]) == (429, "rate_limited")
    assert int(answers[10].headers["Retry-After"]) > 60  # until the day ends in Amsterdam


def test_a_phone_outside_the_allowed_countries_gets_no_sms(api: Api, firm, signer, backend):
    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    api.patch(f"/advisor/clients/{signer['id']}", firm["token"], {"phone": "+44 7911 123456"})
    before = len(backend_sms(backend))
    answer = api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"])
    assert (answer.status_code, answer.json["code"]) == (422, "phone_required")
    assert len(backend_sms(backend)) == before


def test_a_forger_with_the_data_key_and_the_table_who_recomputes_digest_and_chain_is_caught_by_the_seal(
        api: Api, firm, signer, backend):
    """Everything a forger with full database access and the data key can redo, redone: only the KMS seal is not."""
    import json

    from chalicelib.signing.audit import event_hash
    from chalicelib.signing.crypto import Sealed
    from chalicelib.store import keys
    from chalicelib.store.models import AuditEventItem, ReceiptItem, SigningRequestItem

    request_id = _signed(api, firm, signer, backend)
    tenant, conversation = firm["tenant"].id, _conversation(api, firm, request_id)
    item = ReceiptItem.get(keys.conversation(tenant, conversation), keys.receipt(request_id))
    context = {"tenant_id": tenant, "conversation_id": conversation, "signing_request_id": request_id}
    bundle = json.loads(aws.vault().decrypt(Sealed(item.ciphertext, item.encrypted_data_key, item.nonce), context))

    bundle["receipt"]["place"] = "Maastricht"
    digest = hashlib.sha256(rfc8785.dumps(bundle["receipt"])).digest()
    foreign = ec.generate_private_key(ec.SECP256R1())
    bundle["seal"]["digest"] = digest.hex()
    bundle["seal"]["signature"] = base64.b64encode(foreign.sign(digest, ec.ECDSA(hashes.SHA256()))).decode()
    forged = aws.vault().encrypt(rfc8785.dumps(bundle), context)
    item.ciphertext, item.encrypted_data_key, item.nonce = forged.ciphertext, forged.encrypted_data_key, forged.nonce
    item.parts = 1
    item.save()
    # The `signed` event names the new digest, and the chain is recomputed from there to a new head.
    events = list(AuditEventItem.query(keys.audit_chain(tenant, request_id)))
    prev = events[0].prev_hash
    for event in events:
        data = json.loads(event.data)
        if event.type == "signed":
            data["receipt_digest"] = digest.hex()
        event.data = json.dumps(data, sort_keys=True, separators=(",", ":"))
        event.prev_hash = prev
        event.hash = event_hash(int(event.seq), event.type, event.at, event.actor, data, prev)
        event.save()
        prev = event.hash
    request = SigningRequestItem.get(keys.tenant(tenant), keys.signing_request(request_id))
    request.audit_head = prev
    request.save()

    view = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
    assert view["place"] == "Maastricht" and view["seal"]["digest"] == digest.hex()
    assert view["verification"]["seal_valid"] is False


def test_a_document_whose_sent_version_is_gone_is_not_sealed(api: Api, firm, signer, backend):
    """Never seal a document that is not the one sent: the signature step re-reads it first."""
    from chalicelib.store import keys
    from chalicelib.store.models import SigningRequestItem

    request_id = _send(api, firm["token"], signer["id"])["signing"]["id"]
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    request = SigningRequestItem.get(keys.tenant(firm["tenant"].id), keys.signing_request(request_id))
    aws.client("s3").delete_object(Bucket=backend.resources.documents_bucket, Key=request.document.s3_key,
                                   VersionId=request.document.version_id, BypassGovernanceRetention=True)

    answer = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": data_url(signature_png()), "city": "Haarlem"})

    assert (answer.status_code, answer.json["code"]) == (422, "document_not_ready")
    assert api.get(f"/portal/signing-requests/{request_id}", signer["token"]).json["status"] == "viewed"
