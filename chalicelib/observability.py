"""The one Logger and Metrics of the app; the Tracer only when tracing is on (it costs ~0.9 s to import)."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = "signing-portal"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="SigningPortal", service=SERVICE)


@functools.cache
def tracer() -> Any:
    """Powertools Tracer, created on first use and only when TRACING=true; else None."""
    from chalicelib.config import get_settings

    if not get_settings().tracing:
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def count(metric: str, value: int = 1) -> None:
    """Add to a business metric (EMF), flushed at the end of each invocation."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
