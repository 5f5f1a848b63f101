"""One PynamoDB connection per container for transactions (a new one builds a botocore client: ~50 ms)."""

from __future__ import annotations

import functools

from pynamodb.connection import Connection


@functools.cache
def shared_connection() -> Connection:
    from chalicelib.config import get_settings
    from chalicelib.store.models import CONNECT_TIMEOUT_SECONDS, MAX_RETRY_ATTEMPTS, READ_TIMEOUT_SECONDS

    return Connection(region=get_settings().region, connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
                      read_timeout_seconds=READ_TIMEOUT_SECONDS, max_retry_attempts=MAX_RETRY_ATTEMPTS)
