"""The use case: handle one Lockme message (fetch → decide → write → record → ack).

Convergence whatever the delivery order rests on three rules, chosen so the common path
costs exactly three API calls (read the message, write the event, acknowledge):

1. **Order by message id.** Lockme numbers messages from one sequence, so a message with a
   lower id than the one that last shaped a reservation is stale and is skipped. The id is
   kept in the mapping *and* on the event (``lockmeStamp``), so ordering survives a lost store.
2. **A delete is final.** Lockme never revives a deleted reservation under the same id, so a
   delete always applies and leaves a tombstone. An add or edit that arrives after it is
   skipped when older, and checked against Lockme's current reservation when newer.
3. **Ask Lockme only when the calendar and store disagree**: a cancelled event with no
   mapping (store lost) is restored only if ``GET /room/{id}/reservation/{id}`` still has it.
   A store younger than Lockme's 24 h of redelivery (new, or flushed) cannot vouch for what
   it has no mapping of, so there the first write of a booking is checked with Lockme, and
   the other calendars are searched for a copy stamped by a newer message.

Every write is idempotent (deterministic event ids; update replaces the whole event), so a
job that runs twice, or three copies of one message at once, end in the same calendar.

An event a person deletes in Calendar's own UI burns its id for the API (insert answers
409, get and update 403 or 404). The booking is then written under a fallback id
(:func:`worker.gateways.google_calendar.fallback_id`), which the mapping records; without the
mapping the
event is found by its ``lockmeReservationId`` property. Only a write that meets a burned id
pays for the extra calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from redis.exceptions import LockError

from worker.config import Settings
from worker.domain.booking import (
    Booking,
    MalformedMessage,
    Message,
    Route,
    confirmed_booking,
    event_body,
    event_id,
    parse_message,
    positive_id,
    replay_payload,
    template_values,
)
from worker.domain.errors import MalformedAnswer, PermanentError, SyncError, TransientError
from worker.domain.identity import is_block_extid, stamp_of
from worker.gateways.google_calendar import Conflict, GoogleCalendar, fallback_id
from worker.gateways.lockme import LockmeClient
from worker.ops import logs, metrics
from worker.stores.block_ledger import BlockLedger
from worker.stores.mappings import HeldReservation, Mapping
from worker.stores.store import Store

# A reservation's lock is a lease renewed while its job's process lives (Reservations.reservation):
# a SIGKILLed worker's lapses within LOCK_SECONDS. Another job waits that long for it rather
# than fail as "busy" and be pushed along the backoff; a live holder is done in far less.
# Short, because the waiting job holds its worker (one job at a time): with a 20 s lease, a
# kill stalled a worker for up to 20 s, and with two workers both waiting on the dead one's
# booking every other booking queued behind them (webhook-to-calendar ~15 s). Renewed every
# quarter lease, a live holder keeps it through a 6 s stall of its process.
LOCK_SECONDS = 8
LOCK_WAIT_S = LOCK_SECONDS + 2
# Fallback ids tried in one calendar after the deterministic one is burned; each needs a
# person to delete the booking's event in Calendar's UI again.
FALLBACK_IDS = 20


class Result(StrEnum):
    """What a message did to the calendar, as history, status and metrics name it."""

    CREATED = "created"
    UPDATED = "updated"
    RESTORED = "restored"  # a cancelled event brought back
    MOVED = "moved"  # written in the new room's calendar, cancelled in the old one
    DELETED = "deleted"
    ABSENT = "absent"  # a delete that found no event
    UNCHANGED = "unchanged"  # written already; only the ack was lost
    STALE = "stale"  # older than what last shaped the reservation
    IGNORED = "ignored"  # Lockme no longer has the booking
    HIDDEN = "hidden"  # an unpaid hold in a room that leaves holds out: no event
    TESTED = "tested"  # Lockme's test message
    OWN_BLOCK = "own_block"  # the echo of a block the product made: no calendar write
    FAILED = "failed"  # malformed: recorded as a failure
    # Never an outcome: an insert found the event id taken by an event it cannot read or
    # update (deleted in Calendar's UI), so a fallback id is tried.
    BURNED = "burned"


@dataclass(frozen=True)
class Outcome:
    """What one message did to the calendar; ``result`` is shown in history and status."""

    result: Result
    calendar_id: str | None = None
    event_id: str | None = None
    html_link: str | None = None
    # The room of a customer's booking that changed: a slot it held may be free for a block.
    room_id: int | None = None


class Syncer:
    """Applies messages and reservations to the calendar; owns no I/O clients of its own."""

    def __init__(
        self, settings: Settings, store: Store, lockme: LockmeClient, calendar: GoogleCalendar
    ) -> None:
        self.settings = settings
        self.store = store
        self.lockme = lockme
        self.calendar = calendar
        self.ledger = BlockLedger(store.redis, store.keys)

    # --- messages -----------------------------------------------------------------------
    def handle(
        self, message_id: int, payload: Any = None, *, received_at: float | None = None
    ) -> Outcome:
        """Process one message end to end; the ack comes only after the calendar write.

        ``payload`` is given on replay of a recorded malformed message; otherwise the message
        is read from Lockme. ``received_at``, when its webhook first arrived, times the
        webhook-to-ack latency.
        """
        if payload is None:
            try:
                payload = self.lockme.message(message_id)
            except MalformedAnswer as exc:
                return self._malformed(message_id, str(exc), None, received_at)
        try:
            message = parse_message(message_id, payload)
        except MalformedMessage as exc:
            return self._malformed(message_id, str(exc), payload, received_at)
        logs.annotate(reservation_id=message.reservation_id, room=message.room_id)
        if message.action == "test":
            outcome = Outcome(Result.TESTED)
            self._complete(message_id, message.reservation_id, message.action, outcome, received_at)
            return outcome
        assert message.reservation_id is not None and message.room_id is not None
        if self._own_block(message, payload):
            return self._own_block_done(message, received_at)
        try:
            with self.store.mappings.reservation(
                message.reservation_id, message.room_id, timeout=LOCK_SECONDS, wait=LOCK_WAIT_S
            ) as held:
                details = _details(message, held.route)
                try:
                    outcome = self.apply(message, held)
                    # Acked under the lock, which is released with the booking of the ack.
                    self._done(message, outcome, received_at, held, details)
                except SyncError as exc:
                    # What the status page's row of a booking under way shows.
                    exc.details = {"reservation_id": message.reservation_id, **details}
                    raise
        except LockError as exc:
            # Still held after waiting longer than a killed holder's lease lasts: a live job
            # is slow on this booking (say, retrying its calls in place). Retry later.
            busy = TransientError(f"reservation {message.reservation_id} is busy")
            busy.details = {"reservation_id": message.reservation_id, **_details(message)}
            raise busy from exc
        return replace(outcome, room_id=message.room_id)

    def _done(
        self,
        message: Message,
        outcome: Outcome,
        received_at: float | None,
        held: HeldReservation | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Acknowledge an add/edit/delete and book it with what staff read of it."""
        self._complete(
            message.message_id,
            message.reservation_id,
            message.action,
            outcome,
            received_at,
            held,
            details=_details(message) if details is None else details,
        )

    def _own_block_done(self, message: Message, received_at: float | None) -> Outcome:
        """The echo of the product's own block: acknowledged, no calendar write."""
        assert message.reservation_id is not None
        outcome = Outcome(Result.OWN_BLOCK)
        if message.action == "delete" and self._lost_block(message.reservation_id):
            # Gone from Lockme while the ledger says it stands (someone removed it in
            # Lockme's panel): forgotten, so the room's next blocks sync makes it again if
            # an event still covers the slot.
            outcome = replace(outcome, room_id=message.room_id)
        self._done(message, outcome, received_at)
        return outcome

    def _lost_block(self, reservation_id: int) -> bool:
        """Forget a made block Lockme says was deleted; False when the ledger no longer held
        it (the product freed it itself: the delete is the echo of its own write)."""
        record = self.ledger.by_reservation(reservation_id)
        return record is not None and self.ledger.drop(record.extid)

    def _own_block(self, message: Message, payload: Any) -> bool:
        """Whether a message is the echo of a block the product made in Lockme.

        Its ``extid`` says so, or the ledger knows its reservation id; or, for an add whose
        data carries no extid (Lockme's echo may leave it out) and no customer's source,
        the ledger holds the slot, because the echo may arrive before the create's answer
        named the reservation. One Redis round trip for every other message."""
        data = payload.get("data") if isinstance(payload, dict) else None
        extid = data.get("extid") if isinstance(data, dict) else None
        if is_block_extid(extid):
            return True
        assert message.reservation_id is not None and message.room_id is not None
        booking = message.booking
        slot = None
        if message.action == "add" and not extid and booking and booking.source in ("", "api"):
            slot = (message.room_id, booking.date, booking.hour)
        return self.ledger.knows(message.reservation_id, slot)

    def _malformed(
        self, message_id: int, reason: str, payload: Any, received_at: float | None
    ) -> Outcome:
        """Record a message that cannot be read or parsed, and acknowledge it: retrying
        reads the same answer again. The record keeps what replay needs of it at the
        room's privacy level (``booking.replay_payload``); with nothing kept, replay
        reads the message from Lockme again."""
        fields = payload if isinstance(payload, dict) else {}
        reservation = _an_id(fields.get("reservationid"))
        data = fields.get("data")
        room = _an_id(fields.get("roomid")) or _an_id(
            data.get("roomid") if isinstance(data, dict) else None
        )
        logs.annotate(reservation_id=reservation)
        privacy = self.store.routes.route(room).privacy if room else "time_only"
        self.store.failures.record_failure(
            message_id,
            reason,
            payload=replay_payload(payload, privacy),
            reservation_id=reservation,
            kind="malformed",
        )
        # Recorded with what replay works from, so safe to ack.
        self._complete(
            message_id,
            reservation,
            "invalid",
            Outcome(Result.FAILED),
            received_at,
            clear_failure=False,
            details={"room_id": room},
        )
        return Outcome(Result.FAILED)

    def _complete(
        self,
        message_id: int,
        reservation_id: int | None,
        action: str,
        outcome: Outcome,
        received_at: float | None,
        held: HeldReservation | None = None,
        *,
        clear_failure: bool = True,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Acknowledge to Lockme (only ever after the calendar write), then book it.

        ``details`` adds what staff read in the history (room, the booking's own date and
        hour); the customer's name is left out, as the room's privacy level may forbid it.
        """
        started = time.monotonic()
        self.lockme.ack(message_id)
        logs.event("lockme.ack", outcome="acked", duration_ms=logs.elapsed_ms(started))
        metrics.observe_sync_latency(self.store.redis, self.store.keys, received_at)
        entry = {
            "message_id": message_id,
            "reservation_id": reservation_id,
            "action": action,
            "calendar_id": outcome.calendar_id,
            "event_id": outcome.event_id,
            "result": outcome.result,
            **(details or {}),
        }
        if outcome.html_link:
            entry["html_link"] = outcome.html_link
        if received_at is not None:
            entry["latency_s"] = round(max(0.0, time.time() - received_at), 3)
        self.store.messages.finish(message_id, entry, clear_failure=clear_failure, held=held)

    def apply(self, message: Message, held: HeldReservation) -> Outcome:
        """Decide what a validated add/edit/delete means for the calendar, and do it."""
        assert message.reservation_id is not None and message.room_id is not None
        mapping, route, covers = held.mapping, held.route, held.covers
        if message.action == "delete":
            return self._delete(message, mapping, route)
        if mapping and message.message_id < mapping.stamp:
            return Outcome(Result.STALE, mapping.calendar_id, mapping.event_id)
        if mapping and message.message_id == mapping.stamp:
            # Written already; only the ack was lost (a retried job).
            return Outcome(Result.UNCHANGED, mapping.calendar_id, mapping.event_id)
        booking = message.booking
        assert booking is not None
        # A store younger than Lockme's redelivery may have lost a tombstone: a delete that
        # found no event (it overtook its add) leaves no trace in the calendar either.
        young = mapping is None and not covers
        if (mapping and mapping.deleted) or young:
            current = self.lockme.reservation(message.room_id, message.reservation_id)
            if current is None and mapping is None:
                # Deleted, or moved to another room (Lockme answers 404 for the old one):
                # no tombstone, since a live copy may exist that a later message must find.
                return Outcome(Result.IGNORED)
            if current is None:
                assert mapping is not None
                self.store.mappings.save_mapping(replace(mapping, stamp=message.message_id))
                return Outcome(Result.IGNORED, mapping.calendar_id, mapping.event_id)
            booking = confirmed_booking(current, booking)
        # Without a mapping the event may sit in another calendar: an edit may be a room
        # move, and after a lost store even a redelivered add may be older than a move that
        # landed before the loss.
        sweep = message.action == "edit" or young
        return self.upsert(
            booking, message.message_id, mapping, route, sweep=sweep, confirmed=young
        )

    def _delete(self, message: Message, mapping: Mapping | None, route: Route) -> Outcome:
        assert message.reservation_id is not None and message.room_id is not None
        eid = mapping.event_id if mapping else event_id(message.reservation_id)
        if mapping:
            calendars = mapping.calendars()
        else:
            # Store lost or delete before add: the event may be in any calendar we route to.
            calendars = list(dict.fromkeys([route.calendar_id, *self.store.routes.calendars()]))
        removed: list[tuple[str, str]] = []
        for cal in calendars:
            found = self._remove(cal, message.reservation_id, self._known_id(mapping, cal))
            if found:
                removed.append((cal, found))
        calendar_id = mapping.calendar_id if mapping else None
        if removed:
            calendar_id, eid = removed[0]
        self.store.mappings.save_mapping(
            Mapping(
                reservation_id=message.reservation_id,
                room_id=message.room_id,
                calendar_id=calendar_id or route.calendar_id,
                event_id=eid,
                stamp=max(message.message_id, mapping.stamp if mapping else 0),
                deleted=True,
            )
        )
        return Outcome(Result.DELETED if removed else Result.ABSENT, calendar_id, eid)

    @staticmethod
    def _known_id(mapping: Mapping | None, calendar_id: str) -> str | None:
        """The event id the mapping records for this calendar (None: the deterministic one).

        The mapping's id belongs to its calendar; a stray copy was written under the
        deterministic id, or a fallback that :meth:`_remove` finds by its property.
        """
        return mapping.event_id if mapping and mapping.calendar_id == calendar_id else None

    def _remove(self, calendar_id: str, reservation_id: int, known: str | None) -> str | None:
        """Cancel the reservation's event in one calendar; returns the id cancelled, if any.

        By its known id first (one call); when that finds nothing live, the event may live
        under a fallback id (its first one burned by a delete in Calendar's UI), so the
        calendar is searched by the ``lockmeReservationId`` property.
        """
        eid = known or event_id(reservation_id)
        if self.calendar.delete(calendar_id, eid):
            return eid
        removed = None
        for event in self.calendar.list_events(calendar_id, reservation_id=reservation_id):
            if self.calendar.delete(calendar_id, event["id"]):
                removed = event["id"]
        return removed

    # --- writes shared by messages and reconcile ----------------------------------------
    def upsert(
        self,
        booking: Booking,
        stamp: int,
        mapping: Mapping | None,
        route: Route,
        *,
        sweep: bool = False,
        confirmed: bool = False,
    ) -> Outcome:
        """Make the booking's one event exist in its room's calendar with current content.

        ``sweep`` looks in the other calendars first when the mapping cannot say where the
        event is, and removes the copies found there once this one is written.
        ``confirmed`` says the booking was just read from Lockme, so a cancelled copy
        needs no second question.
        """
        target = route.calendar_id
        eid = event_id(booking.reservation_id)
        elsewhere: list[str] = []
        if mapping is None and sweep:
            early, elsewhere = self._look_elsewhere(target, eid, booking, stamp, confirmed)
            if early is not None:
                return early
        if not route.shows(booking):
            # Without a mapping, a swept write cannot tell whether the target has a copy.
            unknown = [target] if mapping is None and sweep else []
            return self._hide(booking, stamp, mapping, route, [*elsewhere, *unknown])
        body = event_body(
            booking,
            route,
            self.settings.tz,
            self.settings.default_duration_minutes,
            stamp,
            self.settings.venue_language,
        )
        previous = mapping.calendars() if mapping else []
        if previous and target not in previous:
            # Write-ahead for a move: see Mapping.strays.
            assert mapping is not None
            self.store.mappings.save_mapping(replace(mapping, strays=(*mapping.strays, target)))
        in_place = mapping is not None and not mapping.deleted and mapping.calendar_id == target
        written = None
        if in_place:
            assert mapping is not None
            eid = mapping.event_id
            written = self.calendar.update(target, eid, _with_id(body, eid))
        if written:
            result = Result.UPDATED
        else:
            result, written, eid = self.place(target, body, booking, stamp, mapping, confirmed)
        if result in (Result.STALE, Result.IGNORED):
            return Outcome(result, target, eid)
        for other in dict.fromkeys([*previous, *elsewhere]):
            if other != target:
                self._remove(other, booking.reservation_id, self._known_id(mapping, other))
                result = Result.MOVED
        self.store.mappings.save_mapping(
            Mapping(booking.reservation_id, booking.room_id, target, eid, stamp, deleted=False)
        )
        return Outcome(result, target, eid, (written or {}).get("htmlLink"))

    def _hide(
        self,
        booking: Booking,
        stamp: int,
        mapping: Mapping | None,
        route: Route,
        suspects: list[str],
    ) -> Outcome:
        """No event for a hold the room leaves out: remove any the booking has, in the
        mapping's calendars and in ``suspects`` (where a copy may be that it does not know).

        The mapping stays live (not a tombstone: the booking exists, and a delete is what
        Lockme's release sends) and keeps the stamp, so the edit that pays it is ordered
        and written by the usual path: an update that finds nothing inserts.
        """
        rid = booking.reservation_id
        known = mapping.calendars() if mapping else []
        for calendar_id in dict.fromkeys([*known, *suspects]):
            self._remove(calendar_id, rid, self._known_id(mapping, calendar_id))
        eid = self._known_id(mapping, route.calendar_id) or event_id(rid)
        self.store.mappings.save_mapping(
            Mapping(rid, booking.room_id, route.calendar_id, eid, stamp, deleted=False)
        )
        return Outcome(Result.HIDDEN, route.calendar_id, eid)

    def _look_elsewhere(
        self, target: str, eid: str, booking: Booking, stamp: int, confirmed: bool
    ) -> tuple[Outcome | None, list[str]]:
        """Check the other calendars before writing: returns an outcome that ends the
        message, or the calendars whose live copies the write supersedes.

        A copy stamped by a newer message makes this one stale: writing it would put back
        an old room (or, for an add, a second event). A cancelled copy means the booking
        was moved or deleted, which a delete does not stamp: only Lockme can tell.
        """
        live: list[str] = []
        cancelled = False
        for other in self.store.routes.calendars():
            existing = None if other == target else self.calendar.get(other, eid)
            if existing is None:
                continue
            if stamp_of(existing) > stamp:
                return Outcome(Result.STALE, other, eid), []
            if _live(existing):
                live.append(other)
            else:
                cancelled = True
        gone = cancelled and not live and not confirmed
        if gone and self.lockme.reservation(booking.room_id, booking.reservation_id) is None:
            self.store.mappings.save_mapping(
                Mapping(booking.reservation_id, booking.room_id, target, eid, stamp, True)
            )
            return Outcome(Result.IGNORED, target, eid), []
        return None, live

    def place(
        self,
        calendar_id: str,
        body: dict[str, Any],
        booking: Booking,
        stamp: int,
        mapping: Mapping | None,
        confirmed: bool,
    ) -> tuple[Result, dict[str, Any] | None, str]:
        """Write the event under its deterministic id or, if that is burned, a fallback.

        Returns the result, the event as written (None when nothing was) and its id. A
        burned id costs a search by property first: the booking may already live under a
        fallback id that a lost mapping no longer names.
        """
        rid = booking.reservation_id
        base = event_id(rid)
        result, written = self._insert(calendar_id, base, body, booking, stamp, mapping, confirmed)
        if result != Result.BURNED:
            return result, written, base
        copies = list(self.calendar.list_events(calendar_id, reservation_id=rid))
        for extra in copies[1:]:
            self.calendar.delete(calendar_id, extra["id"])
        if copies:
            fid = copies[0]["id"]
            if stamp_of(copies[0]) > stamp:
                return Result.STALE, None, fid
            written = self.calendar.update(calendar_id, fid, _with_id(body, fid))
            if written is not None:
                return Result.UPDATED, written, fid
        for generation in range(1, FALLBACK_IDS + 1):
            fid = fallback_id(base, generation)
            result, written = self._insert(
                calendar_id, fid, body, booking, stamp, mapping, confirmed
            )
            if result != Result.BURNED:
                logs.event("calendar.fallback_id", outcome=result, generation=generation)
                return result, written, fid
        raise PermanentError(
            f"reservation {rid}: {FALLBACK_IDS} event ids in a row are burned in its calendar",
            service="google",
        )

    def _insert(
        self,
        calendar_id: str,
        eid: str,
        body: dict[str, Any],
        booking: Booking,
        stamp: int,
        mapping: Mapping | None,
        confirmed: bool,
    ) -> tuple[Result, dict[str, Any] | None]:
        """Insert under ``eid``; a 409 means the event exists (maybe cancelled).

        Returns the result and the event as Google wrote it (None when nothing was written).
        The result is ``Result.BURNED`` when the id is taken by an event that cannot be read or
        updated: one a person deleted in Calendar's UI (Google may also answer so for a
        moment after an insert it has not finished; the caller's search by property then
        finds that event rather than making a second one).
        """
        try:
            return Result.CREATED, self.calendar.insert(calendar_id, _with_id(body, eid))
        except Conflict:
            existing = self.calendar.get(calendar_id, eid)
        if existing is None:
            return Result.BURNED, None
        if stamp_of(existing) > stamp:
            # No mapping is saved for the newer message: only its own job may record it,
            # once all its writes (such as removing the copy in an old room) are done;
            # otherwise its retry would take itself for finished.
            return Result.STALE, None
        if not _live(existing) and mapping is None and not confirmed:
            current = self.lockme.reservation(booking.room_id, booking.reservation_id)
            if current is None:
                self.store.mappings.save_mapping(
                    Mapping(booking.reservation_id, booking.room_id, calendar_id, eid, stamp, True)
                )
                return Result.IGNORED, None
            fresh = confirmed_booking(current, booking)
            route = self.store.routes.route(booking.room_id)
            if not route.shows(fresh):
                return Result.HIDDEN, None  # a hold the room leaves out: stays cancelled
            body = event_body(
                fresh,
                route,
                self.settings.tz,
                self.settings.default_duration_minutes,
                stamp,
                self.settings.venue_language,
            )
        written = self.calendar.update(calendar_id, eid, _with_id(body, eid))
        if written is None:
            return Result.BURNED, None
        return (Result.UPDATED if _live(existing) else Result.RESTORED), written


def _details(message: Message, route: Route | None = None) -> dict[str, Any]:
    """The room, the booking's own date and hour, and the customer's name where the room's
    privacy level shows it in the event (so staff can find the booking by it), for the
    history and for the status page's bookings under way."""
    details: dict[str, Any] = {"room_id": message.room_id}
    if message.booking is not None:
        details["date"] = message.booking.date.isoformat()
        details["hour"] = message.booking.hour.strftime("%H:%M")
        if route is not None:
            shown = template_values(message.booking, route)
            customer = " ".join(filter(None, (shown["name"], shown["surname"])))
            if customer:
                details["customer"] = customer
    return details


def _with_id(body: dict[str, Any], eid: str) -> dict[str, Any]:
    """The event body under ``eid`` (the body is built with the deterministic id)."""
    return body if body.get("id") == eid else {**body, "id": eid}


def _live(event: dict[str, Any] | None) -> bool:
    return event is not None and bool(event) and event.get("status") != "cancelled"


def _an_id(value: Any) -> int | None:
    """``value`` as a Lockme id, or None when it is none."""
    try:
        return positive_id(value, "id")
    except MalformedMessage:
        return None
