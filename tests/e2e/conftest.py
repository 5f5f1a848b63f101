"""One local stack, started the way `make run` starts it, shared by every end-to-end test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.launch import RunningStack, local_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with local_stack(log_dir=tmp_path_factory.mktemp("stack"), timeout=90) as running:
        yield running
    assert running.process.returncode is not None, "the stack kept running after Ctrl-C"
