"""Deliveries signed as the Standard Webhooks specification says, with its own reference code."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret, as Standard Webhooks writes them: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(event_id: str, at: datetime, body: str, signing_secrets: list[str]) -> str:
    """`webhook-signature`: `v1,<base64 HMAC-SHA256>` by each secret, space-separated (two during a rotation)."""
    from standardwebhooks.webhooks import Webhook

    return " ".join(Webhook(secret).sign(msg_id=event_id, timestamp=at, data=body) for secret in signing_secrets)


def headers(event_id: str, at: datetime, body: str, signing_secrets: list[str]) -> dict[str, str]:
    """The three Standard Webhooks headers of one try: the event's id, this try's moment, the signatures."""
    return {"webhook-id": event_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature_header(event_id, at, body, signing_secrets)}
