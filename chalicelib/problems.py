"""The one place where domain errors become RFC 9457 problem+json answers."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import errors
from chalicelib.texts import text

PROBLEM_TYPE_BASE = "https://docs.portal.example/problems/"
CONTENT_TYPE = "application/problem+json"

# The status of each contract code, from the one table of them.
STATUS: dict[str, int] = {code: entry.status for code, entry in errors.CODES.items()}


def problem(code: str, language: str, detail: str | None = None, **extra: Any) -> tuple[int, dict[str, Any]]:
    """Status and body of a problem answer with a contract `code`."""
    status = STATUS[code]
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": text(code, language),
        "status": status,
        "detail": detail or text(code, language),
        "code": code,
    }
    body.update(extra)
    return status, body


def from_error(error: errors.DomainError, language: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body and extra headers for a domain error."""
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if error.errors:
        extra["errors"] = [
            {"field": e.field, "message": text(e.message, language, **e.params),
             **({"client_id": e.params["client_id"]} if "client_id" in e.params else {})}
            for e in error.errors
        ]
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
        extra["retry_after"] = error.retry_after
    if "attempts_left" in error.params:
        extra["attempts_left"] = error.params["attempts_left"]
    params = {**error.params, **({"retry_after": error.retry_after} if isinstance(error, errors.RateLimited) else {})}
    detail = text(error.message, language, **params)
    if "errors" in extra and error.message == "validation_error":
        detail = " ".join(f"{e['field']}: {e['message']}" for e in extra["errors"])
    status, body = problem(error.code, language, detail, **extra)
    return status, body, headers


def render(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    """Serialise a problem body with its content type."""
    return status, json.dumps(body, ensure_ascii=False), {"Content-Type": CONTENT_TYPE, **(headers or {})}
