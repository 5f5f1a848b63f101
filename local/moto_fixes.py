"""Fixes to moto's DynamoDB emulation, applied to the local stack only.

1. moto snapshots every touched *table* (a deep copy of all its items) before each
   transaction, so a transaction costs time in proportion to the table's size; DynamoDB's
   cost depends on the items in the transaction. With tens of thousands of items the emulator,
   not our code, dominates any measurement. Here only the touched items are snapshotted.
2. moto's threaded server runs transactions of concurrent requests interleaved; DynamoDB
   runs them atomically. A lock serialises them, so concurrency tests mean what they say.
3. A query on a secondary index makes moto sort every item of the table and test each one,
   so its cost grows with the table; DynamoDB reads only the queried index partition. Here the
   candidates are narrowed to the items in that partition first (same results, same order).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_lock = threading.RLock()
_applied = False


class _TablesPassThrough:
    """Stands in for the `copy` module inside moto's DynamoDB models: tables are not copied."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    table_name = op["TableName"]
    if op_type != "Put":
        return table_name, op["Key"]
    table = backend.get_table(table_name)
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return table_name, key


def apply() -> None:
    """Patch moto's DynamoDB backend once per process."""
    global _applied  # noqa: PLW0603 - a process-wide, idempotent patch
    if _applied:
        return
    import moto.dynamodb.models as dynamodb_models

    original = dynamodb_models.DynamoDBBackend.transact_write_items
    dynamodb_models.copy = _TablesPassThrough()  # type: ignore[assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            snapshot = []
            for entry in transact_items:
                op_type, op = next(iter(entry.items()))
                if op_type == "ConditionCheck" or "TableName" not in op:
                    continue
                try:
                    table_name, key = _key_of(self, op_type, op)
                    current = self.get_item(table_name, key)
                except Exception:  # noqa: BLE001, S112 - moto raises its own validation error below
                    continue
                snapshot.append((table_name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            try:
                original(self, transact_items)
            except Exception:
                for table_name, key, attributes in snapshot:
                    if attributes is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, attributes)
                raise

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _narrow_index_queries()
    _applied = True


_STRING_COMPARISONS = {
    "<": lambda a, b: a < b[0], "<=": lambda a, b: a <= b[0], ">": lambda a, b: a > b[0],
    ">=": lambda a, b: a >= b[0], "=": lambda a, b: a == b[0], "BETWEEN": lambda a, b: b[0] <= a <= b[1],
    "BEGINS_WITH": lambda a, b: a.startswith(b[0]),
}


def _in_range(attribute: Any, comparison: str, values: list[Any]) -> bool:
    """A cheap pre-check of a string sort-key condition; anything else is left to moto."""
    test = _STRING_COMPARISONS.get(comparison.upper())
    if test is None or any(v.type != "S" for v in values):
        return True
    return attribute is not None and attribute.type == "S" and test(attribute.value, [v.value for v in values])


class _WriteClock:
    """Counts writes, so a grouping of a table's items stays valid until the next write."""

    value = 0

    @classmethod
    def wrap(cls, method: Any) -> Any:
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            cls.value += 1
            return method(self, *args, **kwargs)

        return counted


def _narrow_index_queries() -> None:
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    backend = dynamodb_models.DynamoDBBackend
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(backend, name, _WriteClock.wrap(getattr(backend, name)))
    original_query = Table.query
    query_lock = threading.RLock()
    groupings: dict[tuple[int, tuple[str, ...]], tuple[int, dict[tuple[Any, ...], list[Any]]]] = {}

    def partitions(table: Any, names: tuple[str, ...]) -> dict[tuple[Any, ...], list[Any]]:
        """The table's items grouped by the index hash values: built once per write, not per query."""
        key = (id(table), names)
        cached = groupings.get(key)
        if cached and cached[0] == _WriteClock.value:
            return cached[1]
        grouped: dict[tuple[Any, ...], list[Any]] = {}
        for hash_set in table.items.values():
            for item in (hash_set.values() if table.range_key_attr else [hash_set]):
                values = tuple(item.attrs.get(n) for n in names)
                if all(v is not None for v in values):
                    grouped.setdefault(tuple((v.type, v.value) for v in values), []).append(item)
        groupings[key] = (_WriteClock.value, grouped)
        return grouped

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        conditions = kwargs.get("hash_key_conditions")
        index_name = kwargs.get("index_name", args[7] if len(args) > 7 else None)  # moto passes it by position
        if not index_name or not conditions:
            return original_query(self, *args, **kwargs)
        with query_lock:  # the narrowed view is an instance attribute for the length of one query
            names = tuple(name for name, _ in conditions)
            members = partitions(self, names).get(tuple((v.type, v.value) for _, v in conditions), [])
            ranges = kwargs.get("range_key_conditions") or []
            partition = sorted(
                (item for item in members
                 if all(_in_range(item.attrs.get(name), comparison, values) for name, comparison, values in ranges)),
                key=lambda x: (x.hash_key.value, x.range_key.value if x.range_key else ""),  # moto's own order
            )
            self.all_items = lambda: partition
            try:
                return original_query(self, *args, **kwargs)
            finally:
                del self.all_items

    Table.query = query  # type: ignore[method-assign]
