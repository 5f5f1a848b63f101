"""The records of Idempotency-Keys (store-internal): read with a step's items, written in its transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from chalicelib.errors import DependencyFailed
from chalicelib.idempotency import KEPT, Answer, IdempotencyKey, Recorded
from chalicelib.store import keys
from chalicelib.store.models import IdempotencyItem
from chalicelib.store.reads import Found, Wanted
from chalicelib.store.transaction import Transition

PART = "idempotency"  # the record's name among the items of a read and the parts of a transaction


def wanted(key: IdempotencyKey) -> Wanted:
    return IdempotencyItem, keys.tenant(key.tenant_id), keys.idempotency(key.scope)


def answer_in(found: Found, now: datetime) -> Answer | None:
    """The answer a read found under the key, unless it has expired."""
    return _answer(found.get(PART, IdempotencyItem), now)


def read_answer(key: IdempotencyKey, now: datetime) -> Answer | None:
    """The answer under `key`, read on its own (after a transaction the key refused)."""
    try:
        item = IdempotencyItem.get(*wanted(key)[1:], consistent_read=True)
    except DoesNotExist:
        return None
    except PynamoDBException as exc:
        raise DependencyFailed() from exc
    return _answer(item, now)


def put_record(transition: Transition, recorded: Recorded, now: datetime) -> None:
    """The key's record into the step's transaction; refused ("idempotency") while an earlier one lives."""
    expires = int((now + KEPT).timestamp())
    _, pk, sk = wanted(recorded.key)
    transition.put(PART, IdempotencyItem(pk, sk, fingerprint=recorded.key.fingerprint, answer=_json(recorded.body),
                                         expires_at=expires, ttl=expires),
                   IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at <= int(now.timestamp())))


def update_answer(transition: Transition, recorded: Recorded) -> None:
    """The recorded answer as the step finally gave it (the notice sent or not)."""
    _, pk, sk = wanted(recorded.key)
    transition.update(PART, IdempotencyItem(pk, sk), [IdempotencyItem.answer.set(_json(recorded.body))],
                      IdempotencyItem.fingerprint == recorded.key.fingerprint)


def _answer(item: IdempotencyItem | None, now: datetime) -> Answer | None:
    if item is None or int(item.expires_at) <= int(now.timestamp()):
        return None
    return Answer(fingerprint=item.fingerprint, body=json.loads(item.answer),
                  expires_at=datetime.fromtimestamp(int(item.expires_at), UTC))


def _json(body: object) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
