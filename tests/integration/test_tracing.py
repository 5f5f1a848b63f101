"""TRACING=true traces every invocation through Powertools' Tracer; off, no Tracer is built.

Building one imports the X-Ray SDK and patches botocore, ~0.9 s of cold start (Powertools itself
imports the Tracer's module with the Logger; the cost is in the SDK that the Tracer loads).

Each case runs in a fresh interpreter with the prod stage's environment (`.chalice/config.json`),
as a Lambda container would: the Tracer patches botocore process-wide, and whether it was imported
can only be read from a process that never imported it. With tracing on, the child poses as a
Lambda container with an active trace, and the X-Ray recorder's emitter is replaced by a list, so
nothing leaves the process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"

CHILD = """
import json, sys
from chalice.test import Client
from app import app

report = {"xray_after_import": "aws_xray_sdk" in sys.modules, "sent": []}
if sys.argv[1] == "on":
    from aws_xray_sdk.core import xray_recorder

    class ListEmitter:  # stands in for the UDP emitter to the X-Ray daemon
        def send_entity(self, entity):
            report["sent"].append(json.loads(entity.serialize()))

        def set_daemon_address(self, address):
            pass

    xray_recorder.configure(emitter=ListEmitter())
with Client(app) as client:
    report["statuses"] = [client.http.get("/health").status_code for _ in range(2)]
report["xray_imported"] = "aws_xray_sdk" in sys.modules
if report["xray_imported"]:
    from aws_xray_sdk.core import patcher

    report["patched"] = sorted(patcher._PATCHED_MODULES)
print(json.dumps(report))
"""


def run_app(tracing: bool) -> dict[str, Any]:
    """Two requests to /health in a fresh interpreter with the prod stage's environment."""
    stage = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))["stages"]["prod"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE", "USER_POOL", "STAGE", "TRACING"))}
    env.update({k: re.sub(r"\$\{(\w+)\}", r"test-\1", v) for k, v in stage["environment_variables"].items()})
    env.update({"TRACING": "true" if tracing else "false", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
                "AWS_LAMBDA_FUNCTION_NAME": "signing-portal-APIHandler", "LAMBDA_TASK_ROOT": str(ROOT),
                "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:9"})  # the discard port, should anything try UDP
    done = subprocess.run([sys.executable, "-c", CHILD, "on" if tracing else "off"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_with_tracing_on_each_invocation_is_a_subsegment_of_the_lambda_trace_and_aws_calls_are_traced():
    report = run_app(tracing=True)
    assert report["statuses"] == [200, 200]
    assert not report["xray_after_import"], "importing app must not import the Tracer, even with tracing on"
    subsegments = [entity for entity in report["sent"] if entity["type"] == "subsegment"]
    assert [s["name"] for s in subsegments] == ["## GET /health", "## GET /health"]
    assert all(s["trace_id"] == TRACE_ID and not s["in_progress"] for s in subsegments)
    assert [s["annotations"] for s in subsegments] == [{"ColdStart": True, "Service": "signing-portal"},
                                                       {"ColdStart": False, "Service": "signing-portal"}]
    assert all("metadata" not in s for s in subsegments), "answers carry tokens: no response is recorded"
    assert "botocore" in report["patched"]  # every AWS call from then on is a subsegment too


def test_with_tracing_off_no_tracer_is_built_and_the_xray_sdk_is_never_imported():
    report = run_app(tracing=False)
    assert report["statuses"] == [200, 200]
    assert not report["xray_imported"]
