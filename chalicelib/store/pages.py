"""Opaque list cursors that cannot be pointed at another partition."""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.errors import FieldError, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed(FieldError("limit", "invalid_limit"))
    return int(raw)


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, *, partition: tuple[str, str]) -> dict[str, Any] | None:
    """The start key of a cursor, which must lie in `partition` (attribute name, value)."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        name, value = partition
        if not isinstance(key, dict) or key.get(name, {}).get("S") != value:
            raise ValueError("cursor from another partition")
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(FieldError("cursor", "invalid_cursor")) from exc
    return key
