"""Fuzzing the running local stack from the contract (docs/openapi.yaml) with schemathesis.

Every operation but `/dev/*` and the web pages is called with data that fits the schema and data
that does not, as the Demo firm's advisor and as its client Harry (public routes without a token).
Path parameters are random, or the real ids of resources the caller may not see (Basis
Boekhouding's, and for Harry also Sanne's), or of a few resources the caller owns. Checked on every
answer: never a 5xx; every 4xx is problem+json with a code from the contract's list; and no answer
carries another tenant's data (nor, for Harry, another client's). Bounded: a handful of examples
per operation and role.

A second pass sends what once answered a 5xx (issue 11): lone surrogates, control characters,
bidirectional overrides and zero-width characters in every body field and query parameter, JSON
nested up to thousands of levels deep, non-ASCII digits in `?limit=`, and made-up cursors, some
of them a real cursor with the right partition and everything else wrong.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402 - schemathesis brings hypothesis
from hypothesis import strategies as st  # noqa: E402
from hypothesis.strategies import DataObject  # noqa: E402

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
    "rate_limited", "otp_locked", "not_your_turn",
}
WEB_PAGES = {"/", "/advisor", "/activate", "/outbox", "/static/{name}"}
PUBLIC = {"/health", "/keys/seal", "/keys", "/auth/login", "/auth/activate"}
ADVISOR = ("adviseur@demo.example", "Adviseur-demo-2026!")
HOSTILE_EXAMPLES = 6  # per operation and role

# What once answered a 5xx (issue 11, point 3). A URL cannot carry a lone surrogate, so the query
# gets the others (and invalid UTF-8, which the gateway reads as U+FFFD).
URL_HOSTILE = ("\x00", "\r\n", "\n", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u202e", "\u2066", "\u200b", "\u200d",
               "\ufeff", "e\u0301", "%", "\U0010ffff")
HOSTILE = (*URL_HOSTILE, "\ud800", "\udfff", "\udbff\udbff")
NON_ASCII_DIGITS = ("\u00b2", "\u0663", "\uff15", "\U0001d7d8", "\u2464", "\u00b9\u2070")
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
        # Real cursors (as decoded start keys), so that forged ones can have the right partition.
        self.cursor_keys = {
            "demo_advisor": _start_keys(url, demo, ("/advisor/clients", "/advisor/messages",
                                                    f"/advisor/messages?client_id={harry['id']}")),
            "harry": _start_keys(url, self.tokens["harry"], ("/portal/messages",)),
            "anonymous": [],
        }
        self.own_ids = {"demo_advisor": {"client_id": own_client["id"], "message_id": harry_message["id"]},
                        "harry": {"message_id": harry_message["id"]}, "anonymous": {}}
        self.path_ids = {
            "demo_advisor": {**foreign, "client_id": [piet["id"], own_client["id"]],
                             "message_id": [piet_message["id"], harry_message["id"]]},
            "harry": {**foreign, "message_id": [*foreign["message_id"], harry_message["id"]]},
            "anonymous": {},
        }


def _hostile(characters: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.tuples(st.text(max_size=4), st.sampled_from(characters), st.text(max_size=4)).map("".join)


_attribute = st.one_of(
    st.fixed_dictionaries({"S": st.one_of(st.text(max_size=20), _hostile(HOSTILE), st.just("x" * 1100))}),
    st.fixed_dictionaries({"N": st.text(max_size=5)}), st.dictionaries(st.text(max_size=3), st.text(max_size=3)),
    st.text(max_size=10), st.integers(), st.lists(st.text(max_size=3), max_size=2), st.none(),
)
_made_up_key = st.dictionaries(st.sampled_from(("pk", "sk", "gsi1pk", "gsi1sk", "x")) | st.text(max_size=5), _attribute,
                               max_size=5)


def _encoded(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _cursors(real_keys: list[dict[str, Any]]) -> st.SearchStrategy[str]:
    """Made-up cursors; from a real one also the same partition with one attribute wrong, missing or added."""
    made_up = [_made_up_key.map(_encoded), st.text(max_size=40), _hostile(URL_HOSTILE),
               st.integers(33, 700).map(lambda depth: base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode())]
    if real_keys:
        real = st.sampled_from(real_keys)
        made_up += [
            st.tuples(real, st.sampled_from(("pk", "sk", "gsi1pk", "gsi1sk", "extra")), _attribute).map(
                lambda t: _encoded({**t[0], t[1]: t[2]})),
            st.tuples(real, st.sampled_from(("pk", "sk", "gsi1pk", "gsi1sk"))).map(
                lambda t: _encoded({name: value for name, value in t[0].items() if name != t[1]})),
        ]
    return st.one_of(made_up)


def _hostile_value() -> st.SearchStrategy[Any]:
    """What goes into a body field: hostile text, alone or inside a list or an object."""
    text = _hostile(HOSTILE)
    return st.one_of(text, st.lists(text, min_size=1, max_size=3), st.dictionaries(text, text, min_size=1, max_size=2))


def _deep_body(depth: int) -> bytes:
    return ('{"email": ' + "[" * depth + '"x"' + "]" * depth + ', "subject": ' + "{\"a\": " * depth + "1" + "}" * depth
            + "}").encode()


def _call(url: str, method: str, path: str, token: str, body: Any = None) -> requests.Response:
    answer = requests.request(method, url + path, json=body, timeout=10, headers={"Authorization": f"Bearer {token}"})
    assert answer.ok, (path, answer.text)
    return answer


def _start_keys(url: str, token: str, paths: tuple[str, ...]) -> list[dict[str, Any]]:
    keys = []
    for path in paths:
        cursor = _call(url, "GET", path + ("&" if "?" in path else "?") + "limit=1", token).json()["next_cursor"]
        if cursor:
            keys.append(json.loads(base64.urlsafe_b64decode(cursor)))
    return keys


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
    """A schemathesis answer (headers as lists) or a requests one (headers as strings)."""
    content_type = response.headers.get("content-type") or ""
    _check_answer(response.status_code, content_type if isinstance(content_type, str) else content_type[0],
                  response.content, never_shown, what)


def _check_answer(status: int, content_type: str, content: bytes, never_shown: set[str], what: str) -> None:
    assert status < 500, f"{what}: {status} {content[:500]!r}"
    text = content.decode("utf-8", errors="replace")
    leaked = sorted(value for value in never_shown if value in text)
    assert not leaked, f"{what}: the answer shows {leaked}"
    if status >= 400:
        assert content_type.startswith("application/problem+json"), f"{what}: {content_type} {text[:300]}"
        problem = json.loads(text)
        assert problem.get("code") in CONTRACT_CODES, f"{what}: {problem}"
        assert problem.get("status") == status, f"{what}: {problem}"


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


def _hostile_operations() -> list[Any]:
    """The operations that read a JSON body or query parameters: where hostile input can go."""
    return [param for param in _operations()
            if (operation := SCHEMA[param.values[1]][param.values[0]]).body or list(operation.query)]


def _body_fields(operation: Any, case: Any) -> list[str]:
    names = set(case.body) if isinstance(case.body, dict) else set()
    for body in operation.body:
        names |= set((body.definition.get("schema") or {}).get("properties") or {})
    return sorted(names)


def _hostile_case(operation: Any, case: Any, data: DataObject, cursor_keys: list[dict[str, Any]]) -> bytes | None:
    """Put hostile input into `case`; a raw body to send instead of case.body, when nesting deep."""
    fields = _body_fields(operation, case)
    raw = None
    if fields:
        if data.draw(st.integers(0, 4), label="deep") == 0:
            raw = _deep_body(data.draw(st.sampled_from((33, 1000, 20_000)), label="depth"))
        else:
            body = case.body if isinstance(case.body, dict) else {}
            case.body = {**body, data.draw(st.sampled_from(fields), label="field"): data.draw(_hostile_value())}
    names = [parameter.name for parameter in operation.query]
    if names:
        name = data.draw(st.sampled_from(names), label="query parameter")
        if name == "cursor":
            value = _cursors(cursor_keys)
        elif name == "limit":
            value = st.sampled_from(NON_ASCII_DIGITS) | _hostile(URL_HOSTILE)
        else:
            value = _hostile(URL_HOSTILE)
        case.query = {**(case.query or {}), name: data.draw(value, label=name)}
    return raw


@pytest.mark.parametrize(("method", "path", "role"), _hostile_operations())
def test_hostile_input_gets_a_contract_problem_never_a_5xx(fuzz: Fixtures, method, path, role):
    operation = SCHEMA[path][method]
    token = fuzz.tokens.get(role)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    calls = []

    def probe(case: Any, data: DataObject) -> None:
        raw = _hostile_case(operation, case, data, fuzz.cursor_keys[role])
        if raw is None and isinstance(case.body, dict):
            raw = json.dumps(case.body).encode()  # escapes lone surrogates, as any JSON client would
        # Sent with requests, not case.call: schemathesis cannot validate a body that holds a lone surrogate.
        answer = requests.request(method, fuzz.url + case.formatted_path, params=case.query, data=raw, timeout=10,
                                  headers={**headers, "Content-Type": "application/json"})
        calls.append(answer.status_code)
        _check_answer(answer.status_code, answer.headers.get("content-type", ""), answer.content, fuzz.never_shown[role],
                      f"{method} {case.formatted_path} {case.query} {(raw or b'')[:200]!r} as {role}")

    own = fuzz.own_ids[role]
    names = [p.name for p in operation.path_parameters]
    fixed = {name: own[name] for name in names} if all(name in own for name in names) else None
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE, path_parameters=fixed)
    settings(max_examples=HOSTILE_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))(
        given(case=strategy, data=st.data())(probe))()
    assert calls, "no request was made"
