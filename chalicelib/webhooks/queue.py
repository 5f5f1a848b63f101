"""SQS adapter: webhook deliveries onto their queue, with the delay of their next try."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.sqs import send_all
from chalicelib.webhooks.model import DeliveryJob


class SqsWebhookQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs = sqs
        self._url = url

    def put(self, jobs: Sequence[DeliveryJob], delay_seconds: int = 0) -> None:
        send_all(self._sqs, self._url, [json.dumps(job.to_json(), separators=(",", ":")) for job in jobs],
                 delay_seconds)
