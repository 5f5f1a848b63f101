"""One all-or-nothing change of several items: DynamoDB TransactWriteItems through PynamoDB.

A refused condition is reported by the names of the parts that refused it, so a repository can
tell its callers which business rule said no; anything else (throttling, a 5xx, a timeout) is a
dependency failure the caller may retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import DependencyFailed
from chalicelib.store.connection import shared_connection
from chalicelib.store.models import Item


class TransitionRefused(Exception):
    """A condition of a transaction failed; `failed` names which parts refused."""

    def __init__(self, failed: set[str]) -> None:
        super().__init__(", ".join(sorted(failed)))
        self.failed = failed



class TransitionContended(DependencyFailed):
    """Another transaction was writing a part at that very moment (TransactionConflict), so nothing was
    written: a retryable failure, which a step that reads again and settles anew may handle itself."""

    def __init__(self, parts: set[str]) -> None:
        super().__init__()
        self.parts = parts


@dataclass
class Transition:
    """One all-or-nothing change: updates with their conditions, and new items."""

    updates: list[tuple[str, Model, list[Action], Condition | None]] = field(default_factory=list)
    puts: list[tuple[str, Model, Condition | None]] = field(default_factory=list)
    checks: list[tuple[str, Item, Condition]] = field(default_factory=list)

    def update(self, name: str, item: Model, actions: Sequence[Action], condition: Condition | None = None) -> None:
        self.updates.append((name, item, list(actions), condition))

    def put(self, name: str, item: Model, condition: Condition | None = None) -> None:
        """A new item: refused when one with its key exists (or, given `condition`, unless that holds)."""
        self.puts.append((name, item, condition))

    def check(self, name: str, item: Item, condition: Condition) -> None:
        """A condition on an item that the change does not write."""
        self.checks.append((name, item, condition))

    def commit(self, token: str | None = None) -> None:
        """All or nothing. `token` (at most 36 characters) names this change: DynamoDB answers a retry
        of a committed change with the same token as a success instead of refusing its conditions,
        so the client's own retry after a lost answer does not look like someone else's write."""
        # PynamoDB sends condition checks first, then puts, then updates: the reasons come in that order.
        names = ([name for name, *_ in self.checks] + [name for name, *_ in self.puts]
                 + [name for name, *_ in self.updates])
        try:
            with TransactWrite(connection=shared_connection(), client_request_token=token) as tx:
                for _, checked, check in self.checks:
                    tx.condition_check(type(checked), checked.pk, checked.sk, condition=check)
                for _, item, actions, condition in self.updates:
                    tx.update(item, actions=actions, condition=condition)
                for _, item, condition in self.puts:
                    tx.save(item, condition=Item.pk.does_not_exist() if condition is None else condition)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            failed = {names[i] for i, reason in enumerate(reasons) if reason and reason.code == "ConditionalCheckFailed"}
            contended = {names[i] for i, reason in enumerate(reasons) if reason and reason.code == "TransactionConflict"}
            if contended and not failed:
                raise TransitionContended(contended) from exc
            if not failed:  # throttled, failed or timed out: the caller may retry
                raise DependencyFailed() from exc
            raise TransitionRefused(failed) from exc


def condition_failed(exc: PynamoDBException) -> bool:
    """Whether a single-item write was refused by its condition (not throttled, failed or timed out)."""
    return exc.cause_response_code == "ConditionalCheckFailedException"


CONTENDED_ATTEMPTS = 5  # of a change that meets another at the same moment


def committed(transition: Transition) -> bool:
    """All or nothing: False when a condition refused it; a change that met another at that very moment
    (TransactionConflict) is tried again after a short pause."""
    from chalicelib.clock import back_off

    for attempt in range(CONTENDED_ATTEMPTS):
        if attempt:
            back_off(attempt)
        try:
            transition.commit()
        except TransitionRefused:
            return False
        except TransitionContended:
            if attempt == CONTENDED_ATTEMPTS - 1:
                raise
            continue
        return True
    raise AssertionError("unreachable")
