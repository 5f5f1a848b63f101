"""The one Logger and Metrics of the app; the Tracer only when tracing is on (it costs ~0.9 s to import)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

SERVICE = "signing-portal"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="SigningPortal", service=SERVICE)


T = TypeVar("T")
_traced_invocations = itertools.count()


@functools.cache
def tracer() -> Any:
    """Powertools Tracer, created on first use and only when TRACING=true; else None.

    Creating it patches botocore (and requests), so from then on every AWS call is a subsegment.
    """
    from chalicelib.config import get_settings

    if not get_settings().tracing:
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def traced(event: Any, handle: Callable[[Any], T]) -> T:
    """`handle(event)`, inside an X-Ray subsegment when tracing is on (the first call builds the Tracer).

    The subsegment is named after the route (or the function) and annotated with ColdStart and
    Service, as Powertools' `capture_lambda_handler` does, but it records no response: answers
    carry tokens and personal data. An exception is recorded on the subsegment and raised on.
    """
    active = tracer()
    if active is None:
        return handle(event)
    with active.provider.in_subsegment(name=f"## {_traced_name(event)}") as subsegment:
        subsegment.put_annotation(key="ColdStart", value=next(_traced_invocations) == 0)
        subsegment.put_annotation(key="Service", value=SERVICE)
        return handle(event)


def _traced_name(event: Any) -> str:
    if hasattr(event, "method"):  # an HTTP request: its route, not its path (ids would make every trace unique)
        return f"{event.method} {(event.context or {}).get('resourcePath', event.path)}"
    return str(getattr(getattr(event, "context", None), "function_name", type(event).__name__))


def count(metric: str, value: int = 1) -> None:
    """Add to a business metric (EMF), flushed at the end of each invocation."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
