"""`make run`: start the local product and keep it up until Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading

from local.demo import DEMO_FIRMS
from local.stack import LocalStack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=5000)
    args = parser.parse_args()

    stack = LocalStack(host=args.host, moto_port=args.moto_port, port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stack.start_backend()
        stack.start_api()
        stack.start_background()
        print(_banner(stack), flush=True)
        stop.wait()
    finally:
        print("Stopping the API and moto …", flush=True)
        stack.stop()


def _banner(stack: LocalStack) -> str:
    lines = [
        "",
        f"Digital signing portal running at {stack.url}",
        f"  Client portal:      {stack.url}/",
        f"  Advisor dashboard:  {stack.url}/advisor",
        f"  Outbox (e-mail, SMS codes): {stack.url}/outbox  (JSON: {stack.url}/dev/outbox)",
        f"  AWS (moto) endpoint: {stack.endpoint}",
        f"  Time-stamping authority (RFC 3161, local): {stack.tsa.url if stack.tsa else '-'}",
        "  Background: the bulk-send and webhook queues (moto's SQS, fed to their handlers), the webhooks'",
        "  dispatch and pending time stamps, every few seconds; on request: POST /dev/reminders/run and",
        "  POST /dev/webhooks/run (the deliveries due by a moment, at once)",
        "",
        "Demo logins:",
    ]
    for firm in DEMO_FIRMS:
        signing = "signing on" if firm.signing else "signing off"
        lines.append(f"  {firm.name} ({signing})")
        lines.append(f"    advisor  {firm.advisor_email:<24} {firm.advisor_password}")
        for client in firm.clients:
            lines.append(f"    client   {client.email:<24} {client.password}   ({client.name})")
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
