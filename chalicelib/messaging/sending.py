"""'Versturen': an advisor sends a message to one client, possibly a signing request, for them and co-signers.

A pipeline of small steps: parse the request; check every rule (the firm's feature, the
documents, every signer's mobile number); compose the message and a signing request per signer;
store them in one write, the notice queued with them; then e-mail the notice to everyone whose
turn it is. Nothing is stored or sent when a rule fails.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib import idempotency
from chalicelib.clients import phone as phones
from chalicelib.clock import AMSTERDAM, iso, parse_iso
from chalicelib.documents.model import PDF
from chalicelib.errors import (
    DependencyFailed,
    DocumentNotReady,
    FeatureNotEnabled,
    FieldError,
    NotFound,
    PhoneRequired,
    ValidationFailed,
)
from chalicelib.ids import new_id
from chalicelib.messaging.model import (
    MAX_CO_SIGNERS,
    RESPONSE_TYPES,
    SIGNING_ORDERS,
    DocumentRef,
    Envelope,
    Message,
    Signer,
    SignerState,
    SigningRequest,
)
from chalicelib.messaging.notices import awaiting_notice, send_client_notice
from chalicelib.signing.audit import AuditEvent
from chalicelib.signing.states import SigningStatus, first_event
from chalicelib.tenants.model import SIGNING
from chalicelib.validation import Fields, text_problem

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.bulk.model import Outcome
    from chalicelib.messaging.ports import Outgoing
    from chalicelib.ports import Mailer, Ports

MAX_DOCUMENTS = 10
MAX_ID_LENGTH = 64
NOTICE_GRACE = timedelta(minutes=5)


def parse_request(body: dict[str, Any], today: date) -> dict[str, Any]:
    fields = Fields(body)
    values: dict[str, Any] = {
        "client_id": fields.text("client_id", max_length=64),
        "subject": fields.text("subject", max_length=200),
        "body": fields.text("body", max_length=20_000, multiline=True),
        "response_type": fields.choice("response_type", RESPONSE_TYPES, message="invalid_response_type"),
    }
    document_ids = body.get("document_ids", [])
    if not isinstance(document_ids, list) or not all(valid_id(d) for d in document_ids):
        fields.add("document_ids", "invalid_document_ids")
        document_ids = []
    elif len(document_ids) > MAX_DOCUMENTS or len(set(document_ids)) != len(document_ids):
        fields.add("document_ids", "invalid_document_ids")
    values["document_ids"] = document_ids
    values["deadline"] = parse_deadline(fields, values["response_type"], today)
    if values["response_type"] == "sign" and len(document_ids) != 1:
        fields.add("document_ids", "sign_needs_one_pdf")
    values["co_signers"] = _co_signers(fields, values["response_type"], values["client_id"])
    values["signing_order"] = fields.choice("signing_order", SIGNING_ORDERS, required=False,
                                            message="invalid_signing_order") or "parallel"
    fields.done()
    return values


def _co_signers(fields: Fields, response_type: str | None, client_id: str | None) -> list[str]:
    """0 to 3 other clients, each once, and only for a signing request."""
    raw = fields.body.get("co_signers", [])
    if raw in ([], None):
        return []
    if response_type != "sign":
        fields.add("co_signers", "co_signers_only_for_signing")
        return []
    if (not isinstance(raw, list) or not all(valid_id(c) for c in raw) or len(raw) > MAX_CO_SIGNERS
            or len(set(raw)) != len(raw) or client_id in raw):
        fields.add("co_signers", "invalid_co_signers", maximum=MAX_CO_SIGNERS)
        return []
    return list(raw)


def valid_id(value: object) -> bool:
    """An id as this service hands them out: short plain text (a longer key would be DynamoDB's 5xx)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and text_problem(value) is None


def parse_deadline(fields: Fields, response_type: str | None, today: date) -> str | None:
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


def send_message(ports: Ports, principal: Principal, body: dict[str, Any],
                 request_key: str | None = None) -> dict[str, Any]:
    """Check every rule, store the message (+ signing request + first audit event) at once, then notify.

    With `request_key` (the Idempotency-Key) the answer is stored with the message, and a
    repeated call gets it again, as it was, instead of a second message: a notice that failed
    is the reminder job's to send, never the retry's.
    """
    key = idempotency.key_of("send_message", principal, request_key, body)
    now = ports.clock.now()
    try:
        request = parse_request(body, now.astimezone(AMSTERDAM).date())
    except ValidationFailed:
        # A deadline of "today" is in the past for a retry after midnight: the first answer stands.
        earlier = ports.messages.answer_under(key, now) if key is not None else None
        if earlier is None or key is None:
            raise
        return idempotency.replay(earlier, key)
    outgoing = ports.messages.outgoing(principal.tenant_id, request["client_id"], principal.subject_id,
                                       request["document_ids"], now, key, request["co_signers"])
    if key is not None and outgoing.earlier is not None:
        return idempotency.replay(outgoing.earlier, key)
    documents = check_rules(ports, outgoing, request)
    message, signing = compose(principal, request, outgoing, documents, iso(now))
    answer = idempotency.Recorded(key, message.to_api()) if key is not None else None
    try:
        return deliver(ports, outgoing, message, signing, answer).to_api()
    except idempotency.AlreadyAnswered as twin:  # the same call, committed a moment earlier
        assert key is not None
        return idempotency.replay(twin.answer, key)


def deliver(ports: Ports, outgoing: Outgoing, message: Message, signing: list[tuple[SigningRequest, AuditEvent]],
            answer: idempotency.Recorded | None = None, outcome: Outcome | None = None,
            mailer: Mailer | None = None) -> Message:
    """Store the composed message, its notice queued with it, then e-mail the notice to everyone whose turn it is.

    `answer` (an Idempotency-Key's) and `outcome` (a bulk-send recipient's) are written in the
    message's own transaction; `mailer` (a bulk send's, at its pace) sends the notice.
    """
    stored = _store(ports, message, parse_iso(message.created_at) + NOTICE_GRACE, signing, answer, outcome)
    signers = {outgoing.client.id: outgoing.client, **outgoing.co_signers}
    status = send_client_notice(ports, stored, [signers[c] for c in awaiting_notice(stored)], outgoing.firm.name,
                                answer=answer, mailer=mailer)
    return replace(stored, notice_status=status)


def _store(ports: Ports, message: Message, notice_due: datetime, signing: list[tuple[SigningRequest, AuditEvent]],
           answer: idempotency.Recorded | None, outcome: Outcome | None) -> Message:
    """The message stored with its notice queued (due at `notice_due`, should this request die before sending it).

    A write whose answer was lost (a timeout) may have landed: then it is read back and the send
    goes on, so its notice goes out now rather than at the job's next run.
    """
    try:
        return ports.messages.send(message, notice_due, signing, answer, outcome)
    except DependencyFailed:
        try:
            stored = ports.messages.get_message(message.tenant_id, message.id)
        except (NotFound, DependencyFailed):
            stored = None
        if stored is None or stored.notice_status != "pending":
            raise
        return stored


def check_rules(ports: Ports, outgoing: Outgoing, request: dict[str, Any]) -> tuple[DocumentRef, ...]:
    """The documents, once every rule of sending holds."""
    for_signing = request["response_type"] == "sign"
    if for_signing and not outgoing.firm.has(SIGNING):
        raise FeatureNotEnabled()
    documents = _documents(outgoing, request["document_ids"], for_signing)
    allowed = ports.settings.sms_allowed_country_codes
    phone = outgoing.client.phone
    if for_signing and not phones.can_receive_codes(phone, allowed):
        raise PhoneRequired("phone_not_mobile" if phone else "phone_required")
    if any(c not in outgoing.co_signers for c in request["co_signers"]):
        raise NotFound()
    without = [outgoing.co_signers[c] for c in request["co_signers"]
               if not phones.can_receive_codes(outgoing.co_signers[c].phone, allowed)]
    if without:
        raise PhoneRequired("co_signer_phone_required", name=without[0].name, errors=[
            FieldError("co_signers", "co_signer_phone_required", {"name": c.name, "client_id": c.id})
            for c in without])
    return documents


def _documents(outgoing: Outgoing, ids: list[str], for_signing: bool) -> tuple[DocumentRef, ...]:
    if any(document_id not in outgoing.documents for document_id in ids):
        raise NotFound()
    documents = [outgoing.documents[document_id] for document_id in ids]
    for document in documents:
        if document.status != "ready" or not document.sha256 or document.size is None:
            raise DocumentNotReady("document_not_uploaded", filename=document.filename)
    if for_signing and documents[0].content_type != PDF:
        raise ValidationFailed(FieldError("document_ids", "sign_needs_one_pdf"))
    return tuple(
        DocumentRef(id=d.id, filename=d.filename, content_type=d.content_type, size=int(d.size or 0),
                    sha256=str(d.sha256), s3_key=d.s3_key, version_id=d.version_id)
        for d in documents
    )


def compose(principal: Principal, request: dict[str, Any], outgoing: Outgoing, documents: tuple[DocumentRef, ...],
             created_at: str) -> tuple[Message, list[tuple[SigningRequest, AuditEvent]]]:
    """The new message and, to be signed, a signing request per signer with the `sent` event that starts its chain.

    The client is the first signer, the co-signers follow in the order given; in sequential order
    only the first has their turn (and their notice) now.
    """
    client, firm_name = outgoing.client, outgoing.firm.name
    advisor_email = outgoing.advisor.email if outgoing.advisor is not None else None
    message_id = new_id()
    message = Message(
        id=message_id, tenant_id=principal.tenant_id, conversation_id=new_id(), client_id=client.id,
        advisor_id=principal.subject_id, subject=request["subject"], body=request["body"],
        response_type=request["response_type"], documents=documents, status="sent", deadline=request["deadline"],
        created_at=created_at, firm_name=firm_name, advisor_email=advisor_email,
    )
    if request["response_type"] != "sign":
        return message, []
    people = [client, *(outgoing.co_signers[c] for c in request["co_signers"])]
    order = request["signing_order"]
    envelope = Envelope(message_id, tuple(Signer(new_id(), p.id, p.name) for p in people), order)
    first = first_event(created_at, f"advisor:{principal.subject_id}",
                        {"document_sha256": documents[0].sha256, "document_version": documents[0].version_id,
                         **({"envelope": envelope.for_receipt(envelope.signers[0].request_id)}
                            if envelope.shared else {})})
    requests = []
    for n, signer in enumerate(envelope.signers):
        turn = order == "parallel" or n == 0
        event = first if n == 0 else first_event(
            created_at, f"advisor:{principal.subject_id}",
            {"document_sha256": documents[0].sha256, "document_version": documents[0].version_id,
             "envelope": envelope.for_receipt(signer.request_id)})
        requests.append((SigningRequest(
            id=signer.request_id, tenant_id=principal.tenant_id, message_id=message_id,
            conversation_id=message.conversation_id, client_id=signer.client_id, advisor_id=principal.subject_id,
            status=SigningStatus.SENT, deadline=message.deadline, document=documents[0], created_at=created_at,
            audit_seq=event.seq, audit_head=event.hash, signer_name=signer.name, subject=message.subject,
            firm_name=firm_name, advisor_email=advisor_email, turn=turn, stored_envelope=envelope,
        ), event))
    states = tuple(SignerState(r.id, r.client_id, r.signer_name, str(r.status), r.turn,
                               notice="pending" if r.turn else "waiting") for r, _ in requests)
    main = envelope.signers[0].request_id
    return replace(message, signing_request_id=main, signing_status=str(SigningStatus.SENT), signings=states,
                   signing_order=order), requests
