"""The local stack's background work: what the deployed schedules and queues do, every few seconds.

Chalice's local server runs no schedule (nor queue) events, so this thread drives the handlers'
work itself: the pending time stamps. The hourly reminder job stays with `POST /dev/reminders/run`,
since running it on its own clock would move demo messages along behind a tester's back.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Background:
    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_once(self) -> None:
        from chalicelib import aws
        from chalicelib.signing.stamping import stamp_pending

        stamp_pending(aws.ports())

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.run_once()
            except Exception:  # a failed run is retried by the next one, as a schedule would
                log.exception("background run failed")
