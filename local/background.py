"""The local stack's background work: what the deployed schedules and queues do, within seconds.

Chalice's local server runs no schedule nor queue events, so this thread drives the handlers'
work itself: the bulk-send and webhook queues (each job handed to the handler Lambda calls,
local/queue.py), the webhooks' dispatch (new events become deliveries), and every few seconds the
bulk sends whose jobs missed the queue, the long webhook waits and the pending time stamps.
The hourly reminder job stays with `POST /dev/reminders/run`, since running it on its own clock
would move demo messages along behind a tester's back.
"""

from __future__ import annotations

import logging
import threading
import time

from local.queue import QueuePoller

log = logging.getLogger(__name__)

IDLE_SECONDS = 0.3  # how soon an empty queue is looked at again


class Background:
    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background", daemon=True)
        self._queues: list[QueuePoller] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def queues(self) -> list[QueuePoller]:
        if not self._queues:
            from chalicelib import aws
            from chalicelib.config import get_settings

            settings = get_settings()
            self._queues = [QueuePoller(aws.client("sqs"), settings.bulk_send_queue_url, "send_bulk"),
                            QueuePoller(aws.client("sqs"), settings.webhook_queue_url, "deliver_webhooks")]
        return self._queues

    def run_schedules(self) -> None:
        """What the deployed schedules do: batches the queue missed, and the pending time stamps."""
        from chalicelib import aws
        from chalicelib.bulk.service import requeue_stranded
        from chalicelib.signing.stamping import stamp_pending
        from chalicelib.webhooks.delivery import sweep

        ports = aws.ports()
        requeue_stranded(ports)
        sweep(ports)
        stamp_pending(ports)

    def _run(self) -> None:
        last = 0.0
        while not self._stop.is_set():
            handled = 0
            try:
                from chalicelib import aws
                from chalicelib.webhooks.delivery import dispatch

                dispatch(aws.ports())  # a new event is on its way within a moment, as deployed within the minute
                handled = sum(queue.drain(rounds=1) for queue in self.queues)
                if time.monotonic() - last >= self.every:
                    last = time.monotonic()
                    self.run_schedules()
            except Exception:  # a failed run is retried by the next one, as a schedule would
                log.exception("background run failed")
            if not handled:
                self._stop.wait(IDLE_SECONDS)
