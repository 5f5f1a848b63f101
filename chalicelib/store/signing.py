"""The ceremony's items: code state per request, daily SMS counters, sealed receipts (store-internal).

`SigningRequestRepository` (store/signing_requests.py) builds its transactions from these.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from chalicelib.clock import AMSTERDAM
from chalicelib.signing.crypto import Sealed
from chalicelib.signing.otp import OtpState
from chalicelib.signing.ports import PendingStamp, StoredReceipt
from chalicelib.store import keys
from chalicelib.store.models import CounterItem, OtpItem, ReceiptItem, ReceiptPartItem
from chalicelib.store.transaction import Transition, TransitionRefused

# Under DynamoDB's 400 KB item limit, with room for the other attributes.
RECEIPT_PART_BYTES = 350_000


def read_code_state(tenant_id: str, request_id: str) -> OtpState:
    try:
        item = OtpItem.get(keys.tenant(tenant_id), keys.otp(request_id), consistent_read=True)
    except DoesNotExist:
        return OtpState()
    return code_state_of(item)


def code_state_of(item: OtpItem | None) -> OtpState:
    """The code state an item holds; no item is no code yet."""
    if item is None:
        return OtpState()
    return OtpState(
        code_hmac=item.code_hmac, issued_at=item.issued_at, expires_at=item.expires_at,
        attempts=int(item.attempts or 0), locked=bool(item.locked), verified_at=item.verified_at,
        used_at=item.used_at, sends=tuple(str(s) for s in item.sends or ()), phone_hint=item.phone_hint,
        version=int(item.version or 0),
    )


def write_code_state(transition: Transition, tenant_id: str, request_id: str, before: OtpState,
                     after: OtpState) -> None:
    """`after` into `transition`, on the condition that nobody wrote since `before` was read ("otp")."""
    actions: list[Action] = [OtpItem.version.set(after.version), OtpItem.attempts.set(after.attempts),
                             OtpItem.locked.set(after.locked), OtpItem.sends.set(list(after.sends))]
    for attribute, value in ((OtpItem.code_hmac, after.code_hmac), (OtpItem.issued_at, after.issued_at),
                             (OtpItem.expires_at, after.expires_at), (OtpItem.verified_at, after.verified_at),
                             (OtpItem.used_at, after.used_at), (OtpItem.phone_hint, after.phone_hint)):
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    unchanged = OtpItem.version.does_not_exist() if before.version == 0 else OtpItem.version == before.version
    transition.update("otp", OtpItem(keys.tenant(tenant_id), keys.otp(request_id)), actions, unchanged)


def count_send(transition: Transition, name: str, key: str, now: datetime, maximum: int) -> None:
    """One more send on a daily counter, refused at `maximum` (part `name`)."""
    transition.update(name, CounterItem(key, keys.COUNTER),
                      [CounterItem.total.add(1), CounterItem.ttl.set(_expiry(now))],
                      CounterItem.total.does_not_exist() | (CounterItem.total < maximum))


def uncount_send(transition: Transition, name: str, key: str) -> None:
    transition.update(name, CounterItem(key, keys.COUNTER), [CounterItem.total.add(-1)])


def phone_counter(tenant_id: str, phone_digest: str, now: datetime) -> str:
    return keys.sms_counter(tenant_id, phone_digest, day_of(now))


def client_counter(tenant_id: str, client_id: str, now: datetime) -> str:
    return keys.client_sms_counter(tenant_id, client_id, day_of(now))


def firm_counter(tenant_id: str, now: datetime) -> str:
    return keys.firm_sms_counter(tenant_id, day_of(now))


def sent_today(item: CounterItem | None) -> int:
    return int(item.total or 0) if item is not None else 0


def read_stored_receipt(tenant_id: str, conversation_id: str, request_id: str) -> StoredReceipt | None:
    """A stored receipt, its ciphertext's parts joined; None when there is none or a part is missing."""
    pk = keys.conversation(tenant_id, conversation_id)
    try:
        item = ReceiptItem.get(pk, keys.receipt(request_id), consistent_read=True)
    except DoesNotExist:
        return None
    parts = int(item.parts or 1)
    rest = {part.sk: part.ciphertext for part in ReceiptPartItem.batch_get(
        [(pk, keys.receipt_part(request_id, n)) for n in range(1, parts)], consistent_read=True)} if parts > 1 else {}
    names = [keys.receipt_part(request_id, n) for n in range(1, parts)]
    if any(name not in rest for name in names):
        return None  # a part missing: unreadable, which the view reports as an invalid seal, never a 500
    ciphertext = item.ciphertext + b"".join(rest[name] for name in names)
    return StoredReceipt(receipt_code=item.receipt_code,
                         sealed=Sealed(ciphertext=ciphertext, encrypted_data_key=item.encrypted_data_key,
                                       nonce=item.nonce),
                         seal_signature=item.seal_signature or "", timestamp=item.timestamp_token)


