"""'Versturen': an advisor sends a message, possibly a signing request, to one client."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.clients import phone as phones
from chalicelib.clock import AMSTERDAM, iso
from chalicelib.config import get_settings
from chalicelib.documents.model import PDF
from chalicelib.errors import DocumentNotReady, FeatureNotEnabled, FieldError, PhoneRequired, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.messaging.model import RESPONSE_TYPES, DocumentRef, Message, SigningRequest
from chalicelib.messaging.notices import send_client_notice
from chalicelib.reminders.schedule import index_fields
from chalicelib.signing.audit import GENESIS, next_event
from chalicelib.store.clients import ClientRepository
from chalicelib.store.documents import DocumentRepository
from chalicelib.store.messages import MessageRepository
from chalicelib.store.signing_requests import SigningRequestRepository, audit_item
from chalicelib.store.tenants import TenantRepository
from chalicelib.store.transaction import Transition, TransitionRefused
from chalicelib.tenants.model import SIGNING
from chalicelib.validation import Fields

MAX_DOCUMENTS = 10
NOTICE_GRACE = timedelta(minutes=5)


def _parse_request(body: dict[str, Any], today: date) -> dict[str, Any]:
    fields = Fields(body)
    values: dict[str, Any] = {
        "client_id": fields.text("client_id", max_length=64),
        "subject": fields.text("subject", max_length=200),
        "body": fields.text("body", max_length=20_000, multiline=True),
        "response_type": fields.choice("response_type", RESPONSE_TYPES, message="invalid_response_type"),
    }
    document_ids = body.get("document_ids", [])
    if not isinstance(document_ids, list) or not all(isinstance(d, str) for d in document_ids):
        fields.add("document_ids", "invalid_document_ids")
        document_ids = []
    elif len(document_ids) > MAX_DOCUMENTS or len(set(document_ids)) != len(document_ids):
        fields.add("document_ids", "invalid_document_ids")
    values["document_ids"] = document_ids
    values["deadline"] = _deadline(fields, values["response_type"], today)
    if values["response_type"] == "sign" and len(document_ids) != 1:
        fields.add("document_ids", "sign_needs_one_pdf")
    fields.done()
    return values


def _deadline(fields: Fields, response_type: str | None, today: date) -> str | None:
    raw = fields.body.get("deadline")
    if raw is None:
        return None
    if response_type == "none":
        fields.add("deadline", "deadline_not_for_information")
        return None
    try:
        deadline = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        deadline = None
    if deadline is None:
        fields.add("deadline", "invalid_date")
        return None
    if deadline < today:
        fields.add("deadline", "deadline_in_past")
        return None
    return deadline.isoformat()


def _documents(principal: Principal, ids: list[str], response_type: str) -> tuple[DocumentRef, ...]:
    repository = DocumentRepository()
    documents = [repository.get(principal.tenant_id, document_id) for document_id in ids]
    for document in documents:
        if document.status != "ready" or not document.sha256 or document.size is None:
            raise DocumentNotReady("document_not_uploaded", filename=document.filename)
    if response_type == "sign" and documents[0].content_type != PDF:
        raise ValidationFailed(FieldError("document_ids", "sign_needs_one_pdf"))
    return tuple(
        DocumentRef(id=d.id, filename=d.filename, content_type=d.content_type, size=int(d.size or 0),
                    sha256=str(d.sha256), s3_key=d.s3_key, version_id=d.version_id)
        for d in documents
    )


def send_message(principal: Principal, body: dict[str, Any], request_key: str | None = None) -> dict[str, Any]:
    """Check every rule, store message (+ signing request + first audit event) at once, then notify.

    Nothing is stored or sent when a rule fails.
    """
    aws.bind_store()
    now = aws.clock().now()
    request = _parse_request(body, now.astimezone(AMSTERDAM).date())
    client = ClientRepository().get(principal.tenant_id, request["client_id"])
    firm = TenantRepository().get(principal.tenant_id)
    response_type = request["response_type"]
    if response_type == "sign" and not firm.has(SIGNING):
        raise FeatureNotEnabled()
    documents = _documents(principal, request["document_ids"], response_type)
    if response_type == "sign" and not phones.can_receive_codes(client.phone, get_settings().sms_allowed_country_codes):
        raise PhoneRequired("phone_not_mobile" if client.phone else "phone_required")

    created_at = iso(now)
    message_id, request_id = new_id(), new_id() if response_type == "sign" else None
    message = Message(
        id=message_id, tenant_id=principal.tenant_id, conversation_id=new_id(), client_id=client.id,
        advisor_id=principal.subject_id, subject=request["subject"], body=request["body"],
        response_type=response_type, documents=documents, status="sent", deadline=request["deadline"],
        created_at=created_at, signing_request_id=request_id, signing_status="sent" if request_id else None,
    )
    repository = MessageRepository()
    transition = Transition()
    message_item = repository.new_message_item(message)
    # The notice is queued with the message: should this request die before sending it, the
    # reminder job finds it due after a short grace and sends it.
    for name, value in index_fields(message.id, now + NOTICE_GRACE).items():
        setattr(message_item, name, value)
    transition.put("message", message_item)
    if request_key:
        # Beside Powertools' record, which replays an answer: that record is dropped when the
        # call fails, as it does when the write landed but its answer was lost. Then a retry
        # runs again, and this claim, written with the message, finds that message.
        transition.put("key", repository.new_key_claim(principal.tenant_id, request_key, message.id, now))
    if request_id:
        first = next_event(0, GENESIS, "sent", created_at, f"advisor:{principal.subject_id}",
                           {"document_sha256": documents[0].sha256, "document_version": documents[0].version_id})
        transition.put("request", SigningRequestRepository().new_request_item(SigningRequest(
            id=request_id, tenant_id=principal.tenant_id, message_id=message_id,
            conversation_id=message.conversation_id, client_id=client.id, advisor_id=principal.subject_id,
            status="sent", deadline=message.deadline, document=documents[0], created_at=created_at,
            audit_seq=first.seq, audit_head=first.hash, signer_name=client.name,
        )))
        transition.put("audit", audit_item(principal.tenant_id, request_id, first))
    try:
        transition.commit()
    except TransitionRefused as exc:
        if "key" not in exc.failed or not request_key:
            raise
        # A retry of a send whose write landed but whose answer was lost: finish that one.
        message = repository.get_message(principal.tenant_id, repository.key_claim(principal.tenant_id, request_key))
    if message.notice_status != "sent":
        notice = send_client_notice(message, client, firm.name)
        message = replace(message, notice_status=notice)
    return message.to_api()
