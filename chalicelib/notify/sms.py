"""SNS adapter: transactional SMS to one number."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import DependencyFailed

SENDER_ID = "Portaal"


class SmsSender:
    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def send(self, phone: str, text: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._sns.publish(
                PhoneNumber=phone,
                Message=text,
                MessageAttributes={
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": SENDER_ID},
                },
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyFailed() from exc
        return str(answer["MessageId"])
