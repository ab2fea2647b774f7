"""Make the calendar equal to Lockme's reservations over a date window.

Messages lost for more than Lockme's 24 h redelivery, hand edits in the calendar and a
lost store all end here: Lockme's ``GET /room/{id}/reservations/{date}`` is the truth, and
every event carrying ``lockmeReservationId`` in the window is checked against it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from worker.booking import (
    Booking,
    MalformedMessage,
    event_body,
    event_id,
    event_matches,
    parse_booking,
    positive_id,
)
from worker.errors import SyncError
from worker.runtime import Runtime
from worker.store import PREFIX, Mapping, now_iso

READS_PER_SECOND = 10
LAST_RUN_KEY = f"{PREFIX}reconcile:last"
COUNTS = ("checked", "created", "updated", "deleted", "errors")


@dataclass(frozen=True)
class Change:
    """One write a run made, or would make in a dry run."""

    action: str
    reservation_id: int
    calendar_id: str


@dataclass(frozen=True)
class Step:
    """Progress of the Lockme reads, the long part of a run: one step per room and day."""

    room_id: int
    room_index: int
    rooms: int
    day_index: int
    days: int
    bookings: int

    @property
    def done(self) -> int:
        return self.room_index * self.days + self.day_index + 1

    @property
    def total(self) -> int:
        return self.rooms * self.days


@dataclass
class Summary:
    checked: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    errors: int = 0
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items())


def last_run(runtime: Runtime) -> dict[str, Any] | None:
    """When the last (not dry) run finished, its window in days and its counts."""
    raw = runtime.redis.get(LAST_RUN_KEY)
    return json.loads(raw) if raw else None


class Reconciler:
    """One reconcile run; ``dry_run`` counts and lists what it would do without writing.

    ``progress`` is called after each room-day read from Lockme, so that a person running
    it sees it move (a run reads rooms × days pages at a polite pace: a minute or more).
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        dry_run: bool = False,
        progress: Callable[[Step], None] | None = None,
    ) -> None:
        self.rt = runtime
        self.dry_run = dry_run
        self.progress = progress
        self.summary = Summary()
        self._last_read = 0.0

    def run(self, days: int = 60, today: date | None = None) -> Summary:
        tz = self.rt.settings.tz
        today = today or datetime.now(tz).date()
        truth = self._lockme_truth(today, days)
        start = datetime.combine(today, datetime.min.time(), tz)
        end = datetime.combine(today + timedelta(days=days + 1), datetime.min.time(), tz)
        events = self._calendar_events(start, end)
        for reservation_id, booking in truth.items():
            self._converge(booking, events.pop(reservation_id, []))
        for reservation_id, copies in events.items():
            self._orphan(reservation_id, copies)
        if not self.dry_run:
            record = {"at": now_iso(), "days": days, **self.summary.as_dict()}
            self.rt.redis.set(LAST_RUN_KEY, json.dumps(record))
        return self.summary

    def _pace(self) -> None:
        """Keep Lockme reads at a polite rate: no documented limit, so stay well under any."""
        wait = self._last_read + 1 / READS_PER_SECOND - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_read = time.monotonic()

    def _rooms(self) -> set[int]:
        rooms = set(self.rt.store.routes())
        for room in self.rt.lockme.rooms():
            try:
                rooms.add(positive_id(room.get("roomid"), "roomid"))
            except MalformedMessage:
                self.summary.errors += 1
        return rooms

    def _lockme_truth(self, today: date, days: int) -> dict[int, Booking]:
        truth: dict[int, Booking] = {}
        rooms = sorted(self._rooms())
        for room_index, room_id in enumerate(rooms):
            found = 0
            for offset in range(days + 1):
                self._pace()
                for item in self.rt.lockme.reservations(room_id, today + timedelta(days=offset)):
                    try:
                        rid = positive_id(item.get("reservationid", item.get("id")), "id")
                        truth[rid] = parse_booking(item, rid, room_id)
                        found += 1
                    except MalformedMessage:
                        self.summary.errors += 1
                if self.progress:
                    self.progress(Step(room_id, room_index, len(rooms), offset, days + 1, found))
        return truth

    def _calendar_events(self, start: datetime, end: datetime) -> dict[int, list[tuple[str, Any]]]:
        found: dict[int, list[tuple[str, Any]]] = {}
        for calendar_id in self.rt.store.calendars():
            for event in self.rt.calendar.list_events(calendar_id, time_min=start, time_max=end):
                raw = event["extendedProperties"]["private"]["lockmeReservationId"]
                if str(raw).isdigit():
                    found.setdefault(int(raw), []).append((calendar_id, event))
        return found

    def _converge(self, booking: Booking, copies: list[tuple[str, Any]]) -> None:
        """One event, in the routed calendar, with current content; no other copies."""
        store, calendar = self.rt.store, self.rt.calendar
        route = store.route(booking.room_id)
        eid = event_id(booking.reservation_id)
        mapping = store.mapping(booking.reservation_id)
        stamps = [
            int(e["extendedProperties"]["private"].get("lockmeStamp", 0) or 0) for _, e in copies
        ]
        stamp = max([mapping.stamp if mapping else 0, *stamps])
        settings = self.rt.settings
        body = event_body(booking, route, settings.tz, settings.default_duration_minutes, stamp)
        current = next((e for c, e in copies if c == route.calendar_id), None)
        # An event may live under a fallback id (its first one burned by a delete in
        # Calendar's UI): copies are written and removed by the ids they carry.
        eid = current["id"] if current is not None else eid
        placed: list[str] = []
        try:
            if current is not None and event_matches(current, body):
                self.summary.checked += 1
            elif current is not None:
                self._write(
                    lambda: calendar.update(route.calendar_id, eid, {**body, "id": eid}),
                    Change("updated", booking.reservation_id, route.calendar_id),
                )
            else:
                self._write(
                    lambda: placed.append(
                        self._insert_or_restore(booking, route.calendar_id, body, stamp, mapping)
                    ),
                    Change("created", booking.reservation_id, route.calendar_id),
                )
            eid = placed[0] if placed else eid
            for calendar_id, found in copies:
                if calendar_id != route.calendar_id:
                    self._write(
                        lambda c=calendar_id, i=found["id"]: calendar.delete(c, i),
                        Change("deleted", booking.reservation_id, calendar_id),
                    )
            if not self.dry_run:
                store.save_mapping(
                    Mapping(booking.reservation_id, booking.room_id, route.calendar_id, eid, stamp)
                )
        except SyncError:
            self.summary.errors += 1

    def _insert_or_restore(
        self,
        booking: Booking,
        calendar_id: str,
        body: dict[str, Any],
        stamp: int,
        mapping: Mapping | None,
    ) -> str:
        """Insert, or restore a cancelled event, by the sync's own write, which also gives
        an id burned by a delete in Calendar's UI a fallback. Returns the event's id."""
        return self.rt.syncer.place(calendar_id, body, booking, stamp, mapping, confirmed=True)[2]

    def _orphan(self, reservation_id: int, copies: list[tuple[str, Any]]) -> None:
        """An event with no reservation in the window: gone from Lockme, or moved out of it."""
        room_raw = copies[0][1]["extendedProperties"]["private"].get("lockmeRoomId", "")
        try:
            room_id = positive_id(room_raw, "lockmeRoomId")
            self._pace()
            current = self.rt.lockme.reservation(room_id, reservation_id)
            if current is not None:
                self._converge(parse_booking(current, reservation_id, room_id), copies)
                return
            for calendar_id, found in copies:
                self._write(
                    lambda c=calendar_id, i=found["id"]: self.rt.calendar.delete(c, i),
                    Change("deleted", reservation_id, calendar_id),
                )
            if not self.dry_run:
                first_calendar, first = copies[0]
                self.rt.store.save_mapping(
                    Mapping(reservation_id, room_id, first_calendar, first["id"], 0, deleted=True)
                )
        except (SyncError, MalformedMessage):
            self.summary.errors += 1

    def _write(self, action: Any, change: Change) -> None:
        if not self.dry_run:
            action()
        setattr(self.summary, change.action, getattr(self.summary, change.action) + 1)
        self.summary.changes.append(change)
