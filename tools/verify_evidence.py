#!/usr/bin/env python3
"""Check the evidence bundle of a signed transaction receipt ("transactiebon"), offline.

    python tools/verify_evidence.py evidence.json [document.pdf] [--keys keys.json | --public-key seal.pem]
        [--tsa-chain tsa.pem] [--seal-chain seal.pem] [--certificate transactiebon.pdf]
        [--max-skew MINUTES] [--require-timestamp]

Nothing of the service is reached, nor any network: keys.json is the answer of GET /keys, saved
apart from the bundle (from the firm, or from the service on another day). Each check prints one
line, "OK", "FAIL" or "NOTE", and what each needs besides the standard library is:

1. The seal (cryptography, rfc8785): `seal.digest` is the SHA-256 of the RFC 8785 form of
   `receipt`, and `seal.signature` verifies with the key that `seal.key_id` names in keys.json,
   retired keys included. Without keys.json it uses --public-key, and without that the bundle's
   own `public_key_pem`, which proves only that the bundle agrees with itself.
2. The RFC 3161 time stamp (asn1crypto, loaded only when the bundle has one): its imprint is the
   SHA-256 of this seal signature, its CMS signature verifies, its signer holds a time-stamping
   certificate that chains to the authority's root (keys.json or --tsa-chain), and its genTime
   is within --max-skew minutes of `receipt.signed_at`. A receipt sealed again later, or one whose
   signed_at was changed, fails here. A pending time stamp is a NOTE (the time then rests on the
   service's own clock), or a FAIL with --require-timestamp.
3. The audit events (nothing more): every hash recomputes from its event and the hash before it,
   the numbers run 1, 2, 3..., the receipt's sealed chain head is in the chain, and its one
   'signed' event names this seal's digest.
4. document.pdf, if given (nothing more): its SHA-256 is `receipt.document.sha256`.
5. --certificate transactiebon.pdf (pyhanko and pypdf, loaded only then): its PAdES signature is
   intact, valid and trusted (seal chain of keys.json or --seal-chain; its time stamp by the TSA
   chain), nothing but validation data was added after it, and its file attachment is the
   document byte for byte (or has the receipt's SHA-256 when no document is given).

Exit status: 0 when every check holds, 1 when one fails, 2 when the input is unusable.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

GENESIS = "0" * 64
SEAL_ALGORITHM = "ECDSA_SHA_256"
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
EVENT_FIELDS: tuple[tuple[str, type], ...] = (
    ("seq", int), ("type", str), ("at", str), ("actor", str), ("data", dict), ("prev_hash", str), ("hash", str))


class Unusable(ValueError):
    """The input cannot be checked at all (exit status 2)."""


@dataclass(frozen=True)
class Line:
    status: str  # "OK", "FAIL" or "NOTE"
    text: str

    def __str__(self) -> str:
        return f"{self.status:<4} {self.text}"


def passed(ok: bool, good: str, bad: str) -> Line:
    return Line("OK", good) if ok else Line("FAIL", bad)


@dataclass(frozen=True)
class Trust:
    """What the bundle is checked against, all of it obtained apart from the bundle."""

    seal_keys: Mapping[str, Mapping[str, Any]] | None = None  # key_id -> its entry in GET /keys
    public_key_pem: str | None = None
    public_key_source: str = "the given public key"
    tsa_chain: tuple[x509.Certificate, ...] = ()  # leaf first, root last
    seal_chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class Options:
    document: bytes | None = None
    document_name: str = "the document"
    certificate: bytes | None = None
    certificate_name: str = "the PDF certificate"
    max_skew: float = 15.0  # minutes: a stamp the job obtained after a short outage is honest
    require_timestamp: bool = False


# --- reading the input ---------------------------------------------------------------------------


def _get(obj: Any, path: str, kind: type, where: str = "the bundle") -> Any:
    value = obj
    for name in path.split("."):
        if not isinstance(value, dict) or name not in value:
            raise Unusable(f"{where} has no {path}")
        value = value[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Unusable(f"{path} in {where} is not a {'JSON object' if kind is dict else kind.__name__}")
    return value


def parse_time(text: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise Unusable(f"{name} is not an ISO 8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Unusable(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise Unusable(f"{what} {path} is not JSON: {exc}") from exc


def read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Unusable(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def validate_bundle(bundle: Any) -> None:
    """Raise Unusable unless the bundle holds every field that the checks read."""
    if not isinstance(bundle, dict):
        raise Unusable("the evidence bundle is not a JSON object")
    for path, kind in (("receipt", dict), ("seal", dict), ("seal.digest", str), ("seal.signature", str),
                       ("receipt.signed_at", str), ("receipt.document.sha256", str),
                       ("receipt.audit_chain_head.seq", int), ("receipt.audit_chain_head.hash", str),
                       ("audit_events", list)):
        _get(bundle, path, kind)
    parse_time(bundle["receipt"]["signed_at"], "receipt.signed_at")
    if bundle.get("timestamp") is not None:
        _get(bundle, "timestamp.token", str)
    for number, event in enumerate(bundle["audit_events"], start=1):
        for name, field_kind in EVENT_FIELDS:
            _get(event, name, field_kind, where=f"audit event {number} of the bundle")


def certificates(pems: Any, what: str) -> tuple[x509.Certificate, ...]:
    """Every certificate in a PEM text or a list of them, in order."""
    texts = [pems] if isinstance(pems, str) else pems
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise Unusable(f"{what} is not a list of PEM certificates")
    blocks = [block for text in texts for block in PEM_CERTIFICATE.findall(text)]
    if isinstance(pems, str) and not blocks:
        raise Unusable(f"{what} holds no PEM certificate")
    try:
        return tuple(x509.load_pem_x509_certificate(block.encode()) for block in blocks)
    except ValueError as exc:
        raise Unusable(f"{what} holds something that is not a certificate") from exc


def load_trust(keys: Path | None, public_key: Path | None, tsa_chain: Path | None,
               seal_chain: Path | None) -> Trust:
    """The published keys and chains: keys.json (GET /keys), overridden by the separate PEM files."""
    seal_keys: dict[str, Mapping[str, Any]] | None = None
    tsa: tuple[x509.Certificate, ...] = ()
    seal: tuple[x509.Certificate, ...] = ()
    if keys is not None:
        answer = read_json(keys, "the keys file")
        seal_keys = {}
        for entry in _get(answer, "seal_keys", list, where="the keys file"):
            _get(entry, "public_key_pem", str, where="a seal key of the keys file")
            seal_keys[_get(entry, "key_id", str, where="a seal key of the keys file")] = entry
        tsa = certificates(answer.get("tsa_certificate_chain_pem") or [], "tsa_certificate_chain_pem")
        seal = certificates(answer.get("seal_certificate_chain_pem") or [], "seal_certificate_chain_pem")
    if tsa_chain is not None:
        tsa = certificates(read_bytes(tsa_chain, "the TSA chain").decode("ascii", "replace"), str(tsa_chain))
    if seal_chain is not None:
        seal = certificates(read_bytes(seal_chain, "the seal chain").decode("ascii", "replace"), str(seal_chain))
    pem = read_bytes(public_key, "the public key").decode("ascii", "replace") if public_key else None
    return Trust(seal_keys=seal_keys, public_key_pem=pem, public_key_source=f"the key in {public_key}",
                 tsa_chain=tsa, seal_chain=seal)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _name(certificate: x509.Certificate) -> str:
    common = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(common[0].value) if common else certificate.subject.rfc4514_string()


# --- 1. the seal ---------------------------------------------------------------------------------


def check_seal(bundle: dict[str, Any], trust: Trust, max_skew: float) -> list[Line]:
    receipt, seal = bundle["receipt"], bundle["seal"]
    try:
        digest = hashlib.sha256(rfc8785.dumps(receipt)).digest()
    except rfc8785.CanonicalizationError as exc:
        return [Line("FAIL", f"the receipt has no RFC 8785 canonical form ({exc})")]
    lines = [passed(digest.hex() == seal["digest"], "seal.digest is the SHA-256 of the canonical receipt",
                    "the receipt was changed after it was sealed: its SHA-256 is not seal.digest")]
    if seal.get("algorithm", SEAL_ALGORITHM) != SEAL_ALGORITHM:
        return [*lines, Line("FAIL", f"the seal's algorithm is {seal.get('algorithm')!r}, not {SEAL_ALGORITHM}")]
    chosen = _seal_key(bundle, trust, max_skew)
    if isinstance(chosen, Line):
        return [*lines, chosen]
    pem, source, notes = chosen
    lines.append(passed(_seal_verifies(pem, digest, seal["signature"]), f"the seal's signature verifies with {source}",
                        f"the seal's signature does not verify with {source}"))
    return lines + notes


def _seal_key(bundle: dict[str, Any], trust: Trust, max_skew: float) -> Line | tuple[str, str, list[Line]]:
    """The PEM that the seal names, where it came from, and any notes on it; or the failure."""
    key_id = bundle["seal"].get("key_id")
    if trust.seal_keys is None:
        if trust.public_key_pem is not None:
            return trust.public_key_pem, trust.public_key_source, []
        pem = bundle.get("public_key_pem")
        if not isinstance(pem, str):
            raise Unusable("the bundle has no public_key_pem: give --keys keys.json (GET /keys)")
        return pem, ("the bundle's own public_key_pem, which proves less: anyone can put a key in a bundle "
                     "(check with --keys keys.json from GET /keys)"), []
    if not isinstance(key_id, str):
        return Line("FAIL", "the seal names no key_id, so no published key can check it")
    entry = trust.seal_keys.get(key_id)
    if entry is None:
        return Line("FAIL", f"the seal names key {key_id}, which is not among the published seal keys")
    retired = f", retired {entry.get('retired_at')}" if entry.get("status") == "retired" else ""
    notes = []
    bundled = bundle.get("public_key_pem")
    if isinstance(bundled, str) and bundled.strip() != str(entry["public_key_pem"]).strip():
        notes.append(Line("NOTE", "the bundle's public_key_pem is not the published key; the published one was used"))
    window = _outside_key_window(entry, parse_time(bundle["receipt"]["signed_at"], "receipt.signed_at"), max_skew)
    if window:
        notes.append(Line("NOTE", f"signed_at lies outside the time key {key_id} was in use ({window})"))
    return str(entry["public_key_pem"]), f"published key {key_id}{retired}", notes


def _outside_key_window(entry: Mapping[str, Any], signed_at: datetime, max_skew: float) -> str | None:
    slack = timedelta(minutes=max_skew)
    start, end = entry.get("active_from"), entry.get("retired_at")
    if start and signed_at < parse_time(start, "active_from in the keys file") - slack:
        return f"active from {start}"
    if end and signed_at > parse_time(end, "retired_at in the keys file") + slack:
        return f"retired at {end}"
    return None


def _seal_verifies(public_key_pem: str, digest: bytes, signature_b64: str) -> bool:
    signature = _b64(signature_b64)
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if signature is None or not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(signature, digest, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# --- 2. the time stamp ---------------------------------------------------------------------------


def check_timestamp(bundle: dict[str, Any], trust: Trust, options: Options) -> list[Line]:
    stamp = bundle.get("timestamp")
    if stamp is None:
        return [Line("FAIL" if options.require_timestamp else "NOTE",
                     "no time stamp yet (pending): the time of signing rests on the service's own clock")]
    try:
        signed_data, tst_info, signer_info = _read_token(stamp["token"])
    except (ValueError, TypeError, KeyError) as exc:
        return [Line("FAIL", f"the time stamp token is not a readable RFC 3161 token ({exc})")]
    imprint = tst_info["message_imprint"]
    sealed = _b64(bundle["seal"]["signature"]) or b""
    lines = [passed(imprint["hash_algorithm"]["algorithm"].native == "sha256"
                    and imprint["hashed_message"].native == hashlib.sha256(sealed).digest(),
                    "the time stamp was made over this seal's signature",
                    "the time stamp was made over another signature: the receipt was sealed again after it was stamped")]
    gen_time: datetime = tst_info["gen_time"].native
    signer = _signer_certificate(signed_data, signer_info, trust.tsa_chain)
    if signer is None:
        return [*lines, Line("FAIL", "the time stamp's signer certificate is neither in the token nor in the TSA chain"),
                _gen_time_line(gen_time, bundle, options.max_skew)]
    problem = _cms_problem(signer_info, signer, signed_data["encap_content_info"]["content"].contents)
    lines.append(passed(problem is None, f"the time stamp's signature by {_name(signer)} verifies",
                        f"the time stamp's signature by {_name(signer)} does not verify: {problem}"))
    lines.append(_authority_line(signer, trust.tsa_chain, gen_time, options.require_timestamp))
    lines.append(_gen_time_line(gen_time, bundle, options.max_skew))
    stated = stamp.get("gen_time")
    if stated and abs(parse_time(stated, "timestamp.gen_time") - gen_time) > timedelta(seconds=1):
        lines.append(Line("FAIL", f"the bundle says the authority's time is {stated}, "
                                  f"its token says {gen_time:%Y-%m-%d %H:%M:%S} UTC"))
    return lines


def _read_token(token_b64: Any) -> tuple[Any, Any, Any]:
    """SignedData, TSTInfo and the one SignerInfo of a base64 DER TimeStampToken."""
    from asn1crypto import cms, tsp

    raw = _b64(token_b64) if isinstance(token_b64, str) else None
    if raw is None:
        raise ValueError("not base64")
    info = cms.ContentInfo.load(raw)
    _ = info.native  # parses everything now, so that a malformed token fails here and not halfway
    if info["content_type"].native != "signed_data":
        raise ValueError("not a CMS SignedData")
    signed_data = info["content"]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    if signed_data["encap_content_info"]["content_type"].native != "tst_info" or not isinstance(tst_info, tsp.TSTInfo):
        raise ValueError("it holds no TSTInfo")
    if len(signed_data["signer_infos"]) != 1:
        raise ValueError("it has not exactly one signer")
    return signed_data, tst_info, signed_data["signer_infos"][0]


def _signer_certificate(signed_data: Any, signer_info: Any, chain: tuple[x509.Certificate, ...]) -> x509.Certificate | None:
    from asn1crypto import core
    from asn1crypto import x509 as asn1_x509

    embedded = signed_data["certificates"]
    candidates = [] if isinstance(embedded, core.Void) else [c.chosen for c in embedded if c.name == "certificate"]
    candidates += [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
    sid = signer_info["sid"]
    for candidate in candidates:
        if sid.name == "issuer_and_serial_number":
            found = (candidate.issuer == sid.chosen["issuer"]
                     and candidate.serial_number == sid.chosen["serial_number"].native)
        else:
            found = candidate.key_identifier == sid.chosen.native
        if found:
            return x509.load_der_x509_certificate(candidate.dump())
    return None


def _cms_problem(signer_info: Any, signer: x509.Certificate, content: bytes) -> str | None:
    """Why the CMS signature over the signed attributes does not hold, or None when it does."""
    attributes = signer_info["signed_attrs"]
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in HASHES:
        return f"it uses the digest {digest_name}"
    values = {a["type"].native: a["values"][0].native for a in attributes if len(a["values"]) == 1}
    if values.get("content_type") != "tst_info":
        return "its signed attributes do not say they sign a TSTInfo"
    digest = hashes.Hash(HASHES[digest_name]())
    digest.update(content)
    if values.get("message_digest") != digest.finalize():
        return "its signed attributes are not over this TSTInfo"
    signed = b"\x31" + attributes.dump()[1:]  # signed as a SET OF, not as the [0] IMPLICIT field
    if not _signature_verifies(signer.public_key(), signer_info["signature"].native, signed,
                               signer_info["signature_algorithm"], digest_name):
        return "the signature does not match the authority's key"
    return None


def _signature_verifies(key: Any, signature: bytes, data: bytes, algorithm: Any, digest_name: str) -> bool:
    try:
        kind = algorithm.signature_algo
        try:
            hash_name = algorithm.hash_algo
        except ValueError:
            hash_name = digest_name
        chosen = HASHES[hash_name]()
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), chosen)
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            mgf = HASHES[algorithm["parameters"]["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
            salt = algorithm["parameters"]["salt_length"].native
            key.verify(signature, data, padding.PSS(padding.MGF1(mgf), salt), chosen)
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(chosen))
        else:
            return False
    except (InvalidSignature, ValueError, KeyError):
        return False
    return True


def _authority_line(signer: x509.Certificate, chain: tuple[x509.Certificate, ...], at: datetime,
                    required: bool) -> Line:
    try:
        usages = list(signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        usages = []
    if ExtendedKeyUsageOID.TIME_STAMPING not in usages:
        return Line("FAIL", f"the certificate of {_name(signer)} is not one for time stamping")
    if not chain:
        return Line("FAIL" if required else "NOTE",
                    f"the time stamp authority {_name(signer)} was not checked against a trusted chain: "
                    "give --keys keys.json (GET /keys) or --tsa-chain")
    problem = _path_problem(signer, chain, at)
    return passed(problem is None,
                  f"the time stamp authority {_name(signer)} chains to the published TSA root {_name(chain[-1])}",
                  f"the time stamp authority {_name(signer)} is not the published one: {problem}")


def _path_problem(certificate: x509.Certificate, chain: tuple[x509.Certificate, ...], at: datetime) -> str | None:
    """Why `certificate` does not chain to the last certificate of `chain` at `at`, or None."""
    current = certificate
    for _ in range(len(chain) + 1):
        which = "its certificate" if current is certificate else f"the certificate of {_name(current)}"
        if not current.not_valid_before_utc <= at <= current.not_valid_after_utc:
            return f"{which} was not valid at the stamped time"
        if current == chain[-1]:
            return None
        issuer = next((c for c in chain if _issued_by(current, c)), None)
        if issuer is None:
            return f"{which} was not issued by a certificate of the TSA chain"
        current = issuer
    return "its chain does not end at the TSA root"


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        if not parent.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
        child.verify_directly_issued_by(parent)
    except (x509.ExtensionNotFound, InvalidSignature, ValueError, TypeError):
        return False
    return True


def _gen_time_line(gen_time: datetime, bundle: dict[str, Any], max_skew: float) -> Line:
    signed_at = parse_time(bundle["receipt"]["signed_at"], "receipt.signed_at")
    apart = gen_time - signed_at
    said = f"the authority's time {gen_time:%Y-%m-%d %H:%M:%S} UTC"
    if abs(apart) <= timedelta(minutes=max_skew):
        return Line("OK", f"{said} agrees with signed_at ({abs(apart).total_seconds():.0f} s apart)")
    return Line("FAIL", f"{said} is {_duration(abs(apart))} {'after' if apart > timedelta(0) else 'before'} signed_at "
                        f"{bundle['receipt']['signed_at']} (at most {max_skew:g} allowed, --max-skew): the receipt's time "
                        "was changed, or it was sealed and stamped again later")


def _duration(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.0f} hours" if minutes < 48 * 60 else f"{span.days} days"


# --- 3. the audit events -------------------------------------------------------------------------


def event_hash(event: Mapping[str, Any]) -> str:
    """As the service computes it: SHA-256 over the RFC 8785 form of the event with its predecessor's hash."""
    body = {name: event[name] for name in ("seq", "type", "at", "actor", "data", "prev_hash")}
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def check_audit(bundle: dict[str, Any]) -> list[Line]:
    events, head = bundle["audit_events"], bundle["receipt"]["audit_chain_head"]
    problem = _chain_problem(events)
    lines = [passed(problem is None, f"the {len(events)} audit events recompute, each linked to the one before",
                    f"the audit events do not recompute: {problem}")]
    lines.append(passed(any(e["seq"] == head["seq"] and e["hash"] == head["hash"] for e in events),
                        f"the audit chain holds the event that the receipt sealed as its head (event {head['seq']})",
                        f"the receipt sealed audit event {head['seq']} with a hash that the chain does not hold"))
    signed = [e for e in events if e["type"] == "signed"]
    if len(signed) != 1:
        lines.append(Line("FAIL", f"the audit chain holds {len(signed)} 'signed' events, not one"))
    else:
        lines.append(passed(signed[0]["data"].get("receipt_digest") == bundle["seal"]["digest"]
                            and signed[0]["seq"] > head["seq"],
                            f"its one 'signed' event (event {signed[0]['seq']}) names this seal's digest",
                            "its 'signed' event does not name this seal's digest, or comes before the sealed head"))
    return lines


