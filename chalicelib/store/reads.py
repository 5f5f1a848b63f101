"""What a step needs, read in one round trip: several items of the table in one BatchGetItem.

Reads are strongly consistent, as the steps that follow them write on conditions of what they
read. DynamoDB may leave some keys unprocessed under load; those are asked for again, a few
times, before the read counts as a dependency failure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import DependencyFailed, NotFound
from chalicelib.store.connection import shared_connection
from chalicelib.store.models import Item

T = TypeVar("T", bound=Item)
Wanted = tuple[type[Item], str, str]  # model, pk, sk
ATTEMPTS = 4


class Found:
    """The items a read found, by the names they were asked for under."""

    def __init__(self, items: dict[str, Item]) -> None:
        self._items = items

    def get(self, name: str, model: type[T]) -> T | None:
        item = self._items.get(name)
        return item if isinstance(item, model) else None


def read_together(wanted: Mapping[str, Wanted]) -> Found:
    """The items named in `wanted`, of any model, in one BatchGetItem; a missing one is absent."""
    by_key: dict[tuple[str, str], list[tuple[str, type[Item]]]] = {}
    for name, (model, pk, sk) in wanted.items():
        by_key.setdefault((pk, sk), []).append((name, model))
    table = Item.Meta.table_name
    request: dict[str, Any] = {table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in by_key],
                                       "ConsistentRead": True}}
    raw: list[dict[str, Any]] = []
    client: Any = shared_connection().client
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(0.02 * 2 ** attempt)
        try:
            answer = client.batch_get_item(RequestItems=request)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyFailed() from exc
        raw += answer.get("Responses", {}).get(table, [])
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
    else:
        raise DependencyFailed()
    found: dict[str, Item] = {}
    for data in raw:
        for name, model in by_key.get((data["pk"]["S"], data["sk"]["S"]), []):
            found[name] = model.from_raw_data(data)
    return Found(found)


def get_item(model: type[T], pk: str, sk: str) -> T:
    """One item by its key, read consistently; NotFound when there is none, DependencyFailed when the table fails."""
    from pynamodb.exceptions import DoesNotExist, PynamoDBException

    try:
        return model.get(pk, sk, consistent_read=True)
    except DoesNotExist as exc:
        raise NotFound() from exc
    except PynamoDBException as exc:
        raise DependencyFailed() from exc
