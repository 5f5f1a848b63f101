"""SQS adapter: the bulk-send jobs onto their queue."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.bulk.model import Job
from chalicelib.sqs import send_all


class SqsQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs = sqs
        self._url = url

    def put(self, jobs: Sequence[Job]) -> None:
        send_all(self._sqs, self._url, [json.dumps(job.to_json(), separators=(",", ":")) for job in jobs])
