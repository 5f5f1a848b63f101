"""The time-stamping authority as the services see it: tokens over seals, checked against its published chain."""

from __future__ import annotations

from chalicelib.errors import DependencyFailed
from chalicelib.signing.timestamps import StampInfo, TimeStampAuthority, token_info, verify_token

# A signature waits at most this long for its stamp; a slower authority leaves the stamp pending.
TIMEOUT_SECONDS = 3.0


class AuthorityTimeStamper:
    """`ports.TimeStamper` on an RFC 3161 authority over HTTP(S); without a URL every stamp stays pending."""

    def __init__(self, url: str | None, chain_pem: tuple[str, ...], *, allow_loopback_http: bool = False) -> None:
        # With the chain, a token that does not verify against it is refused at once, never stored.
        self._authority = (TimeStampAuthority(url, timeout=TIMEOUT_SECONDS, allow_loopback_http=allow_loopback_http,
                                              chain_pem=chain_pem or None) if url else None)
        self.chain_pem = list(chain_pem)

    def stamp(self, data: bytes) -> bytes:
        if self._authority is None:
            raise DependencyFailed()  # none configured: the stamp stays pending, and the alarm says so
        return self._authority.stamp(data)

    def check(self, token: bytes, data: bytes) -> StampInfo | None:
        if not self.chain_pem or not verify_token(token, data, self.chain_pem):
            return None
        return token_info(token)
