"""Benchmark: a bounded load run of full signing flows against the local stack on 127.0.0.1.

Starts the local product the way `make run` does (`python -m local.run` on free ports; moto,
the API and the demo data in one process), with moto's index queries narrowed to their partition
(bench/moto_speed.py) so that their cost does not grow with the table as the flows fill it,
runs one untimed warm-up flow, then lets W workers run F full signing flows over HTTP, and
stops everything by itself. One flow, as the dashboard and the portal make it:

  advisor login → new client card (own phone number) → invite → activate from the e-mailed
  link → client login → document (presigned POST to S3 + complete) → signing request (with
  an Idempotency-Key) → portal list, message, signing screen → SMS code → verify → sign
  (Idempotency-Key) → advisor receipt (seal and document verified) → evidence bundle,
  checked offline with tools/verify_evidence.py.

Each flow has its own client and phone number, so the per-phone limit of 10 SMS a day is never
what stops a flow. Only loopback traffic: the stack, its moto and every request stay on
127.0.0.1. The run fails (exit status 1) on any error or anything lost: every flow must end
signed with a valid receipt, every client must have exactly one SMS, and the outbox must hold
exactly the e-mails and SMS the flows account for. It prints throughput and p50/p95/p99 per
endpoint (the /dev/outbox reads that stand in for a mailbox and a phone are listed apart).

    .venv/bin/python -m bench.load                         # 200 flows by 20 workers
    .venv/bin/python -m bench.load --flows 10 --workers 5  # the short form of make test
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import os
import re
import secrets
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

import requests

from local.launch import local_stack

ROOT = Path(__file__).resolve().parents[1]
ADVISOR = ("adviseur@demo.example", "Adviseur-demo-2026!")  # the demo firm, signing on
CLIENT_PASSWORD = "Bench-klant-2026!"
# One empty page: `complete` checks a PDF with a real parser.
PDF = (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\n"
       b"endobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n"
       b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class FlowError(Exception):
    """A step answered something other than what the flow expects."""


class Transport(Protocol):
    def call(self, label: str, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]: ...

    def outbox(self) -> dict[str, Any]: ...

    def upload(self, form: dict[str, Any], content: bytes) -> int: ...


@dataclass
class Timing:
    label: str
    ms: float
    status: int


@dataclass
class FlowResult:
    n: int
    client_email: str
    phone: str
    request_id: str | None = None
    signed: bool = False
    receipt_valid: bool = False
    error: str | None = None
    timings: list[Timing] = field(default_factory=list)


def _png() -> bytes:
    """A drawing-pad PNG (as tests.conftest.signature_png draws it), made once."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 120), (90, 30), (160, 110), (260, 40), (380, 100)], fill=(20, 20, 60, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


SIGNATURE = "data:image/png;base64," + base64.b64encode(_png()).decode()


def _expect(label: str, answer: tuple[int, Any], *statuses: int) -> Any:
    status, body = answer
    if status not in statuses:
        raise FlowError(f"{label}: HTTP {status} {json.dumps(body)[:300] if body is not None else ''}")
    return body


def phone_for(run_id: int, n: int) -> str:
    """A Dutch mobile number of its own per flow (+31 61 …), distinct within a run of up to 10^5 flows."""
    return f"+3161{run_id % 100:02d}{n % 100_000:05d}"


