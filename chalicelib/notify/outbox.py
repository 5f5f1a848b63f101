"""What the app sent through SES and SNS, as moto recorded it (local stage only)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from chalicelib.config import get_settings


def read_outbox() -> dict[str, Any]:
    """E-mails and SMS, oldest first.

    The local stack runs moto in the same process, so its records are read directly; moto's
    `/moto-api/data.json` (every model of every service) grows too slow to poll in a long run.
    """
    try:
        return _from_moto_in_process()
    except ImportError:
        return _from_moto_server()


def _from_moto_in_process() -> dict[str, Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    region = get_settings().region
    sent = ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages
    emails = [
        {"to": list(getattr(m, "destinations", {}).get("ToAddresses", [])), "subject": getattr(m, "subject", ""),
         "body": getattr(m, "body", "")}
        for m in sent
    ]
    sms = [{"to": phone, "message": text}
           for phone, text in sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.values()]
    return {"emails": emails, "sms": sms}


def _from_moto_server() -> dict[str, Any]:
    endpoint = get_settings().aws_endpoint_url
    if not endpoint:
        return {"emails": [], "sms": []}
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=30) as answer:  # noqa: S310
        data = json.loads(answer.read())
    emails = [
        {"to": m.get("destinations", {}).get("ToAddresses", []), "subject": m.get("subject", ""),
         "body": m.get("body", "")}
        for m in data.get("ses", {}).get("Message", [])
    ]
    sms = [{"to": m.get("phone_number"), "message": m.get("message")} for m in data.get("sns", {}).get("SMS", [])]
    return {"emails": emails, "sms": sms}
