"""Benchmark: what importing `app.py` costs on a cold start, against its dependencies alone.

Lambda's init imports the handler module in a fresh interpreter. This runs, alternately and
N times each, a fresh `python -c` that imports

  * app   - `import app` (the handler module), and
  * deps  - the dependencies alone: chalice, boto3, pynamodb (models), cryptography (the
            primitives the seal uses) and the Powertools Logger,

with the prod stage's environment (`.chalice/config.json`, TRACING=false, no endpoint), and
prints the medians and their ratio (goal <= 1.15), the fastest of each, and two figures taken
inside one interpreter, which other load on the machine disturbs far less: what app's own
modules add after the dependencies, and what of the dependencies app leaves to the first
request. Every child also reports whether `aws_xray_sdk` got imported (it must not be while
tracing is off; the run fails if it is). One more child times the first-request imports:
every module a request may import lazily (all of chalicelib, boto3).

When the ratio is over the goal (or with --explain) it lists, from `python -X importtime`,
what the app adds on top of the dependencies, by top-level package and by module. --root
measures another checkout (e.g. a copy with a proposed lazy import) the same way.

    .venv/bin/python -m bench.cold_start            # 15 runs each
    .venv/bin/python -m bench.cold_start --runs 5   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_root = ROOT  # where the children import from (--root measures a patched copy, for what-if figures)
GOAL = 1.15

APP = "import app"
DEPS = ("import chalice.app; import boto3; import pynamodb.models; "
        "import cryptography.hazmat.primitives.asymmetric.ec; from aws_lambda_powertools import Logger")
# What a first request may import on top of app (the modules the routes import lazily).
FIRST_REQUEST = ("import pkgutil, importlib, chalicelib, boto3, botocore.config\n"
                 "for m in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.'):\n"
                 "    importlib.import_module(m.name)")

_CHILD = """
import json, sys, time
started, cpu = time.perf_counter(), time.process_time()
exec(compile(sys.argv[1], "<bench>", "exec"))
ms, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
after = None
if len(sys.argv) > 2:
    started = time.perf_counter()
    exec(compile(sys.argv[2], "<bench>", "exec"))
    after = (time.perf_counter() - started) * 1000
print(json.dumps({"ms": ms, "cpu_ms": cpu_ms, "after_ms": after, "modules": len(sys.modules),
                  "xray": "aws_xray_sdk" in sys.modules, "boto3": "boto3" in sys.modules,
                  "cryptography": "cryptography" in sys.modules}))
"""


def lambda_environment() -> dict[str, str]:
    """The prod stage's variables (placeholders filled), as Lambda sets them; nothing of the local stack."""
    config = json.loads((_root / ".chalice" / "config.json").read_text())
    stage = config["stages"]["prod"]["environment_variables"]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "TABLE", "USER_POOL", "STAGE", "TRACING", "POWERTOOLS", "PYTHON"))}
    env.update({k: re.sub(r"\$\{(\w+)\}", r"bench-\1", v) for k, v in stage.items()})
    env.update({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "TRACING": "false",
                "AWS_LAMBDA_FUNCTION_NAME": "signing-portal-prod", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config["stages"]["prod"].get("lambda_memory_size", 128))})
    return env


def child(statement: str, then: str | None = None, flags: tuple[str, ...] = ()) -> tuple[dict[str, Any], float]:
    """One fresh interpreter: what it reports, and its whole wall time in ms (interpreter start included)."""
    started = time.perf_counter()
    args = [sys.executable, *flags, "-c", _CHILD, statement, *([then] if then else [])]
    done = subprocess.run(args, cwd=_root, env=lambda_environment(), capture_output=True, text=True, check=False)
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"child failed: {statement}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def measure(runs: int) -> dict[str, Any]:
    child(APP)  # warm the file cache and the bytecode cache once; not counted
    child(DEPS)
    app: list[float] = []
    deps: list[float] = []
    app_wall: list[float] = []
    deps_wall: list[float] = []
    app_cpu: list[float] = []
    deps_cpu: list[float] = []
    xray = False
    report: dict[str, Any] = {}
    own: list[float] = []
    deferred: list[float] = []
    for _ in range(runs):  # alternate, so drift in the machine's load hits both alike
        report, wall = child(APP)
        app.append(report["ms"])
        app_wall.append(wall)
        app_cpu.append(report["cpu_ms"])
        xray = xray or report["xray"]
        deps_report, wall = child(DEPS)
        deps.append(deps_report["ms"])
        deps_wall.append(wall)
        deps_cpu.append(deps_report["cpu_ms"])
        # Two more interpreters load the same modules in opposite orders: what app's own modules
        # (and packages the dependencies do not bring) add after the dependencies, and what of the
        # dependencies app leaves for the first request. Phases of one process are far less noisy.
        deps_first, _ = child(DEPS, APP)
        app_first, _ = child(APP, DEPS)
        own.append(deps_first["after_ms"])
        deferred.append(app_first["after_ms"])
        xray = xray or deps_first["xray"] or app_first["xray"]
    first, _ = child(APP, FIRST_REQUEST)
    return {
        "runs": runs, "app_ms": statistics.median(app), "deps_ms": statistics.median(deps),
        "app_wall_ms": statistics.median(app_wall), "deps_wall_ms": statistics.median(deps_wall),
        "ratio": statistics.median(app) / statistics.median(deps),
        "own_ms": statistics.median(own), "deferred_ms": statistics.median(deferred),
        "min_ratio": min(app) / min(deps), "app_min_ms": min(app), "deps_min_ms": min(deps),
        "app_cpu_ms": statistics.median(app_cpu), "deps_cpu_ms": statistics.median(deps_cpu),
        "cpu_ratio": statistics.median(app_cpu) / statistics.median(deps_cpu),
        "app_samples": app, "deps_samples": deps,
        "xray_imported": xray or first["xray"], "app_imports_boto3": report["boto3"],
        "app_imports_cryptography": report["cryptography"], "app_modules": report["modules"],
        "first_request_ms": first["after_ms"],
    }


