"""One local stack, started the way `make run` starts it, shared by every end-to-end test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


class RunningStack:
    def __init__(self, process: subprocess.Popen[str], url: str, output: Path) -> None:
        self.process = process
        self.url = url
        self.output = output

    def login(self, email: str, password: str) -> str:
        answer = requests.post(f"{self.url}/auth/login", json={"email": email, "password": password}, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["token"])

    def outbox(self) -> dict:
        return requests.get(f"{self.url}/dev/outbox", timeout=10).json()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    port, moto_port = free_port(), free_port()
    output = tmp_path_factory.mktemp("stack") / "run.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE", "USER_POOL", "STAGE"))}
    with output.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.run", "--port", str(port), "--moto-port", str(moto_port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local stack exited early:\n{output.read_text()}")
        try:
            if "Press Ctrl-C" in output.read_text() and requests.get(f"{url}/health", timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError(f"local stack did not come up:\n{output.read_text()}")
    running = RunningStack(process, url, output)
    yield running
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