def _chain_problem(events: list[dict[str, Any]]) -> str | None:
    if not events:
        return "there are none"
    previous_seq, previous_hash = 0, GENESIS
    for event in events:
        seq, kind = event["seq"], event["type"]
        if seq != previous_seq + 1:
            return f"event {seq} comes where event {previous_seq + 1} should: one is missing or out of order"
        if event["prev_hash"] != previous_hash:
            return f"event {seq} ({kind}) does not link to the event before it"
        try:
            recomputed = event_hash(event)
        except rfc8785.CanonicalizationError:
            recomputed = ""
        if recomputed != event["hash"]:
            return f"event {seq} ({kind}) was changed: its hash does not recompute"
        previous_seq, previous_hash = seq, event["hash"]
    return None


# --- 4. the document -----------------------------------------------------------------------------


def check_document(bundle: dict[str, Any], document: bytes, name: str) -> Line:
    actual, sealed = hashlib.sha256(document).hexdigest(), bundle["receipt"]["document"]["sha256"]
    return passed(actual == sealed, f"{name} is the document that was signed (SHA-256 {sealed[:16]}...)",
                  f"{name} is not the document that was signed: its SHA-256 is {actual[:16]}..., "
                  f"the receipt's {sealed[:16]}...")


# --- 5. the PDF certificate ----------------------------------------------------------------------


