"""Benchmark: a bulk send of 100 and of 1,000 recipients on moto; its cost per recipient does not grow with the batch.

Starts the local backend in this process (moto, every resource, the demo data; moto's index
queries narrowed to their partition, bench/moto_speed.py) and hooks every botocore client made
from then on with bench/aws_calls.py's meter. Then, for each size: a fresh firm with signing on,
that many clients (each with a mobile number, made through the service, unmetered), one ready
PDF; then, metered,

  POST /advisor/bulk-sends as the dashboard sends it (a signing request to every client, the PDF
  shared, `{{naam}}` in subject and body, an Idempotency-Key), through the local API Gateway and
  its token authorizer; then the queue drained into `app.send_bulk` by local/queue.py's poller,
  one job (a chunk of 25 recipients) per delivery, as the deployed event source mapping does.

A batch of 5 goes first, its checks made but its figures not shown: the first use of each code
path (lazy imports, new botocore clients) is not a recipient's cost.

It prints, per size, the wall time of the POST and of the drain, the AWS calls per recipient by
service:operation, and DynamoDB capacity units per recipient, counted as DynamoDB bills them from
the items (the meter of bench/aws_calls.py: moto's ConsumedCapacity is a constant and missing for
transactions). The poller's SQS calls (ReceiveMessage, DeleteMessage) stand in for the event
source mapping's, which on AWS polls all the time: they are listed, marked, and left out of the
app's figures. Alongside the drain's time: how much of it went into moto's Queries, which go
through the whole table before keeping the partition (DynamoDB reads only the key range), so they
slow down as the table fills even though the app makes the same number of them per recipient.

It exits 1 when a check fails: the app's calls, read units or write units per recipient at the
larger size more than 10 % off those at the smaller (a read of the whole batch per recipient
would grow them); a duplicate (every client exactly one message of the batch and one notice
e-mail, the advisor one "done" e-mail); anything lost (every recipient sent, since each has a
mobile number and the PDF is ready; the batch `done` with sent + failed = total); any Scan.
A batch pays about 11 calls once (the POST's reads and writes, starting and ending the batch,
the advisor's e-mail) and 6 per chunk of 25, so the sizes compared are whole chunks and not too
small: at 10 against 50 recipients those 11 calls alone put the calls per recipient 22 % apart.

The worker keeps the account's e-mail rate (`BULK_SEND_RATE`, 10 a second shared by 2 workers):
on AWS that alone makes a batch of 1,000 take at least 100 s. Here the rate is set to 100,000 a
second (`--rate`), so that the drain's time is the code's and moto's, not the pace's. The meter
reads item images around every write through its own client; that time is taken out of the
walls shown (and printed beside them).

    .venv/bin/python -m bench.bulk_send                   # 100 and 1,000 recipients
    .venv/bin/python -m bench.bulk_send --sizes 25 100    # the short form (make bench, make test)
    .venv/bin/python -m bench.bulk_send --json            # the figures as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import redirect_stdout
from typing import Any, TypeVar

from bench.aws_calls import Call, CountingStream, Meter, meter_every_client

POST = "POST /advisor/bulk-sends"
DRAIN = "drain (app.send_bulk)"
POLLER = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}
NOTICE = "Nieuw bericht"  # the Dutch notice's subject starts so
DONE_MAIL = "Bulkverzending klaar"
TOLERANCE = 0.10
WARMUP = 5  # recipients of a first batch, not reported: the first use of each code path (imports, clients)
DEPLOYED_RATE = 10.0  # Settings.bulk_send_rate's default: e-mails a second for all the workers together
T = TypeVar("T")


class TimedMeter(Meter):
    """bench/aws_calls.py's meter, keeping the time its own reads of item images take (not the app's)."""

    def __init__(self) -> None:
        super().__init__()
        self.side_seconds = 0.0

    def _side_call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return super()._side_call(operation, **kwargs)
        finally:
            self.side_seconds += time.perf_counter() - started


def firm(api: Any, size: int) -> dict[str, Any]:
    """A fresh firm with signing on, its advisor's token, `size` clients with a mobile number, one ready PDF."""
    from chalicelib import aws
    from chalicelib.auth.principal import Principal
    from chalicelib.clients.service import create_client
    from chalicelib.ids import new_id
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING
    from tests.conftest import random_mobile, upload

    tenant = tenants.create_tenant(aws.ports(), f"Bulk Kantoor {size}", frozenset({SIGNING}))
    email = f"bulk-{new_id().lower()}@bench.example"
    advisor = tenants.add_advisor(aws.ports(), tenant.id, "Bulk Adviseur", email, "Bulk-adviseur-2026!")
    principal = Principal("bench", tenant.id, "advisor", advisor.id)
    clients = [create_client(aws.ports(), principal, {"name": f"Klant{n} Bulk", "phone": random_mobile(),
                                                      "email": f"klant{n}-{new_id().lower()}@bench.example"})
               for n in range(size)]
    token = api.login(email, "Bulk-adviseur-2026!")
    document = upload(api, token).json["id"]
    return {"advisor_email": email, "token": token, "clients": clients, "document": document}


