"""The use case of Calendar → Lockme blocks: sync one blocks calendar into Lockme.

One sync reads what changed in the calendar (``feed``: a sync-token read, or a bounded full
read after a 410), plans the writes that make the rooms' Lockme blocks equal the slots the
blocking events cover (``rules.plan``), and makes them one slot at a time (``writer``), each
idempotent on its own. A crash at any point leaves a state the next sync converges from.

Runs under a per-calendar lock, so a push and a poll never plan one calendar at once; and
only while both services are connected: disconnecting Google stops the sync but leaves
every block in Lockme where it is.

Planning costs the whole calendar (each event's slots, a slot-settings read per room and
day), so a sync whose read found no event change does not plan again while the last plan
had nothing to write and nothing it was made from moved: the ledger's generation (every
ledger write moves it), the calendar's rooms, and ``SETTLED_S`` of time, which is what
only time changes (the horizon's far end moving on, Lockme's slot settings, cached for up
to an hour anyway) may wait. A read that saw a change drops that mark in the feed's own
transaction (``feed.Settled``).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.exceptions import LockError

from worker.domain.block_rules import Plan, SlotPlan, Snapshot, plan, slot_key
from worker.domain.errors import SyncError, TransientError
from worker.flows.blocks.adopt import ADOPTED, LockmeCheck
from worker.flows.blocks.channels import Channels, ChannelStore
from worker.flows.blocks.feed import Feed, FeedRead, FeedStore, Settled
from worker.flows.blocks.slots import SlotSource
from worker.flows.blocks.writer import Writer, WriteResult
from worker.ops import logs
from worker.runtime import Runtime
from worker.stores.block_ledger import BlockLedger, BlockRecord
from worker.stores.block_rooms import BlockRooms
from worker.stores.leases import Leases

# A calendar's sync holds its lock at most this long after its process died.
SYNC_LEASE_S, SYNC_WAIT_S = 30.0, 5.0
# The lease of one slot's write, and how long another write of that slot waits for it.
SLOT_LEASE_S, SLOT_WAIT_S = 8.0, 10.0
# Writes made by one run at most: the rest wait for the next run, queued at once, so a
# calendar that suddenly covers months of slots never holds a worker for long.
WRITES_PER_RUN = 200
# A slot a customer holds is asked again after this long, or at once when that booking's
# webhook says it changed (``booking_changed``).
CONFLICT_RETRY = timedelta(hours=1)
# How long a plan with nothing to write is trusted while nothing it was made from moves.
SETTLED_S = 600


@dataclass
class SyncReport:
    """What one sync did, for the CLI, the job's result and the tests."""

    calendar_id: str
    skipped: str = ""
    full: bool = False
    created: int = 0
    freed: int = 0
    rehomed: int = 0
    conflicts: int = 0
    held: str | None = None
    more: bool = False
    planned: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class BlocksSync:
    """Everything one runtime needs to keep its rooms' blocks in step with the calendars."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        client, keys = runtime.redis, runtime.keys
        self.rooms = BlockRooms(client, keys)
        self.ledger = BlockLedger(client, keys)
        self.feed_store = FeedStore(client, keys)
        self.feed = Feed(runtime.calendar, self.feed_store, runtime.settings)
        self.channels = Channels(runtime.calendar, ChannelStore(client, keys), runtime.settings)
        self.slots = SlotSource(runtime.lockme, client, keys)
        slot_leases = Leases(client, keys, lease_s=SLOT_LEASE_S, wait_s=SLOT_WAIT_S)
        self.writer = Writer(
            runtime.lockme, self.ledger, runtime.store.history.record_sync, slot_leases
        )
        self.check = LockmeCheck(
            runtime.lockme, self.ledger, self.rooms, slot_leases, runtime.settings
        )
        # A second sync of a calendar (a person's confirm beside the job) waits briefly,
        # then fails as transient and is retried.
        self.calendar_lock = Leases(client, keys, lease_s=SYNC_LEASE_S, wait_s=SYNC_WAIT_S)

    def _window(self) -> tuple[datetime, datetime]:
        now = datetime.now(UTC)
        return now, now + timedelta(days=self.rt.settings.blocks_horizon_days)

    def _privacy(self, room_ids: list[int]) -> dict[int, str]:
        return {room: self.rt.store.routes.route(room).privacy for room in room_ids}

    def waiting_for(self) -> str:
        """Empty when both services are connected; otherwise which one blocks wait for."""
        for provider in ("google", "lockme"):
            if not self.rt.store.connections.connection(provider)["connected"]:
                return provider
        return ""

    def _plan(
        self,
        calendar_id: str,
        read: FeedRead | None,
        explained: set[str],
        *,
        first: bool,
        force: bool,
    ) -> Plan:
        """The plan of one calendar from its stored snapshot (``read`` says what changed).

        ``explained`` (the events whose removal earlier runs were told to finish) gains the
        events an incremental read saw change or go. The creation guard weighs the events
        any read saw appear or move, except on the calendar's ``first`` read: a person
        turned it on after a preview of those very blocks."""
        now, until = self._window()
        snapshot = self.feed_store.snapshot(calendar_id).values()
        sudden: set[str] = set()
        if read is not None:
            if not read.full:
                explained |= set(read.changed) | set(read.removed)
            elif not read.empty:
                # Blocks adopted from Lockme (``adopt``) whose slots no event covers: a full
                # read that found the calendar's events is the first and only account of what
                # happened to theirs. After an empty one, the guard weighs them as any removal.
                explained.add(ADOPTED)
            if not first:
                sudden = set(read.changed)
        waiting = set(self.rooms.waiting_events(calendar_id)) - sudden
        return plan(
            calendar_id,
            self._privacy(self.rooms.rooms_of(calendar_id)),
            [s for s in map(Snapshot.read, snapshot) if s],
            self.ledger.for_calendar(calendar_id),
            # A room's day once per plan, however many events it has.
            functools.cache(self.slots.hours),
            self.rt.settings.tz,
            now=now,
            until=until,
            explained=explained,
            sudden=sudden,
            waiting=waiting,
            force=force,
            language=self.rt.settings.venue_language,
        )

    def sync(self, calendar_id: str, *, force: bool = False) -> SyncReport:
        """Read the calendar's changes and write them into Lockme (see the module doc).

        ``force`` applies what the guards would hold: a person confirmed it."""
        report = SyncReport(calendar_id)
        waiting = self.waiting_for()
        if waiting:
            report.skipped = f"{waiting} is not connected"
            return report
        try:
            with self.calendar_lock(f"blocks-cal:{calendar_id}"):
                self._sync(calendar_id, report, force=force)
        except LockError as exc:
            raise TransientError(f"blocks calendar {calendar_id} is being synced") from exc
        except SyncError as exc:
            self.feed_store.note_error(calendar_id, str(exc))
            raise
        self.feed_store.note_error(calendar_id, "")
        logs.event("blocks.sync", outcome="held" if report.held else "synced", **_counts(report))
        return report

    def _sync(self, calendar_id: str, report: SyncReport, *, force: bool) -> None:
        rooms = tuple(self.rooms.rooms_of(calendar_id))
        # Blocks made before a store loss are adopted before the first plan (``adopt``).
        self.check.ensure(list(rooms))
        used = bool(rooms)
        first = not self.feed_store.state(calendar_id).get("synced_at")
        read = self._read(calendar_id) if used else None
        report.full = bool(read and read.full)
        if used and not force and self._settled(calendar_id, rooms):
            return
        generation = self.ledger.generation()
        explained = set(self.rooms.approved(calendar_id))
        # A calendar no room uses any more frees its blocks: a person changed the setting.
        result = self._plan(calendar_id, read, explained, first=first, force=force or not used)
        report.planned = True
        self._apply(result, report, explained)
        if used and not result.held and not result.creates_held:
            # Any write the plan made moved the generation past this: the next sync plans
            # once more, and settles when that plan writes nothing.
            until = time.time() + SETTLED_S
            self.feed_store.settle(calendar_id, Settled(generation, rooms, until))
        if not used:
            self.channels.stop(calendar_id)
            self.feed_store.forget(calendar_id)

    def _read(self, calendar_id: str) -> FeedRead:
        """Open or renew the calendar's push channel, then read: a channel pushes only the
        changes made after it opened, so a read that starts after it leaves no gap between
        the two (Google's sync guide advises the same). The read is recorded against that
        channel; until then the calendar is not counted as pushed (``Channels.pushed``)."""
        try:
            channel = self.channels.ensure(calendar_id)
        except SyncError as exc:  # Google down: the read below fails too, or polling covers it
            logs.event("blocks.push", outcome="ensure_failed", reason=type(exc).__name__)
            channel = self.channels.store.current(calendar_id)
        read = self.feed.read(calendar_id)
        self.channels.store.mark_read(calendar_id, channel)
        return read

    def _settled(self, calendar_id: str, rooms: tuple[int, ...]) -> bool:
        """Whether the last plan still holds: no change read since (the feed drops the mark),
        no ledger write, the same rooms, and not older than ``SETTLED_S``."""
        mark = self.feed_store.settled(calendar_id)
        return (
            mark is not None
            and mark.rooms == rooms
            and mark.generation == self.ledger.generation()
            and time.time() < mark.until
        )

    def _apply(self, result: Plan, report: SyncReport, explained: set[str]) -> None:
        """Make the plan's writes, up to ``WRITES_PER_RUN``, and keep what waits: the held
        parts for a person, and the approved removals left for the next runs (which then
        apply them without asking: a change staff made is applied whole)."""
        budget = WRITES_PER_RUN
        for move in result.rehome:
            self.ledger.rehome(move.extid, move.event_id)
            report.rehomed += 1
        report.held = "; ".join(r for r in (result.held, result.creates_held) if r) or None
        if report.held:
            self.rooms.hold(
                report.calendar_id,
                report.held,
                len(result.free) if result.held else 0,
                len(result.held_creates),
                {p.event_id for p in result.held_creates},
            )
        else:
            self.rooms.release(report.calendar_id)
        if result.held:
            left = [r for r in result.free if r.event_id in explained]
        else:
            for record in result.free[:budget]:
                self.writer.free(cast(BlockRecord, record))
                report.freed += 1
            budget -= report.freed
            left = result.free[report.freed :]
        self.rooms.keep_approved(report.calendar_id, {r.event_id for r in left})
        self._forget_stale_conflicts(report.calendar_id, result.create + result.held_creates)
        due = self._due(result.create)
        for slot in due[:budget]:
            outcome = self.writer.block(slot)
            report.created += outcome == WriteResult.BLOCKED
            report.conflicts += outcome == WriteResult.CONFLICT
        report.more = len(due) > budget or (not result.held and len(result.free) > WRITES_PER_RUN)

    def _forget_stale_conflicts(self, calendar_id: str, creates: list[SlotPlan]) -> None:
        """A conflict of a slot no event covers any more is no longer anyone's business."""
        wanted = {p.slot for p in creates}
        for conflict in self.ledger.conflicts():
            key = slot_key(conflict["room_id"], conflict["date"], conflict["hour"])
            if conflict.get("calendar_id") == calendar_id and key not in wanted:
                self.ledger.clear_conflict(conflict["room_id"], conflict["date"], conflict["hour"])

    def _due(self, creates: list[SlotPlan]) -> list[SlotPlan]:
        """The creates to try now: a slot a customer held a short while ago is asked again
        only after ``CONFLICT_RETRY`` (or when its booking's webhook clears the conflict),
        so a steady calendar makes no Lockme write per sync for a slot it cannot have."""
        recent = {
            slot_key(c["room_id"], c["date"], c["hour"])
            for c in self.ledger.conflicts()
            if _within(c.get("at"), CONFLICT_RETRY)
        }
        return [p for p in creates if p.slot not in recent]

    def preview(self, room_id: int, calendar_id: str) -> list[SlotPlan]:
        """The slots turning blocks on would block, read now; nothing is stored or written."""
        now, until = self._window()
        items, _ = self.rt.calendar.changes(calendar_id, None, now - timedelta(days=1), until)
        events = [s for s in (Snapshot.from_event(e, self.rt.settings.tz) for e in items) if s]
        made = [r for r in self.ledger.for_room(room_id) if r.calendar_id == calendar_id]
        result = plan(
            calendar_id,
            self._privacy([room_id]),
            events,
            made,
            functools.cache(self.slots.hours),
            self.rt.settings.tz,
            now=now,
            until=until,
            force=True,
            language=self.rt.settings.venue_language,
        )
        return result.create


def booking_changed(runtime: Runtime, room_id: int, *, lost_block: bool = False) -> str | None:
    """A booking of ``room_id`` changed: a slot a customer held may be free now, or (with
    ``lost_block``) one of the product's blocks was removed in Lockme.

    The room's conflicts are asked again at the next sync; returns the calendar to sync,
    or None (no blocks in that room, nothing to redo: no work, two Redis reads)."""
    calendar_id = BlockRooms(runtime.redis, runtime.keys).calendar_of(room_id)
    if calendar_id is None:
        return None
    ledger = BlockLedger(runtime.redis, runtime.keys)
    mine = [c for c in ledger.conflicts() if c["room_id"] == room_id]
    for conflict in mine:
        ledger.clear_conflict(room_id, conflict["date"], conflict["hour"])
    return calendar_id if mine or lost_block else None


def _counts(report: SyncReport) -> dict[str, Any]:
    fields = ("created", "freed", "rehomed", "conflicts", "full", "more", "planned")
    return {name: getattr(report, name) for name in fields}


def _within(stamp: Any, span: timedelta) -> bool:
    if not isinstance(stamp, str):
        return False
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    return datetime.now(UTC) - moment < span
