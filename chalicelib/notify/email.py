"""SES adapter: sends a rendered e-mail as HTML with a plain-text alternative."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import DependencyFailed
from chalicelib.notify.templates import RenderedEmail


class Mailer:
    def __init__(self, ses: Any, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    def send(self, to: str, email: RenderedEmail) -> str:
        """Send one e-mail; its SES message id. Raises DependencyFailed when SES refuses or fails."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Message={
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                },
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyFailed() from exc
        return str(answer["MessageId"])