def put_stored_receipt(transition: Transition, tenant_id: str, conversation_id: str, request_id: str,
                       receipt: StoredReceipt, created_at: str) -> None:
    """The items of a receipt into `transition`: a large one is split in parts; one without its time
    stamp goes on the pending-stamps index, for the job that obtains it."""
    pk = keys.conversation(tenant_id, conversation_id)
    sealed = receipt.sealed
    chunks = [sealed.ciphertext[i:i + RECEIPT_PART_BYTES]
              for i in range(0, len(sealed.ciphertext), RECEIPT_PART_BYTES)] or [b""]
    pending = receipt.timestamp is None
    transition.put("receipt", ReceiptItem(
        pk, keys.receipt(request_id), request_id=request_id, tenant_id=tenant_id, conversation_id=conversation_id,
        receipt_code=receipt.receipt_code, ciphertext=chunks[0], parts=len(chunks),
        encrypted_data_key=sealed.encrypted_data_key, nonce=sealed.nonce, created_at=created_at,
        seal_signature=receipt.seal_signature, timestamp_token=receipt.timestamp,
        gsi2pk=keys.PENDING_STAMPS if pending else None, gsi2sk=created_at if pending else None))
    for n, chunk in enumerate(chunks[1:], start=1):
        transition.put(f"receipt_part_{n}", ReceiptPartItem(pk, keys.receipt_part(request_id, n), ciphertext=chunk))


def pending_stamps(limit: int) -> list[PendingStamp]:
    """Receipts awaiting their time stamp, oldest first: one Query on the sparse index, reading only what
    the stamp needs (never the ciphertext)."""
    wanted = ["request_id", "tenant_id", "conversation_id", "seal_signature", "gsi2sk"]
    return [PendingStamp(tenant_id=str(item.tenant_id), conversation_id=str(item.conversation_id),
                         request_id=item.request_id, seal_signature=str(item.seal_signature),
                         signed_at=str(item.gsi2sk))
            for item in ReceiptItem.pending_stamps.query(keys.PENDING_STAMPS, limit=limit,
                                                         attributes_to_get=wanted)]


def record_stamp(pending: PendingStamp, token: bytes) -> bool:
    """The token on its receipt, off the index; False when another run recorded one first."""
    transition = Transition()
    transition.update("receipt", ReceiptItem(keys.conversation(pending.tenant_id, pending.conversation_id),
                                             keys.receipt(pending.request_id)),
                      [ReceiptItem.timestamp_token.set(token), ReceiptItem.gsi2pk.remove(), ReceiptItem.gsi2sk.remove()],
                      ReceiptItem.pk.exists() & ReceiptItem.timestamp_token.does_not_exist())
    try:
        transition.commit()
    except TransitionRefused:
        return False
    return True


def day_of(now: datetime) -> str:
    """The firm's calendar day, in Amsterdam: when daily limits roll over."""
    return now.astimezone(AMSTERDAM).strftime("%Y-%m-%d")


def _expiry(now: datetime) -> int:
    return int((now + timedelta(days=2)).timestamp())
