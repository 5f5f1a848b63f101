"""Events become deliveries, and deliveries are tried until an endpoint answers 2xx: at least once, signed.

- `dispatch`: every event not yet fanned out becomes one delivery per endpoint of its firm that
  asked for its type, stored together with the event's leaving the pending list (so each once),
  and its first try is put on the queue.
- `try_delivery` (the queue's worker, and `POST /dev/webhooks/run`): claims the try, checks the URL
  again (DNS can change), posts the payload with the Standard Webhooks headers of this moment,
  and records the outcome: delivered; or the next try after the wait of API.md (short waits by
  the queue's delay, long ones by the scheduled sweep); or, after the last, failed, with one
  `webhook_failing` notification and e-mail for the advisor who added the endpoint. An endpoint
  whose tries have all failed for three days is disabled.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.clock import iso, parse_iso
from chalicelib.errors import DependencyFailed, NotFound
from chalicelib.ids import new_id
from chalicelib.notify.templates import render_email
from chalicelib.observability import logger
from chalicelib.validation import parse_moment
from chalicelib.webhooks import urls
from chalicelib.webhooks.model import ATTEMPTS, DISABLE_AFTER, RETRY_AFTER, Delivery, DeliveryJob, Endpoint
from chalicelib.webhooks.service import secret_context
from chalicelib.webhooks.signing import headers

if TYPE_CHECKING:
    from chalicelib.ports import Ports

LEASE = timedelta(minutes=2)  # a claimed try is due again after this, should its worker die mid-try
QUEUE_DELAY_LIMIT = timedelta(minutes=15)  # SQS's longest delay: longer waits are the sweep's
BATCH = 100
SWEEP_BATCH = 1000  # due deliveries queued per run (each a small message; SQS takes ten a call)
RUN_BUDGET = timedelta(seconds=30)  # of the minute's run (its timeout is 50 s)
SWEEP_AFTER = timedelta(minutes=1)  # a try this late is the sweep's: the queue's own delay did not bring it


@dataclass
class RunResult:
    delivered: int = 0
    failed: int = 0
    pending: int = 0

    def to_api(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "pending": self.pending}


def enqueue(ports: Ports, jobs: Sequence[DeliveryJob], delay: timedelta = timedelta(0)) -> None:
    """On the queue; should it refuse, the sweep finds the deliveries due all the same."""
    if not jobs:
        return
    try:
        ports.webhook_queue.put(jobs, delay_seconds=int(delay.total_seconds()))
    except DependencyFailed:
        logger.warning("webhook deliveries not queued; the sweep tries them", extra={"count": len(jobs)})


def dispatch(ports: Ports, budget: timedelta = RUN_BUDGET) -> int:
    """Every pending event fanned out to the endpoints that asked for it, a page at a time until none is left
    or `budget` is spent (the next run goes on); how many events."""
    until = time.monotonic() + budget.total_seconds()
    endpoints: dict[str, list[Endpoint]] = {}
    done = 0
    while time.monotonic() < until:
        events = ports.webhooks.pending_events(BATCH)
        if not events:
            break
        now = iso(ports.clock.now())
        for event in events:
            if event.tenant_id not in endpoints:
                endpoints[event.tenant_id] = ports.webhooks.endpoints(event.tenant_id)
            wanted = [e for e in endpoints[event.tenant_id] if e.wants(event.type)]
            deliveries = [Delivery(e.id, event.id, event.tenant_id, event.type, event.payload(), now,
                                   next_attempt_at=now) for e in wanted]
            if ports.webhooks.fan_out(event, deliveries):
                done += 1
                enqueue(ports, [DeliveryJob(d.tenant_id, d.endpoint_id, d.event_id) for d in deliveries])
    return done


def sweep(ports: Ports) -> dict[str, int]:
    """The schedule's part: events fanned out (their first tries queued), and every delivery a minute past its
    try put on the queue: a long wait's end, or a try whose job the queue lost (a try the queue still holds
    is claimed once, whoever comes first)."""
    due = ports.webhooks.due(ports.clock.now() - SWEEP_AFTER, SWEEP_BATCH)
    dispatched = dispatch(ports)
    enqueue(ports, [DeliveryJob(d.tenant_id, d.endpoint_id, d.event_id) for d in due])
    return {"events": dispatched, "queued": len(due)}


def handle_bodies(ports: Ports, bodies: Iterable[str]) -> None:
    """The queue's worker: each job's delivery tried, when it is due."""
    for body in bodies:
        job = DeliveryJob.from_json(json.loads(body))
        try:
            delivery = ports.webhooks.delivery(job.tenant_id, job.endpoint_id, job.event_id)
        except NotFound:
            continue  # nothing to deliver
        try_delivery(ports, delivery, ports.clock.now())


def run_from_request(ports: Ports, body: dict[str, Any]) -> dict[str, int]:
    """`POST /dev/webhooks/run {"at"?: "…Z"}`: every delivery due by `at` (default now), tried now."""
    raw = body.get("at")
    return run_due(ports, ports.clock.now() if raw is None else parse_moment(raw)).to_api()


def run_due(ports: Ports, at: datetime) -> RunResult:
    """`POST /dev/webhooks/run`: every delivery due by `at` tried at once (the events fanned out first)."""
    dispatch(ports)
    result = RunResult()
    for delivery in ports.webhooks.due(at, 1000):
        outcome = try_delivery(ports, delivery, at)
        if outcome == "delivered":
            result.delivered += 1
        elif outcome == "failed":
            result.failed += 1
        elif outcome == "pending":
            result.pending += 1
    return result


def try_delivery(ports: Ports, delivery: Delivery, at: datetime) -> str | None:
    """One try, if it is due by `at` and nobody else holds it: 'delivered', 'pending' (tried again later),
    'failed'; None when it was not tried."""
    if delivery.status != "pending" or (delivery.next_attempt_at and parse_iso(delivery.next_attempt_at) > at):
        return None
    try:
        endpoint = ports.webhooks.endpoint(delivery.tenant_id, delivery.endpoint_id)
    except NotFound:
        endpoint = None  # deleted: the try fails, and no more are made
    if delivery.attempts >= ATTEMPTS:  # the last try died before it was recorded: no more are made
        return _record(ports, delivery, endpoint, None, at)
    claimed = ports.webhooks.claim_try(delivery, at + LEASE)
    if claimed is None:
        return None
    code = _post(ports, endpoint, claimed) if endpoint is not None and endpoint.status == "active" else None
    return _record(ports, claimed, endpoint, code, at)


def _post(ports: Ports, endpoint: Endpoint, delivery: Delivery) -> int | None:
    """The delivery posted to the endpoint's URL, checked again now; the answer's status code, if any."""
    try:
        target = urls.resolve(endpoint.url, local=ports.settings.is_local)
    except urls.UnsafeUrl:
        logger.warning("webhook URL refused at delivery", extra={"webhook_id": endpoint.id})
        return None
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    moment = ports.wall_clock.now()  # the real moment of this try, whatever the business clock says
    return ports.webhook_sender.post(target, body.encode(), headers(delivery.event_id, moment, body,
                                                                    _signing_secrets(ports, endpoint)))


def _signing_secrets(ports: Ports, endpoint: Endpoint) -> list[str]:
    current, previous, until = ports.webhooks.sealed_secrets(endpoint.tenant_id, endpoint.id)
    context = secret_context(endpoint.tenant_id, endpoint.id)
    opened = [ports.vault.decrypt(current, context)]
    if previous is not None and until is not None and parse_iso(until) > ports.clock.now():
        opened.append(ports.vault.decrypt(previous, context))
    if any(secret is None for secret in opened):
        raise DependencyFailed()  # a secret that does not open is KMS failing: the queue tries again
    return [secret.decode() for secret in opened if secret is not None]


def _record(ports: Ports, delivery: Delivery, endpoint: Endpoint | None, code: int | None, at: datetime) -> str:
    """The try's outcome, with what it means for the endpoint (healthy again, failing, disabled)."""
    if code is not None and 200 <= code < 300:
        healthy = replace(endpoint, failing_since=None, failing_notified=False) if endpoint else None
        changed = healthy if endpoint is not None and healthy != endpoint else None
        ports.webhooks.record_try(replace(delivery, status="delivered", last_status_code=code, next_attempt_at=None),
                                  endpoint, changed, None)
        return "delivered"
    failing = _failing(endpoint, at) if endpoint is not None else None  # None: deleted
    changed = failing if failing is not None and failing != endpoint else None
    if delivery.attempts < ATTEMPTS and failing is not None and failing.status == "active":
        wait = RETRY_AFTER[delivery.attempts - 1]
        ports.webhooks.record_try(replace(delivery, last_status_code=code, next_attempt_at=iso(at + wait)), endpoint,
                                  changed, None)
        if wait <= QUEUE_DELAY_LIMIT:
            enqueue(ports, [DeliveryJob(delivery.tenant_id, delivery.endpoint_id, delivery.event_id)], wait)
        return "pending"
    note = None
    if failing is not None and not failing.failing_notified:  # once, until a delivery gets through again
        note = {"id": new_id(), "type": "webhook_failing", "webhook_id": failing.id, "message_id": None,
                "signing_request_id": None, "client_id": None, "created_at": iso(at)}
        changed = failing = replace(failing, failing_notified=True)
    told = ports.webhooks.record_try(replace(delivery, status="failed", last_status_code=code, next_attempt_at=None),
                                     endpoint, changed, note)
    if note is not None and failing is not None and told:
        _email_advisor(ports, failing)
    return "failed"


def _failing(endpoint: Endpoint, at: datetime) -> Endpoint:
    """The endpoint after a failed try: failing since its first one, disabled after three days of them."""
    since = endpoint.failing_since or iso(at)
    if endpoint.status == "active" and at - parse_iso(since) >= DISABLE_AFTER:
        return replace(endpoint, failing_since=since, status="disabled", disabled_at=iso(at))
    return replace(endpoint, failing_since=since)


def _email_advisor(ports: Ports, endpoint: Endpoint) -> None:
    try:
        firm = ports.tenants.get(endpoint.tenant_id).name
        advisor = ports.tenants.get_advisor(endpoint.tenant_id, endpoint.created_by)
        ports.mailer.send(advisor.email, render_email("advisor_webhook_failing", "nl", {
            "url": endpoint.url, "firm": firm, "link": f"{ports.settings.portal_url}/advisor#/webhooks/{endpoint.id}"}))
    except Exception:  # noqa: BLE001 - the notification is stored; the e-mail is a courtesy copy
        logger.warning("advisor e-mail failed", extra={"webhook_id": endpoint.id, "type": "webhook_failing"})
