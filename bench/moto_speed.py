"""The benchmarks' speed patch to moto's DynamoDB: index queries read only their partition.

A Query on a secondary index makes moto test every item of the table and sort the whole index
partition, while DynamoDB reads only the queried part of the partition. A benchmark that measures
how a cost grows with the table (`bench.reminders`: 100 due among 1,000 or 50,000 stored) would
measure moto: without this patch its ratio is 3.8 instead of 0.85 (docs/performance.md). Here
moto is handed only the partition's items that pass its own key conditions, and answers as before.

Only benchmarks call `speed_up()`: `bench.reminders` in its own process, and `bench.load` by
starting the local stack as `python -m bench.moto_speed` (local.run's options), which is
`python -m local.run` with this patch. The tests and `make run` run moto without it
(tests/integration/test_moto_fixes.py checks the answers, the thread safety and that moto still
needs it). Checked against local.moto_fixes.TESTED_MOTO; on another moto it is skipped with a warning.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from local import moto_fixes

_applied = False


def speed_up() -> None:
    """Narrow moto's index queries to their partition, in this process. Idempotent."""
    global _applied  # noqa: PLW0603 - a process-wide, idempotent patch
    if _applied:
        return
    installed = moto_fixes.installed_moto()
    if installed != moto_fixes.TESTED_MOTO:
        warnings.warn(f"moto {installed} is not {moto_fixes.TESTED_MOTO}: moto's DynamoDB speed patch is skipped, "
                      "so costs that grow with the table are moto's, not the app's", stacklevel=2)
        return
    moto_fixes.install(index_query_patches())
    _applied = True


def index_query_patches() -> list[moto_fixes.Patch]:
    """The patch, as (owner, attribute, replacement), built on what is installed now."""
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    writes = _Writes()
    backend = dynamodb_models.DynamoDBBackend
    # Every way an item changes: the backend's update changes an existing item in place; all other
    # writes (puts, deletes, transactions, batches, PartiQL, rollbacks) end in the table's put or delete.
    return [(backend, "update_item", writes.counted(backend.update_item)),
            (Table, "put_item", writes.counted(Table.put_item)),
            (Table, "delete_item", writes.counted(Table.delete_item)),
            (Table, "query", partition_only(Table.query, _Partitions(writes)))]


class _PartitionView:
    """The table as one index query sees it: only the given items. A view per query, so nothing
    shared changes and concurrent Queries and Scans of the table still see all of it."""

    def __init__(self, table: Any, items: list[Any]) -> None:
        self._table = table
        self._items = items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Any]:
        return self._items


class _Writes:
    """Counts completed item writes. A grouping of a table's items built when the count was n is
    used only while it is still n: the count is read before the grouping is built and bumped after
    each write, so a write that overlaps a build always makes the next query build afresh."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def counted(self, write: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(write)
        def counting(*args: Any, **kwargs: Any) -> Any:
            try:
                return write(*args, **kwargs)
            finally:
                with self._lock:
                    self.count += 1

        return counting


Grouping = dict[tuple[Any, ...], list[Any]]


class _Partitions:
    """Each table's items grouped by the values of an index's hash key attributes, rebuilt after a write."""

    def __init__(self, writes: _Writes) -> None:
        self._writes = writes
        self._lock = threading.Lock()
        self._built: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], tuple[int, Grouping]]] = (
            weakref.WeakKeyDictionary())

    def items(self, table: Any, conditions: list[tuple[str, Any]]) -> list[Any]:
        names = tuple(name for name, _ in conditions)
        with self._lock:
            count, grouping = self._built.get(table, {}).get(names, (-1, {}))
        if count != self._writes.count:
            count = self._writes.count
            grouping = _group(table, names)
            with self._lock:
                self._built.setdefault(table, {})[names] = (count, grouping)
        return grouping.get(tuple(_key_value(value) for _, value in conditions), [])


def _group(table: Any, names: tuple[str, ...]) -> Grouping:
    grouping: Grouping = {}
    for item in _all_items(table):
        values = [item.attrs.get(name) for name in names]
        if all(value is not None for value in values):
            grouping.setdefault(tuple(map(_key_value, values)), []).append(item)
    return grouping


def _key_value(value: Any) -> tuple[str, Any]:
    """A key attribute (S, N or B) as DynamoDB compares it: numbers by value, "1" equal to "1.0"."""
    return value.type, value.cast_value


def _all_items(table: Any) -> list[Any]:
    """The table's items in moto's own order; list() copies each dict before another thread can change it."""
    if table.range_key_attr is None:
        return list(table.items.values())
    return [item for by_range in list(table.items.values()) for item in list(by_range.values())]


def partition_only(query: Callable[..., Any], partitions: _Partitions) -> Callable[..., Any]:
    """moto's Table.query, handed for an index query only the partition's items that pass its key conditions."""
    signature = inspect.signature(query)

    @functools.wraps(query)
    def narrowed(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        hash_conditions = arguments.get("hash_key_conditions")
        if not arguments.get("index_name") or not hash_conditions or arguments.get("filter_kwargs"):
            return query(self, *args, **kwargs)
        items = partitions.items(self, hash_conditions)
        # moto ends a page on its Limit by looking at the next candidate, matching or not: keep them
        # all then. Without a Limit, drop what moto's own key test would drop, before its sort.
        # (moto's 1 MB page limit also counts a candidate before testing it; no answer here nears it.)
        if arguments.get("limit") is None:
            ranges = arguments.get("range_key_conditions") or []
            items = [item for item in items
                     if all(_passes(item.attrs.get(name), comparison, values) for name, comparison, values in ranges)]
        return query(_PartitionView(self, items), *args, **kwargs)

    return narrowed


def _passes(attribute: Any, comparison: str, values: list[Any]) -> bool:
    """moto's own test of a key condition (an item without the attribute is not in the index)."""
    return attribute is not None and bool(attribute.compare(comparison, values))


if __name__ == "__main__":  # `python -m bench.moto_speed [local.run's options]`: the local stack with the patch
    speed_up()
    from local.run import main

    main()