def send_batch(api: Any, meter: TimedMeter, size: int) -> dict[str, Any]:
    """One batch of `size`, metered from the POST to the drained queue; its figures and what its checks found."""
    from chalicelib import aws
    from chalicelib.config import get_settings
    from chalicelib.ids import new_id
    from chalicelib.notify.outbox import read_outbox
    from local.queue import QueuePoller

    setup = firm(api, size)
    mails_before = len(read_outbox()["emails"])
    body = {"subject": "Aangifte 2025 voor {{naam}}", "body": "Beste {{naam}}, graag uw handtekening.",
            "response_type": "sign", "document_ids": [setup["document"]],
            "recipients": [{"client_id": c["id"]} for c in setup["clients"]]}
    poller = QueuePoller(aws.client("sqs"), get_settings().bulk_send_queue_url)
    meter.calls = []
    answer, post_s, post_meter_s = timed(meter, POST, lambda: api.post(
        "/advisor/bulk-sends", setup["token"], body, headers={"Idempotency-Key": new_id()}))
    if answer.status_code != 202:
        return {"recipients": size, "problems": [f"POST answered HTTP {answer.status_code}: {answer.body!r}"]}
    jobs, drain_s, drain_meter_s = timed(meter, DRAIN, poller.drain)
    calls = list(meter.calls)
    emails = read_outbox()["emails"][mails_before:]
    return {"recipients": size, "jobs": jobs,
            "post_ms": (post_s - post_meter_s) * 1000, "post_meter_ms": post_meter_s * 1000,
            "drain_s": drain_s - drain_meter_s, "drain_meter_s": drain_meter_s,
            **figures(calls, size), **reconcile(api, setup, answer.json["id"], emails)}


def timed(meter: TimedMeter, step: str, work: Callable[[], T]) -> tuple[T, float, float]:
    """`work()` metered as `step`: its result, its wall seconds, and the seconds of those the meter's own reads took."""
    meter.step, meter.side_seconds = step, 0.0
    started = time.perf_counter()
    try:
        return work(), time.perf_counter() - started, meter.side_seconds
    finally:
        meter.step = None


def figures(calls: list[Call], size: int) -> dict[str, Any]:
    """Calls per recipient by service:operation (the poller's among them), and the app's totals per recipient."""
    ops = Counter(f"{c.service}:{c.operation}" for c in calls)
    post_ops = Counter(f"{c.service}:{c.operation}" for c in calls if c.step == POST)
    app_calls = [c for c in calls if f"{c.service}:{c.operation}" not in POLLER]
    return {"per_recipient": {name: n / size for name, n in sorted(ops.items())},
            "drain_query_s": sum(c.ms for c in calls if c.step == DRAIN and c.operation == "Query") / 1000,
            "post_calls": dict(sorted(post_ops.items())),
            "units": {name: [sum(getattr(c, unit) for c in calls if f"{c.service}:{c.operation}" == name) / size
                             for unit in ("rru", "wru")] for name in sorted(ops) if name.startswith("dynamodb:")},
            "calls": len(app_calls) / size, "rru": sum(c.rru for c in app_calls) / size,
            "wru": sum(c.wru for c in app_calls) / size, "scan_calls": ops["dynamodb:Scan"]}