def signing_flow(t: Transport, n: int, run_id: int, advisor: tuple[str, str] = ADVISOR) -> FlowResult:
    """One complete flow; never raises: the result says what went wrong."""
    tag = f"{run_id:x}-{n}"
    result = FlowResult(n=n, client_email=f"bench-{tag}@bench.example", phone=phone_for(run_id, n))
    try:
        _run_flow(t, result, tag, advisor)
    except FlowError as exc:
        result.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - a load run reports every failure, it does not stop at one
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def _run_flow(t: Transport, result: FlowResult, tag: str, advisor: tuple[str, str]) -> None:
    login = _expect("advisor login", t.call("POST /auth/login", "POST", "/auth/login",
                                            body={"email": advisor[0], "password": advisor[1]}), 200)
    adv = login["token"]
    client = _expect("create client", t.call("POST /advisor/clients", "POST", "/advisor/clients", adv, {
        "name": f"Bench Klant {tag}", "email": result.client_email, "phone": result.phone, "city": "Haarlem"}), 201)
    _expect("invite", t.call("POST /advisor/clients/{id}/invite", "POST", f"/advisor/clients/{client['id']}/invite",
                             adv), 202)
    mails = [m for m in t.outbox()["emails"] if result.client_email in m["to"]]
    if not mails:
        raise FlowError("invitation e-mail missing")
    link = re.search(r'href="([^"]+)"', mails[-1]["body"])
    if link is None:
        raise FlowError("invitation e-mail without a link")
    token = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)["token"][0]
    _expect("activate", t.call("POST /auth/activate", "POST", "/auth/activate",
                               body={"token": token, "password": CLIENT_PASSWORD}), 200)
    me = _expect("client login", t.call("POST /auth/login", "POST", "/auth/login",
                                        body={"email": result.client_email, "password": CLIENT_PASSWORD}), 200)["token"]

    created = _expect("create document", t.call("POST /advisor/documents", "POST", "/advisor/documents", adv, {
        "filename": f"akte-{tag}.pdf", "content_type": "application/pdf", "size": len(PDF)}), 201)
    started = time.perf_counter()
    status = t.upload(created["upload"], PDF)
    result.timings.append(Timing("POST (S3 presigned upload)", (time.perf_counter() - started) * 1000, status))
    if status not in (200, 204):
        raise FlowError(f"presigned upload: HTTP {status}")
    _expect("complete document", t.call("POST /advisor/documents/{id}/complete", "POST",
                                        f"/advisor/documents/{created['id']}/complete", adv), 200)
    message = _expect("send", t.call("POST /advisor/messages", "POST", "/advisor/messages", adv, {
        "client_id": client["id"], "subject": f"Akte {tag}", "body": "Graag ondertekenen.",
        "response_type": "sign", "document_ids": [created["id"]]}, {"Idempotency-Key": str(uuid.uuid4())}), 201)
    request_id = str(message["signing"]["id"])
    result.request_id = request_id

    listed = _expect("portal list", t.call("GET /portal/messages", "GET", "/portal/messages", me), 200)
    if message["id"] not in {m["id"] for m in listed["items"]}:
        raise FlowError("portal list does not show the message")
    _expect("portal message", t.call("GET /portal/messages/{id}", "GET", f"/portal/messages/{message['id']}", me), 200)
    base = f"/portal/signing-requests/{request_id}"
    view = _expect("signing screen", t.call("GET /portal/signing-requests/{id}", "GET", base, me), 200)
    if view["document"]["sha256"] != hashlib.sha256(PDF).hexdigest():
        raise FlowError("signing screen shows another document")
    _expect("request code", t.call("POST /portal/signing-requests/{id}/otp", "POST", f"{base}/otp", me), 202)
    texts = [s["message"] for s in t.outbox()["sms"] if s["to"] == result.phone]
    code = re.search(r":\s(\d{6})\.", texts[-1]) if texts else None
    if code is None:
        raise FlowError("SMS code missing")
    _expect("verify code", t.call("POST /portal/signing-requests/{id}/otp/verify", "POST", f"{base}/otp/verify", me,
                                  {"code": code.group(1)}), 200)
    signed = _expect("sign", t.call("POST /portal/signing-requests/{id}/sign", "POST", f"{base}/sign", me,
                                    {"signature_image": SIGNATURE, "city": "Amsterdam"},
                                    {"Idempotency-Key": str(uuid.uuid4())}), 200)
    result.signed = signed.get("status") == "signed"

    receipt = _expect("receipt", t.call("GET /advisor/signing-requests/{id}/receipt", "GET",
                                        f"/advisor/signing-requests/{request_id}/receipt", adv), 200)
    evidence = _expect("evidence", t.call("GET /advisor/signing-requests/{id}/evidence", "GET",
                                          f"/advisor/signing-requests/{request_id}/evidence", adv), 200)
    from tools.verify_evidence import check

    offline = check(evidence, evidence["public_key_pem"], PDF)
    verification = receipt.get("verification") or {}
    result.receipt_valid = (
        receipt.get("status") == "signed" and verification.get("seal_valid") is True
        and verification.get("document_intact") is True and all(ok for _, ok in offline)
        and evidence["receipt"]["signing_request_id"] == request_id
        and [e["type"] for e in evidence["audit_events"]].count("signed") == 1
    )
    if not (result.signed and result.receipt_valid):
        raise FlowError(f"not signed with a valid receipt: {verification} {offline}")


# --- over HTTP -------------------------------------------------------------------------------


