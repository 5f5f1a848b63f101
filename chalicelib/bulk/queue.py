"""SQS adapter: the bulk-send jobs onto their queue, ten to a call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.bulk.model import Job
from chalicelib.errors import DependencyFailed

BATCH = 10  # SendMessageBatch's limit
ATTEMPTS = 3  # for the entries SQS did not take (it answers those one by one)


class SqsQueue:
    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs = sqs
        self._url = url

    def put(self, jobs: Sequence[Job]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        for start in range(0, len(jobs), BATCH):
            entries = [{"Id": str(n), "MessageBody": json.dumps(job.to_json(), separators=(",", ":"))}
                       for n, job in enumerate(jobs[start:start + BATCH])]
            for _ in range(ATTEMPTS):
                try:
                    answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
                except (BotoCoreError, ClientError) as exc:
                    raise DependencyFailed() from exc
                failed = {entry["Id"] for entry in answer.get("Failed", [])}
                entries = [entry for entry in entries if entry["Id"] in failed]
                if not entries:
                    break
            else:
                raise DependencyFailed()
