"""Pending time stamps: a receipt sealed while the authority did not answer gets its stamp within minutes.

The scheduled run (every five minutes deployed; every few seconds in the local stack) asks the
authority for each pending receipt's token, oldest first, and stops at the first that fails: the
authority is still down, and the next run tries again. It reports how old the oldest stamp still
pending is, which the alarm watches (more than an hour is an authority down for too long).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.clock import parse_iso
from chalicelib.errors import DependencyFailed
from chalicelib.observability import count, logger, metrics

if TYPE_CHECKING:
    from chalicelib.ports import Ports

BATCH = 100
AGE_METRIC = "PendingTimestampMinutes"
# Well inside the function's 120 s: each stamp may wait for the authority's timeout.
TIME_BUDGET_SECONDS = 60.0


@dataclass(frozen=True)
class StampRun:
    stamped: int
    pending: int
    oldest_pending_minutes: int

    def to_api(self) -> dict[str, int]:
        return {"stamped": self.stamped, "pending": self.pending, "oldest_pending_minutes": self.oldest_pending_minutes}


def stamp_pending(ports: Ports, budget_seconds: float = TIME_BUDGET_SECONDS) -> StampRun:
    """Obtain the pending time stamps, oldest first, until the authority fails, the time budget is
    spent, or none is left."""
    pending = ports.signing.pending_stamps(BATCH)
    done = 0
    deadline = time.monotonic() + budget_seconds
    for receipt in pending:
        if time.monotonic() > deadline:
            break  # the next run goes on
        try:
            token = ports.timestamper.stamp(base64.b64decode(receipt.seal_signature))
        except DependencyFailed:
            logger.warning("time-stamping authority still unavailable", extra={"pending": len(pending) - done})
            break
        ports.signing.record_stamp(receipt, token)  # False: another run was first, which is as good
        done += 1
    left = pending[done:]
    now = ports.clock.now()
    oldest = int((now - parse_iso(left[0].signed_at)).total_seconds() // 60) if left else 0
    if done:
        count("TimestampsObtained", done)
    _report_age(oldest)
    return StampRun(stamped=done, pending=len(left), oldest_pending_minutes=oldest)


def _report_age(minutes: int) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=AGE_METRIC, unit=MetricUnit.Count, value=minutes)
