"""Patches to moto's DynamoDB emulation for the local stack, checked against one moto version.

`apply()` is called wherever the local stack starts (`make run`, the tests, the benchmarks):
    1. Atomic transactions. moto's threaded server runs concurrent requests interleaved, and its
       DynamoDB backend has no lock: two TransactWriteItems whose conditions exclude each other
       can both commit, a read can see the writes of a transaction that is cancelled a moment
       later, and that cancellation puts back a copy of the table taken before other requests
       wrote to it. DynamoDB runs each transaction atomically and never shows uncommitted writes.
       Here every DynamoDB request runs alone, under one lock around moto's DynamoDB request
       handler. The GIL serialises moto's work anyway, so the lock costs next to nothing.
    2. Item-scoped rollback. Before each TransactWriteItems moto deep-copies every table the
       transaction touches, so a transaction costs time in proportion to the table. Here only the
       touched items are kept and restored. Under the lock this is not a matter of correctness but
       of a usable test suite: without it tests/api takes 5.5 minutes instead of 1.2
       (docs/performance.md).

The benchmarks that measure how costs grow with the table add a speed patch of their own
(`bench/moto_speed.py`); the tests and `make run` do without it.

`tests/integration/test_moto_fixes.py` shows that TESTED_MOTO still needs each patch, that the
patches keep moto's answers, and that they are thread-safe. On another moto version `apply()`
refuses to run (and the benchmarks' speed patch is skipped with a warning): run those tests, drop
a patch that moto no longer needs, then set TESTED_MOTO.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

TESTED_MOTO = "5.2.5"

_requests = threading.RLock()  # held for the whole of each DynamoDB request
_patching = threading.Lock()
_applied: set[str] = set()


class MotoVersionError(RuntimeError):
    """The installed moto is not the version these patches were checked against."""


def installed_moto() -> str:
    import moto

    return str(moto.__version__)


Patch = tuple[Any, str, Any]  # (owner, attribute, replacement)


def apply() -> None:
    """Run each DynamoDB request of this process alone, and roll transactions back item by item. Idempotent.

    Raises
    ------
    MotoVersionError
        When the installed moto is not TESTED_MOTO: whether moto still interleaves transactions
        must be checked again before the local stack's concurrency means anything.
    """
    with _patching:
        if "local stack" in _applied:
            return
        installed = installed_moto()
        if installed != TESTED_MOTO:
            raise MotoVersionError(
                f"local/moto_fixes.py was checked against moto {TESTED_MOTO}, but moto {installed} is installed. "
                "Run tests/integration/test_moto_fixes.py against it: a failing 'still needs' test means moto fixed "
                "that itself and its patch can go. Then set TESTED_MOTO to the new version."
            )
        install(local_stack_patches())
        _applied.add("local stack")


_originals: dict[tuple[Any, str], Any] = {}


def install(patches: list[Patch]) -> None:
    """Put each replacement in place, remembering the first original of each attribute."""
    for owner, name, replacement in patches:
        _originals.setdefault((owner, name), getattr(owner, name))
        setattr(owner, name, replacement)


def originals() -> dict[tuple[Any, str], Any]:
    """What the installed patches replaced, by (owner, attribute): for tests that run moto as it is."""
    return dict(_originals)


def local_stack_patches() -> list[Patch]:
    """The patches of `apply()`, built on what is installed now."""
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.responses import DynamoHandler

    backend = dynamodb_models.DynamoDBBackend
    return [(DynamoHandler, "call_action", one_request_at_a_time(DynamoHandler.call_action)),
            (backend, "transact_write_items", item_scoped_rollback(backend.transact_write_items)),
            (dynamodb_models, "copy", _TablesNotCopied())]


def one_request_at_a_time(call_action: Callable[..., Any]) -> Callable[..., Any]:
    """moto's DynamoDB request handler, holding the process-wide request lock."""

    @functools.wraps(call_action)
    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _requests:
            return call_action(self, *args, **kwargs)

    return serialised


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB models: a Table is not copied, so
    moto's own rollback (putting that copy back) does nothing and `item_scoped_rollback` does it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def item_scoped_rollback(transact_write_items: Callable[..., Any]) -> Callable[..., Any]:
    """moto's TransactWriteItems, keeping and restoring only the items it writes."""

    @functools.wraps(transact_write_items)
    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _requests:  # nothing may write between the snapshot and the restore
            before = [_snapshot(self, op_type, op) for entry in transact_items for op_type, op in entry.items()
                      if op_type != "ConditionCheck"]
            try:
                transact_write_items(self, transact_items)
            except Exception:
                for table_name, key, attributes in filter(None, before):
                    if attributes is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, attributes)
                raise

    return transact


def _snapshot(backend: Any, op_type: str, op: dict[str, Any]) -> tuple[str, dict[str, Any], Any] | None:
    """(table, key, attributes or None) of the item an operation writes; None when moto will refuse it."""
    try:
        table_name = op["TableName"]
        if op_type == "Put":
            table = backend.get_table(table_name)
            names = [n for n in (table.hash_key_attr, table.range_key_attr) if n is not None]
            key = {n: op["Item"][n] for n in names}
        else:
            key = op["Key"]
        current = backend.get_item(table_name, key)
    except Exception:  # noqa: BLE001 - moto raises its own validation error for the operation
        return None
    return table_name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None
