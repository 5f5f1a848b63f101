"""SES adapter: sends a rendered e-mail as HTML with a plain-text alternative."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.errors import DependencyFailed, Throttled
from chalicelib.notify.templates import RenderedEmail

# What SES answers when the account's sending rate is exceeded (after boto3's own retries).
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException"})
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What could end a header line early or hide in one: every control character and line separator.
_HEADER_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# One address and nothing else: no whitespace, no control character, no lone surrogate.
_ADDRESS = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+@[^\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+")


def header_text(text: str) -> str:
    """`text` as one header line: whatever the caller passed, no CR or LF can start a header of its own."""
    return " ".join(_HEADER_BREAK.sub(" ", encodable(text)).split())


def encodable(text: str) -> str:
    """`text` with lone surrogates (which UTF-8 cannot encode) replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


class Mailer:
    def __init__(self, ses: Any, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    def send(self, to: str, email: RenderedEmail) -> str:
        """Send one e-mail; its SES message id. Raises DependencyFailed when SES refuses or fails.

        Defensive whatever it is given: the subject is made one line, and an address that holds
        a line break or a space is refused here, as SES would refuse it.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        if not _ADDRESS.fullmatch(to):
            raise DependencyFailed()
        try:
            answer = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Message={
                    "Subject": {"Data": header_text(email.subject), "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": encodable(email.text), "Charset": "UTF-8"},
                        "Html": {"Data": encodable(email.html), "Charset": "UTF-8"},
                    },
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
                raise Throttled() from exc
            raise DependencyFailed() from exc
        except BotoCoreError as exc:
            raise DependencyFailed() from exc
        return str(answer["MessageId"])
