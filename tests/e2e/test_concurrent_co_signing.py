"""Two partners on one document, ten calls at once: signatures and rejections race, one consistent state remains."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import PDF_BYTES, data_url, signature_png
from tests.e2e.test_concurrent_signing import _auth, _new_signer

OPEN = {"sent", "viewed"}


def _verified(stack, token: str, phone: str, request_id: str) -> None:
    base = f"{stack.url}/portal/signing-requests/{request_id}"
    assert requests.post(f"{base}/otp", headers=_auth(token), timeout=10).status_code == 202
    sms = [s["message"] for s in stack.outbox()["sms"] if s["to"] == phone][-1]
    code = re.search(r":\s(\d{6})\.", sms).group(1)
    assert requests.post(f"{base}/otp/verify", headers=_auth(token), json={"code": code}, timeout=10).ok


def test_ten_concurrent_signs_and_rejections_across_two_signers_end_in_one_consistent_state(stack):
    advisor = stack.login("adviseur@demo.example", "Adviseur-demo-2026!")
    (first_id, first_phone, first), (second_id, second_phone, second) = (_new_signer(stack, advisor) for _ in range(2))
    created = requests.post(f"{stack.url}/advisor/documents", headers=_auth(advisor), timeout=10, json={
        "filename": "aangifte.pdf", "content_type": "application/pdf", "size": len(PDF_BYTES)}).json()
    requests.post(created["upload"]["url"], data=created["upload"]["fields"],
                  files={"file": ("aangifte.pdf", PDF_BYTES)}, timeout=10)
    requests.post(f"{stack.url}/advisor/documents/{created['id']}/complete", headers=_auth(advisor), timeout=10)
    message = requests.post(f"{stack.url}/advisor/messages", headers=_auth(advisor), timeout=10, json={
        "client_id": first_id, "co_signers": [second_id], "subject": "Aangifte IB", "body": "Graag tekenen.",
        "response_type": "sign", "document_ids": [created["id"]]}).json()
    requests_of = {s["client_id"]: s["id"] for s in message["signings"]}
    _verified(stack, first, first_phone, requests_of[first_id])
    _verified(stack, second, second_phone, requests_of[second_id])

    sign_body = {"signature_image": data_url(signature_png()), "city": "Amsterdam"}
    calls = [(first, requests_of[first_id], "sign"), (second, requests_of[second_id], "reject")] * 3 + [
        (second, requests_of[second_id], "sign"), (first, requests_of[first_id], "reject")] * 2

    def call(job: tuple[str, str, str]) -> requests.Response:
        token, request_id, action = job
        return requests.post(f"{stack.url}/portal/signing-requests/{request_id}/{action}", headers=_auth(token),
                             json=sign_body if action == "sign" else {"reason": "Toch niet"}, timeout=60)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(call, calls))
    assert all(a.status_code in (200, 409) for a in answers), [(a.status_code, a.text[:200]) for a in answers]

    final = requests.get(f"{stack.url}/advisor/messages/{message['id']}", headers=_auth(advisor), timeout=10).json()
    states = {s["client_id"]: s["status"] for s in final["signings"]}
    assert not OPEN & set(states.values()), states  # nobody is left half-way
    if set(states.values()) == {"signed"}:
        assert final["status"] == "signed"
    else:
        assert final["status"] == "rejected" and "rejected" in states.values(), (final["status"], states)
        assert list(states.values()).count("rejected") == 1  # one rejection; the other signed or withdrawn
    succeeded = [a for a in answers if a.status_code == 200]
    assert len(succeeded) == sum(1 for s in states.values() if s in ("signed", "rejected"))
    for client_id, status in states.items():
        receipt = requests.get(f"{stack.url}/advisor/signing-requests/{requests_of[client_id]}/receipt",
                               headers=_auth(advisor), timeout=30)
        assert receipt.status_code == (200 if status == "signed" else 409)
        if status == "signed":
            assert receipt.json()["verification"]["seal_valid"]
