"""The benchmarks' correctness checks in their short form: no timing is asserted here.

The figures (throughput, latencies, cost) come from `make bench` / `python -m bench.run_all`;
these tests only hold what must be true at any speed: a load of full signing flows ends with
zero errors and nothing lost, one SMS per signature, and over the flows of bench/aws_calls.py
no Scan and a single JWKS fetch per container. Issue 13's budget of AWS calls (at most 30
from send to the advisor's notifications, a sign at most 8, an Idempotency-Key adding at most
4) is asserted too: counts of calls, not times.

Bulk sends (bench/bulk_send.py, 25 and 100 recipients): every client exactly one message and one
notice, nobody lost, and a recipient's calls and capacity units the same, within 10 %, in both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.load import local_stack, run_load

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SIGN = "POST /portal/signing-requests/{id}/sign"
KEYED_STEPS = ["POST /advisor/messages", SIGN]



@pytest.fixture(scope="module")
def calls() -> dict[str, Any]:
    """bench/aws_calls.py's figures, from one run in a fresh interpreter (the meter must hook every
    botocore client from the container's start). Its exit status is not asserted: it is 1 while the
    budget is not met, and the tests below say which part failed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE", "USER_POOL", "STAGE"))}
    done = subprocess.run([sys.executable, "-m", "bench.aws_calls", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def test_ten_flows_by_five_workers_end_signed_with_nothing_lost(tmp_path: Path) -> None:
    # Its own stack: the flows add client cards to the demo firm, which the shared stack's tests count.
    with local_stack(log_dir=tmp_path) as stack:
        report = run_load(stack.url, flows=10, workers=5, max_seconds=600)
    assert report.errors == []
    assert report.problems == []  # per client one SMS and two e-mails, per flow one 'signed' e-mail
    assert report.completed == 10
    assert report.sms_sent == 10
    assert all(r.signed and r.receipt_valid for r in report.results)
    assert {t.status for t in report.timings} <= {200, 201, 202, 204}


def test_the_flows_make_no_scan_fetch_the_jwks_once_and_send_one_sms_each(calls: dict[str, Any]) -> None:
    assert calls["flow_errors"] == [] and calls["flows_signed"] == calls["flows"] == 4
    assert calls["problems"] == []
    assert calls["scan_calls"] == 0
    assert calls["jwks_fetches"] == 1
    assert calls["sms_per_flow"] == [1, 1, 1, 1] and calls["sms_sent"] == 4
    # every protected request reached the route through the authorizer's principal lookup
    assert all("authorizer" in phases for step, phases in calls["calls"].items()
               if not step.startswith(("POST /auth/",)))


def test_keys_go_only_where_the_dashboard_and_portal_send_them_and_notifications_are_counted(calls: dict[str, Any]) -> None:
    assert calls["keyed_steps"] == {"with_key": [KEYED_STEPS, KEYED_STEPS], "without_key": [[], []]}
    assert calls["key_replay_problems"] == []  # each keyed request, sent again with its key, answered the same
    for mode in ("with_key", "without_key"):
        assert "GET /advisor/notifications" in calls["modes"][mode]["steps"]
    assert calls["cost_mode"] == "with_key"


def test_the_flow_without_a_key_makes_at_most_30_calls_from_send_to_notifications(calls: dict[str, Any]) -> None:
    assert calls["scan_calls"] == 0
    assert calls["modes"]["without_key"]["total"] <= 30


def test_a_signature_makes_at_most_8_calls(calls: dict[str, Any]) -> None:
    assert calls["modes"]["without_key"]["steps"][SIGN] <= 8


def test_an_idempotency_key_adds_at_most_4_calls_in_all(calls: dict[str, Any]) -> None:
    assert calls["key_extra"] <= 4
    assert calls["budget_problems"] == []


BULK_SIZES = (25, 100)  # whole chunks of 25, and large enough that a batch's own ~11 calls weigh little


@pytest.fixture(scope="module")
def bulk() -> dict[str, Any]:
    """bench/bulk_send.py's figures in its short form, from one run in a fresh interpreter (the meter must hook
    every botocore client from the start, and the e-mail rate is a setting read once). Its exit status is not
    asserted: the tests below say which check failed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE", "USER_POOL", "STAGE", "BULK_"))}
    done = subprocess.run([sys.executable, "-m", "bench.bulk_send", "--sizes", *map(str, BULK_SIZES), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def test_a_bulk_send_gives_every_client_one_message_and_one_notice_and_loses_no_one(bulk: dict[str, Any]) -> None:
    assert [b["recipients"] for b in bulk["batches"]] == list(BULK_SIZES)
    for batch in bulk["batches"]:
        n, found = batch["recipients"], batch["found"]
        assert batch["problems"] == []
        assert (found["status"], found["total"], found["sent"], found["failed"]) == ("done", n, n, 0)
        assert found["messages"] == found["clients_with_one_message"] == n
        assert found["notices"] == found["clients_with_one_notice"] == n
        assert (found["done_emails"], found["emails"]) == (1, n + 1)  # and nothing else was mailed
        assert batch["scan_calls"] == 0


def test_a_bulk_recipient_costs_the_same_calls_and_capacity_in_a_batch_of_100_as_in_one_of_25(
        bulk: dict[str, Any]) -> None:
    small, large = bulk["batches"]
    for figure in ("calls", "rru", "wru"):  # the app's AWS calls, read units, write units per recipient
        assert abs(large[figure] / small[figure] - 1) <= 0.10, (figure, small[figure], large[figure])
    assert bulk["problems"] == []  # the warm-up batch's checks included
