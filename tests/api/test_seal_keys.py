"""Key history over the API: after two rotations, receipts sealed by each of the three keys still verify, live and offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from chalicelib import aws
from chalicelib.clock import parse_iso
from tests.conftest import Api, data_url, signature_png
from tests.integration.templates import app_settings

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "tools" / "verify_evidence.py"


def _signed(api: Api, firm: dict[str, Any], signer: dict[str, Any], backend: Any) -> str:
    """A document sent to `signer`, its code verified and signed; the signing request's id."""
    from tests.api.test_signing import _send, _verified

    request_id = str(_send(api, firm["token"], signer["id"])["signing"]["id"])
    _verified(api, backend, signer["token"], request_id, signer["phone"])
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", signer["token"],
                      {"signature_image": data_url(signature_png()), "city": "Haarlem"})
    assert signed.status_code == 200, signed.body
    return request_id


def _rotate(api: Api) -> dict[str, str]:
    answer = api.post("/dev/keys/seal/rotate")
    assert answer.status_code == 200, answer.body
    assert set(answer.json) == {"key_id", "retired_key_id", "active_from"}  # locally, at once (moto needs no wait)
    active = api.get("/keys/seal").json
    assert active["key_id"] == answer.json["key_id"] != answer.json["retired_key_id"]
    return dict(answer.json)


def _same_public_key(one: str, other: str) -> bool:
    def der(pem: str) -> bytes:
        return serialization.load_pem_public_key(pem.encode()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    return der(one) == der(other)


def test_receipts_sealed_by_each_of_three_keys_still_verify_after_two_rotations_live_and_offline(
        api: Api, firm: dict[str, Any], signer: dict[str, Any], backend: Any, tmp_path: Path):
    first_key = api.get("/keys/seal").json["key_id"]
    requests = [_signed(api, firm, signer, backend)]
    first = _rotate(api)
    assert first["retired_key_id"] == first_key
    requests.append(_signed(api, firm, signer, backend))
    second = _rotate(api)
    assert second["retired_key_id"] == first["key_id"]
    requests.append(_signed(api, firm, signer, backend))
    key_ids = [first_key, first["key_id"], second["key_id"]]

    published = api.get("/keys").json
    ours = [key for key in published["seal_keys"] if key["key_id"] in key_ids]  # other tests may rotate too
    assert [key["key_id"] for key in ours] == key_ids, "oldest first"
    assert [key["status"] for key in ours] == ["retired", "retired", "active"]
    assert all(key["algorithm"] == "ECDSA_SHA_256" for key in ours)
    assert [k["key_id"] for k in published["seal_keys"] if k["status"] == "active"] == [second["key_id"]]
    assert ours[0]["retired_at"] == ours[1]["active_from"] and ours[1]["retired_at"] == ours[2]["active_from"]
    assert ours[2]["retired_at"] is None
    assert parse_iso(ours[0]["active_from"]) <= parse_iso(ours[0]["retired_at"]) <= parse_iso(ours[1]["retired_at"])
    assert published["tsa_certificate_chain_pem"] == list(backend.tsa.chain_pem)
    assert isinstance(published["seal_certificate_chain_pem"], list)
    assert api.get("/keys/seal").json["public_key_pem"] == ours[2]["public_key_pem"]
    (tmp_path / "keys.json").write_text(json.dumps(published))

    for request_id, key in zip(requests, ours, strict=True):
        receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
        assert receipt["seal"]["key_id"] == key["key_id"]
        assert receipt["verification"]["seal_valid"] is True, (request_id, receipt["verification"])
        bundle = api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json
        assert bundle["seal"]["key_id"] == key["key_id"]
        assert bundle["public_key_pem"] == key["public_key_pem"]
        assert not any(_same_public_key(bundle["public_key_pem"], other["public_key_pem"]) for other in ours
                       if other is not key), "each key is a key of its own"
        (tmp_path / "evidence.json").write_text(json.dumps(bundle))
        offline = subprocess.run([sys.executable, str(VERIFIER), str(tmp_path / "evidence.json"),
                                  "--keys", str(tmp_path / "keys.json")], capture_output=True, text=True, check=False)
        assert offline.returncode == 0, offline.stdout + offline.stderr
        retired = ", retired" if key["status"] == "retired" else ""
        assert f"OK   the seal's signature verifies with published key {key['key_id']}{retired}" in offline.stdout


def test_a_rotation_moves_the_seal_alias_to_the_new_key(api: Api):
    kms = aws.client("kms")
    rotated = _rotate(api)
    aliases = kms.list_aliases(KeyId=rotated["key_id"])["Aliases"]
    assert [alias["AliasName"] for alias in aliases] == ["alias/signing-seal"]
    assert kms.list_aliases(KeyId=rotated["retired_key_id"])["Aliases"] == []
    tags = kms.list_resource_tags(KeyId=rotated["key_id"])["Tags"]
    assert {"TagKey": "signing-portal-seal", "TagValue": "signing-portal"} in tags, "tagged as the API's policy asks"


def test_the_operators_command_rotates_the_seal_key_as_the_local_route_does(api: Api, capsys: Any):
    from local import cli

    before = api.get("/keys/seal").json["key_id"]
    cli.main(["rotate-seal-key"])  # on a deployed stage: with the operator's credentials (infra/operator-env.sh)
    answer = json.loads(capsys.readouterr().out)
    assert answer["retired_key_id"] == before
    assert api.get("/keys/seal").json["key_id"] == answer["key_id"]
    listed = {key["key_id"]: key["status"] for key in api.get("/keys").json["seal_keys"]}
    assert (listed[before], listed[answer["key_id"]]) == ("retired", "active")


def test_the_rotate_route_does_not_exist_on_the_prod_stage(api: Api):
    from app import app
    from local.gateway import ApiClient

    before = api.get("/keys").json["seal_keys"]
    # As tests/integration/test_infra.py does for the other /dev routes: the prod stage's environment
    # of .chalice/config.json around each request, the settings read afresh inside it.
    with app_settings({}), ApiClient(app, stage_name="prod") as client:
        answer = Api(client).post("/dev/keys/seal/rotate")
    assert (answer.status_code, answer.json["code"]) == (404, "not_found"), answer.body
    assert api.get("/keys").json["seal_keys"] == before, "nothing was rotated"
