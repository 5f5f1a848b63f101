"""One POST of a delivery: to the address the SSRF guard checked, within 10 s, no redirect, 64 KiB read at most."""

from __future__ import annotations

import http.client
import socket
import ssl

from chalicelib.webhooks.urls import Target

TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "signing-portal-webhooks/1"


class _PinnedHttps(http.client.HTTPSConnection):
    """HTTPS to `address`, with the certificate checked for the URL's own host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class HttpSender:
    def post(self, target: Target, body: bytes, headers: dict[str, str]) -> int | None:
        """The answer's status code; None when none came (refused, timed out, not HTTP)."""
        connection: http.client.HTTPConnection = (
            _PinnedHttps(target, TIMEOUT_SECONDS) if target.scheme == "https"
            else http.client.HTTPConnection(target.address, target.port, timeout=TIMEOUT_SECONDS))
        try:
            connection.request("POST", target.path, body=body, headers={
                **headers, "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
                "Content-Type": "application/json", "User-Agent": USER_AGENT})
            answer = connection.getresponse()
            answer.read(MAX_ANSWER_BYTES)  # the rest is not ours to wait for
            return answer.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
