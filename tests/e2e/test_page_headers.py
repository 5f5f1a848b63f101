"""The pages' own headers on a deployed stage: HSTS from the page code itself, not only from the
app-wide defaults (which fill in only what an answer lacks).

In process, through chalice.test.Client: the app-wide defaults are left to think they run
locally (no HSTS of theirs), so every header checked here is the one chalicelib/api/web.py set.
The local stack's answers are checked over HTTP in test_browser.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.config import Settings

HSTS = "max-age=63072000; includeSubDomains"
LOCAL = Settings(
    stage="local", region="eu-west-1", table_name="table", documents_bucket="documents", data_key_id="data-key",
    seal_key_id="seal-key", user_pool_id="eu-west-1_pool", user_pool_client_id="client",
    sender_email="noreply@portal.example", portal_url="https://portal.example", otp_secret_id="otp-secret",
    bulk_send_queue_url="https://sqs.eu-west-1.amazonaws.com/111122223333/q",
    webhook_queue_url="https://sqs.eu-west-1.amazonaws.com/111122223333/w",
)
PROD = dataclasses.replace(LOCAL, stage="prod")
PATHS = ("/", "/advisor", "/activate", "/static/portal.js", "/static/app.css", "/static/logo.svg")


def _headers(response: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from app import app

    monkeypatch.setattr("chalicelib.api.routing.get_settings", lambda: LOCAL)
    # What reads the settings at call time (the middleware's tracer) reads them here too, not
    # from an environment that only the moto-backed tests set up.
    monkeypatch.setattr("chalicelib.config.get_settings", lambda: LOCAL)
    with Client(app) as test_client:
        yield test_client


@pytest.mark.parametrize("path", PATHS)
def test_on_a_deployed_stage_every_page_and_static_file_demands_https_itself(client, monkeypatch, path):
    monkeypatch.setattr("chalicelib.api.web.get_settings", lambda: PROD)
    headers = _headers(client.http.get(path))
    assert headers["strict-transport-security"] == HSTS
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "https://documents.s3.eu-west-1.amazonaws.com" in headers["content-security-policy"]  # the upload target
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", PATHS)
def test_locally_the_pages_send_no_hsts_over_plain_http(client, monkeypatch, path):
    monkeypatch.setattr("chalicelib.api.web.get_settings", lambda: LOCAL)
    headers = _headers(client.http.get(path))
    assert "strict-transport-security" not in headers
    assert headers["referrer-policy"] == "no-referrer"