def reconcile(api: Any, setup: dict[str, Any], batch: str, emails: list[dict[str, Any]]) -> dict[str, Any]:
    """Nothing lost, nothing twice: the batch done with everyone sent, one message and one notice per client."""
    view = api.get(f"/advisor/bulk-sends/{batch}?limit=1", setup["token"]).json
    messages: Counter[str] = Counter()
    cursor: str | None = ""
    while cursor is not None:  # the firm is the batch's alone: every message it holds counts
        page = api.get(f"/advisor/messages?limit=200{f'&cursor={cursor}' if cursor else ''}", setup["token"]).json
        messages.update(m["client_id"] if m.get("bulk_send_id") == batch else "(not of the batch)" for m in page["items"])
        cursor = page["next_cursor"]
    notices = Counter(to for m in emails if m["subject"].startswith(NOTICE) for to in m["to"])
    clients = setup["clients"]
    found = {"status": view["status"], "total": view["total"], "sent": view["sent"], "failed": view["failed"],
             "messages": sum(messages.values()), "notices": sum(notices.values()), "emails": len(emails),
             "clients_with_one_message": sum(messages[c["id"]] == 1 for c in clients),
             "clients_with_one_notice": sum(notices[c["email"]] == 1 for c in clients),
             "done_emails": sum(1 for m in emails if DONE_MAIL in m["subject"] and setup["advisor_email"] in m["to"])}
    expected = {"status": "done", "total": len(clients), "sent": len(clients), "failed": 0, "messages": len(clients),
                "notices": len(clients), "emails": len(clients) + 1, "clients_with_one_message": len(clients),
                "clients_with_one_notice": len(clients), "done_emails": 1}
    problems = [f"{name} {found[name]}, expected {value}" for name, value in expected.items() if found[name] != value]
    return {"found": found, "problems": problems}


def run(sizes: list[int], rate: float) -> dict[str, Any]:
    import warnings

    from bench import moto_speed
    from local.stack import LocalStack
    from tests.conftest import Api, free_port

    warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")
    os.environ["BULK_SEND_RATE"] = str(rate)  # read once, with the other settings, on first use
    meter = TimedMeter()
    meter_every_client(meter)
    moto_speed.speed_up()
    stack = LocalStack(host="127.0.0.1", moto_port=free_port(), port=free_port())
    stack.start_backend(stage="test")
    try:
        import boto3

        from app import app
        from chalicelib.observability import logger
        from local.gateway import ApiClient

        meter.use_side_client(boto3.session.Session().client("dynamodb", endpoint_url=stack.endpoint,
                                                             region_name="eu-west-1"))
        stream = CountingStream()  # the app's log lines and EMF metrics: out of the report
        for handler in logger.handlers:
            if hasattr(handler, "setStream"):
                handler.setStream(stream)
        with ApiClient(app, stage_name="local") as client, redirect_stdout(stream):
            warm, *batches = [send_batch(Api(client), meter, size) for size in (WARMUP, *sizes)]
    finally:
        stack.stop()
    problems = [f"warm-up: {p}" for p in warm["problems"]] + check(batches)
    return {"sizes": sizes, "rate": rate, "batches": batches, "problems": problems}


