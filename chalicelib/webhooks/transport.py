"""One POST of a delivery: to the address the SSRF guard checked, within 10 s, no redirect, 64 KiB read at most."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time

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


def _cut_off(connection: http.client.HTTPConnection) -> None:
    """End a try that outlived its deadline: a receiver that drips its answer byte by byte gets no more time."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class HttpSender:
    def post(self, target: Target, body: bytes, headers: dict[str, str]) -> int | None:
        """The answer's status code, if it came within TIMEOUT_SECONDS in all; None when none did (refused,
        timed out, cut off, not HTTP)."""
        connection: http.client.HTTPConnection = (
            _PinnedHttps(target, TIMEOUT_SECONDS) if target.scheme == "https"
            else http.client.HTTPConnection(target.address, target.port, timeout=TIMEOUT_SECONDS))
        started = time.monotonic()
        watchdog = threading.Timer(TIMEOUT_SECONDS, _cut_off, args=(connection,))
        watchdog.start()
        try:
            connection.request("POST", target.path, body=body, headers={
                **headers, "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
                "Content-Type": "application/json", "User-Agent": USER_AGENT})
            answer = connection.getresponse()
            answer.read(MAX_ANSWER_BYTES)  # the rest is not ours to wait for
            on_time = time.monotonic() - started <= TIMEOUT_SECONDS
            return answer.status if on_time else None
        except (OSError, ValueError, http.client.HTTPException):
            return None
        finally:
            watchdog.cancel()
            connection.close()
