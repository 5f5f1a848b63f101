"""The seal key history on the table: one item per key that ever sealed, in one small partition."""

from __future__ import annotations

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.errors import DependencyFailed
from chalicelib.signing.seal_keys import SealKey, bare_key_id, oldest_first
from chalicelib.store import keys
from chalicelib.store.models import SealKeyItem
from chalicelib.store.transaction import condition_failed


def to_seal_key(item: SealKeyItem) -> SealKey:
    return SealKey(key_id=item.key_id, public_key_pem=item.public_key_pem, active_from=item.active_from,
                   retired_at=item.retired_at)


class SealKeyRepository:
    """`ports.SealKeyHistory` on the table; a key is on record once, and retired once."""

    def history(self) -> list[SealKey]:
        # Consistent: a container that has just rotated reads its own record.
        return oldest_first(to_seal_key(item) for item in SealKeyItem.query(keys.SEAL_KEYS, consistent_read=True))

    def record(self, key: SealKey) -> bool:
        item = SealKeyItem(keys.SEAL_KEYS, keys.seal_key(bare_key_id(key.key_id)), key_id=key.key_id,
                           public_key_pem=key.public_key_pem, active_from=key.active_from, retired_at=key.retired_at)
        try:
            item.save(condition=SealKeyItem.pk.does_not_exist())
        except PutError as exc:
            if condition_failed(exc):
                return False
            raise DependencyFailed() from exc
        return True

    def retire(self, key_id: str, at: str) -> bool:
        item = SealKeyItem(keys.SEAL_KEYS, keys.seal_key(bare_key_id(key_id)))
        try:
            item.update(actions=[SealKeyItem.retired_at.set(at)],
                        condition=SealKeyItem.pk.exists() & SealKeyItem.retired_at.does_not_exist())
        except UpdateError as exc:
            if condition_failed(exc):
                return False
            raise DependencyFailed() from exc
        return True
