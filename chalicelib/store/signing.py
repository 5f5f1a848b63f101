"""Storage of the ceremony: code state per request, SMS counters per phone, sealed receipts."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.clock import AMSTERDAM
from chalicelib.signing.otp import MAX_PER_PHONE_PER_DAY, OtpState
from chalicelib.store import keys
from chalicelib.store.models import CounterItem, OtpItem, ReceiptItem


class SigningRepository:
    def otp_item(self, tenant_id: str, request_id: str) -> OtpItem:
        return OtpItem(keys.tenant(tenant_id), keys.otp(request_id))

    def otp_state(self, tenant_id: str, request_id: str) -> OtpState:
        try:
            item = OtpItem.get(keys.tenant(tenant_id), keys.otp(request_id), consistent_read=True)
        except DoesNotExist:
            return OtpState()
        return OtpState(
            code_hmac=item.code_hmac, issued_at=item.issued_at, expires_at=item.expires_at,
            attempts=int(item.attempts or 0), locked=bool(item.locked), verified_at=item.verified_at,
            used_at=item.used_at, sends=tuple(str(s) for s in item.sends or ()), version=int(item.version or 0),
        )

    def otp_write(self, state: OtpState, previous_version: int) -> tuple[list[Action], Condition]:
        """Actions writing `state`, and the optimistic lock on the version it was derived from."""
        actions: list[Action] = [OtpItem.version.set(state.version), OtpItem.attempts.set(state.attempts),
                                 OtpItem.locked.set(state.locked), OtpItem.sends.set(list(state.sends))]
        for attribute, value in ((OtpItem.code_hmac, state.code_hmac), (OtpItem.issued_at, state.issued_at),
                                 (OtpItem.expires_at, state.expires_at), (OtpItem.verified_at, state.verified_at),
                                 (OtpItem.used_at, state.used_at)):
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        lock = OtpItem.version.does_not_exist() if previous_version == 0 else OtpItem.version == previous_version
        return actions, lock

    def phone_counter(self, tenant_id: str, digest: str, now: datetime) -> tuple[CounterItem, list[Action], Condition]:
        """Increment of the firm's daily SMS counter for one phone, refused at the daily maximum."""
        day = now.astimezone(AMSTERDAM).strftime("%Y-%m-%d")  # the firm's calendar day
        item = CounterItem(keys.sms_counter(tenant_id, digest, day), keys.COUNTER)
        expires = int((now + timedelta(days=2)).timestamp())
        actions: list[Action] = [CounterItem.total.add(1), CounterItem.ttl.set(expires)]
        condition = CounterItem.total.does_not_exist() | (CounterItem.total < MAX_PER_PHONE_PER_DAY)
        return item, actions, condition

    def receipt_item(self, tenant_id: str, conversation_id: str, request_id: str) -> ReceiptItem | None:
        try:
            return ReceiptItem.get(keys.conversation(tenant_id, conversation_id), keys.receipt(request_id))
        except DoesNotExist:
            return None

    def new_receipt_item(self, tenant_id: str, conversation_id: str, request_id: str, receipt_code: str,
                         ciphertext: bytes, encrypted_data_key: bytes, nonce: bytes, created_at: str) -> ReceiptItem:
        return ReceiptItem(keys.conversation(tenant_id, conversation_id), keys.receipt(request_id),
                           request_id=request_id, receipt_code=receipt_code, ciphertext=ciphertext,
                           encrypted_data_key=encrypted_data_key, nonce=nonce, created_at=created_at)
