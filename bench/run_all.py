"""Every benchmark, one after the other, each in a fresh interpreter (what `make bench` runs).

    .venv/bin/python -m bench.run_all           # the short form (a few minutes)
    .venv/bin/python -m bench.run_all --full    # the figures of docs/performance.md (much longer)
    .venv/bin/python -m bench.run_all --only load cold_start

Short form: reminders --quick (1,000 vs 5,000 stored), cold start 7 runs each, the AWS calls of
the signing flow (with and without an Idempotency-Key, against issue 13's budget), load 20 flows
by 5 workers, a bulk send of 25 and of 100 recipients. Full form: reminders (1,000 vs 50,000),
cold start 25 runs each, the same AWS calls, load 200 flows by 20 workers, a bulk send of 100 and
of 1,000 recipients. Exit status 1 when any benchmark fails its own checks
(for the AWS calls, the budget of calls included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SHORT = {
    "reminders": ["--quick"],
    "cold_start": ["--runs", "7"],
    "aws_calls": [],
    "load": ["--flows", "20", "--workers", "5"],
    "bulk_send": ["--sizes", "25", "100"],
}
FULL = {
    "reminders": [],
    "cold_start": ["--runs", "25"],
    "aws_calls": [],
    "load": ["--flows", "200", "--workers", "20"],
    "bulk_send": [],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the long form, as in docs/performance.md")
    parser.add_argument("--only", nargs="+", choices=sorted(SHORT), help="run only these")
    args = parser.parse_args(argv)
    plan = FULL if args.full else SHORT
    outcomes = []
    for name, extra in plan.items():
        if args.only and name not in args.only:
            continue
        command = [sys.executable, "-m", f"bench.{name}", *extra]
        print(f"\n=== {' '.join(['python', *command[1:]])}", flush=True)
        started = time.perf_counter()
        code = subprocess.run(command, cwd=ROOT, check=False).returncode
        outcomes.append((name, code, time.perf_counter() - started))
    print("\n=== summary")
    for name, code, seconds in outcomes:
        print(f"  {name:<12} {'ok' if code == 0 else f'FAILED (exit {code})':<18} {seconds:7.1f} s")
    return 0 if all(code == 0 for _, code, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