class HttpTransport:
    """One worker's connection to the stack; records every request's latency under its endpoint."""

    def __init__(self, url: str, result_sink: list[Timing]) -> None:
        self.url = url
        self.session = requests.Session()
        self.timings = result_sink

    def call(self, label: str, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        sent = {**(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        try:
            answer = self.session.request(method, f"{self.url}{path}", json=body, headers=sent, timeout=60)
        except requests.RequestException as exc:
            self.timings.append(Timing(label, (time.perf_counter() - started) * 1000, 0))
            raise FlowError(f"{label}: {type(exc).__name__}: {exc}") from exc
        self.timings.append(Timing(label, (time.perf_counter() - started) * 1000, answer.status_code))
        try:
            return answer.status_code, answer.json() if answer.content else None
        except ValueError:
            return answer.status_code, answer.text

    def outbox(self) -> dict[str, Any]:
        started = time.perf_counter()
        answer = self.session.get(f"{self.url}/dev/outbox", timeout=60)
        self.timings.append(Timing("GET /dev/outbox (test harness)", (time.perf_counter() - started) * 1000,
                                   answer.status_code))
        answer.raise_for_status()
        return dict(answer.json())

    def upload(self, form: dict[str, Any], content: bytes) -> int:
        host = urlparse(form["url"]).hostname
        if host not in LOOPBACK:
            raise FlowError(f"upload URL leaves the machine: {host}")
        return self.session.post(form["url"], data=form["fields"], files={"file": ("akte.pdf", content)},
                                 timeout=60).status_code


@dataclass
class LoadReport:
    flows: int
    workers: int
    seconds: float
    results: list[FlowResult]
    timings: list[Timing]
    problems: list[str]
    sms_sent: int
    emails_sent: int
    stack_cpu_seconds: float | None = None

    @property
    def errors(self) -> list[str]:
        return [f"flow {r.n}: {r.error}" for r in self.results if r.error]

    @property
    def completed(self) -> int:
        return sum(1 for r in self.results if r.signed and r.receipt_valid and not r.error)

    def to_json(self) -> dict[str, Any]:
        return {"flows": self.flows, "workers": self.workers, "seconds": self.seconds, "completed": self.completed,
                "errors": self.errors, "problems": self.problems, "sms_sent": self.sms_sent,
                "emails_sent": self.emails_sent, "stack_cpu_seconds": self.stack_cpu_seconds,
                "endpoints": latency_table(self.timings)}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_table(timings: list[Timing]) -> dict[str, dict[str, float]]:
    by_label: dict[str, list[float]] = defaultdict(list)
    for timing in timings:
        by_label[timing.label].append(timing.ms)
    return {label: {"n": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95), "p99": percentile(v, 99),
                    "max": max(v), "mean": statistics.fmean(v)} for label, v in by_label.items()}


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_load(url: str, flows: int, workers: int, max_seconds: float = 1800,
             progress: Callable[[int], None] | None = None, stack_pid: int | None = None,
             warmup: int = 1) -> LoadReport:
    """F flows by W workers against `url`; stops starting flows after max_seconds. Loopback only.

    `warmup` flows run first, one at a time, so the figures are the steady state rather than the
    server's first use of each code path (lazy imports, new botocore clients).
    """
    if urlparse(url).hostname not in LOOPBACK:
        raise ValueError(f"load runs only against the loopback interface, not {url}")
    run_id = secrets.randbelow(100)
    probe = HttpTransport(url, [])
    for n in range(warmup):  # first use of each code path in the server process; not timed, not counted
        warm = signing_flow(probe, 100_000 - 1 - n, run_id)
        if warm.error:
            raise RuntimeError(f"warm-up flow failed: {warm.error}")
    probe.timings.clear()
    before = probe.outbox()
    timings: list[Timing] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    done = 0

    def worker(n: int) -> FlowResult:
        nonlocal done
        if time.monotonic() > deadline:
            return FlowResult(n=n, client_email="", phone="", error="not started: the run hit --max-seconds")
        sink: list[Timing] = []
        transport = HttpTransport(url, sink)
        try:
            result = signing_flow(transport, n, run_id)
        finally:
            transport.session.close()
        result.timings = sink + result.timings
        with lock:
            timings.extend(result.timings)
            done += 1
            if progress:
                progress(done)
        return result

    cpu_before = cpu_seconds(stack_pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flow") as pool:
        results = list(pool.map(worker, range(flows)))
    seconds = time.perf_counter() - started
    cpu_after = cpu_seconds(stack_pid)

    after = probe.outbox()
    probe.session.close()
    problems = reconcile(before, after, results)
    return LoadReport(flows, workers, seconds, results, timings, problems,
                      sms_sent=len(after["sms"]) - len(before["sms"]),
                      emails_sent=len(after["emails"]) - len(before["emails"]),
                      stack_cpu_seconds=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before)


def reconcile(before: dict[str, Any], after: dict[str, Any], results: list[FlowResult]) -> list[str]:
    """Nothing lost, nothing extra: the outbox holds exactly what the flows account for."""
    problems = []
    new_sms = after["sms"][len(before["sms"]):]
    new_emails = after["emails"][len(before["emails"]):]
    sms_by_phone: dict[str, int] = defaultdict(int)
    for sms in new_sms:
        sms_by_phone[sms["to"]] += 1
    mails_by_address: dict[str, int] = defaultdict(int)
    for mail in new_emails:
        for address in mail["to"]:
            mails_by_address[address] += 1
    for result in results:
        if sms_by_phone.get(result.phone, 0) != 1:
            problems.append(f"flow {result.n}: {sms_by_phone.get(result.phone, 0)} SMS to {result.phone}, expected 1")
        if mails_by_address.get(result.client_email, 0) != 3:
            problems.append(f"flow {result.n}: {mails_by_address.get(result.client_email, 0)} e-mails to the client, "
                            "expected 3 (invitation, notice, the signature recorded)")
    flows = len(results)
    if len(new_sms) != flows:
        problems.append(f"{len(new_sms)} SMS sent for {flows} flows")
    advisor_mails = mails_by_address.get(ADVISOR[0], 0)
    if advisor_mails != flows:
        problems.append(f"{advisor_mails} 'signed' e-mails to the advisor for {flows} flows")
    if len(new_emails) != 4 * flows:
        problems.append(f"{len(new_emails)} e-mails sent for {flows} flows, expected {4 * flows}")
    signed = sum(1 for r in results if r.signed and r.receipt_valid)
    if signed != flows:
        problems.append(f"{flows - signed} of {flows} flows did not end signed with a valid receipt")
    return problems


def print_report(report: LoadReport) -> None:
    requests_made = sum(1 for t in report.timings if not t.label.endswith("(test harness)"))
    print(f"load: {report.flows} full signing flows by {report.workers} workers against the local stack (127.0.0.1), "
          "after an untimed warm-up flow")
    print(f"  wall {report.seconds:.1f} s, {report.completed} completed, {len(report.errors)} errors, "
          f"{len(report.problems)} reconciliation problems")
    print(f"  throughput {report.completed / report.seconds:.2f} signatures/s, "
          f"{requests_made / report.seconds:.1f} requests/s (outbox reads not counted)")
    if report.stack_cpu_seconds is not None:
        print(f"  stack process (API + moto, one Python process): {report.stack_cpu_seconds:.1f} CPU s, "
              f"{report.stack_cpu_seconds / max(1, report.completed) * 1000:.0f} CPU ms per signature, "
              f"{report.stack_cpu_seconds / report.seconds:.2f} cores busy on average")
    print(f"  outbox: {report.sms_sent} SMS, {report.emails_sent} e-mails for {report.flows} flows")
    table = latency_table(report.timings)
    order = {label: i for i, label in reversed(list(enumerate(t.label for t in report.timings)))}
    print(f"  {'endpoint':<48} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label, row in sorted(table.items(), key=lambda kv: (kv[0].endswith("(test harness)"), order[kv[0]])):
        print(f"  {label:<48} {row['n']:>5} {row['p50']:>8.0f} {row['p95']:>8.0f} {row['p99']:>8.0f} {row['max']:>8.0f}")
    statuses = defaultdict(int)
    for timing in report.timings:
        statuses[timing.status] += 1
    print(f"  HTTP statuses: {dict(sorted(statuses.items()))}")
    for line in (report.errors + report.problems)[:20]:
        print(f"  ! {line}")


def main(argv: list[str] | None = None) -> LoadReport:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=1800, help="stop starting flows after this long")
    parser.add_argument("--warmup", type=int, default=1, help="untimed flows first, one at a time (default 1)")
    parser.add_argument("--url", help="an already running local stack on 127.0.0.1 (default: start one)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (for the tests)")
    args = parser.parse_args(argv)

    def progress(done: int) -> None:
        if not args.json and (done % max(1, args.flows // 10) == 0):
            print(f"  … {done}/{args.flows} flows", flush=True)

    if args.url:
        report = run_load(args.url, args.flows, args.workers, args.max_seconds, progress, warmup=args.warmup)
    else:
        with local_stack(entry="bench.moto_speed") as stack:
            report = run_load(stack.url, args.flows, args.workers, args.max_seconds, progress, stack.process.pid,
                              warmup=args.warmup)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print_report(report)
    if report.errors or report.problems:
        sys.exit(1)
    return report


if __name__ == "__main__":
    main()
