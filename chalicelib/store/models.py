"""PynamoDB models of the single table. Only the store package imports these."""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class ByClientIndex(GlobalSecondaryIndex["MessageItem"]):
    """A client's messages, newest first."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class DueReminderIndex(GlobalSecondaryIndex["MessageItem"]):
    """Sparse: only messages with a pending reminder or overdue check carry these attributes."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Item(Model):
    class Meta:
        table_name = "unset"  # bound at first use by chalicelib.store.bind

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class TenantItem(Item):
    name = UnicodeAttribute()
    features = UnicodeSetAttribute(default=set)
    sms_daily_budget = NumberAttribute(null=True)
    created_at = UnicodeAttribute()


class AdvisorItem(Item):
    advisor_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    sub = UnicodeAttribute()
    created_at = UnicodeAttribute()


class LoginItem(Item):
    """One login per e-mail address, whatever firms the person deals with."""

    sub = UnicodeAttribute()
    created_at = UnicodeAttribute()


class MembershipMap(MapAttribute[str, object]):
    """A person's tie to one firm."""

    tenant_id = UnicodeAttribute()
    role = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    firm = UnicodeAttribute()
    created_at = UnicodeAttribute()


class PersonItem(Item):
    """A login's person: its memberships in one item, so the authorizer needs one GetItem."""

    email = UnicodeAttribute()
    memberships = ListAttribute(of=MembershipMap, default=list)
    revoked_before = NumberAttribute(default=0)  # epoch seconds; earlier tokens are refused
    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()


class LoginFailuresItem(Item):
    failures = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    ttl = NumberAttribute()


class ClientItem(Item):
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    city = UnicodeAttribute(null=True)
    language = UnicodeAttribute(default="nl")
    portal_access = UnicodeAttribute(default="none")
    sub = UnicodeAttribute(null=True)
    phone_changed_at = UnicodeAttribute(null=True)  # codes sent before it are void
    current_invite = UnicodeAttribute(null=True)  # the hash of the one invitation that still works
    search = UnicodeAttribute()  # lower-case name and email, for the card search
    created_at = UnicodeAttribute()


class EmailClaimItem(Item):
    client_id = UnicodeAttribute()


class InviteItem(Item):
    tenant_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    email = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    claimed_until = UnicodeAttribute(null=True)  # an activation under way holds it until then
    used_at = UnicodeAttribute(null=True)
    ttl = NumberAttribute()


class DocumentItem(Item):
    document_id = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    declared_size = NumberAttribute()
    status = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    sha256 = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    version_id = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class DocumentRef(MapAttribute[str, object]):
    id = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    sha256 = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    version_id = UnicodeAttribute(null=True)


class SignerMap(MapAttribute[str, object]):
    """One signer of a message, in its request's item: who and which request."""

    request_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)


class SignerStateMap(SignerMap):
    """One signer of a message, in the message's item: their request's state, mirrored by every step that
    changes it, so that lists and the card need no read of the requests."""

    status = UnicodeAttribute()
    turn = BooleanAttribute(default=True)
    signed_at = UnicodeAttribute(null=True)
    rejected_at = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    notice = UnicodeAttribute(default="pending")


class MessageItem(Item):
    message_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    advisor_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    response_type = UnicodeAttribute()
    documents = ListAttribute(of=DocumentRef, default=list)
    status = UnicodeAttribute()
    deadline = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)
    answered_at = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    signing_request_id = UnicodeAttribute(null=True)
    signing_status = UnicodeAttribute(null=True)  # mirrors the request, so lists need no second read
    # Who is told of an answer, as at sending: the steps that tell need not look them up.
    firm_name = UnicodeAttribute(null=True)
    advisor_email = UnicodeAttribute(null=True)
    signed_at = UnicodeAttribute(null=True)
    rejected_at = UnicodeAttribute(null=True)
    notice_status = UnicodeAttribute(default="pending")
    overdue = BooleanAttribute(default=False)
    reminders_sent = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    next_reminder_at = UnicodeAttribute(null=True)
    signers = ListAttribute(of=SignerStateMap, null=True)  # every signer in order (None: stored before)
    signing_order = UnicodeAttribute(null=True)
    signing_version = NumberAttribute(default=0)  # the set's steps (a signature, a rejection) write on it
    bulk_send_id = UnicodeAttribute(null=True)  # the batch it is one of
    bulk_reminded = UnicodeAttribute(null=True)  # the round of the batch's last reminder it had
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_client = ByClientIndex()
    due_reminders = DueReminderIndex()


