"""Where a webhook may go (the SSRF guard), and how a delivery is signed: on a deployed stage's settings."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib.errors import ValidationFailed
from chalicelib.webhooks import urls
from chalicelib.webhooks.signing import headers, new_secret
from tests.fakes import FakePorts

PUBLIC = "93.184.215.14"


def resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    """DNS as the test says: each name to its addresses (an unknown name does not resolve)."""
    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror("unknown")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(("url", "why"), [
    ("https://10.0.0.1/", "webhook_url_private"),
    ("https://localhost/", "webhook_url_private"),
    ("https://169.254.169.254/latest/meta-data/", "webhook_url_private"),
    ("https://[::1]/hook", "webhook_url_private"),
    ("https://[64:ff9b::a00:1]/", "webhook_url_private"),  # NAT64 of 10.0.0.1
    ("https://[2002:a00:1::]/", "webhook_url_private"),  # 6to4 of 10.0.0.1
    ("https://[::a9fe:a9fe]/", "webhook_url_private"),  # IPv4-compatible 169.254.169.254
    ("https://example.com/é", "webhook_url_invalid"),
    ("https://intern.example/", "webhook_url_private"),  # a public name for a private address
    ("https://twee.example/", "webhook_url_private"),  # one of its addresses is private
    ("http://example.com/", "webhook_url_https"),
    ("http://127.0.0.1:8080/hook", "webhook_url_https"),  # only the local stage calls its own machine
    ("https://nergens.example/", "webhook_url_unresolvable"),
    ("https://user:pw@example.com/", "webhook_url_invalid"),
    ("https://example.com/a b", "webhook_url_invalid"),
])
def test_a_deployed_stage_refuses_urls_that_are_not_https_to_public_addresses(monkeypatch, url: str, why: str):
    resolving(monkeypatch, {"localhost": ["127.0.0.1"], "10.0.0.1": ["10.0.0.1"], "169.254.169.254": ["169.254.169.254"],
                            "::1": ["::1"], "64:ff9b::a00:1": ["64:ff9b::a00:1"], "2002:a00:1::": ["2002:a00:1::"],
                            "::a9fe:a9fe": ["::a9fe:a9fe"], "intern.example": ["192.168.1.5"],
                            "twee.example": [PUBLIC, "10.1.2.3"],
                            "example.com": [PUBLIC]})
    ports = FakePorts()
    assert not ports.settings.is_local
    from chalicelib.webhooks.service import create_endpoint
    from tests.fakes.messaging import Office

    office = Office(ports)
    with pytest.raises(ValidationFailed) as caught:
        create_endpoint(ports, office.advisor, {"url": url, "events": ["signing.signed"]})
    assert [(e.field, e.message) for e in caught.value.errors] == [("url", why)]


def test_a_public_https_url_is_accepted_and_connected_to_at_the_address_that_was_checked(monkeypatch):
    resolving(monkeypatch, {"hooks.example": [PUBLIC]})
    target = urls.resolve("https://hooks.example:8443/in?x=1", local=False)
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https", "hooks.example", 8443, "/in?x=1", PUBLIC)
    assert urls.resolve("http://127.0.0.1:9000/hook", local=True).address == "127.0.0.1"


def test_a_name_that_turns_private_after_registration_is_refused_at_delivery(monkeypatch):
    resolving(monkeypatch, {"hooks.example": [PUBLIC]})
    assert urls.checked("https://hooks.example/in", local=False) == "https://hooks.example/in"
    resolving(monkeypatch, {"hooks.example": ["10.0.0.7"]})  # DNS rebinding
    with pytest.raises(urls.UnsafeUrl):
        urls.resolve("https://hooks.example/in", local=False)


def test_the_signature_verifies_with_a_standard_webhooks_library_and_names_both_secrets_in_a_rotation():
    old, new = new_secret(), new_secret()
    at = datetime.now(UTC)
    body = '{"type":"signing.signed","data":{}}'
    sent = headers("evt_1", at, body, [new, old])
    assert sent["webhook-id"] == "evt_1" and sent["webhook-timestamp"] == str(int(at.timestamp()))
    assert [s.split(",")[0] for s in sent["webhook-signature"].split(" ")] == ["v1", "v1"]
    for secret in (old, new):
        Webhook(secret).verify(body, sent)


def test_a_receiver_that_drips_its_answer_gets_no_more_than_the_timeout_in_all(monkeypatch):
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from chalicelib.webhooks import transport

    class Drip(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            for chunk in (b"HTTP/1.1 200 OK\r\n", b"X-A: 1\r\n", b"X-B: 2\r\n", b"X-C: 3\r\n", b"\r\n"):
                self.wfile.write(chunk)
                self.wfile.flush()
                time.sleep(0.4)  # each read well within the timeout, the whole answer not

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 1)
    try:
        target = urls.resolve(f"http://127.0.0.1:{server.server_port}/hook", local=True)
        started = time.monotonic()
        assert transport.HttpSender().post(target, b"{}", {}) is None
        assert time.monotonic() - started < 1.5
    finally:
        server.shutdown()
