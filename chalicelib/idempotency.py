"""Idempotency-Key support on the domain functions (Powertools Idempotency, DynamoDB persistence).

Powertools keeps the first answer and replays it. While a call runs its record is INPROGRESS;
with the Lambda context registered, that claim lasts only as long as the invocation could
still run, so a call that died (a timeout) can be retried once its function would have stopped,
instead of answering 409 for the whole hour.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, FieldError, IdempotencyKeyReused, ValidationFailed

WINDOW_SECONDS = 3600
MAX_KEY_LENGTH = 255


@functools.cache
def _persistence() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib import aws

    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table_name,
                                    boto3_client=aws.client("dynamodb"))


def _config(lambda_context: Any) -> Any:
    """One config per call: it holds the invocation's context, which concurrent calls do not share."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="payload",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=WINDOW_SECONDS,
        use_local_cache=False,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    return config


def run_once(operation: str, principal: Principal, key: str | None, payload: dict[str, Any],
             run: Callable[[], dict[str, Any]], lambda_context: Any = None) -> dict[str, Any]:
    """Run `run` once per (operation, caller, key) within an hour; replay its answer after that.

    The same key with a different payload is IdempotencyKeyReused; one still running is a Conflict.
    Without a key the operation simply runs.
    """
    if key is None:
        return run()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(FieldError("Idempotency-Key", "invalid_idempotency_key"))
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=_persistence(),
                         config=_config(lambda_context))
    def once(request: dict[str, Any]) -> dict[str, Any]:
        return run()

    scoped = f"{operation}:{principal.tenant_id}:{principal.subject_id}:{key}"
    try:
        result: dict[str, Any] = once(request={"key": scoped, "payload": payload})
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused() from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict("request_in_progress") from exc
    return result
