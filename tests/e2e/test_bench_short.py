"""The benchmarks' correctness checks in their short form: no timing is asserted here.

The figures (throughput, latencies, cost) come from `make bench` / `python -m bench.run_all`;
these tests only hold what must be true at any speed: a load of full signing flows ends with
zero errors and nothing lost, one SMS per signature, and over one flow no Scan and a single
JWKS fetch per container.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.load import local_stack, run_load

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_ten_flows_by_five_workers_end_signed_with_nothing_lost(tmp_path):
    # Its own stack: the flows add client cards to the demo firm, which the shared stack's tests count.
    with local_stack(log_dir=tmp_path) as stack:
        report = run_load(stack.url, flows=10, workers=5, max_seconds=600)
    assert report.errors == []
    assert report.problems == []  # per client one SMS and two e-mails, per flow one 'signed' e-mail
    assert report.completed == 10
    assert report.sms_sent == 10
    assert all(r.signed and r.receipt_valid for r in report.results)
    assert {t.status for t in report.timings} <= {200, 201, 202, 204}


def test_one_flow_makes_no_scan_fetches_the_jwks_once_and_sends_one_sms():
    # A fresh interpreter: the meter must hook every botocore client from the container's start.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE", "USER_POOL", "STAGE"))}
    done = subprocess.run([sys.executable, "-m", "bench.aws_calls", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-3000:]
    report = json.loads(lines[-1])
    assert report["flow_errors"] == [] and report["flows_signed"] == report["flows"] == 2
    assert report["scan_calls"] == 0
    assert report["jwks_fetches"] == 1
    assert report["sms_per_flow"] == [1, 1] and report["sms_sent"] == 2
    # every protected request reached the route through the authorizer's principal lookup
    assert all("authorizer" in phases for step, phases in report["calls"].items()
               if not step.startswith(("POST /auth/",)))
