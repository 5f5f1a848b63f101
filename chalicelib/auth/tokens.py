"""Verifying Cognito ID tokens with PyJWT against the pool's published keys."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

import jwt

from chalicelib.errors import Unauthenticated

# An unknown `kid` may mean Cognito rotated its keys; refetch, but not more than this often,
# so a stream of forged kids cannot turn us into a load generator against the JWKS endpoint.
_MIN_REFRESH_SECONDS = 30.0


class TokenVerifier:
    """Checks signature, `iss`, `aud`, `exp` and `token_use` of an ID token."""

    def __init__(self, jwks_url: str, issuer: str, audience: str, fetch: Any = None) -> None:
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._audience = audience
        self._fetch = fetch or _fetch_json
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()
        self.fetch_count = 0

    def verify(self, token: str) -> dict[str, Any]:
        """The verified claims of `token`, or Unauthenticated."""
        try:
            header = jwt.get_unverified_header(token)
            key = self._key(str(header.get("kid", "")))
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthenticated() from exc
        if claims.get("token_use") != "id":
            raise Unauthenticated()
        return claims

    def _key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= _MIN_REFRESH_SECONDS:
                self._refresh()
            try:
                return self._keys[kid]
            except KeyError:
                raise Unauthenticated() from None

    def _refresh(self) -> None:
        document = self._fetch(self._jwks_url)
        self.fetch_count += 1
        self._fetched_at = time.monotonic()
        keys = jwt.PyJWKSet.from_dict(document).keys
        self._keys = {str(k.key_id): k for k in keys if k.key_id}


def _fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - a configured https URL
        return json.loads(response.read())
