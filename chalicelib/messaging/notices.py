"""Who is told what, and how: the client's e-mail notice and the advisor's notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.clock import parse_iso
from chalicelib.errors import DependencyFailed
from chalicelib.ids import new_id
from chalicelib.notify.templates import render_email
from chalicelib.observability import logger
from chalicelib.reminders.schedule import first_check

# A claimed notice is due again after this, should its sender die before sending it.
NOTICE_LEASE = timedelta(minutes=15)

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.bulk.model import BulkSend
    from chalicelib.clients.model import Client
    from chalicelib.idempotency import Recorded
    from chalicelib.messaging.model import Message, Origin, SigningRequest
    from chalicelib.ports import Mailer, Ports


def send_client_notice(ports: Ports, message: Message, recipients: Sequence[Client], firm_name: str,
                       at: datetime | None = None, answer: Recorded | None = None, mailer: Mailer | None = None) -> str:
    """E-mail each recipient that a message waits: subject, firm and portal link only; 'sent' or 'failed'.

    The recipients are the message's client, or the signers whose turn it is and who have not had
    it yet. A failed notice is recorded on the message (and retried by the scheduled job for those
    who did not get it), never lost. `answer` is what the send's Idempotency-Key replays: its notice
    status is kept up to date. `mailer` sends instead of the ports' (a bulk send's, at its pace).
    """
    def outcome(status: str) -> Recorded | None:
        return replace(answer, body={**answer.body, "notice_status": status}) if answer is not None else None

    sent_to: list[str] = []
    for client in recipients:
        email = render_email("new_message", client.language, {
            "name": client.name, "firm": firm_name, "subject": message.subject,
            "link": f"{ports.settings.portal_url}/#/messages/{message.id}",
        })
        try:
            (mailer or ports.mailer).send(client.email, email)
        except DependencyFailed:
            continue
        sent_to.append(client.id)
    if len(sent_to) < len(recipients):
        logger.warning("client notice failed; the reminder job retries it", extra={"message_id": message.id})
        # The job's moment when it sends, else the clock's.
        ports.messages.notice_failed(message, at or ports.clock.now(), outcome("failed"), sent_to)
        return "failed"
    next_check = first_check(message, parse_iso(message.created_at), ports.settings.reminder_offsets_days)
    try:
        ports.messages.notice_sent(message, next_check, outcome("sent"), sent_to)
    except DependencyFailed:
        # The client has the e-mail; only our record of it failed. The message stays due, so the
        # job sends it once more after the grace: a second notice rather than a send that answers 503.
        logger.warning("client notice sent but not recorded; the job may send it again",
                       extra={"message_id": message.id})
    return "sent"


def awaiting_notice(message: Message) -> list[str]:
    """The client ids whose notice is due and not out: the signers whose turn it is (or the message's client)."""
    states = message.signings
    if not states:
        return [message.client_id]
    return [s.client_id for s in states if s.is_open and s.turn and s.notice != "sent"]


def retry_client_notice(ports: Ports, message: Message, now: datetime) -> str | None:
    """Send again a notice that failed or never went out: 'sent' or 'failed', None when another run holds it.

    The claim is a lease: it makes the message due again when the lease ends, so a run that dies
    between the claim and the e-mail leaves it to a later run instead of "retrying" for ever.
    """
    claimed = ports.messages.claim_notice(message, now + NOTICE_LEASE)
    if claimed is None:
        return None
    return send_awaiting_notices(ports, claimed, now)


def send_awaiting_notices(ports: Ports, message: Message, at: datetime | None = None) -> str:
    """E-mail everyone whose notice is due and not out yet (`awaiting_notice`): 'sent' or 'failed'."""
    recipients = [ports.clients.get(message.tenant_id, client_id) for client_id in awaiting_notice(message)]
    firm_name = message.firm_name or ports.tenants.get(message.tenant_id).name
    return send_client_notice(ports, message, recipients, firm_name, at)


def confirm_signature(ports: Ports, client: Client, request: SigningRequest) -> None:
    """Tell the signer by e-mail that their signature was recorded: the subject, the firm and a portal link, no
    content. Should someone else have signed with their code, this is how they learn of it."""
    try:
        firm = request.firm_name or ports.tenants.get(request.tenant_id).name
        subject = request.subject if request.subject is not None else ports.messages.get_message(
            request.tenant_id, request.message_id).subject
        ports.mailer.send(client.email, render_email("signature_recorded", client.language, {
            "name": client.name, "firm": firm, "subject": subject,
            "link": f"{ports.settings.portal_url}/#/messages/{request.message_id}",
        }))
    except Exception:  # noqa: BLE001 - the signature has committed: nothing here may turn it into an error
        # The signature stands and the portal shows it; the e-mail is a courtesy copy.
        logger.warning("signer's confirmation e-mail failed", extra={"signing_request_id": request.id})


def notification(kind: str, message: Message, created_at: str) -> dict[str, Any]:
    """The advisor's in-app notification of `kind` about `message`."""
    return {"id": new_id(), "type": kind, "message_id": message.id, "signing_request_id": message.signing_request_id,
            "client_id": message.client_id, "created_at": created_at}


def request_notification(kind: str, request: SigningRequest, created_at: str) -> dict[str, Any]:
    """The advisor's in-app notification of `kind` about a signing request (and so its message)."""
    return {"id": new_id(), "type": kind, "message_id": request.message_id, "signing_request_id": request.id,
            "client_id": request.client_id, "created_at": created_at}


def email_advisor(ports: Ports, kind: str, origin: Origin, client_name: str, reason: str | None = None) -> None:
    """Tell the advisor who sent the message by e-mail; the in-app notification is already stored.

    The subject, the firm's name and the advisor's address travel with the message and its
    request; only what was stored before they did is looked up.
    """
    try:
        subject = origin.subject if origin.subject is not None else ports.messages.get_message(
            origin.tenant_id, origin.message_id).subject
        firm = origin.firm_name or ports.tenants.get(origin.tenant_id).name
        address = origin.advisor_email or ports.tenants.get_advisor(origin.tenant_id, origin.advisor_id).email
        email = render_email(f"advisor_{kind}", "nl", {
            "client": client_name, "subject": subject, "firm": firm, "reason": reason or "-",
            "link": f"{ports.settings.portal_url}/advisor#/messages/{origin.message_id}",
        })
        ports.mailer.send(address, email)
    except DependencyFailed:
        # The notification in the dashboard stands; the mail is a courtesy copy.
        logger.warning("advisor e-mail failed", extra={"message_id": origin.message_id, "type": kind})


def email_advisor_about_batch(ports: Ports, batch: BulkSend) -> None:
    """Tell the advisor who sent a batch that it ended, with its counts; the notification is already stored."""
    try:
        firm = ports.tenants.get(batch.tenant_id).name
        address = ports.tenants.get_advisor(batch.tenant_id, batch.advisor_id).email
        ports.mailer.send(address, render_email("advisor_bulk_done", "nl", {
            "subject": batch.subject, "firm": firm, "sent": str(batch.sent), "failed": str(batch.failed),
            "total": str(batch.total), "link": f"{ports.settings.portal_url}/advisor#/bulk-sends/{batch.id}",
        }))
    except DependencyFailed:
        logger.warning("advisor e-mail failed", extra={"bulk_send_id": batch.id, "type": "bulk_send_done"})
