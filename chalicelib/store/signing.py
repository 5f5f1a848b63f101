"""Storage of the ceremony: code state per request, SMS counters per phone, sealed receipts."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.clock import AMSTERDAM
from chalicelib.signing.crypto import Sealed
from chalicelib.signing.otp import MAX_PER_CLIENT_PER_DAY, MAX_PER_PHONE_PER_DAY, OtpState
from chalicelib.store import keys
from chalicelib.store.models import CounterItem, Item, OtpItem, ReceiptItem, ReceiptPartItem

# Under DynamoDB's 400 KB item limit, with room for the other attributes.
RECEIPT_PART_BYTES = 350_000


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
            used_at=item.used_at, sends=tuple(str(s) for s in item.sends or ()), phone_hint=item.phone_hint,
            version=int(item.version or 0),
        )

    def otp_write(self, state: OtpState, previous_version: int) -> tuple[list[Action], Condition]:
        """Actions writing `state`, and the optimistic lock on the version it was derived from."""
        actions: list[Action] = [OtpItem.version.set(state.version), OtpItem.attempts.set(state.attempts),
                                 OtpItem.locked.set(state.locked), OtpItem.sends.set(list(state.sends))]
        for attribute, value in ((OtpItem.code_hmac, state.code_hmac), (OtpItem.issued_at, state.issued_at),
                                 (OtpItem.expires_at, state.expires_at), (OtpItem.verified_at, state.verified_at),
                                 (OtpItem.used_at, state.used_at), (OtpItem.phone_hint, state.phone_hint)):
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        lock = OtpItem.version.does_not_exist() if previous_version == 0 else OtpItem.version == previous_version
        return actions, lock

    def phone_counter(self, tenant_id: str, digest: str, now: datetime) -> tuple[CounterItem, list[Action], Condition]:
        """Increment of the firm's daily SMS counter for one phone, refused at the daily maximum."""
        return self._daily_counter(keys.sms_counter(tenant_id, digest, _day(now)), now, MAX_PER_PHONE_PER_DAY)

    def client_counter(self, tenant_id: str, client_id: str, now: datetime) -> tuple[CounterItem, list[Action], Condition]:
        """Increment of a client's daily SMS counter over all their requests, refused at the maximum."""
        return self._daily_counter(keys.client_sms_counter(tenant_id, client_id, _day(now)), now,
                                   MAX_PER_CLIENT_PER_DAY)

    def reserve_firm_sms(self, tenant_id: str, now: datetime, budget: int) -> int | None:
        """Take one SMS of the firm's daily budget: how many it has used today, or None when spent."""
        item = CounterItem(keys.firm_sms_counter(tenant_id, _day(now)), keys.COUNTER)
        try:
            item.update(actions=[CounterItem.total.add(1), CounterItem.ttl.set(_expiry(now))],
                        condition=CounterItem.total.does_not_exist() | (CounterItem.total < budget))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return int(item.total or 0)

    def release_firm_sms(self, tenant_id: str, now: datetime) -> None:
        """Give back an SMS of the budget that was never sent (best effort: it only errs on the safe side)."""
        from pynamodb.exceptions import PynamoDBException

        with contextlib.suppress(PynamoDBException):
            CounterItem(keys.firm_sms_counter(tenant_id, _day(now)), keys.COUNTER).update(
                actions=[CounterItem.total.add(-1)], condition=CounterItem.total > 0)

    def _daily_counter(self, key: str, now: datetime, maximum: int) -> tuple[CounterItem, list[Action], Condition]:
        item = CounterItem(key, keys.COUNTER)
        actions: list[Action] = [CounterItem.total.add(1), CounterItem.ttl.set(_expiry(now))]
        return item, actions, CounterItem.total.does_not_exist() | (CounterItem.total < maximum)

    def sealed_receipt(self, tenant_id: str, conversation_id: str, request_id: str) -> Sealed | None:
        """The stored ciphertext of a receipt, its parts joined; None when there is none."""
        pk = keys.conversation(tenant_id, conversation_id)
        try:
            item = ReceiptItem.get(pk, keys.receipt(request_id))
        except DoesNotExist:
            return None
        parts = int(item.parts or 1)
        rest = {part.sk: part.ciphertext for part in ReceiptPartItem.batch_get(
            [(pk, keys.receipt_part(request_id, n)) for n in range(1, parts)])} if parts > 1 else {}
        ciphertext = item.ciphertext + b"".join(rest[keys.receipt_part(request_id, n)] for n in range(1, parts))
        return Sealed(ciphertext=ciphertext, encrypted_data_key=item.encrypted_data_key, nonce=item.nonce)

    def new_receipt_items(self, tenant_id: str, conversation_id: str, request_id: str, receipt_code: str,
                          sealed: Sealed, created_at: str) -> list[Item]:
        """The items holding a sealed receipt, for one transaction: a large one is split in parts."""
        pk = keys.conversation(tenant_id, conversation_id)
        chunks = [sealed.ciphertext[i:i + RECEIPT_PART_BYTES]
                  for i in range(0, len(sealed.ciphertext), RECEIPT_PART_BYTES)] or [b""]
        items: list[Item] = [ReceiptItem(pk, keys.receipt(request_id), request_id=request_id,
                                         receipt_code=receipt_code, ciphertext=chunks[0], parts=len(chunks),
                                         encrypted_data_key=sealed.encrypted_data_key, nonce=sealed.nonce,
                                         created_at=created_at)]
        items += [ReceiptPartItem(pk, keys.receipt_part(request_id, n), ciphertext=chunk)
                  for n, chunk in enumerate(chunks[1:], start=1)]
        return items


def _day(now: datetime) -> str:
    """The firm's calendar day, in Amsterdam: when daily limits roll over."""
    return now.astimezone(AMSTERDAM).strftime("%Y-%m-%d")


def _expiry(now: datetime) -> int:
    return int((now + timedelta(days=2)).timestamp())
