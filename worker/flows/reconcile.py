"""Make the calendar equal to Lockme's reservations over a date window.

Messages lost for more than Lockme's 24 h redelivery, hand edits in the calendar and a
lost store all end here: Lockme's ``GET /room/{id}/reservations/{date}`` is the truth, and
every event carrying ``lockmeReservationId`` in the window is checked against it.

It writes as a message's job does (``Syncer.upsert``, under the reservation's lock), never
beside it: otherwise it could write content read before an edit, stamped as if current.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from redis.exceptions import LockError

from worker.domain.booking import (
    Booking,
    MalformedMessage,
    event_body,
    event_matches,
    parse_booking,
    positive_id,
)
from worker.domain.errors import SyncError
from worker.domain.identity import ROOM_KEY, is_block_extid, reservation_of, stamp_of
from worker.flows.booking_sync import LOCK_SECONDS, LOCK_WAIT_S, Outcome, Result
from worker.runtime import Runtime
from worker.stores.block_ledger import BlockLedger
from worker.stores.mappings import Mapping
from worker.stores.redisutil import now_iso

READS_PER_SECOND = 10
COUNTS = ("checked", "created", "updated", "deleted", "skipped", "errors")


@dataclass(frozen=True)
class Change:
    """One write a run made, or would make in a dry run."""

    action: str
    reservation_id: int
    calendar_id: str


@dataclass(frozen=True)
class ReadStep:
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
    # Left to a message's job that changed the booking since the list was read.
    skipped: int = 0
    errors: int = 0
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items())


def last_run(runtime: Runtime) -> dict[str, Any] | None:
    """When the last (not dry) run finished, its window in days and its counts."""
    raw = runtime.redis.get(runtime.keys.reconcile_last)
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
        progress: Callable[[ReadStep], None] | None = None,
    ) -> None:
        self.rt = runtime
        self.dry_run = dry_run
        self.progress = progress
        self.summary = Summary()
        self._last_read = 0.0
        self.blocks = BlockLedger(runtime.redis, runtime.keys)

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
            self.rt.redis.set(self.rt.keys.reconcile_last, json.dumps(record))
        return self.summary

    def _pace(self) -> None:
        """Keep Lockme reads at a polite rate: no documented limit, so stay well under any."""
        wait = self._last_read + 1 / READS_PER_SECOND - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_read = time.monotonic()

    def _rooms(self) -> set[int]:
        rooms = set(self.rt.store.routes.routes())
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
                        if self._own_block(rid, item):
                            continue  # the product's own block: never a booking event
                        truth[rid] = parse_booking(item, rid, room_id)
                        found += 1
                    except MalformedMessage:
                        self.summary.errors += 1
                if self.progress:
                    self.progress(
                        ReadStep(room_id, room_index, len(rooms), offset, days + 1, found)
                    )
        return truth

    def _own_block(self, reservation_id: int, item: dict[str, Any]) -> bool:
        """A block the product made in Lockme (its extid, or the blocks ledger knows it)."""
        if is_block_extid(item.get("extid")):
            return True
        return self.blocks.by_reservation(reservation_id) is not None

    def _calendar_events(self, start: datetime, end: datetime) -> dict[int, list[tuple[str, Any]]]:
        found: dict[int, list[tuple[str, Any]]] = {}
        for calendar_id in self.rt.store.routes.calendars():
            for event in self.rt.calendar.list_events(calendar_id, time_min=start, time_max=end):
                reservation_id = reservation_of(event)
                if reservation_id is not None:
                    found.setdefault(reservation_id, []).append((calendar_id, event))
        return found

    def _converge(self, booking: Booking, copies: list[tuple[str, Any]]) -> None:
        """One event, in the routed calendar, with current content; no other copies.

        Whether anything needs writing is decided from the list read earlier (which is all a
        dry run does); the writing is :meth:`_rewrite`'s, as a message's job writes."""
        store = self.rt.store
        route = store.routes.route(booking.room_id)
        mapping = store.mappings.mapping(booking.reservation_id)
        stamp = max([mapping.stamp if mapping else 0, *(stamp_of(e) for _, e in copies)])
        settings = self.rt.settings
        body = event_body(
            booking,
            route,
            settings.tz,
            settings.default_duration_minutes,
            stamp,
            settings.venue_language,
        )
        current = next((e for c, e in copies if c == route.calendar_id), None)
        others = [c for c, _ in copies if c != route.calendar_id]
        # A hold the room leaves out is right with no copy at all.
        shown = route.shows(booking)
        if shown:
            correct = current is not None and event_matches(current, body) and not others
        else:
            correct, others = not copies, [c for c, _ in copies]
        if correct:
            self.summary.checked += 1
            return
        if not self.dry_run:
            self._rewrite(booking.reservation_id, booking.room_id, copies, listed=True)
            return
        rid = booking.reservation_id
        if shown:
            self._count(Change("updated" if current else "created", rid, route.calendar_id))
        for calendar_id in others:
            self._count(Change("deleted", rid, calendar_id))

    def _rewrite(
        self, reservation_id: int, room_id: int, copies: list[tuple[str, Any]], *, listed: bool
    ) -> None:
        """Write one booking the way a message's job does: under its reservation's lock,
        through the sync's rules (``Syncer.upsert``), with the booking read from Lockme again
        under that lock. The list was read earlier: an edit processed since then would
        otherwise be overwritten with the content from before it, stamped as if current.

        ``listed`` says Lockme's list had the booking: if Lockme no longer has it in that
        room, it was moved or deleted since, and that message's job takes care of it. An
        event Lockme's list lacked (``listed`` False) is cancelled when Lockme has no
        such booking, leaving a tombstone as a delete does.
        """
        store = self.rt.store
        try:
            with store.mappings.reservation(
                reservation_id, room_id, timeout=LOCK_SECONDS, wait=LOCK_WAIT_S
            ) as held:
                self._pace()
                current = self.rt.lockme.reservation(room_id, reservation_id)
                mapping = held.mapping
                stamp = max([mapping.stamp if mapping else 0, *(stamp_of(e) for _, e in copies)])
                if current is None and listed:
                    self.summary.skipped += 1
                elif current is None:
                    self._cancel(reservation_id, room_id, copies, stamp)
                else:
                    booking = parse_booking(current, reservation_id, room_id)
                    outcome = self.rt.syncer.upsert(
                        booking, stamp, mapping, held.route, sweep=True, confirmed=True
                    )
                    self._upserted(reservation_id, outcome, copies)
        except LockError:
            # A message's job holds it for longer than a dead holder's lease: it is busy
            # with this booking, and what it writes is at least as new as this run's read.
            self.summary.skipped += 1
        except (SyncError, MalformedMessage):
            self.summary.errors += 1

    def _upserted(
        self, reservation_id: int, outcome: Outcome, copies: list[tuple[str, Any]]
    ) -> None:
        """Count what the sync's write did; remove the copies it did not know of."""
        if outcome.result in (Result.STALE, Result.IGNORED):
            # A newer message's event is there, or Lockme had the booking no more.
            self.summary.skipped += 1
            return
        if outcome.result == Result.HIDDEN:
            # The sync removed the copies it knew of; the list may have shown it more.
            for calendar_id, found in copies:
                self.rt.calendar.delete(calendar_id, found["id"])
                self._count(Change("deleted", reservation_id, calendar_id))
            return
        action = "created" if outcome.result in (Result.CREATED, Result.RESTORED) else "updated"
        self._count(Change(action, reservation_id, outcome.calendar_id or ""))
        for calendar_id, found in copies:
            if calendar_id != outcome.calendar_id:
                self.rt.calendar.delete(calendar_id, found["id"])
                self._count(Change("deleted", reservation_id, calendar_id))

    def _cancel(
        self, reservation_id: int, room_id: int, copies: list[tuple[str, Any]], stamp: int
    ) -> None:
        """Cancel the copies of a booking Lockme no longer has, and leave a tombstone."""
        for calendar_id, found in copies:
            self.rt.calendar.delete(calendar_id, found["id"])
            self._count(Change("deleted", reservation_id, calendar_id))
        first_calendar, first = copies[0]
        self.rt.store.mappings.save_mapping(
            Mapping(reservation_id, room_id, first_calendar, first["id"], stamp, deleted=True)
        )

    def _orphan(self, reservation_id: int, copies: list[tuple[str, Any]]) -> None:
        """An event with no reservation in the window: gone from Lockme, or moved out of it."""
        room_raw = copies[0][1]["extendedProperties"]["private"].get(ROOM_KEY, "")
        try:
            room_id = positive_id(room_raw, ROOM_KEY)
            if not self.dry_run:
                self._rewrite(reservation_id, room_id, copies, listed=False)
                return
            self._pace()
            current = self.rt.lockme.reservation(room_id, reservation_id)
            if current is not None:
                self._converge(parse_booking(current, reservation_id, room_id), copies)
                return
            for calendar_id, _ in copies:
                self._count(Change("deleted", reservation_id, calendar_id))
        except (SyncError, MalformedMessage):
            self.summary.errors += 1

    def _count(self, change: Change) -> None:
        setattr(self.summary, change.action, getattr(self.summary, change.action) + 1)
        self.summary.changes.append(change)
