"""What counts as a failed dependency: the adapters' own exceptions, as they reach the last line of defence."""

from __future__ import annotations


def is_dependency_failure(exc: Exception) -> bool:
    """Throttling, a 5xx or a timeout from AWS, raw from botocore or PynamoDB.

    Business-rule refusals (failed conditions) are translated into domain errors by the store;
    what still arrives as one of these is a dependency that failed, and the caller may retry.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    return isinstance(exc, (BotoCoreError, ClientError, PynamoDBException))
