"""The sparse due index of messages: when the reminder job looks at a message next (store-internal).

What is due is spread over a few shards, so no partition runs hot; only the store knows it.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.expressions.update import Action

from chalicelib.clock import iso
from chalicelib.store import keys
from chalicelib.store.models import MessageItem


def shard_of(message_id: str) -> int:
    return zlib.crc32(message_id.encode()) % keys.REMINDER_SHARDS


def index_fields(message_id: str, due: datetime) -> dict[str, str]:
    """The attributes that put a message on the due index at `due` (bench/reminders.py seeds with them)."""
    moment = iso(due)
    return {"next_reminder_at": moment, "gsi2pk": keys.reminder_shard(shard_of(message_id)), "gsi2sk": moment}


def due_at(message_id: str, due: datetime) -> list[Action]:
    fields = index_fields(message_id, due)
    return [MessageItem.next_reminder_at.set(fields["next_reminder_at"]), MessageItem.gsi2pk.set(fields["gsi2pk"]),
            MessageItem.gsi2sk.set(fields["gsi2sk"])]


def off_schedule() -> list[Action]:
    return [MessageItem.next_reminder_at.remove(), MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove()]
