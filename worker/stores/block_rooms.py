"""Which rooms take blocks from which Google calendar, and plans waiting for a person.

A room has at most one blocks calendar; several rooms may share one (a "venue closed"
calendar), and it may be the room's bookings calendar too (the product's own booking
events in it never block: ``worker.domain.identity``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis

from worker.stores.keys import Keys
from worker.stores.redisutil import now_iso, text


class BlockRooms:
    """The ``blocks_rooms`` setting and the ``blocks_held`` plans."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def all(self) -> dict[int, str]:
        """Room id → its blocks calendar, for every room that has one."""
        raw = self.redis.hgetall(self.keys.blocks_rooms)
        return dict(sorted((int(k), text(v)) for k, v in raw.items()))

    def calendar_of(self, room_id: int) -> str | None:
        raw = self.redis.hget(self.keys.blocks_rooms, str(room_id))
        return text(raw) if raw else None

    def rooms_of(self, calendar_id: str) -> list[int]:
        return [room for room, cid in self.all().items() if cid == calendar_id]

    def calendars(self) -> list[str]:
        return sorted(set(self.all().values()))

    def set(self, room_id: int, calendar_id: str) -> None:
        self.redis.hset(self.keys.blocks_rooms, str(room_id), calendar_id)

    def clear(self, room_id: int) -> None:
        self.redis.hdel(self.keys.blocks_rooms, str(room_id))

    # --- plans waiting for a person -----------------------------------------------------
    def hold(
        self, calendar_id: str, reason: str, frees: int, creates: int, events: Iterable[str]
    ) -> None:
        """Keep why a sync's removals (``frees`` of them) or creates wait, and the events
        whose creates wait (kept until a sync no longer needs it)."""
        record = {
            "calendar_id": calendar_id,
            "reason": reason,
            "frees": frees,
            "creates": creates,
            "events": sorted(events),
            "at": now_iso(),
        }
        self.redis.set(self.keys.blocks_held(calendar_id), json.dumps(record))

    def release(self, calendar_id: str) -> None:
        self.redis.delete(self.keys.blocks_held(calendar_id))

    def waiting_events(self, calendar_id: str) -> frozenset[str]:
        """The events whose creates the calendar's held plan keeps waiting."""
        raw = self.redis.get(self.keys.blocks_held(calendar_id))
        return frozenset(json.loads(raw).get("events") or []) if raw else frozenset()

    def approved(self, calendar_id: str) -> frozenset[str]:
        """The events whose blocks are being removed on a read's or a person's word."""
        members = self.redis.smembers(self.keys.blocks_approved(calendar_id))
        return frozenset(text(m) for m in members)

    def keep_approved(self, calendar_id: str, event_ids: Iterable[str]) -> None:
        """Remember the events whose removals are left for the next runs (none: forget)."""
        key = self.keys.blocks_approved(calendar_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        if event_ids:
            pipe.sadd(key, *sorted(event_ids))
        pipe.execute()

    def held(self) -> list[dict[str, Any]]:
        """Every plan waiting for a person, one per blocks calendar."""
        names = [self.keys.blocks_held(cid) for cid in self.calendars()]
        raws = self.redis.mget(names) if names else []
        return [json.loads(raw) for raw in raws if raw]
