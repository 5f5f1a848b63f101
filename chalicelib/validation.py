"""Small, explicit request checks that collect every field error at once.

The text rules of the contract (API.md, "Conventions"): JSON nests at most 32 levels; no string
anywhere in a body holds a lone surrogate (it cannot be encoded, so it would fail deep inside
boto3); text is normalised to NFC; control characters are refused, except line breaks and tabs in
multi-line fields; single-line fields (names, e-mail addresses, city, subject, file name, ids) also
refuse invisible format characters (bidirectional overrides, zero-width characters), which would
let one name look like another.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from datetime import datetime
from typing import Any

from chalicelib.errors import FieldError, ValidationFailed

MAX_DEPTH = 32
MAX_QUERY_LENGTH = 2048

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0, DEL and C1 controls, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The same, less what a multi-line field may hold: tab, line feed, carriage return, the separators.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What a password may not hold: Cognito's password pattern (^[\S]+.*[\S]+$) has no line terminators.
_LINE_TERMINATOR = re.compile(r"[\n\r\x85\u2028\u2029]")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
# A JSON string up to its closing quote, or to the end when it has none. Possessive (no
# backtracking) and never restarted inside a string, so each character is read once.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def parse_json_object(raw: bytes | str | None) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is an empty object.

    Refused with ValidationFailed: anything that is not a UTF-8 JSON object, nesting deeper than
    MAX_DEPTH (checked before parsing, since the parser recurses), and lone surrogates anywhere.
    """
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ValidationFailed(FieldError("body", "invalid_json")) from exc
    if nesting_depth(text) > MAX_DEPTH:
        raise ValidationFailed(FieldError("body", "json_too_deep", {"max": MAX_DEPTH}))
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise ValidationFailed(FieldError("body", "invalid_json")) from exc
    if not isinstance(value, dict):
        raise ValidationFailed(FieldError("body", "invalid_json"))
    unreadable = fields_with_lone_surrogates(value)
    if unreadable:
        raise ValidationFailed(*(FieldError(name, "invalid_characters") for name in unreadable))
    return value


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without parsing it."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def fields_with_lone_surrogates(body: dict[str, Any]) -> list[str]:
    """The top-level fields holding, at any depth, a string (or key) with a lone surrogate.

    Walked with a list, not recursion. A field whose own name is unreadable or odd is reported
    as "body": the answer never echoes what it could not read.
    """
    found: dict[str, None] = {}
    pending: list[tuple[str, Any]] = []
    for name, value in body.items():
        field = name if _FIELD_NAME.fullmatch(name) else "body"
        pending += [(field, name), (field, value)]
    while pending:
        field, value = pending.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                found[field] = None
        elif isinstance(value, dict):
            pending += [(field, item) for item in itertools.chain(value.keys(), value.values())]
        elif isinstance(value, list):
            pending += [(field, item) for item in value]
    return list(found)


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The message key of what makes `value` unfit as a text field, or None when it is fine."""
    if _LONE_SURROGATE.search(value):
        return "invalid_characters"
    if multiline:
        return "control_characters_multiline" if _CONTROL_MULTILINE.search(value) else None
    if _CONTROL.search(value):
        return "control_characters"
    if any(unicodedata.category(c) == "Cf" for c in value):
        return "invisible_characters"
    return None


def password_problem(value: str) -> str | None:
    """What Cognito cannot take in a password: lone surrogates (not encodable) and line terminators."""
    if _LONE_SURROGATE.search(value):
        return "invalid_characters"
    return "control_characters" if _LINE_TERMINATOR.search(value) else None


def query_value(name: str, raw: str | None) -> str | None:
    """A query parameter by the single-line text rules, NFC; ValidationFailed naming it otherwise."""
    if raw is None:
        return None
    if len(raw) > MAX_QUERY_LENGTH:
        raise ValidationFailed(FieldError(name, "too_long", {"max": MAX_QUERY_LENGTH}))
    problem = text_problem(raw)
    if problem:
        raise ValidationFailed(FieldError(name, problem))
    return unicodedata.normalize("NFC", raw)


class Fields:
    """Reads fields from a body, recording problems instead of raising at the first one."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[FieldError] = []

    def text(self, name: str, *, required: bool = True, max_length: int = 200, allow_empty: bool = False,
             multiline: bool = False) -> str | None:
        """A string field, stripped and in NFC, by the text rules (line breaks and tabs only if multiline)."""
        value = self._string(name, required)
        if value is None:
            return None
        value = unicodedata.normalize("NFC", value).strip()
        if not value and not allow_empty:
            if required:
                self.errors.append(FieldError(name, "required"))
            return None
        if len(value) > max_length:
            self.errors.append(FieldError(name, "too_long", {"max": max_length}))
            return None
        return self._unless(name, value, text_problem(value, multiline=multiline))

    def password(self, name: str, *, max_length: int = 256) -> str | None:
        """A password as typed: not normalised, and restricted only where Cognito would fail (a 5xx).

        A password is compared as it was set: normalising it (NFC) or refusing more characters
        would lock out people whose passwords were set before that rule, and protect nothing.
        """
        value = self._string(name, required=True)
        if value is None:
            return None
        # Stripped, as every password so far was when it was set; Cognito refuses outer spaces anyway.
        value = value.strip()
        if not value:
            self.errors.append(FieldError(name, "required"))
            return None
        if len(value) > max_length:
            self.errors.append(FieldError(name, "too_long", {"max": max_length}))
            return None
        return self._unless(name, value, password_problem(value))

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

    def _string(self, name: str, required: bool) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.errors.append(FieldError(name, "required"))
            return None
        if not isinstance(value, str):
            self.errors.append(FieldError(name, "not_a_string"))
            return None
        return value

    def _unless(self, name: str, value: str, problem: str | None) -> str | None:
        if problem:
            self.errors.append(FieldError(name, problem))
            return None
        return value


# Lists: `?limit=` (default 50, at most 200); `?cursor=` is the store's own (store/pages.py).
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_LIMIT = re.compile(r"[0-9]{1,3}")  # ASCII digits only: "²".isdigit() is True, int("²") fails


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed(FieldError("limit", "invalid_limit"))
    return int(raw)


def parse_place(cursor: str | None, total: int) -> int:
    """The place a list's `?cursor=` names, for lists paged by place (a batch's recipients, a firm's few
    endpoints): ASCII digits below `total`; 0 without one; ValidationFailed for anything else."""
    if not cursor:
        return 0
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= len(str(total)) and int(cursor) < total):
        raise ValidationFailed(FieldError("cursor", "invalid_cursor"))
    return int(cursor)


def parse_moment(raw: object, field: str = "at") -> datetime:
    """A moment as the API writes them (RFC 3339 in UTC, with `Z`); ValidationFailed naming `field` else."""
    from chalicelib.clock import parse_iso

    try:
        moment = parse_iso(raw) if isinstance(raw, str) and raw.endswith("Z") else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationFailed(FieldError(field, "invalid_moment"))
    return moment
