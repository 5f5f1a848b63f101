"""Benchmark: what importing `app.py` costs on a cold start, against its dependencies alone.

Lambda's init imports the handler module in a fresh interpreter. This runs, alternately and
N times each, a fresh `python -c` that imports

  * app   - `import app` (the handler module), and
  * deps  - the dependencies alone: chalice, boto3, pynamodb (models), the Powertools Logger and
            cryptography's AEAD (AESGCM),

with the prod stage's environment (`.chalice/config.json`, TRACING=false, no endpoint).

The figure the goal is set on is CPU time: user + system time of each whole child process,
read with `resource.getrusage(RUSAGE_CHILDREN)` before and after it is waited for, so the
interpreter's own start (site, the venv's .pth files), the import and the exit are all in it
(and the child's few lines of harness, the same on both sides). Another process on the machine
delays a child far more than it adds to the child's CPU time, so this is the steady figure on a
shared machine. Beside it: the wall time of the import alone (measured inside the child) and of
the whole process, their medians and the fastest of each; the CPU time of a child that imports
the dependencies and then app (app on top of everything it defers, as after a first request
that needed it all); and two figures taken inside one interpreter: what app's own modules add
after the dependencies, and what of the dependencies app leaves to the first request. One
more child times the first-request imports: every module a request may import lazily (all of
chalicelib, boto3).

The correctness checks, the only ones that make the run fail (exit status 1): `aws_xray_sdk`
must not be imported with tracing off, and a fresh `import app` must register every route of
the contract (`docs/openapi.yaml`), no more and no fewer (Chalice builds its route table at
import: a blueprint imported later would register no route).

When the CPU ratio is over the goal (or with --explain) it lists, from `python -X importtime`,
what the app adds on top of the dependencies, by top-level package and by module. --root
measures another checkout (e.g. a copy with a proposed lazy import) the same way.

    .venv/bin/python -m bench.cold_start            # 15 runs each
    .venv/bin/python -m bench.cold_start --runs 5   # a quick look
    .venv/bin/python -m bench.cold_start --json     # the figures as one JSON line at the end
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
_root = ROOT  # where the children import from (--root measures a patched copy, for what-if figures)
GOAL = 1.10  # median CPU time of `import app` over that of the dependencies alone

APP = "import app"
DEPS = ("import chalice.app; import boto3; import pynamodb.models; "
        "from aws_lambda_powertools import Logger; "
        "from cryptography.hazmat.primitives.ciphers.aead import AESGCM")
# What a first request may import on top of app (the modules the routes import lazily).
FIRST_REQUEST = ("import pkgutil, importlib, chalicelib, boto3, botocore.config\n"
                 "for m in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.'):\n"
                 "    importlib.import_module(m.name)")
# Run after `import app` in a child that is not measured: the route table Chalice built at import.
ROUTES = ("routes = sorted(f'{method.upper()} {path}' for path, methods in app.app.routes.items() "
          "for method in methods if method.upper() != 'OPTIONS')")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "trace")
# Packages each child reports as imported or not: app should leave all of them to the first
# request that needs them (reported), and must never import the X-Ray SDK with tracing off (checked).
WATCHED = ("boto3", "botocore.client", "pynamodb", "cryptography", "aws_xray_sdk")

_CHILD = """
import json, sys, time
started = time.perf_counter()
exec(compile(sys.argv[1], "<bench>", "exec"))
ms = (time.perf_counter() - started) * 1000
after = None
if sys.argv[2]:
    started = time.perf_counter()
    exec(compile(sys.argv[2], "<bench>", "exec"))
    after = (time.perf_counter() - started) * 1000
print(json.dumps({"ms": ms, "after_ms": after, "modules": len(sys.modules), "routes": globals().get("routes"),
                  "imported": {name: name in sys.modules for name in sys.argv[3].split(",")}}))
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


