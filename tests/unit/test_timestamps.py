"""Reading and checking RFC 3161 tokens on plain values: tokens built here, with no TSA and no network.

The tokens are made in this file with asn1crypto and cryptography (not with pyHanko, which the
local TSA uses), so that verify_token is held to the standard, not to one implementation of it.
"""

from __future__ import annotations

import datetime
import hashlib
import random

import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chalicelib.signing.timestamps import StampInfo, checked_url, token_info, verify_token

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DAY = datetime.timedelta(days=1)
SEAL_SIGNATURE = ec.generate_private_key(ec.SECP256R1()).sign(b"digest", ec.ECDSA(hashes.SHA256()))
HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384}


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, eku: bool = True,
                 valid: tuple[datetime.datetime, datetime.datetime] = (NOW - DAY, NOW + 365 * DAY)) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(valid[0]).not_valid_after(valid[1])
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if eku and not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


class Authority:
    """A root and a TSA certificate under it, and what it takes to make tokens with them."""

    def __init__(self, *, ec_key: bool = False, eku: bool = True, valid=(NOW - DAY, NOW + 365 * DAY), name: str = "Test TSA"):
        self.root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.root = _certificate(f"{name} root", self.root_key, f"{name} root", self.root_key, ca=True,
                                 valid=(NOW - 1000 * DAY, NOW + 1000 * DAY))
        self.key = (ec.generate_private_key(ec.SECP256R1()) if ec_key
                    else rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.leaf = _certificate(name, self.key, f"{name} root", self.root_key, ca=False, eku=eku, valid=valid)

    @property
    def chain_pem(self) -> list[str]:
        return [c.public_bytes(serialization.Encoding.PEM).decode() for c in (self.leaf, self.root)]

    def token(self, data: bytes, *, gen_time: datetime.datetime = NOW, digest: str = "sha256", by_key_id: bool = False,
              content_digest: bytes | None = None, signer_key=None) -> bytes:
        tst_bytes = tsp.TSTInfo({
            "version": "v1", "policy": "1.2.3.4.1", "serial_number": 4711, "gen_time": gen_time, "nonce": 99,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(data).digest()},
        }).dump()
        attributes = cms.CMSAttributes([
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "message_digest", "values": [content_digest or hashlib.new(digest, tst_bytes).digest()]},
        ])
        key = signer_key or self.key
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(attributes.dump(), padding.PKCS1v15(), HASHES[digest]())
            algorithm = "rsassa_pkcs1v15"
        else:
            signature = key.sign(attributes.dump(), ec.ECDSA(HASHES[digest]()))
            algorithm = f"{digest}_ecdsa"
        certificate = asn1_x509.Certificate.load(self.leaf.public_bytes(serialization.Encoding.DER))
        sid = ({"subject_key_identifier": certificate.key_identifier} if by_key_id else
               {"issuer_and_serial_number": {"issuer": certificate.issuer, "serial_number": certificate.serial_number}})
        signer = cms.SignerInfo({"version": "v3" if by_key_id else "v1", "sid": sid, "digest_algorithm": {"algorithm": digest},
                                 "signed_attrs": attributes, "signature_algorithm": {"algorithm": algorithm},
                                 "signature": signature})
        signed_data = cms.SignedData({
            "version": "v3", "digest_algorithms": [{"algorithm": digest}],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_bytes)},
            "certificates": [certificate], "signer_infos": [signer]})
        return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


RSA_TSA = Authority()


def test_a_token_over_the_seal_signature_by_the_chains_tsa_verifies():
    assert verify_token(RSA_TSA.token(SEAL_SIGNATURE), SEAL_SIGNATURE, RSA_TSA.chain_pem)


def test_an_ecdsa_tsa_and_a_signer_named_by_its_key_identifier_verify_too():
    authority = Authority(ec_key=True)
    assert verify_token(authority.token(SEAL_SIGNATURE, by_key_id=True), SEAL_SIGNATURE, authority.chain_pem)


def test_the_root_alone_is_enough_and_the_leaf_alone_pins_the_tsa():
    token = RSA_TSA.token(SEAL_SIGNATURE)
    assert verify_token(token, SEAL_SIGNATURE, RSA_TSA.chain_pem[1:])
    assert verify_token(token, SEAL_SIGNATURE, RSA_TSA.chain_pem[:1])
    assert not verify_token(token, SEAL_SIGNATURE, [])


def test_a_token_over_other_data_does_not_verify():
    assert not verify_token(RSA_TSA.token(b"another seal"), SEAL_SIGNATURE, RSA_TSA.chain_pem)


