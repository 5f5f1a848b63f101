"""Wiring only: the app, its blueprints (the authorizer among them), middleware and the schedule."""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Rate

from chalicelib import bulk
from chalicelib.api import (
    advisor_bulk_sends,
    advisor_clients,
    advisor_documents,
    advisor_messages,
    advisor_webhooks,
    auth,
    dev,
    portal,
    public,
    web,
)
from chalicelib.api.routing import framework_error_as_problem, with_answer_headers
from chalicelib.api.security import security
from chalicelib.observability import logger, metrics, traced

app = Chalice(app_name="signing-portal")
app.api.binary_types.append("application/pdf")  # the transactiebon; asked for with Accept: application/pdf

app.register_blueprint(security)
for module in (public, auth, advisor_clients, advisor_documents, advisor_messages, advisor_bulk_sends,
               advisor_webhooks, portal, dev, web):
    app.register_blueprint(module.routes.blueprint)


@app.middleware("http")
def problems_everywhere(request: Any, get_response: Any) -> Any:
    """Even Chalice's own refusals (415, 405) answer problem+json; every answer carries the API's headers."""
    return with_answer_headers(framework_error_as_problem(get_response(request), request.headers.get("accept-language")))


@app.middleware("all")
def observe(event: Any, get_response: Any) -> Any:
    """Request id on every log line; business metrics flushed once per invocation; traced when TRACING=true."""
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    request_id = getattr(context, "aws_request_id", None)
    logger.append_keys(request_id=request_id)
    try:
        return traced(event, get_response)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
        logger.remove_keys(["request_id", "tenant_id"])


@app.schedule(Rate(1, unit=Rate.HOURS))
def send_reminders(event: Any) -> dict[str, int]:
    """Hourly: reminders before deadlines, overdue notices, retried e-mail notices, bulk sends the queue missed."""
    from chalicelib import aws
    from chalicelib.bulk.service import requeue_stranded
    from chalicelib.reminders.job import run

    ports = aws.ports()
    queued = requeue_stranded(ports)  # first: the reminders' run may fail, a stranded batch would wait on
    return {**run(ports).to_api(), "bulk_sends_queued": queued}


# The queue is the stateful stack's (infra/stateful.yaml); the deploy names it (infra/app_template.py).
BULK_SEND_QUEUE_ARN = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${BulkSendQueueName}"


@app.on_sqs_message(queue_arn=BULK_SEND_QUEUE_ARN, batch_size=1, maximum_concurrency=bulk.WORKERS)
def send_bulk(event: Any) -> None:
    """A bulk send's jobs: each sends (or reminds) one chunk of a batch; a failed job is delivered again."""
    from chalicelib import aws
    from chalicelib.bulk.worker import handle_bodies

    context = event.context
    handle_bodies(aws.ports(), (record.body for record in event),
                  lambda: context.get_remaining_time_in_millis() / 1000)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def obtain_time_stamps(event: Any) -> dict[str, int]:
    """Every five minutes: the time stamps the authority could not give at the moment of signing."""
    from chalicelib import aws
    from chalicelib.signing.stamping import stamp_pending

    return stamp_pending(aws.ports()).to_api()


WEBHOOK_QUEUE_ARN = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${WebhookQueueName}"


# At most this many tries at once: slow receivers of one firm cannot take the account's concurrency.
WEBHOOK_WORKERS = 10


@app.on_sqs_message(queue_arn=WEBHOOK_QUEUE_ARN, batch_size=1, maximum_concurrency=WEBHOOK_WORKERS)
def deliver_webhooks(event: Any) -> None:
    """One webhook delivery's try; a failed answer is scheduled again by the try itself, not by the queue."""
    from chalicelib import aws
    from chalicelib.webhooks.delivery import handle_bodies

    handle_bodies(aws.ports(), (record.body for record in event))


@app.schedule(Rate(1, unit=Rate.MINUTES))
def dispatch_webhooks(event: Any) -> dict[str, int]:
    """Every minute: the firms' new events turned into deliveries, and the deliveries whose long wait is over."""
    from chalicelib import aws
    from chalicelib.webhooks.delivery import sweep

    return sweep(aws.ports())