def _children_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def child(statement: str, then: str | None = None) -> dict[str, Any]:
    """One fresh interpreter: what it reports, plus its whole wall and CPU time in ms (its start included).

    The CPU time is what the kernel accounts to the child (user + system) once it has been
    waited for: RUSAGE_CHILDREN grows by exactly that, as this process runs one child at a time.
    """
    args = [sys.executable, "-c", _CHILD, statement, then or "", ",".join(WATCHED)]
    cpu_before, started = _children_cpu_ms(), time.perf_counter()
    done = subprocess.run(args, cwd=_root, env=lambda_environment(), capture_output=True, text=True, check=False)
    wall, cpu = (time.perf_counter() - started) * 1000, _children_cpu_ms() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"child failed: {statement}\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {**report, "process_ms": wall, "cpu_ms": cpu}


def contract_routes() -> list[str]:
    """Every operation of the contract (`docs/openapi.yaml`) as "METHOD /path"."""
    spec = yaml.safe_load((_root / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    return sorted(f"{method.upper()} {path}" for path, item in spec["paths"].items()
                  for method in item if method in HTTP_METHODS)


def _summary(samples: list[dict[str, Any]], key: str) -> dict[str, Any]:
    values = [sample[key] for sample in samples]
    return {"median": statistics.median(values), "min": min(values), "samples": values}


def measure(runs: int) -> dict[str, Any]:
    """`runs` interleaved pairs of fresh interpreters (app, deps), and the in-process and first-request figures."""
    checked = child(APP, ROUTES)  # warms the file and bytecode caches, and reads the route table; not counted
    child(DEPS)
    app: list[dict[str, Any]] = []
    deps: list[dict[str, Any]] = []
    both: list[dict[str, Any]] = []
    own: list[float] = []
    deferred: list[float] = []
    xray = checked["imported"]["aws_xray_sdk"]
    for _ in range(runs):  # alternate, so drift in the machine's load hits both alike
        app.append(child(APP))
        deps.append(child(DEPS))
        # Two more interpreters load the same modules in opposite orders: what app's own modules
        # (and packages the dependencies do not bring) add after the dependencies, and what of the
        # dependencies app leaves for the first request. Phases of one process are far less noisy.
        deps_first, app_first = child(DEPS, APP), child(APP, DEPS)
        both.append(deps_first)
        own.append(deps_first["after_ms"])
        deferred.append(app_first["after_ms"])
        xray = xray or any(r["imported"]["aws_xray_sdk"] for r in (app[-1], deps_first, app_first))
    first = child(APP, FIRST_REQUEST)
    expected, registered = contract_routes(), checked["routes"]
    figures = {kind: {"app": _summary(app, key), "deps": _summary(deps, key)}
               for kind, key in (("cpu", "cpu_ms"), ("import", "ms"), ("process", "process_ms"))}
    ratio = {kind: f["app"]["median"] / f["deps"]["median"] for kind, f in figures.items()}
    # The same app on top of every dependency (a container whose first request loaded them all).
    figures["cpu"]["deps_then_app"] = _summary(both, "cpu_ms")
    ratio["cpu_deps_then_app"] = figures["cpu"]["deps_then_app"]["median"] / figures["cpu"]["deps"]["median"]
    return {
        "runs": runs, "goal": GOAL, "figures": figures, "ratio": ratio,
        "cpu_ratio": ratio["cpu"], "min_ratio": figures["import"]["app"]["min"] / figures["import"]["deps"]["min"],
        "own_ms": statistics.median(own), "deferred_ms": statistics.median(deferred),
        "first_request_ms": first["after_ms"], "app_modules": app[-1]["modules"],
        "app_imports": {name: present for name, present in app[-1]["imported"].items() if name != "aws_xray_sdk"},
        "xray_imported": xray or first["imported"]["aws_xray_sdk"],
        "routes_registered": len(registered),
        "routes_missing": sorted(set(expected) - set(registered)),
        "routes_unknown": sorted(set(registered) - set(expected)),
    }


def failures(result: dict[str, Any]) -> list[str]:
    """The correctness checks: what must hold at any speed (the only reasons to fail the run)."""
    failed = []
    if result["xray_imported"]:
        failed.append("aws_xray_sdk was imported with TRACING=false")
    if result["routes_missing"]:
        failed.append(f"routes of docs/openapi.yaml that a fresh `import app` does not register: {result['routes_missing']}")
    if result["routes_unknown"]:
        failed.append(f"routes `import app` registers that docs/openapi.yaml lacks: {result['routes_unknown']}")
    return failed


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
    mine = [row for row in rows if row[0] == "app" or row[0].startswith("chalicelib")]
    print(f"\nwhat `import app` adds on top of the dependencies (-X importtime, self time, total {total / 1000:.0f} ms; "
          f"the app's own {len(mine)} modules {sum(row[1] for row in mine) / 1000:.0f} ms):")
    for package, micros in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {package:<32} {micros / 1000:7.1f} ms")
    print("heaviest modules (cumulative):")
    for module, _, cumulative, depth in sorted(rows, key=lambda r: -r[2])[:top]:
        print(f"  {'  ' * max(0, depth - 1)}{module:<40} {cumulative / 1000:7.1f} ms")


def report(result: dict[str, Any]) -> None:
    figures, ratio = result["figures"], result["ratio"]
    print(f"cold start, {result['runs']} fresh interpreters each, interleaved (prod environment, TRACING=false):")
    print("  medians                        CPU (user+system)   wall: import   wall: process")
    for side, label in (("app", "import app"), ("deps", "dependencies alone")):
        print(f"  {label:<30} {figures['cpu'][side]['median']:10.1f} ms {figures['import'][side]['median']:12.1f} ms"
              f" {figures['process'][side]['median']:12.1f} ms")
    print(f"  {'ratio app / dependencies':<30} {ratio['cpu']:10.2f}    {ratio['import']:12.2f}    "
          f"{ratio['process']:12.2f}      (goal: CPU <= {GOAL:.2f})")
    print(f"  {'deps, then app':<30} {figures['cpu']['deps_then_app']['median']:10.1f} ms   "
          f"= {ratio['cpu_deps_then_app']:.2f} of the deps alone (app on top of all it defers; not the goal's figure)")
    for kind in ("import", "process"):
        app, deps = figures[kind]["app"]["min"], figures[kind]["deps"]["min"]
        print(f"  fastest of each, wall: {kind:<8} {app:7.1f} / {deps:.1f} ms = {app / deps:.2f}  (the least disturbed runs)")
    print(f"  app's own modules (+ packages the deps do not bring) after the deps:  +{result['own_ms']:.1f} ms")
    print(f"  deps that app leaves to the first request (boto3, pynamodb, ...):     -{result['deferred_ms']:.1f} ms")
    for kind, label in (("cpu", "CPU"), ("import", "wall")):
        print(f"  {label + ' samples':<12} app  {' '.join(f'{v:.0f}' for v in figures[kind]['app']['samples'])}")
        print(f"  {'':<12} deps {' '.join(f'{v:.0f}' for v in figures[kind]['deps']['samples'])}")
    imports = ", ".join(f"{name}: {present}" for name, present in result["app_imports"].items())
    print(f"  aws_xray_sdk imported: {result['xray_imported']}   (app imports {imports}; {result['app_modules']} modules)")
    print(f"  routes registered by a fresh `import app`: {result['routes_registered']}, missing from the contract's: "
          f"{len(result['routes_missing'])}, not in it: {len(result['routes_unknown'])}")
    print(f"  first request, all lazy imports after app (all of chalicelib, boto3): {result['first_request_ms']:.0f} ms")
    over = ratio["cpu"] > GOAL
    print(f"  verdict: median CPU ratio {ratio['cpu']:.2f} is "
          f"{'OVER the goal (what the app adds is listed below)' if over else 'within the goal'}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="list what the app adds even under the goal")
    parser.add_argument("--root", type=Path, default=ROOT, help="import app from this checkout (a what-if copy)")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args(argv)
    global _root  # noqa: PLW0603 - one setting for every child of this run
    _root = args.root.resolve()

    result = measure(args.runs)
    report(result)
    if result["cpu_ratio"] > GOAL or args.explain:
        what_the_app_adds()
    result["failures"] = failures(result)
    for failure in result["failures"]:
        print(f"FAILED: {failure}")
    if args.json:
        print(json.dumps(result))
    return result


if __name__ == "__main__":
    sys.exit(1 if main()["failures"] else 0)