def check(batches: list[dict[str, Any]]) -> list[str]:
    problems = [f"{b['recipients']} recipients: {p}" for b in batches for p in b["problems"]]
    problems += [f"{b['recipients']} recipients: {b['scan_calls']} Scan calls" for b in batches if b.get("scan_calls")]
    if problems:
        return problems
    small, large = batches[0], batches[-1]
    for name, label in (("calls", "AWS calls"), ("rru", "read units"), ("wru", "write units")):
        ratio = large[name] / small[name]
        if abs(ratio - 1) > TOLERANCE:
            problems.append(f"{label} per recipient {large[name]:.3f} at {large['recipients']} against "
                            f"{small[name]:.3f} at {small['recipients']}: ratio {ratio:.3f}, goal within ±{TOLERANCE:.0%}")
    return problems


def print_report(report: dict[str, Any]) -> None:
    batches = report["batches"]
    if not all("jobs" in b for b in batches):
        return  # a POST was refused: the problems say so
    sizes = " and ".join(f"{b['recipients']:,}" for b in batches)
    print(f"bulk send on moto: {sizes} recipients, a signing request "
          f"each (one shared PDF), e-mail rate {report['rate']:,.0f}/s")
    print(f"  {'recipients':>10} {'jobs':>5} {'POST ms':>8} {'drain s':>8} {'ms/recipient':>13} {'in Query s':>11}"
          f" {'at 10/s':>8}   (meter's own reads, taken out: POST ms, drain s)")
    for b in batches:
        print(f"  {b['recipients']:>10,} {b['jobs']:>5} {b['post_ms']:>8.0f} {b['drain_s']:>8.2f} "
              f"{b['drain_s'] * 1000 / b['recipients']:>13.1f} {b['drain_query_s']:>11.2f} "
              f"{b['recipients'] / DEPLOYED_RATE:>7.0f}s   ({b['post_meter_ms']:.0f}, {b['drain_meter_s']:.2f})")
    print("  in Query s: the drain's time inside moto's Queries, which go through the whole table (DynamoDB reads the")
    print(f"  key range); at 10/s: the least a drain takes on AWS at the deployed e-mail rate ({DEPLOYED_RATE:.0f} a second)")
    names = sorted({n for b in batches for n in b["per_recipient"]})
    print("\n  AWS calls per recipient (POST + drain), by service:operation; [p] = the local poller's, not the app's")
    print(f"  {'service:operation':<34}" + "".join(f"{b['recipients']:>10,}" for b in batches) + f"{'ratio':>8}")
    for name in names:
        values = [b["per_recipient"].get(name, 0.0) for b in batches]
        ratio = f"{values[-1] / values[0]:>8.2f}" if values[0] else f"{'-':>8}"
        marker = "[p] " if name in POLLER else ""
        print(f"  {marker + name:<34}" + "".join(f"{v:>10.3f}" for v in values) + ratio)
    for name, label in (("calls", "the app's calls"), ("rru", "DynamoDB read units"), ("wru", "DynamoDB write units")):
        values = [b[name] for b in batches]
        print(f"  {label:<34}" + "".join(f"{v:>10.3f}" for v in values) + f"{values[-1] / values[0]:>8.2f}")
    for b in batches:
        print(f"  units per recipient at {b['recipients']:,} (read/write): "
              + ", ".join(f"{k.split(':')[1]} {r:.2f}/{w:.2f}" for k, (r, w) in b["units"].items()))
    for b in batches:
        print(f"  the POST of {b['recipients']:,}: " + ", ".join(f"{k}×{v}" for k, v in b["post_calls"].items()))
    print(f"  goal: the app's calls and units per recipient within ±{TOLERANCE:.0%} from {batches[0]['recipients']:,} "
          f"to {batches[-1]['recipients']:,}; every client one message and one notice; the batch done, none lost")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs=2, default=[100, 1000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--rate", type=float, default=100_000.0, help="BULK_SEND_RATE, e-mails a second (default 100,000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(sorted(args.sizes), args.rate)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
        for problem in report["problems"][:20]:
            print(f"  ! {problem}")
    if report["problems"]:
        sys.exit(1)
    return report


if __name__ == "__main__":
    main()
