"""Make the calendar equal to Lockme's reservations over a date window.

Messages lost for more than Lockme's 24 h redelivery, hand edits in the calendar and a
lost store all end here: Lockme's ``GET /room/{id}/reservations/{date}`` is the truth, and
every event carrying ``lockmeReservationId`` in the window is checked against it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
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
from worker.gcal import Conflict
from worker.runtime import Runtime
from worker.store import Mapping

READS_PER_SECOND = 10


@dataclass
class Summary:
    checked: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items())


class Reconciler:
    """One reconcile run; ``dry_run`` counts what it would do without writing."""

    def __init__(self, runtime: Runtime, *, dry_run: bool = False) -> None:
        self.rt = runtime
        self.dry_run = dry_run
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
        for room_id in sorted(self._rooms()):
            for offset in range(days + 1):
                self._pace()
                for item in self.rt.lockme.reservations(room_id, today + timedelta(days=offset)):
                    try:
                        rid = positive_id(item.get("reservationid", item.get("id")), "id")
                        truth[rid] = parse_booking(item, rid, room_id)
                    except MalformedMessage:
                        self.summary.errors += 1
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
        try:
            if current is not None and event_matches(current, body):
                self.summary.checked += 1
            elif current is not None:
                self._write(lambda: calendar.update(route.calendar_id, eid, body), "updated")
            else:
                self._write(
                    lambda: self._insert_or_restore(route.calendar_id, eid, body), "created"
                )
            for calendar_id, _ in copies:
                if calendar_id != route.calendar_id:
                    self._write(lambda c=calendar_id: calendar.delete(c, eid), "deleted")
            if not self.dry_run:
                store.save_mapping(
                    Mapping(booking.reservation_id, booking.room_id, route.calendar_id, eid, stamp)
                )
        except SyncError:
            self.summary.errors += 1

    def _insert_or_restore(self, calendar_id: str, eid: str, body: dict[str, Any]) -> None:
        try:
            self.rt.calendar.insert(calendar_id, body)
        except Conflict:
            self.rt.calendar.update(calendar_id, eid, body)

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
            eid = event_id(reservation_id)
            for calendar_id, _ in copies:
                self._write(lambda c=calendar_id: self.rt.calendar.delete(c, eid), "deleted")
            if not self.dry_run:
                self.rt.store.save_mapping(
                    Mapping(reservation_id, room_id, copies[0][0], eid, 0, deleted=True)
                )
        except (SyncError, MalformedMessage):
            self.summary.errors += 1

    def _write(self, action: Any, counter: str) -> None:
        if not self.dry_run:
            action()
        setattr(self.summary, counter, getattr(self.summary, counter) + 1)
