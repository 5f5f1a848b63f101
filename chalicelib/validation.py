"""Small, explicit request-body checks that collect every field error at once."""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.errors import FieldError, ValidationFailed

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_json_object(raw: bytes | str | None) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is an empty object."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(FieldError("body", "invalid_json")) from exc
    if not isinstance(value, dict):
        raise ValidationFailed(FieldError("body", "invalid_json"))
    return value


class Fields:
    """Reads fields from a body, recording problems instead of raising at the first one."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[FieldError] = []

    def text(self, name: str, *, required: bool = True, max_length: int = 200, allow_empty: bool = False) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.errors.append(FieldError(name, "required"))
            return None
        if not isinstance(value, str):
            self.errors.append(FieldError(name, "not_a_string"))
            return None
        value = value.strip()
        if not value and not allow_empty:
            if required:
                self.errors.append(FieldError(name, "required"))
            return None
        if len(value) > max_length:
            self.errors.append(FieldError(name, "too_long", {"max": max_length}))
            return None
        return value

    def email(self, name: str) -> str | None:
        value = self.text(name, max_length=254)
        if value is not None and not _EMAIL.match(value):
            self.errors.append(FieldError(name, "invalid_email"))
            return None
        return value.lower() if value else None

    def choice(self, name: str, options: tuple[str, ...], *, required: bool = True, message: str = "required") -> str | None:
        value = self.body.get(name)
        if value is None and not required:
            return None
        if value not in options:
            self.errors.append(FieldError(name, message, {"options": ", ".join(options)}))
            return None
        return str(value)

    def add(self, name: str, message: str, **params: object) -> None:
        self.errors.append(FieldError(name, message, params))

    def done(self) -> None:
        """Raise one ValidationFailed naming every bad field, if any."""
        if self.errors:
            raise ValidationFailed(*self.errors)
