"""The offline verifier on evidence built here: a genuine bundle passes, each forgery fails on its own line.

The seal key, the time-stamping authorities and the seal certificate are made in this file; the
audit chain comes from chalicelib.signing.audit, so that the tool's own copy of the hash is held to
the service's. RFC 3161 tokens come from pyHanko's DummyTimeStamper, synchronously.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from chalicelib.signing.audit import AuditEvent, next_event
from tools.verify_evidence import check, main

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_evidence.py"
SIGNED_AT = datetime(2026, 3, 2, 10, 15, 0, 123000, tzinfo=UTC)
DOCUMENT = b"%PDF-1.7\n% jaarrekening 2025 van De Vries B.V.\n%%EOF\n"
VALID = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC))
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: PrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))


def _certificate(subject: str, key: PrivateKey, issuer: x509.Certificate | None, issuer_key: PrivateKey, *,
                 ca: bool = False, eku: x509.ObjectIdentifier | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(VALID[0]).not_valid_after(VALID[1])
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Authority:
    """A time-stamping authority: an RSA root and a leaf under it, made in this file."""

    root: x509.Certificate
    leaf: x509.Certificate
    key: rsa.RSAPrivateKey

    @classmethod
    def create(cls, name: str, eku: x509.ObjectIdentifier | None = ExtendedKeyUsageOID.TIME_STAMPING,
               root: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None) -> Authority:
        if root is None:
            root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            root = (_certificate(f"{name} root", root_key, None, root_key, ca=True), root_key)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(root=root[0], leaf=_certificate(name, key, root[0], root[1], eku=eku), key=key)

    def chain(self) -> list[str]:
        return [_pem(self.leaf), _pem(self.root)]

    def stamper(self, at: datetime | None = None) -> DummyTimeStamper:
        return DummyTimeStamper(tsa_cert=_asn1(self.leaf), tsa_key=_asn1_key(self.key), fixed_dt=at)

    def stamp(self, seal_signature: bytes, at: datetime) -> str:
        stamper = self.stamper(at)
        _, request = stamper.request_cms(hashlib.sha256(seal_signature).digest(), "sha256")
        return base64.b64encode(stamper.request_tsa_response(request)["time_stamp_token"].dump()).decode()


@dataclass(frozen=True)
class Pki:
    seal_key: ec.EllipticCurvePrivateKey  # "seal-2", active
    old_seal_key: ec.EllipticCurvePrivateKey  # "seal-1", retired
    seal_root: x509.Certificate
    seal_certificate: x509.Certificate  # for seal_key, under seal_root
    tsa: Authority

    def keys(self) -> dict[str, Any]:
        """What GET /keys answers."""
        return {
            "seal_keys": [
                {"key_id": "seal-1", "algorithm": "ECDSA_SHA_256", "public_key_pem": _public_pem(self.old_seal_key),
                 "status": "retired", "active_from": "2025-01-01T00:00:00.000Z", "retired_at": "2026-01-01T00:00:00.000Z"},
                {"key_id": "seal-2", "algorithm": "ECDSA_SHA_256", "public_key_pem": _public_pem(self.seal_key),
                 "status": "active", "active_from": "2026-01-01T00:00:00.000Z", "retired_at": None},
            ],
            "seal_certificate_chain_pem": [_pem(self.seal_certificate), _pem(self.seal_root)],
            "tsa_certificate_chain_pem": self.tsa.chain(),
        }


@pytest.fixture(scope="module")
def pki() -> Pki:
    seal_key = ec.generate_private_key(ec.SECP256R1())
    root_key = ec.generate_private_key(ec.SECP256R1())
    seal_root = _certificate("Demo seal root", root_key, None, root_key, ca=True)
    return Pki(seal_key=seal_key, old_seal_key=ec.generate_private_key(ec.SECP256R1()), seal_root=seal_root,
               seal_certificate=_certificate("Demo kantoor zegel", seal_key, seal_root, root_key),
               tsa=Authority.create("Demo TSA"))


@pytest.fixture(scope="module")
def other_tsa() -> Authority:
    return Authority.create("Someone else's TSA")


# --- building evidence -------------------------------------------------------------------------


def _events_before_signing(signed_at: datetime) -> list[AuditEvent]:
    steps = [("sent", "advisor:adv-1", {"message_id": "msg-1"}), ("viewed", "client:cl-1", {}),
             ("code_sent", "client:cl-1", {"phone_hint": "*******78"}), ("code_verified", "client:cl-1", {})]
    events: list[AuditEvent] = []
    for offset, (kind, actor, data) in enumerate(steps):
        previous = events[-1] if events else None
        events.append(next_event(previous.seq if previous else 0, previous.hash if previous else "", kind,
                                 _iso(signed_at - timedelta(minutes=10 - offset)), actor, data))
    return events


def make_bundle(pki: Pki, *, signed_at: datetime = SIGNED_AT, place: str = "Leiden", document: bytes = DOCUMENT,
                key: ec.EllipticCurvePrivateKey | None = None, key_id: str = "seal-2",
                authority: Authority | None = None, stamped_at: datetime | None = None) -> dict[str, Any]:
    """A whole, consistent bundle, as the service makes it: receipt, seal, time stamp and audit chain."""
    key = key or pki.seal_key
    events = _events_before_signing(signed_at)
    receipt: dict[str, Any] = {
        "version": 2, "receipt_code": "TB-0123456789", "signing_request_id": "sr-1", "message_id": "msg-1",
        "document": {"id": "doc-1", "filename": "jaarrekening.pdf", "size": len(document),
                     "sha256": hashlib.sha256(document).hexdigest()},
        "signature_image_sha256": hashlib.sha256(b"png").hexdigest(),
        "signer": {"client_id": "cl-1", "name": "J. de Vries", "phone_hint": "*******78"},
        "place": place, "place_prefilled": "Leiden", "signed_at": _iso(signed_at), "signature_method": "drawn",
        "otp": {"channel": "sms", "verified_at": events[-1].at, "phone_hint": "*******78"},
        "envelope": {"message_id": "msg-1", "signers": ["cl-1"], "position": 1, "signing_order": "parallel"},
        "audit_chain_head": {"seq": events[-1].seq, "hash": events[-1].hash},
    }
    digest = hashlib.sha256(rfc8785.dumps(receipt)).digest()
    signature = key.sign(digest, ec.ECDSA(hashes.SHA256()))
    events.append(next_event(events[-1].seq, events[-1].hash, "signed", _iso(signed_at), "client:cl-1",
                             {"receipt_digest": digest.hex()}))
    gen_time = stamped_at or signed_at + timedelta(seconds=2)
    return {
        "receipt": receipt,
        "seal": {"algorithm": "ECDSA_SHA_256", "key_id": key_id, "digest": digest.hex(),
                 "signature": base64.b64encode(signature).decode()},
        "public_key_pem": _public_pem(key),
        "timestamp": {"token": (authority or pki.tsa).stamp(signature, gen_time), "gen_time": _iso(gen_time),
                      "tsa": "Demo TSA"},
        "audit_events": [event.to_api() for event in events],
        "firm": "Demo Accountants",
    }


@pytest.fixture(scope="module")
def genuine(pki: Pki) -> dict[str, Any]:
    return make_bundle(pki)


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    def lines(self, status: str) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith(f"{status} ")]


Verify = Callable[..., Outcome]


@pytest.fixture
def verify(tmp_path: Path, pki: Pki, capsys: pytest.CaptureFixture[str]) -> Verify:
    """Runs the tool on a bundle, with the published keys unless keys=False."""
    (tmp_path / "keys.json").write_text(json.dumps(pki.keys()))
    (tmp_path / "document.pdf").write_bytes(DOCUMENT)

    def run(bundle: dict[str, Any], *args: str, keys: bool = True) -> Outcome:
        (tmp_path / "evidence.json").write_text(json.dumps(bundle))
        argv = [str(tmp_path / "evidence.json"), *args, *(["--keys", str(tmp_path / "keys.json")] if keys else [])]
        code = main(argv)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def _copy(bundle: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(bundle))
    return copied


# --- a genuine bundle --------------------------------------------------------------------------


def test_a_genuine_bundle_passes_every_check(verify: Verify, genuine: dict[str, Any], tmp_path: Path) -> None:
    outcome = verify(genuine, str(tmp_path / "document.pdf"))
    assert outcome.code == 0, outcome.out
    assert outcome.lines("FAIL") == [] and outcome.lines("NOTE") == []
    assert "Leiden" in outcome.out and "Every check holds." in outcome.out
    ok = "\n".join(outcome.lines("OK"))
    for said in ("seal.digest is the SHA-256", "verifies with published key seal-2", "made over this seal's signature",
                 "signature by Demo TSA verifies", "chains to the published TSA root Demo TSA root",
                 "agrees with signed_at (2 s apart)", "the 5 audit events recompute", "sealed as its head (event 4)",
                 "'signed' event (event 5) names this seal's digest", "document.pdf is the document that was signed"):
        assert said in ok


def test_the_tool_recomputes_the_audit_hash_exactly_as_the_service_does(genuine: dict[str, Any]) -> None:
    from chalicelib.signing.audit import event_hash as service_hash
    from tools.verify_evidence import event_hash as tool_hash

    for event in genuine["audit_events"]:
        fields = (event["seq"], event["type"], event["at"], event["actor"], event["data"], event["prev_hash"])
        assert tool_hash(event) == service_hash(*fields) == event["hash"]


def test_without_the_keys_file_the_line_says_the_key_came_from_the_bundle_itself(
        verify: Verify, genuine: dict[str, Any]) -> None:
    outcome = verify(genuine, keys=False)
    assert outcome.code == 0
    assert any("the bundle's own public_key_pem, which proves less" in line for line in outcome.lines("OK"))
    assert any("not checked against a trusted chain" in line for line in outcome.lines("NOTE"))


def test_the_old_command_line_with_a_document_and_a_public_key_still_works(
        verify: Verify, genuine: dict[str, Any], pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "seal.pem").write_text(_public_pem(pki.seal_key))
    (tmp_path / "tsa.pem").write_text("".join(pki.tsa.chain()))
    outcome = verify(genuine, str(tmp_path / "document.pdf"), "--public-key", str(tmp_path / "seal.pem"),
                     "--tsa-chain", str(tmp_path / "tsa.pem"), keys=False)
    assert outcome.code == 0, outcome.out
    assert any("verifies with the key in" in line for line in outcome.lines("OK"))
    assert any("chains to the published TSA root" in line for line in outcome.lines("OK"))
    wrong_chain = verify(genuine, "--tsa-chain", str(tmp_path / "seal.pem"), keys=False)
    assert wrong_chain.code == 2 and "holds no PEM certificate" in wrong_chain.err


def test_the_imported_check_answers_pairs_of_line_and_verdict(genuine: dict[str, Any]) -> None:
    results = check(genuine, genuine["public_key_pem"], DOCUMENT)
    assert results and all(holds for _, holds in results)
    assert not all(holds for _, holds in check(genuine, genuine["public_key_pem"], b"another document"))


# --- the forged bundle of issue 14 --------------------------------------------------------------


def test_a_backdated_bundle_sealed_again_with_the_old_token_fails_on_the_imprint(
        verify: Verify, pki: Pki, genuine: dict[str, Any]) -> None:
    forged = make_bundle(pki, signed_at=datetime(2025, 1, 1, 9, 0, tzinfo=UTC), place="Maastricht",
                         document=b"another contract")
    forged["timestamp"] = genuine["timestamp"]
    outcome = verify(forged)
    assert outcome.code == 1
    assert not any("seal" in line and "digest" in line for line in outcome.lines("FAIL"))  # the seal itself holds
    assert any("made over another signature" in line for line in outcome.lines("FAIL"))


def test_the_same_forgery_stamped_again_now_fails_on_the_authoritys_time(verify: Verify, pki: Pki) -> None:
    forged = make_bundle(pki, signed_at=datetime(2025, 1, 1, 9, 0, tzinfo=UTC), place="Maastricht",
                         document=b"another contract", stamped_at=datetime.now(UTC))
    outcome = verify(forged)
    assert outcome.code == 1
    [failure] = outcome.lines("FAIL")
    assert "days after signed_at 2025-01-01T09:00:00.000Z" in failure and "--max-skew" in failure


def test_a_stamp_obtained_late_passes_only_within_the_allowed_skew(verify: Verify, pki: Pki) -> None:
    late = make_bundle(pki, stamped_at=SIGNED_AT + timedelta(minutes=40))
    assert verify(late).code == 1
    assert verify(late, "--max-skew", "60").code == 0


def test_a_token_from_another_authority_fails(verify: Verify, pki: Pki, other_tsa: Authority) -> None:
    outcome = verify(make_bundle(pki, authority=other_tsa))
    assert outcome.code == 1
    [failure] = outcome.lines("FAIL")
    assert "Someone else's TSA is not the published one: its certificate was not issued by" in failure


def test_a_certificate_of_the_right_root_without_time_stamping_usage_fails(verify: Verify, pki: Pki) -> None:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _certificate("Demo TSA root", root_key, None, root_key, ca=True)
    rogue = Authority.create("Rogue", eku=ExtendedKeyUsageOID.CODE_SIGNING, root=(root, root_key))
    outcome = verify(make_bundle(pki, authority=rogue))
    assert any("is not one for time stamping" in line for line in outcome.lines("FAIL"))


def test_a_token_whose_bytes_were_changed_fails(verify: Verify, genuine: dict[str, Any]) -> None:
    forged = _copy(genuine)
    token = bytearray(base64.b64decode(forged["timestamp"]["token"]))
    token[-10] ^= 0x01  # inside the authority's signature
    forged["timestamp"]["token"] = base64.b64encode(bytes(token)).decode()
    outcome = verify(forged)
    assert outcome.code == 1
    assert any("signature by Demo TSA does not verify" in line for line in outcome.lines("FAIL"))
    forged["timestamp"]["token"] = base64.b64encode(b"not a token").decode()
    assert any("not a readable RFC 3161 token" in line for line in verify(forged).lines("FAIL"))


# --- pending time stamps -------------------------------------------------------------------------


def test_a_pending_time_stamp_is_a_note_and_fails_only_when_required(verify: Verify, genuine: dict[str, Any]) -> None:
    pending = {**genuine, "timestamp": None}
    outcome = verify(pending)
    assert outcome.code == 0
    assert outcome.lines("NOTE") == ["NOTE no time stamp yet (pending): the time of signing rests on the service's own clock"]
    required = verify(pending, "--require-timestamp")
    assert required.code == 1 and len(required.lines("FAIL")) == 1


# --- the audit chain -----------------------------------------------------------------------------


def _edit_data(events: list[dict[str, Any]]) -> None:
    events[2]["data"]["phone_hint"] = "*******00"


def _drop_one(events: list[dict[str, Any]]) -> None:
    del events[1]


def _swap_two(events: list[dict[str, Any]]) -> None:
    events[1], events[2] = events[2], events[1]


def _second_signed(events: list[dict[str, Any]]) -> None:
    last = events[-1]
    extra = next_event(last["seq"], last["hash"], "signed", last["at"], last["actor"], dict(last["data"]))
    events.append(extra.to_api())


@pytest.mark.parametrize(("edit", "said"), [
    (_edit_data, "event 3 (code_sent) was changed"),
    (_drop_one, "event 3 comes where event 2 should"),
    (_swap_two, "event 3 comes where event 2 should"),
    (_second_signed, "2 'signed' events, not one"),
])
def test_an_edited_audit_chain_fails(verify: Verify, genuine: dict[str, Any], edit: Callable[[list[dict[str, Any]]], None],
                                     said: str) -> None:
    forged = _copy(genuine)
    edit(forged["audit_events"])
    outcome = verify(forged)
    assert outcome.code == 1
    assert any(said in line for line in outcome.lines("FAIL")), outcome.out


def test_a_chain_rebuilt_without_the_sealed_head_fails(verify: Verify, genuine: dict[str, Any]) -> None:
    forged = _copy(genuine)
    forged["receipt"]["audit_chain_head"]["hash"] = "f" * 64
    outcome = verify(forged)
    assert any("a hash that the chain does not hold" in line for line in outcome.lines("FAIL"))


# --- the seal and its key --------------------------------------------------------------------------


def test_a_key_id_that_is_not_published_fails(verify: Verify, pki: Pki) -> None:
    outcome = verify(make_bundle(pki, key=ec.generate_private_key(ec.SECP256R1()), key_id="seal-9"))
    assert outcome.code == 1
    assert "FAIL the seal names key seal-9, which is not among the published seal keys" in outcome.lines("FAIL")


def test_another_key_under_a_published_key_id_fails_with_the_keys_but_not_without(verify: Verify, pki: Pki) -> None:
    forged = make_bundle(pki, key=ec.generate_private_key(ec.SECP256R1()), key_id="seal-2")
    outcome = verify(forged)
    assert outcome.code == 1
    assert "FAIL the seal's signature does not verify with published key seal-2" in outcome.lines("FAIL")
    assert any("is not the published key" in line for line in outcome.lines("NOTE"))
    assert verify(forged, keys=False).code == 0  # which is why the bundle's own key proves less


def test_a_retired_key_still_verifies_a_bundle_it_sealed(verify: Verify, pki: Pki) -> None:
    old = make_bundle(pki, signed_at=datetime(2025, 6, 1, 12, 0, tzinfo=UTC), key=pki.old_seal_key, key_id="seal-1")
    outcome = verify(old)
    assert outcome.code == 0, outcome.out
    assert any("published key seal-1, retired 2026-01-01" in line for line in outcome.lines("OK"))
    assert outcome.lines("NOTE") == []


def test_a_changed_receipt_fails_the_seal(verify: Verify, genuine: dict[str, Any]) -> None:
    forged = _copy(genuine)
    forged["receipt"]["place"] = "Elders"
    outcome = verify(forged)
    assert outcome.code == 1
    assert "FAIL the receipt was changed after it was sealed: its SHA-256 is not seal.digest" in outcome.lines("FAIL")


def test_a_wrong_document_fails(verify: Verify, genuine: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "other.pdf").write_bytes(DOCUMENT + b"% changed\n")
    outcome = verify(genuine, str(tmp_path / "other.pdf"))
    assert outcome.code == 1
    [failure] = outcome.lines("FAIL")
    assert failure.startswith("FAIL other.pdf is not the document that was signed")


# --- unusable input ------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "said"), [
    ("{not json", "is not JSON"),
    ("[1, 2]", "the evidence bundle is not a JSON object"),
    ('{"receipt": {}}', "the bundle has no seal"),
    ("missing", "cannot read the evidence bundle"),
])
def test_an_unusable_bundle_exits_2_with_a_plain_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         content: str, said: str) -> None:
    path = tmp_path / "evidence.json"
    if content != "missing":
        path.write_text(content)
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    assert said in captured.err and "Traceback" not in captured.err and captured.out == ""


def test_missing_fields_and_unreadable_keys_exit_2(verify: Verify, genuine: dict[str, Any], tmp_path: Path) -> None:
    broken = _copy(genuine)
    del broken["audit_events"][2]["hash"]
    assert "audit event 3 of the bundle has no hash" in verify(broken).err
    broken = _copy(genuine)
    broken["receipt"]["signed_at"] = "gisteren"
    assert verify(broken).code == 2
    (tmp_path / "keys.json").write_text("<html>")
    outcome = verify(genuine)
    assert outcome.code == 2 and "the keys file" in outcome.err


def test_the_command_runs_alone_and_loads_asn1crypto_only_for_a_time_stamp(genuine: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "stamped.json").write_text(json.dumps(genuine))
    (tmp_path / "pending.json").write_text(json.dumps({**genuine, "timestamp": None}))
    probe = (f"import sys; sys.path.insert(0, {str(TOOL.parent)!r}); import verify_evidence as v\n"
             "names = {'asn1crypto', 'pyhanko', 'pypdf', 'chalicelib'}\n"
             "def loaded(): return sorted({m.split('.')[0] for m in sys.modules} & names)\n"
             f"assert v.main([{str(tmp_path / 'pending.json')!r}]) == 0; print(loaded())\n"
             f"assert v.main([{str(tmp_path / 'stamped.json')!r}]) == 0; print(loaded())\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "['asn1crypto']"
    assert "[]" in run.stdout.splitlines()


# --- the PDF certificate -------------------------------------------------------------------------


def _certificate_pdf(pki: Pki, attachment: bytes) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("jaarrekening.pdf", attachment)
    unsigned = BytesIO()
    writer.write(unsigned)
    signer = signers.SimpleSigner(signing_cert=_asn1(pki.seal_certificate), signing_key=_asn1_key(pki.seal_key),
                                  cert_registry=SimpleCertificateStore.from_certs([_asn1(pki.seal_root)]))
    signed = signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(unsigned.getvalue())),
                              signers.PdfSignatureMetadata(field_name="Zegel", subfilter=SigSeedSubFilter.PADES),
                              signer=signer, timestamper=pki.tsa.stamper())
    return signed.getvalue()


@pytest.fixture(scope="module")
def sealed_pdf(pki: Pki) -> bytes:
    return _certificate_pdf(pki, DOCUMENT)


def test_a_sealed_pdf_certificate_with_the_document_attached_passes(verify: Verify, genuine: dict[str, Any],
                                                                   sealed_pdf: bytes, tmp_path: Path) -> None:
    (tmp_path / "transactiebon.pdf").write_bytes(sealed_pdf)
    outcome = verify(genuine, str(tmp_path / "document.pdf"), "--certificate", str(tmp_path / "transactiebon.pdf"))
    assert outcome.code == 0, outcome.out
    ok = "\n".join(outcome.lines("OK"))
    assert "transactiebon.pdf: its PAdES signature by Demo kantoor zegel is intact, valid and trusted" in ok
    assert "transactiebon.pdf embeds document.pdf byte for byte, as 'jaarrekening.pdf'" in ok
    without_document = verify(genuine, "--certificate", str(tmp_path / "transactiebon.pdf"))
    assert without_document.code == 0 and "by the receipt's SHA-256" in without_document.out


def test_a_pdf_certificate_with_one_byte_changed_fails(verify: Verify, genuine: dict[str, Any], sealed_pdf: bytes,
                                                       tmp_path: Path) -> None:
    at = sealed_pdf.index(b"842")
    (tmp_path / "transactiebon.pdf").write_bytes(sealed_pdf[:at] + b"843" + sealed_pdf[at + 3:])
    outcome = verify(genuine, "--certificate", str(tmp_path / "transactiebon.pdf"))
    assert outcome.code == 1
    [failure] = outcome.lines("FAIL")
    assert "its content changed after it was signed" in failure


def test_a_pdf_certificate_whose_attachment_is_another_document_fails(verify: Verify, genuine: dict[str, Any],
                                                                      pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "transactiebon.pdf").write_bytes(_certificate_pdf(pki, b"%PDF-1.7\n% another document\n"))
    outcome = verify(genuine, str(tmp_path / "document.pdf"), "--certificate", str(tmp_path / "transactiebon.pdf"))
    assert outcome.code == 1
    [failure] = outcome.lines("FAIL")
    assert "embeds no attachment that is document.pdf (it holds: jaarrekening.pdf)" in failure


def test_a_pdf_certificate_needs_the_seal_chain(verify: Verify, genuine: dict[str, Any], sealed_pdf: bytes,
                                                tmp_path: Path) -> None:
    (tmp_path / "transactiebon.pdf").write_bytes(sealed_pdf)
    outcome = verify(genuine, "--certificate", str(tmp_path / "transactiebon.pdf"), keys=False)
    assert outcome.code == 2 and "--seal-chain" in outcome.err
