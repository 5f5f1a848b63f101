"""docs/openapi.yaml must not drift from the code (Chalice routes, problems.STATUS) nor from shared/API.md.

That the error codes themselves agree (errors.CODES, problems, Problem.code, API.md's list) is
tests/unit/test_vocabulary.py's part; here, each operation names codes of its own statuses.
"""

from __future__ import annotations

import inspect
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib import problems
from chalicelib.validation import DEFAULT_LIMIT, MAX_LIMIT

REPO = Path(__file__).resolve().parents[2]
SPEC_FILE = REPO / "docs" / "openapi.yaml"
# In CI the repository is cloned elsewhere, but shared/ always sits beside it.
API_MD = Path(__file__).resolve().parents[2].parent / "shared" / "API.md"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BEARER = "bearerAuth"
PROBLEM = "#/components/schemas/Problem"
PROBLEM_JSON = "application/problem+json"
IDEMPOTENCY_HEADER = "idempotency-key"

Key = tuple[str, str]  # (METHOD, path)


# --- loading -----------------------------------------------------------------------------------


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    return loaded


@cache
def chalice_routes() -> dict[Key, Any]:
    """Every route of the app, by (METHOD, path), OPTIONS (CORS preflight) left out."""
    from app import app

    return {
        (method.upper(), path): entry
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if method.upper() != "OPTIONS"
    }


