"""One PynamoDB connection per container for transactions (a new one builds a botocore client: ~50 ms)."""

from __future__ import annotations

import functools

from pynamodb.connection import Connection


@functools.cache
def shared_connection() -> Connection:
    from chalicelib.config import get_settings

    return Connection(region=get_settings().region)