def importtime(statement: str, preloaded: str | None = None) -> list[tuple[str, int, int, int]]:
    """(module, self µs, cumulative µs, depth) for what `statement` imports after `preloaded`."""
    marker = "import sys; sys.stderr.write('--bench-start--\\n')"
    code = f"{preloaded}\n{marker}\n{statement}" if preloaded else statement
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=_root, env=lambda_environment(),
                          capture_output=True, text=True, check=True)
    lines = done.stderr.splitlines()
    if preloaded:
        lines = lines[lines.index("--bench-start--") + 1:]
    rows = []
    for line in lines:
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((match.group(4), int(match.group(1)), int(match.group(2)), len(match.group(3)) // 2))
    return rows


def what_the_app_adds(top: int = 15) -> None:
    """Self time of every module `import app` loads beyond the dependencies, by package and module."""
    rows = importtime(APP, preloaded=DEPS)
    by_package: dict[str, int] = defaultdict(int)
    for module, own, _, _ in rows:
        by_package[module.split(".")[0]] += own
    total = sum(by_package.values())
    print(f"\nwhat `import app` adds on top of the dependencies (-X importtime, self time, total {total / 1000:.0f} ms):")
    for package, micros in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {package:<32} {micros / 1000:7.1f} ms")
    print("heaviest modules (cumulative):")
    for module, _, cumulative, depth in sorted(rows, key=lambda r: -r[2])[:top]:
        print(f"  {'  ' * max(0, depth - 1)}{module:<40} {cumulative / 1000:7.1f} ms")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="list what the app adds even under the goal")
    parser.add_argument("--root", type=Path, default=ROOT, help="import app from this checkout (a what-if copy)")
    args = parser.parse_args(argv)
    global _root  # noqa: PLW0603 - one setting for every child of this run
    _root = args.root.resolve()

    result = measure(args.runs)
    print(f"cold start, {args.runs} fresh interpreters each, medians (prod environment, TRACING=false):")
    print(f"  import app                         {result['app_ms']:7.1f} ms   (process {result['app_wall_ms']:.0f} ms)")
    print(f"  import dependencies alone          {result['deps_ms']:7.1f} ms   (process {result['deps_wall_ms']:.0f} ms)")
    print(f"  ratio app / dependencies           {result['ratio']:7.2f}      (goal <= {GOAL})")
    print(f"  app's own modules (+ packages the deps do not bring) after the deps:  +{result['own_ms']:.1f} ms")
    print(f"  deps that app leaves to the first request (boto3, cryptography, ...): -{result['deferred_ms']:.1f} ms")
    print(f"  fastest of each                    {result['app_min_ms']:7.1f} / {result['deps_min_ms']:.1f} ms = "
          f"{result['min_ratio']:.2f}  (the least disturbed runs)")
    print(f"  same, CPU time of the import       {result['app_cpu_ms']:7.1f} / {result['deps_cpu_ms']:.1f} ms = "
          f"{result['cpu_ratio']:.2f}")
    print(f"  app samples  {' '.join(f'{v:.0f}' for v in result['app_samples'])}")
    print(f"  deps samples {' '.join(f'{v:.0f}' for v in result['deps_samples'])}")
    print(f"  aws_xray_sdk imported: {result['xray_imported']}   "
          f"(app imports boto3: {result['app_imports_boto3']}, cryptography: {result['app_imports_cryptography']}, "
          f"{result['app_modules']} modules)")
    print(f"  first request, all lazy imports after app (all of chalicelib, boto3): {result['first_request_ms']:.0f} ms")
    over = result["ratio"] > GOAL
    print(f"  verdict: median ratio {result['ratio']:.2f} is "
          f"{'OVER the goal (what the app adds is listed below)' if over else 'within the goal'}")
    if over or args.explain:
        what_the_app_adds()
    assert not result["xray_imported"], "aws_xray_sdk was imported with TRACING=false"
    return result


if __name__ == "__main__":
    main()
