"""Two fixes to moto's DynamoDB TransactWriteItems, applied to the local stack only.

1. moto snapshots every touched *table* (a deep copy of all its items) before each
   transaction, so a transaction costs time in proportion to the table's size; DynamoDB's
   cost depends on the items in the transaction. With tens of thousands of items the emulator,
   not our code, dominates any measurement. Here only the touched items are snapshotted.
2. moto's threaded server runs transactions of concurrent requests interleaved; DynamoDB
   runs them atomically. A lock serialises them, so concurrency tests mean what they say.
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
    _applied = True
