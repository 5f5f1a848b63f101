"""Fuzzing the running local stack from the contract (docs/openapi.yaml) with schemathesis.

Every operation but `/dev/*` and the web pages is called with data that fits the schema and data
that does not, as the Demo firm's advisor and as its client Harry (public routes without a token).
Path parameters are random, or the real ids of resources the caller may not see (Basis
Boekhouding's, and for Harry also Sanne's), or of a few resources the caller owns. Checked on every
answer: never a 5xx; every 4xx is problem+json with a code from the contract's list; and no answer
carries another tenant's data (nor, for Harry, another client's). Bounded: a handful of examples
per operation and role.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402 - schemathesis brings hypothesis
from hypothesis import strategies as st  # noqa: E402

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
EXAMPLES = 8  # free examples per operation and role
EXAMPLES_PER_KNOWN_ID = 2  # and this many with each real id the role may or may not see

# The contract's error codes (../shared/API.md, "Error codes"): the only codes a 4xx may carry.
CONTRACT_CODES = {
    "validation_error", "invalid_credentials", "unauthenticated", "forbidden", "feature_not_enabled", "not_found",
    "conflict", "otp_required", "already_signed", "not_open", "payload_too_large", "unsupported_media_type",
    "phone_required", "invalid_code", "idempotency_key_reused", "document_not_ready", "invalid_signature_image",
    "rate_limited", "otp_locked",
}
WEB_PAGES = {"/", "/advisor", "/activate", "/outbox", "/static/{name}"}
PUBLIC = {"/health", "/keys/seal", "/auth/login", "/auth/activate"}
ADVISOR = ("adviseur@demo.example", "Adviseur-demo-2026!")
HARRY = ("harry@demo.example", "Harry-demo-2026!")


def _operations() -> list[Any]:
    params = []
    for result in SCHEMA.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/dev/") or operation.path in WEB_PAGES:
            continue
        roles = ("anonymous",) if operation.path in PUBLIC else ("demo_advisor", "harry")
        params += [pytest.param(operation.method.upper(), operation.path, role,
                                id=f"{operation.method.upper()} {operation.path} as {role}") for role in roles]
    return params


class Fixtures:
    """Tokens, the ids to probe with, and what each role must never be shown."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tokens = {role: _login(url, *user) for role, user in (("demo_advisor", ADVISOR), ("harry", HARRY))}
        basis = _login_answer(url, "adviseur@basis.example", "Adviseur-basis-2026!")
        demo = self.tokens["demo_advisor"]
        piet = _client_named(url, basis["token"], "piet")
        sanne = _client_named(url, demo, "sanne")
        harry = _client_named(url, demo, "harry")
        foreign_document = _call(url, "POST", "/advisor/documents", basis["token"], {
            "filename": "basis.pdf", "content_type": "application/pdf", "size": 100}).json()["id"]
        piet_message = _call(url, "POST", "/advisor/messages", basis["token"], {
            "client_id": piet["id"], "subject": "Basis vertrouwelijk", "body": "Alleen voor Piet",
            "response_type": "approve"}).json()
        sanne_message = _call(url, "POST", "/advisor/messages", demo, {
            "client_id": sanne["id"], "subject": "Sanne vertrouwelijk", "body": "Alleen voor Sanne",
            "response_type": "reply"}).json()
        harry_message = _call(url, "POST", "/advisor/messages", demo, {
            "client_id": harry["id"], "subject": "Vraag aan Harry", "body": "Fuzz", "response_type": "reply"}).json()
        own_client = _call(url, "POST", "/advisor/clients", demo, {
            "name": "Fuzz Klant", "email": f"fuzz-{harry_message['id'].lower()}@example.com"}).json()
        tenant_secrets = {basis["tenant_id"], piet["id"], piet["email"], "Basis Boekhouding", foreign_document,
                          piet_message["id"], "Alleen voor Piet"}
        self.never_shown = {
            "demo_advisor": tenant_secrets,
            "harry": tenant_secrets | {sanne["id"], sanne["email"], sanne_message["id"], "Alleen voor Sanne"},
            "anonymous": tenant_secrets | {sanne["id"], harry["id"]},
        }
        # Other firms' and other clients' ids are probed by everyone; own ids let the fuzzer reach deeper.
        # No own signing request: random bodies there would spend Harry's daily SMS allowance.
        foreign = {"client_id": [piet["id"], sanne["id"]], "message_id": [piet_message["id"], sanne_message["id"]],
                   "request_id": [piet_message["id"], sanne_message["id"]], "document_id": [foreign_document]}
        self.path_ids = {
            "demo_advisor": {**foreign, "client_id": [piet["id"], own_client["id"]],
                             "message_id": [piet_message["id"], harry_message["id"]]},
            "harry": {**foreign, "message_id": [*foreign["message_id"], harry_message["id"]]},
            "anonymous": {},
        }


def _call(url: str, method: str, path: str, token: str, body: Any = None) -> requests.Response:
    answer = requests.request(method, url + path, json=body, timeout=10, headers={"Authorization": f"Bearer {token}"})
    assert answer.ok, (path, answer.text)
    return answer


def _login_answer(url: str, email: str, password: str) -> dict[str, Any]:
    answer = requests.post(f"{url}/auth/login", json={"email": email, "password": password}, timeout=10)
    answer.raise_for_status()
    return dict(answer.json())


def _login(url: str, email: str, password: str) -> str:
    return str(_login_answer(url, email, password)["token"])


def _client_named(url: str, token: str, name: str) -> dict[str, Any]:
    items = _call(url, "GET", f"/advisor/clients?q={name}", token).json()["items"]
    assert len(items) == 1, items
    return dict(items[0])


@pytest.fixture(scope="module")
def fuzz(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Fixtures:
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))  # its caches stay out of the repository
    return Fixtures(stack.url)


def _plan(operation: Any, ids: dict[str, list[str]]) -> list[tuple[Any, int]]:
    """(strategy, examples): free fuzzing in both modes, then each known id at least twice."""
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    plan = [(st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes]), EXAMPLES)]
    names = [p.name for p in operation.path_parameters]
    if names and all(ids.get(name) for name in names):
        for value in ids[names[0]]:
            fixed = {name: ids[name][0] for name in names[1:]} | {names[0]: value}
            plan.append((operation.as_strategy(path_parameters=fixed), EXAMPLES_PER_KNOWN_ID))
    return plan


def _check(response: Any, never_shown: set[str], what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:500]!r}"
    text = response.content.decode("utf-8", errors="replace")
    leaked = sorted(value for value in never_shown if value in text)
    assert not leaked, f"{what}: the answer shows {leaked}"
    if response.status_code >= 400:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/problem+json"), f"{what}: {content_type} {text[:300]}"
        problem = json.loads(text)
        assert problem.get("code") in CONTRACT_CODES, f"{what}: {problem}"
        assert problem.get("status") == response.status_code, f"{what}: {problem}"


@pytest.mark.parametrize(("method", "path", "role"), _operations())
def test_fuzzed_requests_get_no_5xx_only_contract_problems_and_no_other_tenants_data(fuzz: Fixtures, method, path, role):
    operation = SCHEMA[path][method]
    token = fuzz.tokens.get(role)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    calls = []

    def probe(case: Any) -> None:
        response = case.call(base_url=fuzz.url, headers=headers, timeout=10)
        calls.append(response.status_code)
        _check(response, fuzz.never_shown[role], f"{method} {case.formatted_path} as {role}")

    for strategy, examples in _plan(operation, fuzz.path_ids[role]):
        settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))(
            given(case=strategy)(probe))()
    assert calls, "no request was made"