def test_a_token_signed_by_another_key_than_its_certificates_does_not_verify():
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not verify_token(RSA_TSA.token(SEAL_SIGNATURE, signer_key=impostor), SEAL_SIGNATURE, RSA_TSA.chain_pem)


def test_a_message_digest_that_is_not_the_tstinfos_does_not_verify():
    token = RSA_TSA.token(SEAL_SIGNATURE, content_digest=hashlib.sha256(b"another TSTInfo").digest())
    assert not verify_token(token, SEAL_SIGNATURE, RSA_TSA.chain_pem)


def test_a_certificate_without_the_time_stamping_key_usage_does_not_verify():
    authority = Authority(eku=False)
    assert not verify_token(authority.token(SEAL_SIGNATURE), SEAL_SIGNATURE, authority.chain_pem)


def test_sha1_is_not_accepted_for_seven_year_evidence():
    assert not verify_token(RSA_TSA.token(SEAL_SIGNATURE, digest="sha1"), SEAL_SIGNATURE, RSA_TSA.chain_pem)


def test_a_stamp_outlives_its_tsa_certificate_but_not_one_made_outside_its_validity():
    authority = Authority(valid=(NOW - 800 * DAY, NOW - 400 * DAY))
    within = authority.token(SEAL_SIGNATURE, gen_time=NOW - 500 * DAY)
    assert verify_token(within, SEAL_SIGNATURE, authority.chain_pem)
    assert not verify_token(authority.token(SEAL_SIGNATURE), SEAL_SIGNATURE, authority.chain_pem)


def test_another_tsas_chain_does_not_verify():
    assert not verify_token(RSA_TSA.token(SEAL_SIGNATURE), SEAL_SIGNATURE, Authority(name="Other").chain_pem)


def test_verify_token_never_raises_on_damaged_tokens_or_chains():
    token = RSA_TSA.token(SEAL_SIGNATURE)
    rng = random.Random(14)
    damaged = [b"", b"\x30\x00", token[:-1], token + b"\x00", *(token[:n] for n in range(0, len(token), 97))]
    damaged += [rng.randbytes(rng.randrange(1, 600)) for _ in range(200)]
    for position in range(len(token)):
        flipped = bytearray(token)
        flipped[position] ^= 1 << rng.randrange(8)
        damaged.append(bytes(flipped))
    for candidate in damaged:
        assert verify_token(candidate, SEAL_SIGNATURE, RSA_TSA.chain_pem) in (True, False)
    assert not verify_token(token, SEAL_SIGNATURE, ["not a certificate"])


def test_a_changed_bit_anywhere_in_the_tstinfo_signed_attributes_or_signature_fails():
    token = RSA_TSA.token(SEAL_SIGNATURE)
    rng = random.Random(3161)
    signer = cms.ContentInfo.load(token)["content"]["signer_infos"][0]
    tst_info = bytes(cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"])
    parts = [tst_info, signer["signed_attrs"].dump()[2:], signer["signature"].native]
    for part in parts:
        start = token.index(part)
        for position in range(start, start + len(part)):
            flipped = bytearray(token)
            flipped[position] ^= 1 << rng.randrange(8)
            assert not verify_token(bytes(flipped), SEAL_SIGNATURE, RSA_TSA.chain_pem), position


def test_token_info_reads_the_authoritys_time_name_imprint_and_serial():
    info = token_info(RSA_TSA.token(SEAL_SIGNATURE))
    assert info == StampInfo(gen_time=NOW, tsa="Test TSA", imprint=hashlib.sha256(SEAL_SIGNATURE).digest(), serial=4711)
    assert info.gen_time.tzinfo == datetime.timezone.utc


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01\x00", b"not a token at all"])
def test_token_info_refuses_what_is_not_a_token_with_a_value_error(garbage: bytes):
    with pytest.raises(ValueError, match="RFC 3161"):
        token_info(garbage)


@pytest.mark.parametrize("url", ["http://example.org/", "ftp://127.0.0.1/", "http://10.0.0.1/", "file:///etc/passwd",
                                 "https://user:secret@tsa.example/", "https:///no-host", "gopher://localhost/"])
def test_the_tsa_url_must_be_https(url: str):
    with pytest.raises(ValueError, match="TSA URL"):
        checked_url(url, allow_loopback_http=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://localhost/tsa", "http://[::1]:9/"])
def test_plain_http_is_allowed_to_loopback_only_when_asked(url: str):
    assert checked_url(url, allow_loopback_http=True) == url
    with pytest.raises(ValueError, match="TSA URL"):
        checked_url(url)


def test_an_https_tsa_is_allowed():
    assert checked_url("https://freetsa.example/tsr") == "https://freetsa.example/tsr"
