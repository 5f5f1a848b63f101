"""Token verification: keys fetched once per container, refreshed (sparingly) on an unknown kid."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.auth import tokens
from chalicelib.auth.tokens import TokenVerifier
from chalicelib.errors import Unauthenticated

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test"
AUDIENCE = "app-client"


def _key_pair(kid: str) -> tuple[rsa.RSAPrivateKey, dict]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return private, {**public, "kid": kid, "alg": "RS256", "use": "sig"}


def _token(private, kid: str, **claims) -> str:
    now = int(time.time())
    body = {"sub": "user-1", "iss": ISSUER, "aud": AUDIENCE, "token_use": "id", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(body, private, algorithm="RS256", headers={"kid": kid})


class FakeJwks:
    def __init__(self, *keys: dict) -> None:
        self.keys = list(keys)
        self.calls = 0

    def __call__(self, url: str) -> dict:
        self.calls += 1
        return {"keys": self.keys}


def test_the_key_set_is_fetched_once_for_many_tokens():
    private, public = _key_pair("k1")
    jwks = FakeJwks(public)
    verifier = TokenVerifier("https://example/jwks.json", ISSUER, AUDIENCE, fetch=jwks)
    for _ in range(5):
        assert verifier.verify(_token(private, "k1"))["sub"] == "user-1"
    assert jwks.calls == 1


def test_a_rotated_key_is_picked_up_by_refetching(monkeypatch):
    old_private, old_public = _key_pair("old")
    new_private, new_public = _key_pair("new")
    jwks = FakeJwks(old_public)
    verifier = TokenVerifier("https://example/jwks.json", ISSUER, AUDIENCE, fetch=jwks)
    verifier.verify(_token(old_private, "old"))
    jwks.keys.append(new_public)
    monkeypatch.setattr(tokens, "_MIN_REFRESH_SECONDS", 0.0)
    assert verifier.verify(_token(new_private, "new"))["sub"] == "user-1"
    assert jwks.calls == 2


def test_a_flood_of_unknown_kids_does_not_refetch_every_time():
    private, public = _key_pair("k1")
    jwks = FakeJwks(public)
    verifier = TokenVerifier("https://example/jwks.json", ISSUER, AUDIENCE, fetch=jwks)
    verifier.verify(_token(private, "k1"))
    for n in range(20):
        with pytest.raises(Unauthenticated):
            verifier.verify(_token(private, f"forged-{n}"))
    assert jwks.calls == 1


@pytest.mark.parametrize(
    "claims",
    [{"exp": int(time.time()) - 1}, {"aud": "other"}, {"iss": "https://evil.example"}, {"token_use": "access"}],
)
def test_expired_foreign_or_access_tokens_are_refused(claims):
    private, public = _key_pair("k1")
    verifier = TokenVerifier("https://example/jwks.json", ISSUER, AUDIENCE, fetch=FakeJwks(public))
    with pytest.raises(Unauthenticated):
        verifier.verify(_token(private, "k1", **claims))