def check_certificate(bundle: dict[str, Any], trust: Trust, options: Options) -> list[Line]:
    from pyhanko.pdf_utils.misc import PdfError

    if not trust.seal_chain:
        raise Unusable("--certificate needs the seal certificate chain: give --keys keys.json or --seal-chain")
    assert options.certificate is not None
    name = options.certificate_name
    try:
        lines = _pades_lines(options.certificate, name, trust)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        lines = [Line("FAIL", f"{name} is not a readable signed PDF ({exc})")]
    return [*lines, _attachment_line(bundle, options)]


def _pades_lines(pdf: bytes, name: str, trust: Trust) -> list[Line]:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature

    reader = PdfFileReader(BytesIO(pdf), strict=False)
    signatures = reader.embedded_regular_signatures
    if not signatures:
        return [Line("FAIL", f"{name} carries no signature")]
    status = validate_pdf_signature(signatures[0], _context(trust.seal_chain), _context(trust.tsa_chain or trust.seal_chain))
    stamp = status.timestamp_validity
    problems = [text for fails, text in (
        (not status.intact, "its content changed after it was signed"),
        (not status.valid, "its signature does not verify"),
        (not status.trusted, "its signer does not chain to the published seal certificate"),
        (stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted),
         "its signature time stamp does not verify against the TSA chain"),
        (status.modification_level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES),
         "more than validation data was added after it was signed"),
    ) if fails]
    if not problems and not status.bottom_line:
        problems.append(f"pyHanko does not accept it ({status.summary()})")
    signer = _name(x509.load_der_x509_certificate(status.signing_cert.dump()))
    lines = [passed(not problems, f"{name}: its PAdES signature by {signer} is intact, valid and trusted",
                    f"{name}: its PAdES signature is refused: {'; '.join(problems)}")]
    if stamp is None:
        lines.append(Line("NOTE", f"{name}: its signature carries no time stamp"))
    if "/DSS" not in reader.root:
        lines.append(Line("NOTE", f"{name}: it embeds no validation data (no PAdES B-LT)"))
    return lines


