"""Opaque list cursors that cannot be pointed at another partition, nor be anything but a start key."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.errors import FieldError, ValidationFailed
from chalicelib.validation import parse_json_object

MAX_CURSOR_LENGTH = 2048
MAX_KEY_BYTES = 1024  # DynamoDB's limit for a sort key (a partition key may have 2048)



def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, *, partition: tuple[str, str],
                  prefixes: dict[str, str | tuple[str, ...]]) -> dict[str, Any] | None:
    """The start key of a cursor, checked to be one that this very query could have handed out.

    Parameters
    ----------
    cursor
        The `?cursor=` value, or None for the first page.
    partition
        The partition key's attribute name and value, which the cursor must repeat exactly.
    prefixes
        Every other attribute of the query's LastEvaluatedKey (the sort key; for an index also
        the table's keys), each with the prefix its value must start with (or one of several).

    Raises ValidationFailed (field `cursor`) for anything else, before DynamoDB sees it.
    """
    if not cursor:
        return None
    name, value = partition
    key = _start_key(cursor)
    expected = {name: value, **prefixes}
    if key is None or set(key) != set(expected) or _string(key[name]) != value:
        raise ValidationFailed(FieldError("cursor", "invalid_cursor"))
    for attribute, prefix in prefixes.items():
        text = _string(key[attribute])
        if text is None or not text.startswith(prefix):
            raise ValidationFailed(FieldError("cursor", "invalid_cursor"))
    return key


def _start_key(cursor: str) -> dict[str, Any] | None:
    if len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        return None
    try:
        return parse_json_object(base64.urlsafe_b64decode(cursor))
    except (binascii.Error, ValueError, ValidationFailed):
        return None


def _string(attribute: Any) -> str | None:
    """The value of a DynamoDB string attribute {"S": "..."} of a key's size, else None."""
    if not isinstance(attribute, dict) or set(attribute) != {"S"} or not isinstance(attribute["S"], str):
        return None
    text: str = attribute["S"]
    return text if 0 < len(text.encode()) <= MAX_KEY_BYTES else None
