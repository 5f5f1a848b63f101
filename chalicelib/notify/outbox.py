"""What the app sent through SES and SNS, as moto recorded it (local stage only)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from chalicelib.config import get_settings


def read_outbox() -> dict[str, Any]:
    """E-mails and SMS, oldest first, from moto's data endpoint."""
    endpoint = get_settings().aws_endpoint_url
    if not endpoint:
        return {"emails": [], "sms": []}
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=5) as answer:  # noqa: S310
        data = json.loads(answer.read())
    emails = [
        {"to": m.get("destinations", {}).get("ToAddresses", []), "subject": m.get("subject", ""),
         "body": m.get("body", "")}
        for m in data.get("ses", {}).get("Message", [])
    ]
    sms = [{"to": m.get("phone_number"), "message": m.get("message")} for m in data.get("sns", {}).get("SMS", [])]
    return {"emails": emails, "sms": sms}
