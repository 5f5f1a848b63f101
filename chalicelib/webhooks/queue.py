"""SQS adapter: webhook deliveries onto their queue, ten to a call, with the delay of their next try."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.errors import DependencyFailed
from chalicelib.webhooks.model import DeliveryJob

BATCH = 10  # SendMessageBatch's limit
MAX_DELAY_SECONDS = 900  # SQS's


class SqsWebhookQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs = sqs
        self._url = url

    def put(self, jobs: Sequence[DeliveryJob], delay_seconds: int = 0) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        delay = max(0, min(delay_seconds, MAX_DELAY_SECONDS))
        for start in range(0, len(jobs), BATCH):
            entries = [{"Id": str(n), "MessageBody": json.dumps(job.to_json(), separators=(",", ":")),
                        "DelaySeconds": delay} for n, job in enumerate(jobs[start:start + BATCH])]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            except (BotoCoreError, ClientError) as exc:
                raise DependencyFailed() from exc
            if answer.get("Failed"):
                raise DependencyFailed()