def _context(chain: tuple[x509.Certificate, ...]) -> Any:
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    loaded = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain]
    return ValidationContext(trust_roots=loaded[-1:], other_certs=loaded[:-1], allow_fetching=False,
                             revocation_mode="soft-fail")


def _attachment_line(bundle: dict[str, Any], options: Options) -> Line:
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    name, document = options.certificate_name, options.document
    sealed = bundle["receipt"]["document"]["sha256"]
    assert options.certificate is not None
    try:
        attachments = {key: list(value) for key, value in PdfReader(BytesIO(options.certificate)).attachments.items()}
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        return Line("FAIL", f"{name}: its attachments cannot be read ({exc})")
    matching = [key for key, contents in attachments.items() for content in contents
                if (content == document if document is not None else hashlib.sha256(content).hexdigest() == sealed)]
    what = options.document_name if document is not None else "the signed document (by the receipt's SHA-256)"
    return passed(bool(matching), f"{name} embeds {what} byte for byte, as '{matching[0] if matching else ''}'",
                  f"{name} embeds no attachment that is {what} (it holds: {', '.join(attachments) or 'none'})")


# --- putting it together -------------------------------------------------------------------------


def run_checks(bundle: dict[str, Any], trust: Trust, options: Options) -> list[Line]:
    """Every check on a validated bundle, in the order of the module's docstring."""
    lines = check_seal(bundle, trust, options.max_skew)
    lines += check_timestamp(bundle, trust, options)
    lines += check_audit(bundle)
    if options.document is not None:
        lines.append(check_document(bundle, options.document, options.document_name))
    if options.certificate is not None:
        lines += check_certificate(bundle, trust, options)
    return lines


