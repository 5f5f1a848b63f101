"""Every API answer says: do not cache me, do not sniff me; and on deployed stages, HTTPS only."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.conftest import Api

HSTS = "max-age=63072000; includeSubDomains"
LOGIN = {"email": "harry@demo.example", "password": "Harry-demo-2026!"}

# (method, path, body, extra headers, status): one of each kind of answer.
ANSWERS = {
    "success": ("GET", "/health", None, {}, 200),
    "the login answer, which holds a token": ("POST", "/auth/login", LOGIN, {}, 200),
    "a problem": ("POST", "/auth/login", {"email": "harry@demo.example"}, {}, 400),
    "chalice's 405": ("DELETE", "/health", None, {}, 404),
    "chalice's 415": ("POST", "/auth/login", LOGIN, {"Content-Type": "text/plain"}, 415),
    "the gateway's 401": ("GET", "/advisor/clients", None, {}, 401),
    "the gateway's unknown path": ("GET", "/no/such/path", None, {}, 404),
}


def _headers(response: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


def _call(api: Api, kind: str) -> dict[str, str]:
    method, path, body, headers, status = ANSWERS[kind]
    response = api.call(method, path, body=body, headers=headers)
    assert response.status_code == status, (kind, response.body)
    if status >= 400:
        assert _headers(response)["content-type"] == "application/problem+json", kind
    return _headers(response)


@pytest.fixture
def deployed(monkeypatch) -> None:
    """The app as on a deployed stage, for the headers only (the rest of the request stays local)."""
    from chalicelib.config import get_settings

    prod = dataclasses.replace(get_settings(), stage="prod")
    monkeypatch.setattr("chalicelib.api.routing.get_settings", lambda: prod)
    monkeypatch.setattr("local.gateway.get_settings", lambda: prod)


@pytest.mark.parametrize("kind", ANSWERS)
def test_every_kind_of_answer_is_not_cached_nor_sniffed_and_has_no_hsts_locally(api: Api, kind):
    headers = _call(api, kind)
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in headers  # the local stage is plain HTTP


@pytest.mark.parametrize("kind", ANSWERS)
def test_on_a_deployed_stage_every_answer_also_demands_https(api: Api, deployed, kind):
    headers = _call(api, kind)
    assert headers["strict-transport-security"] == HSTS
    assert headers["cache-control"] == "no-store"


def test_the_pages_keep_their_own_headers(api: Api, deployed):
    page = _headers(api.client.http.get("/"))
    assert "frame-ancestors 'none'" in page["content-security-policy"]
    assert page["referrer-policy"] == "no-referrer"
    assert page["x-content-type-options"] == "nosniff" and page["strict-transport-security"] == HSTS
    script = _headers(api.client.http.get("/static/api.js"))
    assert script["cache-control"] == "no-cache"  # a static file may be revalidated; it is not personal
    assert script["x-content-type-options"] == "nosniff"
