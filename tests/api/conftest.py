"""Fixtures of the API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import aws
from chalicelib.clock import FixedClock, SystemClock


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    # Today at 10:00 UTC: far from midnight, so advancing it never crosses a day boundary.
    fixed = FixedClock(SystemClock().now().replace(hour=10, minute=0, second=0, microsecond=0))
    aws.use_clock(fixed)
    yield fixed
    aws.use_clock(None)