class SigningRequestItem(Item):
    request_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    advisor_id = UnicodeAttribute()
    status = UnicodeAttribute()
    deadline = UnicodeAttribute(null=True)
    document = DocumentRef()
    signer_name = UnicodeAttribute(null=True)  # the client's name when the request was sent
    # What the SMS and the advisor's e-mail say, as at sending: the ceremony need not read the
    # message, the firm or the advisor for them.
    subject = UnicodeAttribute(null=True)
    firm_name = UnicodeAttribute(null=True)
    advisor_email = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    viewed_at = UnicodeAttribute(null=True)
    signed_at = UnicodeAttribute(null=True)
    rejected_at = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    withdrawn_at = UnicodeAttribute(null=True)
    place = UnicodeAttribute(null=True)  # where it was signed: the signer's confirmation shows it
    # The set of signers it is one of (None: stored before co-signing, a set of one), and whether its
    # signer's turn has come (sequential order).
    signers = ListAttribute(of=SignerMap, null=True)
    signing_order = UnicodeAttribute(null=True)
    turn = BooleanAttribute(null=True)
    turn_at = UnicodeAttribute(null=True)
    audit_seq = NumberAttribute(default=0)
    audit_head = UnicodeAttribute(default="")


class AuditEventItem(Item):
    seq = NumberAttribute()
    type = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    data = UnicodeAttribute()  # canonical JSON, so the hash can be recomputed byte for byte
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()


class OtpItem(Item):
    code_hmac = UnicodeAttribute(null=True)  # HMAC-SHA-256 of the code; the code itself is never stored
    issued_at = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    locked = BooleanAttribute(default=False)
    verified_at = UnicodeAttribute(null=True)
    used_at = UnicodeAttribute(null=True)
    sends = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    phone_hint = UnicodeAttribute(null=True)  # the masked number the current code went to
    version = NumberAttribute(null=True)


class IdempotencyItem(Item):
    """The first answer under one caller's Idempotency-Key, written with the step it answers."""

    fingerprint = UnicodeAttribute()  # SHA-256 of the body the key came with
    answer = UnicodeAttribute()  # JSON
    expires_at = NumberAttribute()  # epoch seconds: replayed until then
    ttl = NumberAttribute()


class CounterItem(Item):
    total = NumberAttribute(null=True)
    ttl = NumberAttribute(null=True)


class PendingStampIndex(GlobalSecondaryIndex["ReceiptItem"]):
    """The same sparse index as the due reminders, under its own partition: receipts awaiting a time stamp."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class ReceiptItem(Item):
    request_id = UnicodeAttribute()
    receipt_code = UnicodeAttribute()
    tenant_id = UnicodeAttribute(null=True)
    conversation_id = UnicodeAttribute(null=True)
    seal_signature = UnicodeAttribute(null=True)  # base64 DER: what the time stamp covers (no secret)
    timestamp_token = BinaryAttribute(null=True, legacy_encoding=False)  # RFC 3161, DER; None while pending
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    pending_stamps = PendingStampIndex()
    ciphertext = BinaryAttribute(legacy_encoding=False)  # the first part; the rest in ReceiptPartItems
    parts = NumberAttribute(default=1)
    encrypted_data_key = BinaryAttribute(legacy_encoding=False)
    nonce = BinaryAttribute(legacy_encoding=False)
    created_at = UnicodeAttribute()


class ReceiptPartItem(Item):
    """More of a receipt's ciphertext: a large signature image does not fit one item (400 KB)."""

    ciphertext = BinaryAttribute(legacy_encoding=False)


class ShareItem(Item):
    """A co-signer's pointer to a message of another client, on their own overview (the by-client index).

    It holds what it points to, no more: the message itself is read for everything shown.
    """

    message_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()


class ReplyItem(Item):
    reply_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    author = UnicodeAttribute()
    body = UnicodeAttribute()
    created_at = UnicodeAttribute()


class NotificationItem(Item):
    notification_id = UnicodeAttribute()
    webhook_id = UnicodeAttribute(null=True)  # for `webhook_failing`
    type = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)  # None for a batch's notification (`bulk_send_done`)
    signing_request_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    bulk_send_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    read = BooleanAttribute(default=False)


class SealKeyItem(Item):
    """A key that ever sealed a receipt, in the small seal key partition (chalicelib/signing/seal_keys.py)."""

    key_id = UnicodeAttribute()  # the KMS key ARN, as seals name it
    public_key_pem = UnicodeAttribute()  # kept here, so a retired key verifies without KMS
    active_from = UnicodeAttribute(null=True)
    retired_at = UnicodeAttribute(null=True)


