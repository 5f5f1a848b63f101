"""SQS: messages onto a queue ten to a call (SendMessageBatch's limit), the entries SQS did not take sent again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.errors import DependencyFailed

BATCH = 10
ATTEMPTS = 3  # for the entries SQS did not take (it answers those one by one)
MAX_DELAY_SECONDS = 900  # SQS's longest delay


def send_all(sqs: Any, url: str, bodies: Sequence[str], delay_seconds: int = 0) -> None:
    """Every body on the queue at `url`, each visible after `delay_seconds`; DependencyFailed when SQS refuses
    or fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    delay = max(0, min(delay_seconds, MAX_DELAY_SECONDS))
    for start in range(0, len(bodies), BATCH):
        entries = [{"Id": str(n), "MessageBody": body, **({"DelaySeconds": delay} if delay else {})}
                   for n, body in enumerate(bodies[start:start + BATCH])]
        for _ in range(ATTEMPTS):
            try:
                answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
            except (BotoCoreError, ClientError) as exc:
                raise DependencyFailed() from exc
            failed = {entry["Id"] for entry in answer.get("Failed", [])}
            entries = [entry for entry in entries if entry["Id"] in failed]
            if not entries:
                break
        else:
            raise DependencyFailed()
