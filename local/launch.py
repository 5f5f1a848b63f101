"""Start the local product as `make run` does, in a subprocess on free ports, and stop it again.

Shared by the end-to-end tests and the load benchmark, so both run exactly what a person runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def login(self, email: str, password: str) -> str:
        answer = requests.post(f"{self.url}/auth/login", json={"email": email, "password": password}, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["token"])

    def outbox(self) -> Any:
        return requests.get(f"{self.url}/dev/outbox", timeout=10).json()


@contextmanager
def local_stack(log_dir: Path | None = None, timeout: float = 120, entry: str = "local.run") -> Iterator[RunningStack]:
    """`python -m local.run` on free loopback ports; stopped with SIGINT (as Ctrl-C) on exit.

    `entry` names another module that takes local.run's options: the load benchmark's
    `bench.moto_speed`, which adds its moto patch first.
    """
    port, moto_port = free_port(), free_port()
    log_dir = log_dir or Path(tempfile.gettempdir())
    log = log_dir / f"local-stack-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE", "USER_POOL", "STAGE"))}
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - our own entry point
            [sys.executable, "-m", entry, "--host", "127.0.0.1", "--port", str(port),
             "--moto-port", str(moto_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"local stack exited early:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"local stack did not come up:\n{log.read_text()}")
            try:
                if "Press Ctrl-C" in log.read_text() and requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        yield RunningStack(process, url, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
