"""A blocks calendar's feed: what Google says changed, kept as a snapshot of blocking events.

The sync token is the source of truth (docs two-way-prior-art.md): each read asks Google
for what changed since the last one, and only a stale token (410) or none at all costs a
full read, bounded to [now − 1 day, now + ``BLOCKS_HORIZON_DAYS``). The snapshot holds only
the events that block (``rules.blocking_span``), so the plan never has to tell busy from
free again, and a read reports which ids started or stopped blocking for the guard to
explain removals with.

State and snapshot are written together with the token in one transaction: a crash
between them would either skip changes (token ahead of the snapshot) or, harmlessly,
read them again. The same transaction drops the calendar's settled mark (:class:`Settled`)
when the read saw an event start, stop or move blocking, so a sync never trusts a plan made
before a change it has read. An incremental read costs what it found, not the calendar.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from worker.config import Settings
from worker.domain.block_rules import Span, blocking_span, one_line
from worker.gateways.google_calendar import GoogleCalendar, ReadTooLarge, SyncTokenGone
from worker.stores.keys import Keys

# The full read starts a day back: an event under way blocks its remaining slots.
FULL_READ_BACK = timedelta(days=1)
SETTLED_FIELD = "settled"


@dataclass(frozen=True)
class FeedRead:
    """What one read found.

    ``full``: the snapshot was replaced by a full read (no token, or a stale one).
    ``empty``: after the read the calendar has no blocking event at all (an empty full read
    is what the mass-removal guard distrusts). ``changed``: ids whose blocking span is new
    or moved. ``removed``: ids that blocked before and do not any more (cancelled, made
    free, declined, or gone from the window).
    """

    full: bool
    empty: bool
    changed: frozenset[str]
    removed: frozenset[str]


@dataclass(frozen=True)
class Settled:
    """A plan of the calendar that had nothing to write, and what it was made from: the
    ledger's generation before it, the calendar's rooms, and until when it is trusted
    (``worker.flows.blocks.calendar_sync`` says why)."""

    generation: int
    rooms: tuple[int, ...]
    until: float


def _entry(event: dict[str, Any], span: Span) -> dict[str, str]:
    """The snapshot's form of a blocking event: its span as ISO instants and what shows
    (the title as cut for the label: the one copy of it the product keeps)."""
    return {
        "id": str(event["id"]),
        "start": span.start.astimezone(UTC).isoformat(),
        "end": span.end.astimezone(UTC).isoformat(),
        "summary": one_line(event.get("summary")),
        "link": str(event.get("htmlLink") or ""),
        "updated": str(event.get("updated") or ""),
    }


def _moved(old: dict[str, Any] | None, new: dict[str, str]) -> bool:
    return old is None or (old.get("start"), old.get("end")) != (new["start"], new["end"])


class FeedStore:
    """A blocks calendar's sync state (``blocks_calendar``) and snapshot (``blocks_events``)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def sync_token(self, calendar_id: str) -> str | None:
        raw = self.redis.hget(self.keys.blocks_calendar(calendar_id), "sync_token")
        return raw.decode() if isinstance(raw, bytes) else raw

    def state(self, calendar_id: str) -> dict[str, str]:
        """The calendar's whole state hash (``sync_token``, ``synced_at``, ``full_at`` …)."""
        raw = self.redis.hgetall(self.keys.blocks_calendar(calendar_id))
        return {_text(k): _text(v) for k, v in raw.items()}

    def snapshot(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        """Event id → stored entry of every blocking event, as last read."""
        raw = self.redis.hgetall(self.keys.blocks_events(calendar_id))
        return {_text(k): json.loads(v) for k, v in raw.items()}

    def entries(self, calendar_id: str, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored entries of these events, those the snapshot holds (one round trip)."""
        if not event_ids:
            return {}
        raws = self.redis.hmget(self.keys.blocks_events(calendar_id), event_ids)
        return {eid: json.loads(raw) for eid, raw in zip(event_ids, raws, strict=True) if raw}

    def count(self, calendar_id: str) -> int:
        """How many blocking events the snapshot holds."""
        return int(self.redis.hlen(self.keys.blocks_events(calendar_id)))

    def settled(self, calendar_id: str) -> Settled | None:
        """The calendar's settled mark, if it has one (an unreadable one counts as none)."""
        raw = self.redis.hget(self.keys.blocks_calendar(calendar_id), SETTLED_FIELD)
        try:
            mark = json.loads(raw) if raw else None
            if mark is None:
                return None
            rooms = tuple(int(room) for room in mark["rooms"])
            return Settled(int(mark["generation"]), rooms, float(mark["until"]))
        except (ValueError, TypeError, KeyError):
            return None

    def settle(self, calendar_id: str, mark: Settled) -> None:
        self.redis.hset(
            self.keys.blocks_calendar(calendar_id), SETTLED_FIELD, json.dumps(asdict(mark))
        )

    def replace(
        self, calendar_id: str, events: dict[str, dict[str, str]], sync_token: str | None
    ) -> None:
        """Store a full read: the new snapshot and token, and when it happened."""
        now = str(time.time())
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.blocks_events(calendar_id))
        if events:
            dumped: dict[Any, Any] = {eid: json.dumps(e) for eid, e in events.items()}
            pipe.hset(self.keys.blocks_events(calendar_id), mapping=dumped)
        self._state(pipe, calendar_id, sync_token, {"synced_at": now, "full_at": now})
        pipe.hdel(self.keys.blocks_calendar(calendar_id), SETTLED_FIELD)
        pipe.execute()

    def apply(
        self,
        calendar_id: str,
        upserts: dict[str, dict[str, str]],
        removals: set[str],
        sync_token: str | None,
        *,
        unsettle: bool,
    ) -> None:
        """Store an incremental read: changed entries, removed ids and the new token;
        ``unsettle`` drops the settled mark (the read saw a change the plan must see)."""
        pipe = self.redis.pipeline(transaction=True)
        if upserts:
            dumped: dict[Any, Any] = {eid: json.dumps(e) for eid, e in upserts.items()}
            pipe.hset(self.keys.blocks_events(calendar_id), mapping=dumped)
        if removals:
            pipe.hdel(self.keys.blocks_events(calendar_id), *sorted(removals))
        self._state(pipe, calendar_id, sync_token, {"synced_at": str(time.time())})
        if unsettle:
            pipe.hdel(self.keys.blocks_calendar(calendar_id), SETTLED_FIELD)
        pipe.execute()

    def note_error(self, calendar_id: str, error: str) -> None:
        """Keep why the calendar's last sync failed (empty: it did not), for the status page."""
        self.redis.hset(self.keys.blocks_calendar(calendar_id), "error", error[:300])

    def forget(self, calendar_id: str) -> None:
        """Drop the snapshot and the token (the calendar's next read is a full one)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.blocks_events(calendar_id))
        pipe.hdel(
            self.keys.blocks_calendar(calendar_id),
            "sync_token",
            "synced_at",
            "full_at",
            SETTLED_FIELD,
        )
        pipe.execute()

    def _state(
        self, pipe: Any, calendar_id: str, sync_token: str | None, fields: dict[str, str]
    ) -> None:
        key = self.keys.blocks_calendar(calendar_id)
        pipe.hset(key, mapping=fields)
        if sync_token:
            pipe.hset(key, "sync_token", sync_token)
        else:
            # No token came back: the next read must be a full one, not one from an old token.
            pipe.hdel(key, "sync_token")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Feed:
    """Reads a blocks calendar from Google into its :class:`FeedStore`."""

    def __init__(self, calendar: GoogleCalendar, store: FeedStore, settings: Settings) -> None:
        self.calendar = calendar
        self.store = store
        self.settings = settings

    def read(self, calendar_id: str) -> FeedRead:
        """Bring the snapshot up to date: incrementally with the stored token, in full when
        there is none or Google says it is stale. Errors other than a stale token (the
        gateway's classes, a full read past the gateway's limits among them) propagate and
        leave the stored state as it was."""
        token = self.store.sync_token(calendar_id)
        if token:
            try:
                items, next_token = self.calendar.changes(calendar_id, token)
            except (SyncTokenGone, ReadTooLarge):
                # Too many changes to read at once (an import of years of events): the
                # full read is bounded by the horizon, and its own limits hold if not.
                return self._full(calendar_id)
            return self._incremental(calendar_id, items, next_token)
        return self._full(calendar_id)

    def _incremental(
        self, calendar_id: str, items: list[dict[str, Any]], next_token: str | None
    ) -> FeedRead:
        # Only the entries of the events read: a read that found nothing costs no more
        # for a calendar of 20,000 events than for one of 20.
        ids = list(dict.fromkeys(str(event.get("id") or "") for event in items))
        before = self.store.entries(calendar_id, [eid for eid in ids if eid])
        upserts: dict[str, dict[str, str]] = {}
        removals: set[str] = set()
        changed: set[str] = set()
        for event in items:
            event_id = str(event.get("id") or "")
            if not event_id:
                continue
            span = blocking_span(event, self.settings.tz)
            if span is None:
                upserts.pop(event_id, None)
                changed.discard(event_id)
                if event_id in before:
                    removals.add(event_id)
                continue
            entry = _entry(event, span)
            removals.discard(event_id)
            upserts[event_id] = entry
            if _moved(before.get(event_id), entry):
                changed.add(event_id)
        self.store.apply(
            calendar_id, upserts, removals, next_token, unsettle=bool(changed or removals)
        )
        return FeedRead(
            full=False,
            empty=self.store.count(calendar_id) == 0,
            changed=frozenset(changed),
            removed=frozenset(removals),
        )

    def _full(self, calendar_id: str) -> FeedRead:
        now = datetime.now(UTC)
        horizon = now + timedelta(days=self.settings.blocks_horizon_days)
        items, next_token = self.calendar.changes(calendar_id, None, now - FULL_READ_BACK, horizon)
        before = self.store.snapshot(calendar_id)
        events: dict[str, dict[str, str]] = {}
        for event in items:
            span = blocking_span(event, self.settings.tz)
            if span is not None and event.get("id"):
                events[str(event["id"])] = _entry(event, span)
        self.store.replace(calendar_id, events, next_token)
        return FeedRead(
            full=True,
            empty=not events,
            changed=frozenset(eid for eid, e in events.items() if _moved(before.get(eid), e)),
            removed=frozenset(set(before) - set(events)),
        )
