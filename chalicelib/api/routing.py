"""Routes that speak the contract: JSON in, JSON or problem+json out, roles enforced."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import problems
from chalicelib.api.security import token_authorizer
from chalicelib.auth.principal import Principal, Role
from chalicelib.errors import DependencyFailed, DomainError, Forbidden, Unauthenticated
from chalicelib.messages import pick_language
from chalicelib.observability import logger

JSON = "application/json"
View = Callable[..., Any]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    sent: dict[str, str | list[str]] = {"Content-Type": JSON, **(headers or {})}
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=sent)


def problem_response(error: DomainError, language: str) -> Response:
    status, body, headers = problems.from_error(error, language)
    rendered_status, text, rendered_headers = problems.render(status, body, headers)
    return Response(body=text, status_code=rendered_status, headers=dict(rendered_headers))


# Chalice answers some requests itself, before any view runs; those become problems too.
_FRAMEWORK_ERRORS = {415: "unsupported_media_type", 405: "not_found", 400: "validation_error", 404: "not_found"}


def framework_error_as_problem(response: Response, accept_language: str | None) -> Response:
    """Chalice's own {"Code", "Message"} error bodies (415, 405, …) as problem+json."""
    code = _FRAMEWORK_ERRORS.get(response.status_code)
    if code is None or not isinstance(response.body, dict) or "Code" not in response.body:
        return response
    status, body = problems.problem(code, pick_language(accept_language))
    status, text, headers = problems.render(status, body)
    return Response(body=text, status_code=status, headers=dict(headers))


def _current_principal(request: Request, role: Role | None) -> Principal | None:
    if role is None:
        return None
    request_context: dict[str, Any] = dict(request.context or {})
    context = request_context.get("authorizer") or {}
    try:
        principal = Principal.from_context(context)
    except (KeyError, ValueError) as exc:
        raise Unauthenticated() from exc
    if principal.role != role:
        raise Forbidden("client_role_only" if role == "client" else "advisor_role_only")
    return principal


def _is_dependency_failure(exc: Exception) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    # Business-rule refusals (failed conditions) are translated by the store; what reaches here
    # from AWS is throttling, a 5xx or a timeout.
    return isinstance(exc, (BotoCoreError, ClientError, PynamoDBException))


class Routes:
    """A blueprint whose views take (request, principal, **path params) and may raise domain errors."""

    def __init__(self, import_name: str, role: Role | None = None) -> None:
        self.blueprint = Blueprint(import_name)
        self.role = role

    def route(self, path: str, methods: tuple[str, ...] = ("GET",), status: int = 200, **options: Any) -> Callable[[View], View]:
        def decorate(view: View) -> View:
            @functools.wraps(view)
            def handle(**params: str) -> Response:
                request = self.blueprint.current_request
                language = pick_language(request.headers.get("accept-language"))
                try:
                    principal = _current_principal(request, self.role)
                    if principal is not None:
                        logger.append_keys(tenant_id=principal.tenant_id)
                    result = view(request, principal, **params)
                except DomainError as error:
                    return problem_response(error, language)
                except Exception as exc:  # noqa: BLE001 - the last line of defence: never a raw 500
                    if _is_dependency_failure(exc):
                        logger.warning("dependency failed", extra={"error": type(exc).__name__})
                        return problem_response(DependencyFailed(), language)
                    logger.exception("unhandled error")
                    status_code, body = problems.problem("internal_error", language)
                    code, text, headers = problems.render(status_code, body)
                    return Response(body=text, status_code=code, headers=dict(headers))
                return result if isinstance(result, Response) else json_response(result, status)

            if self.role is not None:
                options.setdefault("authorizer", token_authorizer)
            self.blueprint.route(path, methods=list(methods), **options)(handle)
            return handle

        return decorate


def query_param(request: Request, name: str) -> str | None:
    params: dict[str, str] = dict(request.query_params or {})
    return params.get(name)


def body_of(request: Request) -> dict[str, Any]:
    from chalicelib.validation import parse_json_object

    return parse_json_object(request.raw_body)
