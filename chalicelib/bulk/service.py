"""The advisor's side of a bulk send: check and store the batch, show its progress, withdraw it, remind it.

`POST /advisor/bulk-sends` checks the whole batch, stores it with its recipients in one write and
puts one job per chunk on the queue; the queue's worker (`worker.py`) sends. Should the queue
refuse, the batch stays on the list of batches not yet queued, and the scheduled job
(`requeue_stranded`) puts it there later: it is never lost, nor sent twice.
"""

from __future__ import annotations

import concurrent.futures
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import idempotency
from chalicelib.bulk.model import MAX_RECIPIENTS, BulkSend, Failure, Item, Job, Outcome, Recipient, chunk_of
from chalicelib.clock import AMSTERDAM, iso, parse_iso
from chalicelib.errors import DependencyFailed, FeatureNotEnabled, NotOpen, RateLimited
from chalicelib.ids import new_id
from chalicelib.messaging.model import RESPONSE_TYPES
from chalicelib.messaging.sending import MAX_DOCUMENTS, parse_deadline, valid_id
from chalicelib.observability import logger
from chalicelib.tenants.model import SIGNING
from chalicelib.texts import text
from chalicelib.validation import Fields, parse_limit, parse_place

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.ports import Ports

REMIND_EVERY = timedelta(hours=24)
STRANDED_AFTER = timedelta(minutes=2)  # a batch not on the queue by then lost its put: the job puts it there
WITHDRAWING_AT_ONCE = 8  # requests withdrawn in parallel: a batch of 1,000 well within the API's 29 s


# --- sending ---------------------------------------------------------------------------------


def create_bulk_send(ports: Ports, principal: Principal, body: dict[str, Any],
                     request_key: str | None = None) -> dict[str, Any]:
    """The batch stored and queued: 202 with its id; the same Idempotency-Key and body answer the same batch."""
    key = idempotency.key_of("bulk_send", principal, request_key, body)
    now = ports.clock.now()
    earlier = ports.bulk_sends.answer_under(key, now) if key is not None else None
    if key is not None and earlier is not None:
        return idempotency.replay(earlier, key)
    request, recipients = _parse(body, now.astimezone(AMSTERDAM).date())
    if request["response_type"] == "sign" and not ports.tenants.get(principal.tenant_id).has(SIGNING):
        raise FeatureNotEnabled()
    batch = BulkSend(id=new_id(), tenant_id=principal.tenant_id, advisor_id=principal.subject_id,
                     subject=request["subject"], body=request["body"], response_type=request["response_type"],
                     deadline=request["deadline"], document_ids=tuple(request["document_ids"]), total=len(recipients),
                     created_at=iso(now))
    answer = batch.to_api()
    try:
        ports.bulk_sends.create(batch, recipients, idempotency.Recorded(key, answer) if key is not None else None)
    except idempotency.AlreadyAnswered as twin:
        assert key is not None
        return idempotency.replay(twin.answer, key)
    enqueue(ports, batch)
    return answer


def enqueue(ports: Ports, batch: BulkSend) -> bool:
    """One job per chunk on the queue; False (the batch stays on the not-queued list) when the queue failed."""
    try:
        ports.bulk_queue.put([Job("send", batch.tenant_id, batch.id, n) for n in range(batch.chunks)])
        ports.bulk_sends.queued(batch)
    except DependencyFailed:
        logger.warning("bulk send not queued yet; the scheduled job queues it", extra={"bulk_send_id": batch.id})
        return False
    return True


def requeue_stranded(ports: Ports, now: datetime | None = None) -> int:
    """The batches whose jobs never reached the queue, queued now; how many (a job delivered twice sends nothing
    twice, so a batch queued meanwhile by its own request is harmless)."""
    stranded = ports.bulk_sends.not_queued((now or ports.clock.now()) - STRANDED_AFTER)
    return sum(enqueue(ports, batch) for batch in stranded)


def _parse(body: dict[str, Any], today: date) -> tuple[dict[str, Any], list[Recipient]]:
    fields = Fields(body)
    request: dict[str, Any] = {
        "subject": fields.text("subject", max_length=200),
        "body": fields.text("body", max_length=20_000, multiline=True),
        "response_type": fields.choice("response_type", RESPONSE_TYPES, message="invalid_response_type"),
    }
    request["deadline"] = parse_deadline(fields, request["response_type"], today)
    shared = _document_ids(fields, "document_ids", body.get("document_ids", []))
    request["document_ids"] = shared or []
    recipients = _recipients(fields, body.get("recipients"), request["response_type"], shared)
    fields.done()
    return request, recipients


def _document_ids(fields: Fields, name: str, raw: object) -> list[str] | None:
    if not isinstance(raw, list) or not all(valid_id(d) for d in raw) or len(raw) > MAX_DOCUMENTS \
            or len(set(raw)) != len(raw):
        fields.add(name, "invalid_document_ids")
        return None
    return list(raw)


