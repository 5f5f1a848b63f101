"""Routes that speak the contract: JSON in, JSON or problem+json out, roles enforced.

A route module imports its services (and the composition root) inside the route that runs
them: Chalice needs every route registered at import, but a cold start (the API's, and the
authorizer's, which imports the same app.py) then loads only this module, the blueprints and
the authorizer. tests/unit/test_cold_start.py holds the list of what `import app` may load.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Literal

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import problems
from chalicelib.api.security import token_authorizer
from chalicelib.auth.principal import Principal, Role
from chalicelib.config import Settings, get_settings
from chalicelib.errors import DependencyFailed, DomainError, Forbidden, NotFound, Unauthenticated
from chalicelib.observability import logger
from chalicelib.store.failures import is_dependency_failure
from chalicelib.texts import pick_language

JSON = "application/json"
View = Callable[..., Any]
# Who may call a route: one role, or "person" for any logged-in person whatever the firm.
Access = Role | Literal["person"]
MAX_PATH_VALUE = 200  # far longer than any id, far shorter than DynamoDB's 1024-byte keys


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    sent: dict[str, str | list[str]] = {"Content-Type": JSON, **(headers or {})}
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=sent)


def problem_response(error: DomainError, language: str) -> Response:
    status, body, headers = problems.from_error(error, language)
    rendered_status, text, rendered_headers = problems.render(status, body, headers)
    return Response(body=text, status_code=rendered_status, headers=dict(rendered_headers))


# Chalice answers some requests itself, before any view runs; those become problems too.
_FRAMEWORK_ERRORS = {415: "unsupported_media_type", 405: "not_found", 400: "validation_error", 404: "not_found",
                     500: "internal_error"}


def framework_error_as_problem(response: Response, accept_language: str | None) -> Response:
    """Chalice's own {"Code", "Message"} error bodies (415, 405, …) as problem+json."""
    code = _FRAMEWORK_ERRORS.get(response.status_code)
    if code is None or not isinstance(response.body, dict) or "Code" not in response.body:
        return response
    status, body = problems.problem(code, pick_language(accept_language))
    status, text, headers = problems.render(status, body)
    return Response(body=text, status_code=status, headers=dict(headers))


def answer_headers(settings: Settings) -> dict[str, str]:
    """What every API answer carries (API.md, "Conventions"); HSTS where the stage is served over HTTPS."""
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if not settings.is_local:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return headers


def with_answer_headers(response: Response) -> Response:
    """`response` with each of answer_headers() that it does not set itself (a page sets its own)."""
    present = {name.lower() for name in response.headers}
    for name, value in answer_headers(get_settings()).items():
        if name.lower() not in present:
            response.headers[name] = value
    return response


def _refuse_impossible_path_values(params: dict[str, str]) -> None:
    """An id no resource can have (too long, control or invisible characters) is simply not found.

    Checked here so that it never reaches DynamoDB, which refuses keys over 1024 bytes (a 5xx).
    """
    from chalicelib.validation import text_problem

    if any(len(value) > MAX_PATH_VALUE or text_problem(value) for value in params.values()):
        raise NotFound()


def _current_principal(request: Request, role: Access | None) -> Principal | None:
    if role is None:
        return None
    request_context: dict[str, Any] = dict(request.context or {})
    context = request_context.get("authorizer") or {}
    try:
        principal = Principal.from_context(context, request.headers.get("x-firm"))
    except (KeyError, ValueError, TypeError) as exc:
        raise Unauthenticated() from exc
    if role not in ("person", principal.role):
        raise Forbidden("client_role_only" if role == "client" else "advisor_role_only")
    return principal


class Routes:
    """A blueprint whose views take (request, principal, **path params) and may raise domain errors."""

    def __init__(self, import_name: str, role: Access | None = None) -> None:
        self.blueprint = Blueprint(import_name)
        self.role = role

    def route(self, path: str, methods: tuple[str, ...] = ("GET",), status: int = 200, access: Access | None = None,
              **options: Any) -> Callable[[View], View]:
        """Register `view`; `access` overrides the blueprint's role for this one route."""
        role = access or self.role

        def decorate(view: View) -> View:
            @functools.wraps(view)
            def handle(**params: str) -> Response:
                request = self.blueprint.current_request
                language = pick_language(request.headers.get("accept-language"))
                try:
                    principal = _current_principal(request, role)
                    _refuse_impossible_path_values(params)
                    if principal is not None:
                        logger.append_keys(tenant_id=principal.tenant_id)
                    result = view(request, principal, **params)
                except DomainError as error:
                    return problem_response(error, language)
                except Exception as exc:  # noqa: BLE001 - the last line of defence: never a raw 500
                    if is_dependency_failure(exc):
                        logger.warning("dependency failed", extra={"error": type(exc).__name__})
                        return problem_response(DependencyFailed(), language)
                    logger.exception("unhandled error")
                    status_code, body = problems.problem("internal_error", language)
                    code, text, headers = problems.render(status_code, body)
                    return Response(body=text, status_code=code, headers=dict(headers))
                return result if isinstance(result, Response) else json_response(result, status)

            if role is not None:
                options.setdefault("authorizer", token_authorizer)
            self.blueprint.route(path, methods=list(methods), **options)(handle)
            return handle

        return decorate


def query_param(request: Request, name: str) -> str | None:
    """A query parameter by the single-line text rules (ValidationFailed naming it otherwise)."""
    from chalicelib.validation import query_value

    params: dict[str, str] = dict(request.query_params or {})
    return query_value(name, params.get(name))


def body_of(request: Request) -> dict[str, Any]:
    from chalicelib.validation import parse_json_object

    return parse_json_object(request.raw_body)
