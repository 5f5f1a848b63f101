"""The seal key history on fakes: the configured key at first, rotation, the active key, public keys by key id."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import rfc8785

from chalicelib.clock import iso
from chalicelib.errors import DependencyFailed
from chalicelib.signing.receipts import encryption_context, evidence_bundle, receipt_view
from chalicelib.signing.seal_keys import (
    KMS_PROPAGATION,
    SEAL_TAG,
    RotationRefused,
    SealKey,
    active_key,
    bare_key_id,
    keys_view,
    rotate_seal_key,
    same_key,
)
from tests.fakes import START, FakePorts
from tests.fakes.adapters import FAKE_KEY_ARN, FakeSealer
from tests.unit.test_ceremony import TENANT, World, advisor_of

CONFIGURED = "seal-key"  # the unit settings' SEAL_KEY_ID


@pytest.fixture
def ports() -> FakePorts:
    return FakePorts()


def _rotate(ports: FakePorts, minutes: float = 10) -> dict[str, str]:
    """A rotation `minutes` from the last, and the time for it to take effect (the unit stage is a deployed one)."""
    ports.clock.advance(minutes=minutes)
    answer = rotate_seal_key(ports)
    ports.clock.advance(seconds=KMS_PROPAGATION.total_seconds())
    return answer


# --- the rules ------------------------------------------------------------------------------------


def test_a_key_named_by_its_arn_or_by_its_bare_id_is_the_same_key():
    arn = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert bare_key_id(arn) == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert same_key(arn, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0") and same_key(arn, arn)
    assert not same_key(arn, "arn:aws:kms:eu-west-1:123456789012:key/another")
    assert bare_key_id("alias/signing-portal-stateful-seal") == "alias/signing-portal-stateful-seal"


def test_the_key_that_seals_is_the_newest_record_in_force_at_the_moment():
    old = SealKey("k1", "pem1", "2026-01-01T00:00:00.000Z", retired_at="2026-06-01T00:00:00.000Z")
    left_active = SealKey("k2", "pem2", "2026-06-01T00:00:00.000Z")  # a rotation that stopped before retiring it
    newest = SealKey("k3", "pem3", "2026-06-02T00:00:00.000Z")
    assert active_key([newest, old, left_active], "2026-07-01T00:00:00.000Z") == newest
    assert active_key([newest, old, left_active], "2026-06-01T12:00:00.000Z") == left_active, "k3 is not in force yet"
    assert active_key([newest, old, left_active], "2026-05-31T23:59:59.999Z") == old, "k1 retires at k2's start"
    assert active_key([old, newest], "2025-01-01T00:00:00.000Z") == old, "a clock before every key: the oldest"
    assert active_key([], "2026-07-01T00:00:00.000Z") is None


# --- before any rotation ----------------------------------------------------------------------------


def test_with_no_history_the_configured_key_seals_and_is_the_one_published_key(ports):
    assert ports.sealer.key_id == CONFIGURED
    pem = ports.kms.public_key_pem(CONFIGURED)
    assert ports.sealer.public_key_pem == pem
    view = keys_view(ports, ["seal leaf", "seal root"], ("tsa leaf", "tsa root"))
    assert view == {
        "seal_keys": [{"key_id": CONFIGURED, "algorithm": "ECDSA_SHA_256", "public_key_pem": pem, "status": "active",
                       "active_from": iso(START), "retired_at": None}],  # since KMS made it
        "seal_certificate_chain_pem": ["seal leaf", "seal root"], "tsa_certificate_chain_pem": ["tsa leaf", "tsa root"],
    }
    assert ports.seal_keys.records == {}, "publishing writes nothing"


def test_the_configured_key_answers_by_its_arn_as_kms_names_it_too(ports):
    pem = ports.sealer.public_key_pem
    assert ports.sealer.public_key_of(FAKE_KEY_ARN.format(CONFIGURED)) == pem
    assert ports.sealer.public_key_of(CONFIGURED) == pem


def test_a_key_that_never_sealed_has_no_public_key(ports):
    assert ports.sealer.public_key_of("arn:aws:kms:eu-west-1:111122223333:key/unknown") is None
    ports.kms.add("made-but-never-recorded")
    assert ports.sealer.public_key_of("made-but-never-recorded") is None


# --- rotating -----------------------------------------------------------------------------------------


def test_a_rotation_records_the_configured_key_then_seals_with_a_new_one_and_retires_the_old(ports):
    first_pem = ports.sealer.public_key_pem
    answer = _rotate(ports)
    rotated_at = iso(ports.clock.now())  # the moment it took effect
    assert answer == {"key_id": FAKE_KEY_ARN.format("seal-key-2"), "retired_key_id": CONFIGURED,
                      "active_from": rotated_at}
    assert ports.sealer.key_id == answer["key_id"]
    assert ports.sealer.public_key_pem == ports.kms.public_key_pem(answer["key_id"]) != first_pem
    keys = [key.to_api(rotated_at) for key in ports.sealer.known_keys()]
    assert [(k["key_id"], k["status"], k["active_from"], k["retired_at"]) for k in keys] == [
        (CONFIGURED, "retired", iso(START), rotated_at),
        (answer["key_id"], "active", rotated_at, None),
    ]
    assert ports.sealer.public_key_of(CONFIGURED) == first_pem, "a retired key still verifies"


def test_the_new_key_is_made_like_the_active_one_and_the_alias_follows_it(ports):
    ports.kms.aliases["alias/signing-portal-stateful-seal"] = CONFIGURED
    ports.kms.key_tags[CONFIGURED] = {SEAL_TAG: "signing-portal", "application": "signing-portal"}
    new = _rotate(ports)["key_id"]
    assert ports.kms.tags(new) == {SEAL_TAG: "signing-portal", "application": "signing-portal"}
    assert ports.kms.aliases == {"alias/signing-portal-stateful-seal": bare_key_id(new)}


def test_two_rotations_leave_three_keys_oldest_first_and_each_one_verifies_its_own_seal(ports):
    digests = [bytes([n]) * 32 for n in range(3)]
    seals = []
    for rotations in range(3):
        if rotations:
            _rotate(ports)
        seals.append((ports.sealer.key_id, digests[rotations], ports.sealer.seal(digests[rotations])))
    known = ports.sealer.known_keys()
    assert [key.key_id for key in known] == [CONFIGURED, FAKE_KEY_ARN.format("seal-key-2"), FAKE_KEY_ARN.format("seal-key-3")]
    assert [key.retired_at is not None for key in known] == [True, True, False]
    assert known[1].retired_at == known[2].active_from
    from chalicelib.signing.crypto import verify_seal

    for key_id, digest, signature in seals:
        assert verify_seal(ports.sealer.public_key_of(key_id), digest, signature)
        assert not any(verify_seal(other.public_key_pem, digest, signature) for other in known
                       if not same_key(other.key_id, key_id))


def test_a_rotation_that_stops_before_retiring_leaves_the_new_key_sealing_and_the_old_one_verifying(ports, monkeypatch):
    first_pem = ports.sealer.public_key_pem

    def crash(key_id: str, at: str) -> bool:
        raise DependencyFailed()

    monkeypatch.setattr(ports.seal_keys, "retire", crash)
    with pytest.raises(DependencyFailed):
        _rotate(ports)
    monkeypatch.undo()
    ports.clock.advance(seconds=KMS_PROPAGATION.total_seconds())
    new = FAKE_KEY_ARN.format("seal-key-2")
    assert ports.sealer.key_id == new
    assert [(key.key_id, key.retired_at) for key in ports.sealer.known_keys()] == [(CONFIGURED, None), (new, None)]
    assert ports.sealer.public_key_of(CONFIGURED) == first_pem
    answer = _rotate(ports)  # the next rotation retires every key before its own
    assert answer["retired_key_id"] == new
    assert [key.retired_at is not None for key in ports.sealer.known_keys()] == [True, True, False]


def test_a_rotation_that_stops_before_its_record_leaves_the_old_key_sealing(ports, monkeypatch):
    original = ports.seal_keys.record

    def crash_on_the_new_key(key: SealKey) -> bool:
        if key.key_id != CONFIGURED:
            raise DependencyFailed()
        return original(key)

    monkeypatch.setattr(ports.seal_keys, "record", crash_on_the_new_key)
    with pytest.raises(DependencyFailed):
        _rotate(ports)
    assert ports.sealer.key_id == CONFIGURED  # the key made meanwhile is nobody's
    assert [key.key_id for key in ports.sealer.known_keys()] == [CONFIGURED]


def test_a_key_without_the_seal_tag_is_not_copied_since_the_api_could_not_sign_with_the_copy(ports):
    ports.kms.key_tags[CONFIGURED] = {"application": "signing-portal"}
    with pytest.raises(RotationRefused, match=SEAL_TAG):
        _rotate(ports)
    assert len(ports.kms.keys) == 1 and ports.sealer.key_id == CONFIGURED


# --- this container's copy of the history --------------------------------------------------------


def test_a_rotation_takes_effect_once_kms_authorises_the_new_keys_tag_and_then_in_every_container(ports):
    other = FakeSealer(ports.kms, ports.seal_keys, CONFIGURED, now=ports.clock.now)  # another container
    assert other.key_id == CONFIGURED
    reads = ports.seal_keys.reads
    for _ in range(5):
        other.seal(b"\x00" * 32)
    assert other.key_id == CONFIGURED and ports.seal_keys.reads == reads, "a warm container signs without a read"
    answer = rotate_seal_key(ports)
    assert answer["active_from"] == iso(ports.clock.now() + KMS_PROPAGATION)
    ports.clock.advance(seconds=KMS_PROPAGATION.total_seconds() - 1)
    assert (ports.sealer.key_id, other.key_id) == (CONFIGURED, CONFIGURED), "until then the old key seals, everywhere"
    assert ports.sealer.public_key_of(answer["key_id"]) is not None, "and the new one is known, everywhere"
    ports.clock.advance(seconds=1)
    assert (ports.sealer.key_id, other.key_id) == (answer["key_id"], answer["key_id"])
    listed = keys_view(ports, (), ())["seal_keys"]
    assert [(k["status"], k["retired_at"], k["active_from"]) for k in listed] == [
        ("retired", answer["active_from"], iso(START)), ("active", None, answer["active_from"])]
    # The rotation's own read, then one per container whose copy was over a minute old when it sealed.
    assert ports.seal_keys.reads - reads == 3


def test_on_the_local_stack_a_rotation_takes_effect_at_once(monkeypatch):
    from chalicelib.config import environment, load_settings

    ports = FakePorts(settings=load_settings(environment(
        stage="local", table_name="table", documents_bucket="bucket", data_key_id="data-key", seal_key_id=CONFIGURED,
        user_pool_id="eu-west-1_unit", user_pool_client_id="client", sender_email="noreply@portal.example",
        portal_url="http://127.0.0.1:8000", otp_secret_id="otp-secret", bulk_send_queue_url="http://127.0.0.1/1/q",
        webhook_queue_url="http://127.0.0.1/1/w")))
    answer = rotate_seal_key(ports)
    assert answer["active_from"] == iso(ports.clock.now()) and ports.sealer.key_id == answer["key_id"]


def test_a_seal_naming_a_key_rotated_in_by_another_container_is_found_at_once(ports):
    other = FakeSealer(ports.kms, ports.seal_keys, CONFIGURED, now=ports.clock.now)
    assert other.key_id == CONFIGURED
    new = rotate_seal_key(ports)["key_id"]
    assert other.public_key_of(new) == ports.kms.public_key_pem(new)  # its copy was fresh, but misses the key


def test_the_seal_signs_with_the_key_it_named_even_if_the_history_moves_on_in_between(ports):
    rotate_seal_key(ports)
    ports.clock.advance(seconds=KMS_PROPAGATION.total_seconds() - 0.5)
    named = ports.sealer.key_id  # the old key, for half a second more
    ports.clock.advance(seconds=1)  # the new key is in force now
    ports.sealer.seal(b"\x01" * 32)
    assert ports.kms.signed_with[-1] == FAKE_KEY_ARN.format(named)
    ports.sealer.seal(b"\x02" * 32)  # nothing named since: the active key
    assert ports.kms.signed_with[-1] == ports.sealer.key_id != FAKE_KEY_ARN.format(named)


def test_a_kms_answer_naming_another_key_is_no_seal(ports, monkeypatch):
    original = ports.kms.sign
    monkeypatch.setattr(ports.kms, "sign", lambda key_id, digest: (FAKE_KEY_ARN.format("other"), original(key_id, digest)[1]))
    with pytest.raises(DependencyFailed):
        ports.sealer.seal(b"\x00" * 32)


# --- the receipt: checked with the key its seal names --------------------------------------------------


def test_a_receipt_sealed_before_two_rotations_still_verifies_and_its_bundle_carries_its_key():
    world = World()
    world.verified()
    world.sign()
    first_pem = world.ports.sealer.public_key_pem
    _rotate(world.ports)
    _rotate(world.ports)
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["seal"]["key_id"] == CONFIGURED and view["verification"]["seal_valid"] is True
    bundle = evidence_bundle(world.ports, advisor_of(world), "r1")
    assert bundle["public_key_pem"] == first_pem != world.ports.sealer.public_key_pem


def test_a_seal_that_names_a_key_that_never_sealed_does_not_verify():
    world = World()
    world.verified()
    world.sign()
    stored = world.ports.signing.stored_receipt(TENANT, "c1", "r1")
    request = world.ports.signing.get(TENANT, "r1")
    bundle = json.loads(world.ports.vault.decrypt(stored.sealed, encryption_context(request)))
    bundle["seal"]["key_id"] = FAKE_KEY_ARN.format("never-sealed")  # the signature itself is genuine
    world.ports.signing.receipts[(TENANT, "r1")] = replace(
        stored, sealed=world.ports.vault.encrypt(rfc8785.dumps(bundle), encryption_context(request)))
    view = receipt_view(world.ports, advisor_of(world), "r1")
    assert view["verification"]["seal_valid"] is False and view["verification"]["document_intact"] is True
    assert evidence_bundle(world.ports, advisor_of(world), "r1")["public_key_pem"] is None


# --- one tag, three places ----------------------------------------------------------------------------


def test_the_seal_tag_is_the_one_the_template_puts_on_the_key_and_the_apis_policy_asks_for():
    from pathlib import Path

    from local.resources import load_template, resource

    root = Path(__file__).resolve().parents[2]
    assert resource(load_template(), "SealKey")["Tags"] == [{"Key": SEAL_TAG, "Value": {"Ref": "AppStackName"}}]
    policy = json.loads((root / ".chalice" / "policy-prod.json").read_text(encoding="utf-8"))
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == "SealReceipts"]
    # The app stack is ${AWS::StackName} in its own policy, and AppStackName to the stateful stack.
    assert statement["Condition"] == {"StringEquals": {f"aws:ResourceTag/{SEAL_TAG}": "${AWS::StackName}"}}