def operations() -> dict[Key, dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in spec()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


@pytest.fixture
def api_md() -> str:
    if not API_MD.is_file():
        pytest.skip(f"{API_MD} is not there (shared/ is expected beside the repository)")
    return API_MD.read_text(encoding="utf-8")


# --- reading the spec --------------------------------------------------------------------------


def resolve(node: Any) -> Any:
    """Follow local `$ref`s until a node that is not a bare reference."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
        assert seen < 20, "a $ref cycle"
    return node


def extends_problem(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("$ref") == PROBLEM:
        return True
    if "$ref" in schema:
        return extends_problem(resolve(schema))
    return any(extends_problem(part) for part in schema.get("allOf", []))


def code_enum(schema: Any) -> set[str] | None:
    """The `code` values a problem schema allows (allOf parts intersect); None when unconstrained."""
    schema = resolve(schema)
    found: list[set[str]] = []
    code = schema.get("properties", {}).get("code")
    if code is not None:
        code = resolve(code)
        if "enum" in code:
            found.append(set(code["enum"]))
        if "const" in code:
            found.append({code["const"]})
    for part in schema.get("allOf", []):
        allowed = code_enum(part)
        if allowed is not None:
            found.append(allowed)
    if not found:
        return None
    return set.intersection(*found)


def parameters_of(key: Key) -> list[dict[str, Any]]:
    """Path-item and operation parameters, resolved."""
    method, path = key
    item = spec()["paths"][path]
    return [resolve(p) for p in [*item.get("parameters", []), *item[method.lower()].get("parameters", [])]]


def requires_bearer(operation: dict[str, Any]) -> bool:
    requirements = operation.get("security", spec().get("security", []))
    return bool(requirements) and all(BEARER in requirement for requirement in requirements)


def success_statuses(operation: dict[str, Any]) -> list[str]:
    return [status for status in operation["responses"] if str(status).startswith("2")]


def error_responses(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(s): resolve(r) for s, r in operation["responses"].items() if str(s)[0] in "45"}


def documented_codes(operation: dict[str, Any], status: str | None = None) -> set[str]:
    codes: set[str] = set()
    for key, response in error_responses(operation).items():
        if status is None or key == status:
            schema = response.get("content", {}).get(PROBLEM_JSON, {}).get("schema")
            codes |= (code_enum(schema) or set()) if schema is not None else set()
    return codes


def is_web(operation: dict[str, Any]) -> bool:
    return "web" in operation.get("tags", [])


def status_matches(code: str, status: str) -> bool:
    expected = problems.STATUS[code]
    return str(expected) == status or (status.endswith("XX") and str(expected)[0] == status[0])


def template(path: str) -> str:
    """A path with its parameter names left out: API.md says {id} where the code says {message_id}."""
    return re.sub(r"\{[^}]+\}", "{}", path)


# --- reading API.md ----------------------------------------------------------------------------


def api_md_error_codes(text: str) -> dict[str, int]:
    """The "Error codes" section: entries like "`validation_error` 400"."""
    section = re.search(r"^#+\s*Error codes\s*$(.*?)(?:^\s*$|^#)", text, re.MULTILINE | re.DOTALL)
    assert section, "API.md has no 'Error codes' section"
    codes = {code: int(status) for code, status in re.findall(r"`([a-z_]+)`\s+(\d{3})", section.group(1))}
    assert codes, "no `code` status entries found in API.md's 'Error codes' section"
    return codes


ENDPOINT = re.compile(r"^- `(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)[^`]*`(.*)$")
# A further endpoint in the same bullet: "...; `DELETE /advisor/webhooks/{id}` → 204; ...".
NEXT_ENDPOINT = re.compile(r";\s+`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)[^`]*`")


def _split_bullet(method: str, path: str, block: str) -> list[tuple[str, str, str]]:
    """A bullet that names several endpoints, each with the text up to the next one."""
    found = list(NEXT_ENDPOINT.finditer(block))
    starts = [0, *(match.start() for match in found), len(block)]
    heads = [(method, path), *((match.group(1), match.group(2)) for match in found)]
    return [(m, p, block[start:end].lstrip("; \n")) for (m, p), start, end in zip(heads, starts, starts[1:])]


def api_md_endpoints(text: str) -> list[tuple[str, str, str]]:
    """(METHOD, path, its text) for each endpoint of the bullets: `and `/reject`` and `; `METHOD /path`` included."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = ENDPOINT.match(line)
        if match:
            current = [match.group(1), match.group(2), line]
            blocks.append(current)
        elif current is not None and line.startswith("  "):
            current[2] += "\n" + line
        else:
            current = None
    endpoints: list[tuple[str, str, str]] = []
    for bullet_method, bullet_path, bullet in blocks:
        for method, path, block in _split_bullet(bullet_method, bullet_path, bullet):
            endpoints.append((method, path, block))
            first_line = block.splitlines()[0]
            for sibling in re.findall(r"\band `(/[a-z-]+)`", first_line):
                endpoints.append((method, path.rsplit("/", 1)[0] + sibling, block))
    return endpoints


def api_md_success_status(block: str) -> int:
    """The status right after the first arrow ("→ 201 client"); 200 when it names none ("→ list of")."""
    after = block.split("→", 1)[1] if "→" in block else ""
    match = re.match(r"\s*(\d{3})\b", after)
    return int(match.group(1)) if match else 200


# --- 1. routes and spec, both ways ---------------------------------------------------------------


def test_every_chalice_route_is_documented_in_the_spec():
    missing = sorted(set(chalice_routes()) - set(operations()))
    assert not missing, f"routes missing from docs/openapi.yaml: {missing}"


def test_every_operation_in_the_spec_is_a_chalice_route():
    unknown = sorted(set(operations()) - set(chalice_routes()))
    assert not unknown, f"docs/openapi.yaml documents routes the app does not have: {unknown}"


def test_operation_ids_are_unique_and_named_after_the_view_functions():
    routes = chalice_routes()
    names = [entry.view_name for entry in routes.values()]
    wrong = {}
    for key, entry in routes.items():
        module = inspect.unwrap(entry.view_function).__module__.rsplit(".", 1)[-1]
        # A view name two modules share (list_messages, get_message, ...) is prefixed with its module.
        expected = entry.view_name if names.count(entry.view_name) == 1 else f"{module}_{entry.view_name}"
        actual = operations().get(key, {}).get("operationId")
        if actual != expected:
            wrong[key] = (actual, expected)
    assert not wrong, f"(operationId, expected) per route: {wrong}"
    ids = [op.get("operationId") for op in operations().values()]
    assert len(ids) == len(set(ids))


def test_the_documented_success_status_is_the_one_the_route_answers():
    answered = {}
    for key, entry in chalice_routes().items():
        status = inspect.getclosurevars(entry.view_function).nonlocals.get("status")
        if isinstance(status, int):
            answered[key] = status
    if not answered:
        pytest.skip("chalicelib.api.routing no longer keeps the status in the view's closure")
    wrong = {key: (success_statuses(operations()[key]), status) for key, status in answered.items()
             if key in operations() and success_statuses(operations()[key]) != [str(status)]}
    assert not wrong, f"(documented 2xx, status the route answers) per route: {wrong}"


def test_query_parameters_the_views_read_are_declared_and_api_operations_declare_no_others():
    wrong = {}
    for key, entry in chalice_routes().items():
        if key not in operations():
            continue
        source = inspect.getsource(inspect.unwrap(entry.view_function))
        read = set(re.findall(r"""query_param\(\s*request,\s*["']([A-Za-z_]+)["']""", source))
        declared = {p["name"] for p in parameters_of(key) if p["in"] == "query"}
        if not read <= declared or (not is_web(operations()[key]) and declared != read):
            wrong[key] = {"read by the view": sorted(read), "declared": sorted(declared)}
    assert not wrong, wrong


# --- 2. a valid OpenAPI 3.1 document -----------------------------------------------------------


def test_the_spec_is_a_valid_openapi_3_1_document():
    validator = pytest.importorskip("openapi_spec_validator")
    assert str(spec()["openapi"]).startswith("3.1.")
    validator.validate(spec(), cls=validator.OpenAPIV31SpecValidator)  # raises with the first error


def test_the_spec_has_a_local_server_and_the_bearer_scheme():
    assert "http://127.0.0.1:8000" in [server["url"] for server in spec()["servers"]]
    scheme = spec()["components"]["securitySchemes"][BEARER]
    assert (scheme["type"], scheme["scheme"].lower(), scheme.get("bearerFormat")) == ("http", "bearer", "JWT")


# --- 3. error codes, auth, error responses -----------------------------------------------------


def test_protected_routes_require_the_bearer_token_and_public_routes_do_not():
    wrong = {}
    for key, entry in chalice_routes().items():
        if key in operations() and requires_bearer(operations()[key]) != (entry.authorizer is not None):
            wrong[key] = "needs the bearer token" if entry.authorizer is not None else "is public"
    assert not wrong, f"the spec's security disagrees with the route's authorizer: {wrong}"


def test_every_protected_route_documents_401_unauthenticated_and_403_forbidden():
    wrong = {}
    for key, entry in chalice_routes().items():
        if entry.authorizer is None or key not in operations():
            continue
        operation = operations()[key]
        if "unauthenticated" not in documented_codes(operation, "401") or "forbidden" not in documented_codes(
                operation, "403"):
            wrong[key] = sorted(error_responses(operation))
    assert not wrong, f"protected routes without 401 unauthenticated and 403 forbidden: {wrong}"


def test_every_protected_route_with_a_path_parameter_documents_404_not_found():
    wrong = [key for key, entry in chalice_routes().items()
             if entry.authorizer is not None and "{" in key[1] and key in operations()
             and "not_found" not in documented_codes(operations()[key], "404")]
    assert not wrong, wrong


def test_every_error_response_is_problem_json_naming_codes_of_its_own_status():
    wrong = {}
    for key, operation in operations().items():
        for status, response in error_responses(operation).items():
            content = response.get("content", {})
            schema = content.get(PROBLEM_JSON, {}).get("schema")
            codes = code_enum(schema) if schema is not None else None
            if list(content) != [PROBLEM_JSON] or not extends_problem(schema):
                wrong[(*key, status)] = f"content {list(content)} is not the Problem schema as {PROBLEM_JSON}"
            elif not codes or not codes <= set(problems.STATUS):
                wrong[(*key, status)] = f"names no known code: {codes}"
            elif not all(status_matches(code, status) for code in codes):
                wrong[(*key, status)] = {code: problems.STATUS[code] for code in sorted(codes)}
    assert not wrong, wrong


def test_validation_errors_carry_the_errors_array_and_invalid_code_carries_attempts_left():
    schemas = spec()["components"]["schemas"]
    problem = resolve(schemas["Problem"])
    field_error = resolve(problem["properties"]["errors"]["items"])
    assert set(field_error["required"]) == {"field", "message"}
    assert "attempts_left" in problem["properties"]
    for key, operation in operations().items():
        for status, response in error_responses(operation).items():
            schema = response["content"][PROBLEM_JSON]["schema"]
            codes = code_enum(schema) or set()
            required = set(resolve(schema).get("required", []))
            for part in resolve(schema).get("allOf", []):
                required |= set(resolve(part).get("required", []))
            if codes == {"validation_error"}:
                assert "errors" in required, (key, status)
            if codes == {"invalid_code"}:
                assert "attempts_left" in required, (key, status)


def test_every_429_answer_declares_the_retry_after_header():
    wrong = [key for key, operation in operations().items()
             if "429" in error_responses(operation)
             and "retry-after" not in {h.lower() for h in error_responses(operation)["429"].get("headers", {})}]
    assert not wrong, wrong


def test_the_idempotent_routes_take_the_idempotency_key_and_document_its_reuse():
    for key, entry in chalice_routes().items():
        if key not in operations():
            continue
        source = inspect.getsource(inspect.unwrap(entry.view_function))
        declared = any(p["in"] == "header" and p["name"].lower() == IDEMPOTENCY_HEADER for p in parameters_of(key))
        assert declared == ('"idempotency-key"' in source), f"{key}: Idempotency-Key declared={declared}"
        if declared:
            assert "idempotency_key_reused" in documented_codes(operations()[key], "422"), key


def test_list_operations_take_limit_and_cursor_within_the_implemented_bounds():
    limit = resolve(spec()["components"]["parameters"]["Limit"])
    assert (limit["in"], limit["name"]) == ("query", "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"], limit["schema"]["default"]) == (
        1, MAX_LIMIT, DEFAULT_LIMIT)
    lists = 0
    for key, operation in operations().items():
        content = resolve(operation["responses"][success_statuses(operation)[0]]).get("content", {})
        schema = resolve(content.get("application/json", {}).get("schema", {}))
        is_page = {"items", "next_cursor"} <= set(schema.get("properties", {}))
        query = {p["name"]: p for p in parameters_of(key) if p["in"] == "query"}
        assert is_page == ("limit" in query) == ("cursor" in query), key
        if is_page:
            lists += 1
            assert query["limit"] == limit, key
            assert {"items", "next_cursor"} <= set(schema["required"]), key
    assert lists >= 4


