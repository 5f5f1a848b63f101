"""Several signers on one document (fiscal partners, two directors), over HTTP: order, all or nothing, evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import (
    Api,
    activate_client,
    data_url,
    emails_to,
    last_code,
    random_mobile,
    signature_png,
    upload,
)


def _client(api: Api, firm: dict[str, Any], backend: Any, name: str, phone: str | None = "random") -> dict[str, Any]:
    """A client of the fresh firm with a portal login (and a mobile number of its own, unless `phone` is None)."""
    from chalicelib.ids import new_id

    body = {"name": name, "email": f"{name.split(maxsplit=1)[0].lower()}-{new_id().lower()}@example.com", "city": "Zwolle"}
    if phone is not None:
        body["phone"] = random_mobile()
    client = api.post("/advisor/clients", firm["token"], body).json
    return {**client, "token": activate_client(api, firm, backend, client)}


def _send(api: Api, firm: dict[str, Any], first: dict[str, Any], *others: dict[str, Any], order: str = "parallel",
          **extra: Any) -> Any:
    document = upload(api, firm["token"]).json["id"]
    return api.post("/advisor/messages", firm["token"], {
        "client_id": first["id"], "subject": "Aangifte IB 2025", "body": "Graag allebei tekenen.",
        "response_type": "sign", "document_ids": [document], "co_signers": [o["id"] for o in others],
        "signing_order": order, **extra})


def _request_of(message: dict[str, Any], signer: dict[str, Any]) -> str:
    return next(s["id"] for s in message["signings"] if s["client_id"] == signer["id"])


def _sign(api: Api, backend: Any, signer: dict[str, Any], request_id: str, city: str = "Zwolle") -> Any:
    base = f"/portal/signing-requests/{request_id}"
    sent = api.post(f"{base}/otp", signer["token"])
    if sent.status_code != 202:
        return sent
    assert api.post(f"{base}/otp/verify", signer["token"], {"code": last_code(backend, signer["phone"])}).status_code == 200
    return api.post(f"{base}/sign", signer["token"], {"signature_image": data_url(signature_png()), "city": city})


def _message(api: Api, firm: dict[str, Any], message_id: str) -> dict[str, Any]:
    return dict(api.get(f"/advisor/messages/{message_id}", firm["token"]).json)


def _notices(backend: Any, signer: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in emails_to(backend, signer["email"]) if "Aangifte IB 2025" in m["subject"]]


@pytest.fixture
def partners(api: Api, firm: dict[str, Any], backend: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return _client(api, firm, backend, "Jan Partner"), _client(api, firm, backend, "Els Partner")


def test_in_sequential_order_the_second_signer_waits_then_signs_and_both_receipts_name_both(
        api: Api, firm, backend, partners):
    jan, els = partners
    sent = _send(api, firm, jan, els, order="sequential")
    assert sent.status_code == 201, sent.body
    message = sent.json
    assert message["signing_order"] == "sequential"
    assert [(s["name"], s["status"], s["turn"]) for s in message["signings"]] == [
        ("Jan Partner", "sent", True), ("Els Partner", "sent", False)]
    jan_request, els_request = _request_of(message, jan), _request_of(message, els)
    assert len(_notices(backend, jan)) == 1 and _notices(backend, els) == []

    waiting = api.get(f"/portal/signing-requests/{els_request}", els["token"])
    assert (waiting.json["turn"], waiting.json["waiting_for"]) == (False, "Jan Partner")
    assert waiting.json["document"]["sha256"] == message["documents"][0]["sha256"]
    for step in ("otp", "sign"):
        refused = api.post(f"/portal/signing-requests/{els_request}/{step}", els["token"],
                           {"signature_image": data_url(signature_png()), "city": "Zwolle"})
        assert (refused.status_code, refused.json["code"]) == (409, "not_your_turn"), step
    assert [m["id"] for m in api.get("/portal/messages", els["token"]).json["items"]][:1] == [message["id"]]

    assert _sign(api, backend, jan, jan_request).status_code == 200
    halfway = _message(api, firm, message["id"])
    assert halfway["status"] != "signed"
    assert [(s["status"], s["turn"]) for s in halfway["signings"]] == [("signed", False), ("viewed", True)]
    assert len(_notices(backend, els)) == 1  # the notice went when Els's turn came

    assert _sign(api, backend, els, els_request, city="Kampen").status_code == 200
    done = _message(api, firm, message["id"])
    assert done["status"] == "signed" and [s["status"] for s in done["signings"]] == ["signed", "signed"]
    for position, request_id in enumerate((jan_request, els_request), start=1):
        receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
        assert receipt["verification"]["seal_valid"] and receipt["verification"]["document_intact"]
        sealed = api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json["receipt"]
        assert sealed["envelope"] == {"message_id": message["id"], "signers": [jan["id"], els["id"]],
                                      "position": position, "signing_order": "sequential"}
    kinds = [n["type"] for n in api.get("/advisor/notifications", firm["token"]).json["items"]]
    assert sorted(kinds) == ["completed", "signed", "signed"]
    trails = {s["id"]: [e["type"] for e in s["audit_events"]] for s in done["signings"]}
    assert trails[els_request][-1] == "signed" and "turn" in trails[els_request]
    assert "turn" not in trails[jan_request] and done["signing"]["audit_events"][-1]["type"] == "signed"
    assert any("Alle handtekeningen" in m["subject"] for m in emails_to(backend, firm["advisor_email"]))


@pytest.mark.parametrize("who_first", [0, 1])
def test_in_parallel_either_signer_may_sign_first_and_the_last_signature_signs_the_message(
        api: Api, firm, backend, partners, who_first):
    sent = _send(api, firm, *partners)
    assert sent.status_code == 201, sent.body
    message = sent.json
    assert all(s["turn"] for s in message["signings"])
    assert all(len(_notices(backend, p)) == 1 for p in partners)
    first, second = partners[who_first], partners[1 - who_first]
    assert _sign(api, backend, first, _request_of(message, first)).status_code == 200
    assert _message(api, firm, message["id"])["status"] in ("sent", "read")
    assert _sign(api, backend, second, _request_of(message, second)).status_code == 200
    assert _message(api, firm, message["id"])["status"] == "signed"


@pytest.mark.parametrize("who_rejects", [0, 1])
def test_a_rejection_by_either_signer_withdraws_the_other_and_rejects_the_message(
        api: Api, firm, backend, partners, who_rejects):
    message = _send(api, firm, *partners).json
    rejecter, other = partners[who_rejects], partners[1 - who_rejects]
    rejected = api.post(f"/portal/signing-requests/{_request_of(message, rejecter)}/reject", rejecter["token"],
                        {"reason": "Het bedrag klopt niet"})
    assert rejected.status_code == 200, rejected.body
    after = _message(api, firm, message["id"])
    assert after["status"] == "rejected"
    states = {s["client_id"]: s["status"] for s in after["signings"]}
    assert states == {rejecter["id"]: "rejected", other["id"]: "withdrawn"}
    other_request = _request_of(message, other)
    refused = api.post(f"/portal/signing-requests/{other_request}/otp", other["token"])
    assert (refused.status_code, refused.json["code"]) == (409, "not_open")
    events = api.get(f"/advisor/signing-requests/{other_request}/evidence", firm["token"])
    assert events.status_code == 409  # nothing signed, so no evidence
    from chalicelib import aws

    chain = aws.ports().signing.audit_events(firm["tenant"].id, other_request)
    assert [(e.type, e.data.get("reason")) for e in chain][-1] == ("withdrawn", "co_signer_rejected")


def test_withdrawing_the_message_withdraws_every_signer(api: Api, firm, backend, partners):
    message = _send(api, firm, *partners, order="sequential").json
    assert api.post(f"/advisor/signing-requests/{message['signing']['id']}/withdraw", firm["token"]).status_code == 200
    after = _message(api, firm, message["id"])
    assert after["status"] == "withdrawn" and [s["status"] for s in after["signings"]] == ["withdrawn", "withdrawn"]


def test_a_co_signer_without_a_mobile_number_is_refused_at_send_and_nothing_is_stored_or_sent(
        api: Api, firm, backend, partners):
    jan, _ = partners
    without = _client(api, firm, backend, "Piet Zonder", phone=None)
    before = api.get("/advisor/messages", firm["token"]).json["items"]
    refused = _send(api, firm, jan, without)
    assert (refused.status_code, refused.json["code"]) == (422, "phone_required")
    assert refused.json["errors"][0]["field"] == "co_signers"
    assert refused.json["errors"][0]["client_id"] == without["id"]
    assert "Piet Zonder" in refused.json["errors"][0]["message"]
    assert api.get("/advisor/messages", firm["token"]).json["items"] == before
    assert _notices(backend, jan) == []


def test_another_client_of_the_firm_gets_404_on_every_route_of_the_request(api: Api, firm, backend, partners):
    message = _send(api, firm, *partners).json
    stranger = _client(api, firm, backend, "Olga Buiten")
    token = stranger["token"]
    for request_id in (s["id"] for s in message["signings"]):
        base = f"/portal/signing-requests/{request_id}"
        answers = [api.get(base, token), api.post(f"{base}/otp", token),
                   api.post(f"{base}/otp/verify", token, {"code": "123456"}),
                   api.post(f"{base}/sign", token, {"signature_image": data_url(signature_png()), "city": "X"}),
                   api.post(f"{base}/reject", token, {})]
        assert [a.status_code for a in answers] == [404] * 5
    assert api.get(f"/portal/messages/{message['id']}", token).status_code == 404
    assert message["id"] not in [m["id"] for m in api.get("/portal/messages", token).json["items"]]
    assert [s["status"] for s in _message(api, firm, message["id"])["signings"]] == ["sent", "sent"]


def test_a_co_signer_sees_the_message_and_its_document_but_not_the_others_reason(api: Api, firm, backend):
    jan, els, kees = (_client(api, firm, backend, n) for n in ("Jan Partner", "Els Partner", "Kees Derde"))
    message = _send(api, firm, jan, els, kees).json
    api.post(f"/portal/signing-requests/{_request_of(message, kees)}/reject", kees["token"], {"reason": "Privé"})
    seen = api.get(f"/portal/messages/{message['id']}", els["token"])
    assert seen.status_code == 200 and seen.json["documents"][0]["download_url"]
    mine = [s for s in seen.json["signings"] if s["own"]]
    assert [s["client_id"] for s in mine] == [els["id"]]
    assert all(s["reject_reason"] is None for s in seen.json["signings"])
    listed = next(m for m in api.get("/portal/messages", els["token"]).json["items"] if m["id"] == message["id"])
    assert "Privé" not in str(seen.json) and "Privé" not in str(listed)
    assert "Privé" in str(_message(api, firm, message["id"]))  # the advisor reads it


def test_a_co_signer_pages_through_an_overview_of_shared_messages_and_the_advisor_filters_it(
        api: Api, firm, backend, partners):
    jan, els = partners
    sent = [_send(api, firm, jan, els).json["id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        page = api.get("/portal/messages?limit=1" + (f"&cursor={cursor}" if cursor else ""), els["token"])
        assert page.status_code == 200, page.body
        seen += [m["id"] for m in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(sent, reverse=True)
    filtered = api.get(f"/advisor/messages?client_id={els['id']}&status=sent", firm["token"]).json["items"]
    assert sorted(m["id"] for m in filtered) == sorted(sent)
    card = api.get(f"/advisor/clients/{els['id']}", firm["token"]).json
    assert sorted(m["id"] for m in card["messages"]) == sorted(sent)


def test_a_signature_that_read_the_set_before_the_others_last_step_landed_is_settled_anew(
        api: Api, firm, backend, partners, monkeypatch):
    """A read of several items is no snapshot: the other's signature may land between the read of its
    request and that of the message. The write checks what it assumed, and the message still ends signed."""
    from dataclasses import replace

    from chalicelib.signing.states import SigningStatus
    from chalicelib.store.signing_requests import SigningRequestRepository

    jan, els = partners
    message = _send(api, firm, jan, els).json
    jan_request, els_request = _request_of(message, jan), _request_of(message, els)
    read = SigningRequestRepository.envelope_state
    stale = {"left": 1}

    def before_els_signed(self, request):
        state = read(self, request)
        if stale["left"] and request.id == jan_request:
            stale["left"] -= 1
            state = replace(state, requests=tuple(replace(r, status=SigningStatus.VIEWED) if r.id == els_request
                                                  else r for r in state.requests))
        return state

    assert _sign(api, backend, els, els_request).status_code == 200
    monkeypatch.setattr(SigningRequestRepository, "envelope_state", before_els_signed)
    assert _sign(api, backend, jan, jan_request).status_code == 200
    assert stale["left"] == 0
    done = _message(api, firm, message["id"])
    assert done["status"] == "signed"
    assert "completed" in [n["type"] for n in api.get("/advisor/notifications", firm["token"]).json["items"]]


def test_the_reminder_job_reminds_only_the_signer_whose_turn_it_is(api: Api, firm, backend, partners):
    from chalicelib import aws
    from chalicelib.clock import FixedClock

    jan, els = partners
    now = datetime.now(UTC).replace(microsecond=0)
    deadline = (now + timedelta(days=10)).date()
    aws.use_clock(FixedClock(now))
    try:
        message = _send(api, firm, jan, els, order="sequential", deadline=deadline.isoformat()).json
    finally:
        aws.use_clock(None)
    reminder_day = datetime.combine(deadline - timedelta(days=3), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    ran = api.post("/dev/reminders/run", body={"at": reminder_day.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert ran.status_code == 200 and ran.json["reminders_sent"] >= 1
    reminded = [m for m in emails_to(backend, jan["email"]) if m["subject"].startswith("Herinnering")]
    assert len(reminded) == 1 and "handtekening" in reminded[0]["subject"]
    assert [m for m in emails_to(backend, els["email"]) if m["subject"].startswith("Herinnering")] == []
    chain = {r: [e.type for e in aws.ports().signing.audit_events(firm["tenant"].id, r)]
             for r in (_request_of(message, jan), _request_of(message, els))}
    assert chain[_request_of(message, jan)].count("reminder") == 1
    assert "reminder" not in chain[_request_of(message, els)]


def test_once_complete_the_pdf_transactiebon_lists_every_signer(api: Api, firm, backend, partners):
    import io

    from pypdf import PdfReader

    jan, els = partners
    message = _send(api, firm, jan, els).json
    for partner in partners:
        assert _sign(api, backend, partner, _request_of(message, partner)).status_code == 200
    pdf = api.call("GET", f"/advisor/signing-requests/{_request_of(message, els)}/certificate", firm["token"],
                   headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.body)).pages)
    assert "Alle ondertekenaars" in text and "1. Jan Partner" in text and "2. Els Partner" in text
