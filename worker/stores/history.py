"""The bounded sync history (the latest ``HISTORY_LIMIT`` results) and per-day counters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis

from worker.stores.keys import Keys
from worker.stores.redisutil import now_iso, text

HISTORY_LIMIT = 1000
DAY_COUNT_DAYS = 35
# Upper bounds (seconds) of the per-day webhook → calendar latency counts; "inf" above.
LATENCY_BOUNDS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)


# The Lockme echo of a block the product wrote (``sync.Result.OWN_BLOCK``), and the actions
# of the block's own history rows.
ECHO_RESULT = "own_block"
BLOCK_ACTIONS = ("block", "unblock")


def without_echoes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries without Lockme's echoes of blocks whose own row is among them.

    Every block the product writes comes back as a Lockme message, acknowledged with no
    calendar write: one staff event over three rooms made six rows, its delete six more,
    and pushed real bookings out of the page's last fifty. The block's row says it all;
    an echo with no row of its own (a block someone removed in Lockme's panel) stays.
    """
    written = {
        entry.get("reservation_id")
        for entry in entries
        if entry.get("action") in BLOCK_ACTIONS and entry.get("reservation_id") is not None
    }
    return [
        entry
        for entry in entries
        if entry.get("result") != ECHO_RESULT or entry.get("reservation_id") not in written
    ]


class History:
    """What the status page's history, daily table and latency chart read."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def record_sync(self, entry: dict[str, Any]) -> None:
        """Append to the bounded history and count the result for today."""
        pipe = self.redis.pipeline(transaction=False)
        self.add_in(pipe, entry)
        pipe.execute()

    def add_in(self, pipe: Any, entry: dict[str, Any]) -> None:
        """:meth:`record_sync` as writes queued on ``pipe`` (an ack books it with the rest)."""
        entry = {**entry, "at": now_iso()}
        day = entry["at"][:10]
        pipe.lpush(self.keys.recent, json.dumps(entry))
        pipe.ltrim(self.keys.recent, 0, HISTORY_LIMIT - 1)
        pipe.hincrby(self.keys.daily_counts(day), entry.get("result", "unknown"), 1)
        pipe.expire(self.keys.daily_counts(day), DAY_COUNT_DAYS * 24 * 3600)
        latency = entry.get("latency_s")
        if latency is not None:
            bound = next((str(b) for b in LATENCY_BOUNDS if latency <= b), "inf")
            pipe.hincrby(self.keys.daily_latency(day), bound, 1)
            pipe.expire(self.keys.daily_latency(day), DAY_COUNT_DAYS * 24 * 3600)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.redis.lrange(self.keys.recent, 0, limit - 1)]

    def daily_counts(self, days: list[str]) -> dict[str, dict[str, int]]:
        return self._per_day(self.keys.daily_counts, days)

    def daily_latency(self, days: list[str]) -> dict[str, dict[str, int]]:
        """Per day, how many syncs took at most each of ``LATENCY_BOUNDS`` seconds (the
        smallest bound that fits; ``inf`` above) from the webhook to the acknowledgement."""
        return self._per_day(self.keys.daily_latency, days)

    def _per_day(self, key: Callable[[str], str], days: list[str]) -> dict[str, dict[str, int]]:
        """The counters kept in the hash ``key(day)`` of each day, in one round trip."""
        pipe = self.redis.pipeline()
        for day in days:
            pipe.hgetall(key(day))
        return {
            day: {text(k): int(v) for k, v in counts.items()}
            for day, counts in zip(days, pipe.execute(), strict=True)
        }