# API routes that answer a document rather than JSON (a problem is still problem+json).
DOCUMENT_ROUTES = {("GET", "/advisor/signing-requests/{request_id}/certificate"): "application/pdf"}


def test_json_routes_answer_json_and_the_web_blueprint_answers_pages_and_files_tagged_web():
    for key, entry in chalice_routes().items():
        operation = operations().get(key)
        if operation is None:
            continue
        content = resolve(operation["responses"][success_statuses(operation)[0]]).get("content", {})
        if inspect.unwrap(entry.view_function).__module__ == "chalicelib.api.web":
            assert is_web(operation) and content and "application/json" not in content, key
        elif success_statuses(operation) == ["204"]:
            assert not is_web(operation) and not content, key
        elif key in DOCUMENT_ROUTES:
            assert not is_web(operation) and list(content) == [DOCUMENT_ROUTES[key]], key
        else:
            assert not is_web(operation) and list(content) == ["application/json"], key


def test_dev_routes_are_tagged_dev_and_say_they_answer_404_when_deployed():
    dev = {key: op for key, op in operations().items() if key[1].startswith("/dev/")}
    assert dev
    for key, operation in dev.items():
        assert "dev" in operation.get("tags", []), key
        assert "404" in (operation.get("description", "") + operation.get("summary", "")), key
        assert "not_found" in documented_codes(operation, "404"), key


