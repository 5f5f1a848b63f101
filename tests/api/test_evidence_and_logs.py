"""The offline verifier, and what never reaches a log line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from tests.conftest import PDF_BYTES, Api, data_url, last_code, signature_png, upload

ROOT = Path(__file__).resolve().parents[2]


def _sign_flow(api: Api, firm, signer, backend) -> dict:
    document = upload(api, firm["token"]).json["id"]
    message = api.post("/advisor/messages", firm["token"], {
        "client_id": signer["id"], "subject": "Volmacht", "body": "Graag tekenen.", "response_type": "sign",
        "document_ids": [document]}).json
    request_id = message["signing"]["id"]
    api.post(f"/portal/signing-requests/{request_id}/otp", signer["token"])
    code = last_code(backend, signer["phone"])
    api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"], {"code": "000000"
                                                                                   if code != "000000" else "111111"})
    api.post(f"/portal/signing-requests/{request_id}/otp/verify", signer["token"], {"code": code})
    image = data_url(signature_png())
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": image, "city": "Leiden"})
    assert signed.status_code == 200, signed.body
    return {"request_id": request_id, "code": code, "image": image}


def test_the_command_line_verifier_accepts_a_genuine_bundle_and_rejects_a_forged_one(api: Api, firm, signer,
                                                                                     backend, tmp_path):
    flow = _sign_flow(api, firm, signer, backend)
    bundle = api.get(f"/advisor/signing-requests/{flow['request_id']}/evidence", firm["token"]).json
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "document.pdf").write_bytes(PDF_BYTES)
    (tmp_path / "other.pdf").write_bytes(PDF_BYTES + b"% changed\n")
    bundle["receipt"]["place"] = "Elders"
    (tmp_path / "forged.json").write_text(json.dumps(bundle))

    def verify(*names: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "tools" / "verify_evidence.py"),
                               *(str(tmp_path / n) for n in names)], capture_output=True, text=True, check=False)

    genuine = verify("bundle.json", "document.pdf")
    assert genuine.returncode == 0, genuine.stdout
    assert "FAIL" not in genuine.stdout and "Leiden" in genuine.stdout
    assert verify("bundle.json", "other.pdf").returncode == 1
    assert verify("forged.json").returncode == 1


def test_no_code_password_token_phone_or_signature_reaches_the_logs(api: Api, firm, signer, backend, capfd, caplog):
    caplog.set_level(logging.INFO)  # what a deployed function logs; botocore DEBUG echoes request bodies
    capfd.readouterr()
    flow = _sign_flow(api, firm, signer, backend)
    api.post("/auth/login", body={"email": "adviseur@demo.example", "password": "Adviseur-demo-2026!"})
    api.post("/auth/login", body={"email": "adviseur@demo.example", "password": "Verkeerd-wachtwoord-1!"})
    api.get("/advisor/clients", headers={"Authorization": f"Bearer {signer['token']}x"})
    out, err = capfd.readouterr()
    logged = out + err + "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "signing code sent" in logged  # the logs were really captured
    secrets = {
        "the SMS code": flow["code"],
        "a password": "Adviseur-demo-2026!",
        "a wrong password": "Verkeerd-wachtwoord-1!",
        "a token": signer["token"][-40:],
        "the phone number": signer["phone"],
        "the signature image": flow["image"][40:120],
    }
    leaked = [name for name, value in secrets.items() if value in logged]
    assert leaked == []
