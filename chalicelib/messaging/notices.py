"""Who is told what, and how: the client's e-mail notice and the advisor's notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.clock import parse_iso
from chalicelib.errors import DependencyFailed
from chalicelib.ids import new_id
from chalicelib.notify.templates import render_email
from chalicelib.observability import logger
from chalicelib.reminders.schedule import first_check

if TYPE_CHECKING:
    from datetime import datetime

    from chalicelib.clients.model import Client
    from chalicelib.messaging.model import Message
    from chalicelib.ports import Ports


def send_client_notice(ports: Ports, message: Message, client: Client, firm_name: str,
                       at: datetime | None = None) -> str:
    """E-mail the client that a message waits: subject, firm and portal link only; 'sent' or 'failed'.

    A failed notice is recorded on the message (and retried by the scheduled job), never lost.
    """
    email = render_email("new_message", client.language, {
        "name": client.name, "firm": firm_name, "subject": message.subject,
        "link": f"{ports.settings.portal_url}/#/messages/{message.id}",
    })
    try:
        ports.mailer.send(client.email, email)
    except DependencyFailed:
        logger.warning("client notice failed; the reminder job retries it", extra={"message_id": message.id})
        ports.messages.notice_failed(message, at or ports.clock.now())  # the job's moment, when it sends
        return "failed"
    next_check = first_check(message, parse_iso(message.created_at), ports.settings.reminder_offsets_days)
    ports.messages.notice_sent(message, next_check)
    return "sent"


def notification(kind: str, message: Message, created_at: str) -> dict[str, Any]:
    """The advisor's in-app notification of `kind` about `message`."""
    return {"id": new_id(), "type": kind, "message_id": message.id, "signing_request_id": message.signing_request_id,
            "client_id": message.client_id, "created_at": created_at}


def email_advisor(ports: Ports, kind: str, message: Message, client_name: str, reason: str | None = None) -> None:
    """Tell the advisor who sent the message by e-mail; the in-app notification is already stored."""
    try:
        advisor = ports.tenants.get_advisor(message.tenant_id, message.advisor_id)
        firm = ports.tenants.get(message.tenant_id)
        email = render_email(f"advisor_{kind}", "nl", {
            "client": client_name, "subject": message.subject, "firm": firm.name, "reason": reason or "-",
            "link": f"{ports.settings.portal_url}/advisor#/messages/{message.id}",
        })
        ports.mailer.send(advisor.email, email)
    except DependencyFailed:
        # The notification in the dashboard stands; the mail is a courtesy copy.
        logger.warning("advisor e-mail failed", extra={"message_id": message.id, "type": kind})