# --- 4. API.md's endpoints ----------------------------------------------------------------------


# Endpoints API.md already names for open issues, by issue: they join the spec with their route.
PLANNED: dict[tuple[str, str], int] = {}


# Error codes API.md already names on a built endpoint, for the open issue that brings them.
PLANNED_CODES: dict[str, int] = {}

# Codes an endpoint's bullet in API.md names for what it sets going elsewhere, not answers itself.
ANSWERED_ELSEWHERE: dict[tuple[str, str], set[str]] = {
    # A co-signer before their turn gets it on the portal's otp and sign (documented there).
    ("POST", "/advisor/messages"): {"not_your_turn"},
    # A recipient's own failure (no mobile number, ...) fails only that recipient: it shows in the
    # item's `error.code` of GET /advisor/bulk-sends/{id}, never in the batch's answer.
    ("POST", "/advisor/bulk-sends"): {"phone_required"},
}


def _planned(method: str, path: str) -> bool:
    return (method, template(path)) in {(m, template(p)) for m, p in PLANNED}


def test_a_planned_endpoint_is_not_a_route_yet():
    """Once its issue builds it, it leaves PLANNED and the checks below hold for it too."""
    routes = {(method, template(path)) for method, path in chalice_routes()}
    built = sorted(key for key in PLANNED if (key[0], template(key[1])) in routes)
    assert not built, f"built, so no longer planned: {built}"


def test_every_endpoint_of_api_md_is_in_the_spec_with_its_success_status_and_error_codes(api_md):
    error_codes = api_md_error_codes(api_md)
    by_template = {(method, template(path)): op for (method, path), op in operations().items()}
    endpoints = api_md_endpoints(api_md)
    assert len(endpoints) >= 30, "API.md's endpoint bullets were not recognised"
    elsewhere = {(method, template(path)): codes for (method, path), codes in ANSWERED_ELSEWHERE.items()}
    wrong = {}
    for method, path, block in endpoints:
        if _planned(method, path):
            continue
        skipped = set(PLANNED_CODES) | elsewhere.get((method, template(path)), set())
        operation = by_template.get((method, template(path)))
        if operation is None:
            wrong[(method, path)] = "not in docs/openapi.yaml"
            continue
        problems_found = []
        if success_statuses(operation) != [str(api_md_success_status(block))]:
            problems_found.append(f"success {success_statuses(operation)} != {api_md_success_status(block)}")
        for status, code in re.findall(r"\b(\d{3})\s+`([a-z_]+)`", block):
            if code in skipped:
                continue
            if code in error_codes and code not in documented_codes(operation, status):
                problems_found.append(f"{status} {code} not documented")
        for code in set(re.findall(r"`([a-z_]+)`", block)) & set(error_codes) - skipped:
            if code not in documented_codes(operation):
                problems_found.append(f"{code} not documented")
        for status in re.findall(r"→\s*(\d{3})\b", block):
            if status not in {str(s) for s in operation["responses"]}:
                problems_found.append(f"status {status} not documented")
        if problems_found:
            wrong[(method, path)] = problems_found
    assert not wrong, wrong
