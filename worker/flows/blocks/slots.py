"""A room's Lockme slots on a date, read liberally and cached in Redis.

A date's slots are its exception when it has a non-empty one (``GET /room/{r}/date/{d}``),
else its weekday's settings (``GET /room/{r}/day/{0..6}``, 0 = Monday). Neither answer's
form is documented, so each plausible one is read (``read_hours``): a list of ``{"hour":
"HH:MM:SS", "pricers": [...]}`` (the exception's own POST form), a list of ``"HH:MM"``, an
object keyed by hour, any of those under ``data``, and ``[]``, ``{}``, ``null`` or a 404 for
nothing. An answer in none of these forms is :class:`UnreadableSlots`, a permanent error
naming the room and the day, never a guess: blocking the wrong hours on a live account is
worse than blocking none (the answer's shape is in the shape log, to teach the reader).

The cache keeps a sync of the whole horizon cheap: a weekday's settings for an hour, a
date's exception for 15 minutes, and dates are only asked about when an event covers them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, time
from typing import Any

import redis

from worker.domain.booking import MalformedMessage, parse_hour
from worker.domain.errors import PermanentError
from worker.gateways.lockme import SERVICE, LockmeClient
from worker.ops import logs
from worker.stores.keys import Keys

DAY_CACHE_S = 3600
DATE_CACHE_S = 15 * 60
# Fields an hour may come under in an object of a list.
_HOUR_FIELDS = ("hour", "time", "start")


class UnreadableSlots(PermanentError):
    """Lockme's slot settings came in a form nobody knows how to read."""


def _hour(value: Any) -> time | None:
    try:
        return parse_hour(value)
    except MalformedMessage:
        return None


def _item_hour(item: Any) -> time | None:
    if isinstance(item, dict):
        found = next((item[k] for k in _HOUR_FIELDS if k in item), None)
        return _hour(found)
    return _hour(item)


def read_hours(body: Any) -> list[time] | None:
    """The hours a settings answer lists, sorted; ``[]`` for nothing; None when unreadable."""
    if body is None or body in ([], {}, ""):
        return []
    if isinstance(body, dict) and set(body) == {"data"}:
        return read_hours(body["data"])
    items: list[Any]
    if isinstance(body, list):
        items = body
    elif isinstance(body, dict) and all(_hour(k) is not None for k in body):
        items = list(body)  # keyed by hour; the values are its pricers
    elif isinstance(body, dict) and all(str(k).isdigit() for k in body):
        items = list(body.values())  # a list PHP sent as an object keyed by index
    else:
        return None
    hours = [_item_hour(item) for item in items]
    if any(hour is None for hour in hours):
        return None
    return sorted({hour for hour in hours if hour is not None})


class SlotSource:
    """Where the blocks code learns a room's slots; one per process is enough."""

    def __init__(self, lockme: LockmeClient, client: redis.Redis, keys: Keys) -> None:
        self.lockme = lockme
        self.redis = client
        self.keys = keys

    def hours(self, room_id: int, day: date) -> list[time]:
        """The start times of the room's slots on ``day`` (empty when it is closed)."""
        exception = self._cached(
            room_id,
            f"date:{day.isoformat()}",
            DATE_CACHE_S,
            lambda: self.lockme.date_settings(room_id, day),
            f"the exception of {day.isoformat()}",
        )
        if exception:
            return exception
        weekday = day.weekday()
        return self._cached(
            room_id,
            f"day:{weekday}",
            DAY_CACHE_S,
            lambda: self.lockme.day_settings(room_id, weekday),
            f"weekday {weekday} (0 = Monday)",
        )

    def _cached(
        self, room_id: int, what: str, ttl_s: int, fetch: Callable[[], Any], label: str
    ) -> list[time]:
        key = self.keys.blocks_slots(room_id, what)
        raw = self.redis.get(key)
        if raw is not None:
            return [time.fromisoformat(h) for h in json.loads(raw)]
        body = fetch()
        hours = read_hours(body)
        if hours is None:
            logs.event("blocks.slots_unreadable", outcome="unreadable", room=room_id)
            raise UnreadableSlots(
                f"room {room_id}: Lockme's slot settings for {label} are in a form this "
                "version cannot read; no slot of that day is blocked (the answer's shape "
                "is on the status page)",
                service=SERVICE,
            )
        self.redis.set(key, json.dumps([h.isoformat() for h in hours]), ex=ttl_s)
        return hours