class NotQueuedIndex(GlobalSecondaryIndex["BulkSendItem"]):
    """Sparse: only batches whose jobs were not put on the queue yet carry these attributes."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class BulkSendItem(Item):
    """A batch: what each recipient's message says, and its progress (chalicelib/bulk/model.py)."""

    bulk_send_id = UnicodeAttribute()
    advisor_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    response_type = UnicodeAttribute()
    deadline = UnicodeAttribute(null=True)
    document_ids = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    total = NumberAttribute()
    status = UnicodeAttribute()
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    chunks_done = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    reminded_at = UnicodeAttribute(null=True)
    withdrawn_at = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)  # on the index of batches not yet queued, until they are
    gsi2sk = UnicodeAttribute(null=True)
    not_queued = NotQueuedIndex()


class RecipientMap(MapAttribute[str, object]):
    client_id = UnicodeAttribute()
    document_ids = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]


class BulkChunkItem(Item):
    """Up to CHUNK_SIZE recipients of a batch: one queue job's work."""

    first = NumberAttribute()  # the index of its first recipient
    recipients = ListAttribute(of=RecipientMap)
    done = BooleanAttribute(null=True)  # its counts are in the batch's
    withdrawn = BooleanAttribute(null=True)  # the batch was withdrawn: none of its recipients is sent any more


class BulkOutcomeItem(Item):
    """What became of one recipient: written once, with the message it made or with why it failed."""

    index = NumberAttribute()
    client_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)
    signing_request_id = UnicodeAttribute(null=True)
    error_code = UnicodeAttribute(null=True)
    error_message = UnicodeAttribute(null=True)
    error_params = UnicodeAttribute(null=True)  # JSON


class WebhookPendingIndex(GlobalSecondaryIndex["WebhookEventItem"]):
    """Sparse: events not yet fanned out."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class WebhookDueIndex(GlobalSecondaryIndex["WebhookDeliveryItem"]):
    """Sparse: deliveries waiting for their next try."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class WebhookEndpointItem(Item):
    """A firm's webhook endpoint; its secrets sealed with the data key (envelope encryption)."""

    endpoint_id = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute[str](of=UnicodeAttribute)  # type: ignore[arg-type]
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    status = UnicodeAttribute()  # active, disabled, deleted
    disabled_at = UnicodeAttribute(null=True)
    failing_since = UnicodeAttribute(null=True)
    failing_notified = BooleanAttribute(null=True)
    secret = BinaryAttribute(legacy_encoding=False)
    secret_key = BinaryAttribute(legacy_encoding=False)
    secret_nonce = BinaryAttribute(legacy_encoding=False)
    previous_secret = BinaryAttribute(null=True, legacy_encoding=False)
    previous_secret_key = BinaryAttribute(null=True, legacy_encoding=False)
    previous_secret_nonce = BinaryAttribute(null=True, legacy_encoding=False)
    previous_until = UnicodeAttribute(null=True)


class WebhookEventItem(Item):
    """The outbox: one change of a firm, written in that change's own transaction."""

    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    created_at = UnicodeAttribute()
    data = UnicodeAttribute()  # JSON: ids and states only
    gsi2pk = UnicodeAttribute(null=True)  # on the pending list until fanned out
    gsi2sk = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)
    pending = WebhookPendingIndex()


class WebhookDeliveryItem(Item):
    """One event to one endpoint: its tries so far, and when the next is due (on the due list)."""

    endpoint_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    payload = UnicodeAttribute()  # JSON
    created_at = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_status_code = NumberAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)
    due = WebhookDueIndex()


ALL_MODELS: tuple[type[Item], ...] = (
    TenantItem, AdvisorItem, LoginItem, PersonItem, LoginFailuresItem, ClientItem, EmailClaimItem, InviteItem,
    DocumentItem, MessageItem, IdempotencyItem, SigningRequestItem, AuditEventItem, OtpItem, CounterItem,
    ReceiptItem, ReceiptPartItem, ShareItem, ReplyItem, NotificationItem, SealKeyItem, BulkSendItem,
    BulkChunkItem, BulkOutcomeItem, WebhookEndpointItem, WebhookEventItem, WebhookDeliveryItem,
)


# As the boto3 clients of chalicelib.aws: a hung call fails well inside the function's 25 s.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
MAX_RETRY_ATTEMPTS = 3


def bind(table_name: str, region: str) -> None:
    """Point every model at the deployed table (called once by the composition root)."""
    models: tuple[type[Model], ...] = (Item, *ALL_MODELS)
    for model in models:
        model.Meta.table_name = table_name
        model.Meta.region = region
        model.Meta.connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
        model.Meta.read_timeout_seconds = READ_TIMEOUT_SECONDS
        model.Meta.max_retry_attempts = MAX_RETRY_ATTEMPTS
