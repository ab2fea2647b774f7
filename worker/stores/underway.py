"""Bookings under way: each message that waits to be tried again or is parked, kept with
what staff recognise it by (reservation, room, the booking's date and hour, the customer as
far as the room's privacy level shows them), why it waits, and since when.

The status page shows one row per message from here. The row goes in the same round trip
that books the message's acknowledgement (``MessageLedger.finish``), so on the page it turns into
the history's synced row. A redelivery of a waiting message updates its row (one more
attempt) instead of adding a history entry, so no anonymous "waiting" rows pile up.

Bounded like the parked messages: at most ``UNDERWAY_LIMIT`` rows; past it a message is
not noted here (it is retried or parked all the same, only not listed).
"""

from __future__ import annotations

import json
from typing import Any

import redis

from worker.stores.failures import PARKED_LIMIT
from worker.stores.history import DAY_COUNT_DAYS
from worker.stores.keys import Keys
from worker.stores.redisutil import now_iso, text

# The parked messages plus the 500 jobs the dispatcher lets wait, and some margin.
UNDERWAY_LIMIT = PARKED_LIMIT + 1000
STATES = ("retrying", "parked")
# What a row may carry about its booking (``worker.flows.booking_sync`` attaches them to its
# errors).
DETAIL_FIELDS = ("reservation_id", "room_id", "date", "hour", "customer")
REASON_CHARS = 500


def note(
    client: redis.Redis,
    keys: Keys,
    message_id: int,
    state: str,
    *,
    service: str,
    reason: str,
    details: dict[str, Any] | None = None,
) -> bool:
    """Record (or update) the message's row; True when it is new.

    What an earlier attempt learnt about the booking is kept when this one learnt less
    (a Lockme outage on a redelivery after a Google one). The first time a message is
    parked it counts for the day as ``parked``, as the history's entries used to.
    """
    key, field = keys.underway, str(message_id)
    pipe = client.pipeline(transaction=False)
    pipe.hget(key, field)
    pipe.hlen(key)
    raw, count = pipe.execute()
    old = json.loads(raw) if raw else None
    if old is None and count >= UNDERWAY_LIMIT:
        return False
    known = {k: v for k, v in (details or {}).items() if k in DETAIL_FIELDS and v is not None}
    row = {
        **(old or {}),
        **known,
        "message_id": message_id,
        "state": state,
        "service": service,
        "reason": reason[:REASON_CHARS],
        "since": (old or {}).get("since") or now_iso(),
        "updated_at": now_iso(),
        "attempts": int((old or {}).get("attempts", 0)) + 1,
    }
    pipe = client.pipeline(transaction=False)
    pipe.hset(key, field, json.dumps(row))
    if state == "parked" and (old or {}).get("state") != "parked":
        day = row["updated_at"][:10]
        pipe.hincrby(keys.daily_counts(day), "parked", 1)
        pipe.expire(keys.daily_counts(day), DAY_COUNT_DAYS * 24 * 3600)
    pipe.execute()
    return old is None


def clear(client: redis.Redis, keys: Keys, message_id: int) -> None:
    client.hdel(keys.underway, str(message_id))


def rows(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    """Every booking under way, the longest waiting first."""
    found = [json.loads(text(raw)) for raw in client.hvals(keys.underway)]
    return sorted(found, key=lambda row: (row.get("since", ""), row["message_id"]))