def check(bundle: dict[str, Any], public_key_pem: str | None = None,
          document: bytes | None = None) -> list[tuple[str, bool]]:
    """The checks as (line, holds) pairs, for callers that import the tool (bench/load.py)."""
    validate_bundle(bundle)
    trust = Trust(public_key_pem=public_key_pem) if public_key_pem else Trust()
    return [(str(line), line.status != "FAIL") for line in run_checks(bundle, trust, Options(document=document))]


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path, help="the evidence bundle (GET .../evidence)")
    parser.add_argument("document", type=Path, nargs="?", help="the signed document, to compare with the receipt")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--keys", type=Path, help="the answer of GET /keys: seal keys and certificate chains")
    source.add_argument("--public-key", type=Path, help="a PEM seal key to use instead of the bundle's public_key_pem")
    parser.add_argument("--tsa-chain", type=Path, help="PEM chain of the time stamp authority (leaf first, root last)")
    parser.add_argument("--seal-chain", type=Path, help="PEM chain of the seal certificate (leaf first, root last)")
    parser.add_argument("--certificate", type=Path, help="the PDF transactiebon, to validate its PAdES signature")
    parser.add_argument("--max-skew", type=_minutes, default=15.0, metavar="MINUTES",
                        help="how far the authority's time may be from signed_at (default 15)")
    parser.add_argument("--require-timestamp", action="store_true", help="fail when the time stamp is still pending")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        bundle = read_json(args.bundle, "the evidence bundle")
        validate_bundle(bundle)
        trust = load_trust(args.keys, args.public_key, args.tsa_chain, args.seal_chain)
        options = Options(
            document=read_bytes(args.document, "the document") if args.document else None,
            document_name=args.document.name if args.document else "the document",
            certificate=read_bytes(args.certificate, "the PDF certificate") if args.certificate else None,
            certificate_name=args.certificate.name if args.certificate else "the PDF certificate",
            max_skew=args.max_skew, require_timestamp=args.require_timestamp)
        lines = run_checks(bundle, trust, options)
    except Unusable as exc:
        print(f"cannot check this evidence: {exc}", file=sys.stderr)
        return 2
    receipt = bundle["receipt"]
    print(f"Receipt {receipt.get('receipt_code')} — signed {receipt.get('signed_at')} in {receipt.get('place')}")
    for line in lines:
        print(line)
    failed = sum(line.status == "FAIL" for line in lines)
    print("Every check holds." if not failed else f"{failed} check(s) did not hold: do not rely on this receipt.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
