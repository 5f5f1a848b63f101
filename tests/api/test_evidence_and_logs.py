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


def test_a_bundle_backdated_and_sealed_again_with_the_real_key_is_refused_for_its_time_stamp(
        api: Api, firm, signer, backend, tmp_path):
    """The outside check of issue 14: signed_at set to 2025-01-01, the place and the document hash
    changed, sealed again with the seal key itself, as anyone running the service could. The seal
    then holds, but the authority's token cannot: its imprint is over the old seal, and a new stamp
    would carry today's time, not 2025's."""
    import base64
    import hashlib

    import rfc8785

    from chalicelib import aws
    from chalicelib.signing.trusted_time import AuthorityTimeStamper

    flow = _sign_flow(api, firm, signer, backend)
    bundle = api.get(f"/advisor/signing-requests/{flow['request_id']}/evidence", firm["token"]).json
    (tmp_path / "tsa.pem").write_text("".join(backend.tsa.chain_pem))
    (tmp_path / "seal.pem").write_text(api.get("/keys/seal").json["public_key_pem"])
    forged = json.loads(json.dumps(bundle))
    forged["receipt"].update(signed_at="2025-01-01T10:00:00.000Z", place="Elders")
    forged["receipt"]["document"]["sha256"] = hashlib.sha256(b"another document").hexdigest()
    digest = hashlib.sha256(rfc8785.dumps(forged["receipt"])).digest()
    forged["seal"].update(digest=digest.hex(), signature=aws.sealer().seal(digest))
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    restamped = json.loads(json.dumps(forged))
    stamper = AuthorityTimeStamper(backend.tsa.url, tuple(backend.tsa.chain_pem), allow_loopback_http=True)
    token = stamper.stamp(base64.b64decode(restamped["seal"]["signature"]))
    restamped["timestamp"] = {**restamped["timestamp"], "token": base64.b64encode(token).decode()}
    (tmp_path / "restamped.json").write_text(json.dumps(restamped))
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))

    def verify(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "tools" / "verify_evidence.py"), str(tmp_path / name),
                               "--public-key", str(tmp_path / "seal.pem"), "--tsa-chain", str(tmp_path / "tsa.pem"),
                               "--require-timestamp"], capture_output=True, text=True, check=False)

    genuine = verify("bundle.json")
    assert genuine.returncode == 0, genuine.stdout
    for name, reason in (("forged.json", "time stamp was made over another signature"),
                         ("restamped.json", "authority's time")):
        refused = verify(name)
        assert refused.returncode == 1, refused.stdout
        lines = refused.stdout.splitlines()
        assert any(line.startswith("OK") and "seal's signature verifies" in line for line in lines), \
            "the seal itself holds: it was made with the real key"
        assert any(line.startswith("FAIL") and reason in line for line in lines), refused.stdout


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
