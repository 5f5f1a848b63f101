"""Every DynamoDB key of the single table, built in one place."""

from __future__ import annotations


def tenant(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


TENANT_PROFILE = "TENANT"
PERSON = "PERSON"
LOGIN = "LOGIN"
INVITE = "INVITE"
COUNTER = "COUNTER"


def advisor(advisor_id: str) -> str:
    return f"ADVISOR#{advisor_id}"


def person(sub: str) -> str:
    return f"SUB#{sub}"


def membership(tenant_id: str) -> str:
    return f"MEMBER#{tenant_id}"


def login(email: str) -> str:
    return f"LOGIN#{email.lower()}"


def login_failures(email_digest: str) -> str:
    """Failed logins per address (hashed, so the table does not list every address ever tried)."""
    return f"LOGINFAIL#{email_digest}"


def invites_sent(tenant_id: str, client_id: str, day: str) -> str:
    return f"TENANT#{tenant_id}#INVITES#{client_id}#{day}"


def client_sms_counter(tenant_id: str, client_id: str, day: str) -> str:
    return f"TENANT#{tenant_id}#SMSCLIENT#{client_id}#{day}"


def firm_sms_counter(tenant_id: str, day: str) -> str:
    return f"TENANT#{tenant_id}#SMSFIRM#{day}"


def client(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def client_email(email: str) -> str:
    return f"EMAIL#{email.lower()}"


def invite(token_hash: str) -> str:
    return f"INVITE#{token_hash}"


def document(document_id: str) -> str:
    return f"DOC#{document_id}"


def message(message_id: str) -> str:
    return f"MSG#{message_id}"


def share(message_id: str, client_id: str) -> str:
    """A co-signer's pointer to the message (never under MSG#, so the firm's list does not count it twice)."""
    return f"SHARE#{message_id}#{client_id}"


def client_messages(tenant_id: str, client_id: str) -> str:
    return f"TENANT#{tenant_id}#CLIENT#{client_id}"


def signing_request(request_id: str) -> str:
    return f"SR#{request_id}"


def audit_chain(tenant_id: str, request_id: str) -> str:
    return f"TENANT#{tenant_id}#SR#{request_id}"


def audit_event(seq: int) -> str:
    return f"EVENT#{seq:06d}"


def otp(request_id: str) -> str:
    return f"OTP#{request_id}"


def idempotency(scope: str) -> str:
    """The record of one caller's Idempotency-Key (`scope` is already a hash of operation, caller and key)."""
    return f"IDEM#{scope}"


def sms_counter(tenant_id: str, phone_digest: str, day: str) -> str:
    return f"TENANT#{tenant_id}#SMS#{phone_digest}#{day}"


def conversation(tenant_id: str, conversation_id: str) -> str:
    return f"TENANT#{tenant_id}#CONV#{conversation_id}"


def reply(reply_id: str) -> str:
    return f"REPLY#{reply_id}"


def receipt(request_id: str) -> str:
    return f"RECEIPT#{request_id}"


def receipt_part(request_id: str, part: int) -> str:
    return f"RECEIPT#{request_id}#PART#{part:02d}"


def advisor_inbox(tenant_id: str, advisor_id: str) -> str:
    return f"TENANT#{tenant_id}#ADVISOR#{advisor_id}"


def notification(notification_id: str) -> str:
    return f"NOTIF#{notification_id}"


REMINDER_SHARDS = 8


def reminder_shard(shard: int) -> str:
    """Reminders spread over a few index partitions so no single one runs hot."""
    return f"REMIND#{shard}"


PENDING_STAMPS = "STAMP#PENDING"  # the index partition of receipts awaiting their time stamp

SEAL_KEYS = "SEALKEYS"  # the partition of the seal key history: one item per key that ever sealed


def seal_key(bare_key_id: str) -> str:
    """A seal key's item, by the key's own id (not its ARN: a seal may name it either way)."""
    return f"KEY#{bare_key_id}"


def bulk_send(bulk_send_id: str) -> str:
    return f"BULK#{bulk_send_id}"


def bulk_chunk(bulk_send_id: str, chunk: int) -> str:
    """A chunk of a batch's recipients (never under BULK#, so the list of batches finds only batches)."""
    return f"BULKCHUNK#{bulk_send_id}#{chunk:03d}"


def bulk_outcome(bulk_send_id: str, index: int) -> str:
    return f"BULKITEM#{bulk_send_id}#{index:04d}"


BULK_NOT_QUEUED = "BULK#NOTQUEUED"  # the index partition of batches whose jobs are not on the queue yet


def webhook(endpoint_id: str) -> str:
    return f"WEBHOOK#{endpoint_id}"


def webhook_event(event_id: str) -> str:
    return f"WHEVENT#{event_id}"


def webhook_delivery(endpoint_id: str, event_id: str) -> str:
    """An endpoint's deliveries together, newest last (event ids are ULIDs)."""
    return f"WHDELIVERY#{endpoint_id}#{event_id}"


WEBHOOK_EVENTS_PENDING = "WHEVENT#PENDING"  # the index partition of events not yet fanned out
WEBHOOK_DELIVERIES_DUE = "WHDELIVERY#DUE"  # and of deliveries waiting for their next try
