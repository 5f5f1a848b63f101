"""Twenty simultaneous 'sign' calls after one verified code: one signature, one receipt."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import PDF_BYTES, data_url, signature_png


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _new_signer(stack, advisor: str) -> tuple[str, str, str]:
    """A client of its own (own phone, so no shared SMS limit), invited and activated over HTTP."""
    from urllib.parse import parse_qs, urlparse

    from chalicelib.ids import new_id
    from tests.conftest import random_mobile

    email, phone = f"gelijktijdig-{new_id().lower()}@example.com", random_mobile()
    client = requests.post(f"{stack.url}/advisor/clients", headers=_auth(advisor), timeout=10,
                           json={"name": "Gert Gelijktijdig", "email": email, "phone": phone}).json()
    requests.post(f"{stack.url}/advisor/clients/{client['id']}/invite", headers=_auth(advisor), timeout=10)
    body = [m for m in stack.outbox()["emails"] if email in m["to"]][-1]["body"]
    link = re.search(r'href="([^"]+)"', body).group(1).replace("&amp;", "&")
    token = parse_qs(urlparse(link).query)["token"][0]
    requests.post(f"{stack.url}/auth/activate", json={"token": token, "password": "Gelijk-tijdig-2026!"}, timeout=10)
    return client["id"], phone, stack.login(email, "Gelijk-tijdig-2026!")


def _send_signing_request(stack, advisor: str, client_id: str) -> str:
    created = requests.post(f"{stack.url}/advisor/documents", headers=_auth(advisor), timeout=10,
                            json={"filename": "akte.pdf", "content_type": "application/pdf", "size": len(PDF_BYTES)}).json()
    form = created["upload"]
    requests.post(form["url"], data=form["fields"], files={"file": ("akte.pdf", PDF_BYTES)}, timeout=10)
    requests.post(f"{stack.url}/advisor/documents/{created['id']}/complete", headers=_auth(advisor), timeout=10)
    message = requests.post(f"{stack.url}/advisor/messages", headers=_auth(advisor), timeout=10, json={
        "client_id": client_id, "subject": "Akte", "body": "Graag tekenen.",
        "response_type": "sign", "document_ids": [created["id"]]}).json()
    return str(message["signing"]["id"])


def test_twenty_concurrent_signs_give_one_200_and_one_receipt(stack):
    advisor = stack.login("adviseur@demo.example", "Adviseur-demo-2026!")
    client_id, phone, signer = _new_signer(stack, advisor)
    request_id = _send_signing_request(stack, advisor, client_id)
    base = f"{stack.url}/portal/signing-requests/{request_id}"
    assert requests.post(f"{base}/otp", headers=_auth(signer), timeout=10).status_code == 202
    sms = [s["message"] for s in stack.outbox()["sms"] if s["to"] == phone][-1]
    code = re.search(r":\s(\d{6})\.", sms).group(1)
    assert requests.post(f"{base}/otp/verify", headers=_auth(signer), json={"code": code}, timeout=10).ok

    body = {"signature_image": data_url(signature_png()), "city": "Amsterdam"}

    def sign(_: int) -> requests.Response:
        return requests.post(f"{base}/sign", headers=_auth(signer), json=body, timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(sign, range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 19, [a.text for a in answers if a.status_code not in (200, 409)]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"already_signed"}

    message = next(m for m in requests.get(f"{stack.url}/advisor/messages", headers=_auth(advisor), timeout=10)
                   .json()["items"] if m["signing"] and m["signing"]["id"] == request_id)
    detail = requests.get(f"{stack.url}/advisor/messages/{message['id']}", headers=_auth(advisor), timeout=10).json()
    assert [e["type"] for e in detail["signing"]["audit_events"]].count("signed") == 1
    receipt = requests.get(f"{stack.url}/advisor/signing-requests/{request_id}/receipt", headers=_auth(advisor),
                           timeout=10).json()
    assert receipt["verification"] == {**receipt["verification"], "seal_valid": True, "document_intact": True}
