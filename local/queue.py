"""The queues' event sources, locally: moto's SQS read and handed to the very handler Lambda calls.

Chalice's local server runs no queue events. This poller does what the deployed event source
mapping does: it receives a message, invokes the queue's handler (`app.send_bulk`,
`app.deliver_webhooks`) with the SQS event Lambda would build, and deletes the message when the
handler returned. A handler that raises leaves it on the queue, visible again after a short wait
(Lambda's would after the visibility timeout), so the job is delivered again, as deployed; after
the queue's maxReceiveCount it moves to the dead-letter queue, as deployed.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2  # locally, a failed job is delivered again this soon
TIMEOUT_SECONDS = 120  # the deployed worker's (.chalice/config.json)


@dataclass
class LambdaContext:
    """What Lambda hands the handler beside the event: its request id, its name and the time it has left."""

    function_name: str = "signing-portal-SendBulk"
    timeout: float = TIMEOUT_SECONDS
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout - (time.monotonic() - self._started)) * 1000)


def sqs_event(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The event Lambda hands a function for one SQS message."""
    return {"Records": [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": message.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": queue_arn.split(":")[3],
    }]}


class QueuePoller:
    def __init__(self, sqs: Any, queue_url: str, handler: str = "send_bulk") -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler  # the function of app.py that this queue's event source invokes
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"]

    def receive(self, wait_seconds: int = 0) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                          WaitTimeSeconds=wait_seconds, AttributeNames=["All"])
        return list(answer.get("Messages", []))

    def deliver(self, message: dict[str, Any]) -> bool:
        """One message to the handler, as Lambda would (batch size 1); whether it succeeded (and was deleted)."""
        import app

        handler = getattr(app, self.handler)
        try:
            handler(sqs_event(message, self.queue_arn), LambdaContext(function_name=f"signing-portal-{self.handler}"))
        except Exception:  # the queue delivers it again, as Lambda's event source mapping would
            log.exception("queue job failed; it is delivered again", extra={"handler": self.handler})
            self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"],
                                               VisibilityTimeout=RETRY_AFTER_SECONDS)
            return False
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return True

    def drain(self, rounds: int = 1000) -> int:
        """Every job on the queue now handled (the failed ones left for their next delivery); how many succeeded."""
        handled = 0
        for _ in range(rounds):
            messages = self.receive()
            if not messages:
                break
            handled += sum(self.deliver(message) for message in messages)
        return handled