def _recipients(fields: Fields, raw: object, response_type: str | None,
                shared: list[str] | None) -> list[Recipient]:
    """1 to 1,000 clients, each once, each with their own documents or the shared ones (for `sign`: one)."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RECIPIENTS:
        fields.add("recipients", "invalid_recipients", maximum=MAX_RECIPIENTS)
        return []
    recipients: list[Recipient] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw):
        client_id = entry.get("client_id") if isinstance(entry, dict) else None
        if not valid_id(client_id) or client_id in seen:
            fields.add(f"recipients[{n}].client_id", "invalid_recipient")
            continue
        seen.add(str(client_id))
        own = None
        if isinstance(entry, dict) and entry.get("document_ids") is not None:
            own = _document_ids(fields, f"recipients[{n}].document_ids", entry["document_ids"])
            if own is None:
                continue
        documents = own if own is not None else shared
        if response_type == "sign" and documents is not None and len(documents) != 1:
            fields.add(f"recipients[{n}].document_ids", "sign_needs_one_pdf")
            continue
        recipients.append(Recipient(index=len(recipients), client_id=str(client_id),
                                    document_ids=tuple(own) if own is not None else None))
    return recipients


# --- progress ---------------------------------------------------------------------------------


def list_bulk_sends(ports: Ports, principal: Principal, limit: str | None, cursor: str | None) -> dict[str, Any]:
    batches, next_cursor = ports.bulk_sends.page(principal.tenant_id, parse_limit(limit), cursor)
    return {"items": [batch.to_api() for batch in batches], "next_cursor": next_cursor}


def bulk_send_view(ports: Ports, principal: Principal, bulk_send_id: str, limit: str | None, cursor: str | None,
                   language: str) -> dict[str, Any]:
    """The batch with a page of its recipients, each as far as it got (`?cursor=` is the next recipient's place)."""
    batch = ports.bulk_sends.get(principal.tenant_id, bulk_send_id)
    first = parse_place(cursor, batch.total)
    last = min(first + parse_limit(limit), batch.total) - 1
    recipients = ports.bulk_sends.recipients(batch.tenant_id, batch.id, first, last) if last >= first else []
    outcomes = ports.bulk_sends.outcomes(batch.tenant_id, batch.id, first, last) if last >= first else {}

    def detail(failure: Failure) -> str:
        return text(failure.message, language, **failure.params)

    return {**batch.to_api(),
            "items": [Item(r, outcomes.get(r.index)).to_api(detail) for r in recipients],
            "next_cursor": str(last + 1) if last + 1 < batch.total else None}


# --- withdrawing and reminding ------------------------------------------------------------------


def withdraw_bulk_send(ports: Ports, principal: Principal, bulk_send_id: str) -> dict[str, int]:
    """Every still-open signing request or approval of the batch withdrawn; no recipient is sent after this."""
    batch = ports.bulk_sends.get(principal.tenant_id, bulk_send_id)
    ports.bulk_sends.withdraw(batch, iso(ports.clock.now()))
    sent = [o for o in _all_outcomes(ports, batch) if o.status == "sent"]
    if batch.response_type not in ("sign", "approve") or not sent:
        return {"withdrawn": 0}
    with concurrent.futures.ThreadPoolExecutor(WITHDRAWING_AT_ONCE) as pool:
        withdrawn = sum(pool.map(lambda outcome: _withdraw(ports, principal, batch, outcome), sent))
    return {"withdrawn": withdrawn}


def _withdraw(ports: Ports, principal: Principal, batch: BulkSend, outcome: Outcome) -> int:
    from chalicelib.messaging import service as messages

    try:
        if batch.response_type == "sign" and outcome.signing_request_id:
            messages.withdraw(ports, principal, outcome.signing_request_id)
        elif outcome.message_id:
            messages.withdraw_approval(ports, principal, outcome.message_id)
        else:
            return 0
    except NotOpen:
        return 0  # signed, rejected or answered meanwhile
    return 1


def remind_bulk_send(ports: Ports, principal: Principal, bulk_send_id: str) -> dict[str, int]:
    """A reminder now to every recipient whose message still asks for an answer, through the queue; once per
    24 hours. What is open is read before the round is claimed, so a failed read leaves no claim behind."""
    from chalicelib.bulk.worker import awaits_answer

    batch = ports.bulk_sends.get(principal.tenant_id, bulk_send_id)
    now = ports.clock.now()
    sent = [o for o in _all_outcomes(ports, batch) if o.status == "sent" and o.message_id]
    found = ports.messages.get_messages(batch.tenant_id, [str(o.message_id) for o in sent])
    still_open = [o for o in sent if (m := found.get(str(o.message_id))) is not None and awaits_answer(m)]
    if not ports.bulk_sends.claim_reminders(batch, now, now - REMIND_EVERY):
        last = ports.bulk_sends.get(batch.tenant_id, batch.id).reminded_at or iso(now)
        wait = parse_iso(last) + REMIND_EVERY - now
        raise RateLimited("bulk_reminded_recently", retry_after=int(wait.total_seconds()) + 1)
    chunks = sorted({chunk_of(o.index) for o in still_open})
    try:
        ports.bulk_queue.put([Job("remind", batch.tenant_id, batch.id, n, round=iso(now)) for n in chunks])
    except DependencyFailed:
        ports.bulk_sends.release_reminders(batch, now)
        raise
    return {"reminded": len(still_open)}


def _all_outcomes(ports: Ports, batch: BulkSend) -> list[Outcome]:
    if not batch.total:
        return []
    return list(ports.bulk_sends.outcomes(batch.tenant_id, batch.id, 0, batch.total - 1).values())

