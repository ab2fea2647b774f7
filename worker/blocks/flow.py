"""The use case of Calendar → Lockme blocks: sync one blocks calendar into Lockme.

One sync reads what changed in the calendar (``feed``: a sync-token read, or a bounded full
read after a 410), plans the writes that make the rooms' Lockme blocks equal the slots the
blocking events cover (``rules.plan``), and makes them one slot at a time (``writer``), each
idempotent on its own. A crash at any point leaves a state the next sync converges from.

Runs under a per-calendar lock, so a push and a poll never plan one calendar at once; and
only while both services are connected: disconnecting Google stops the sync but leaves
every block in Lockme where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.exceptions import LockError

from worker import logs
from worker.blocks.channels import Channels, ChannelStore
from worker.blocks.feed import Feed, FeedRead, FeedStore
from worker.blocks.ledger import BlockRecord, Ledger
from worker.blocks.rooms import BlockRooms
from worker.blocks.rules import Plan, SlotPlan, Snapshot, plan, slot_key
from worker.blocks.slots import SlotSource
from worker.blocks.writer import Writer, WriteResult
from worker.errors import SyncError, TransientError
from worker.leases import Leases
from worker.runtime import Runtime

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

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class BlocksSync:
    """Everything one runtime needs to keep its rooms' blocks in step with the calendars."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        client, keys = runtime.redis, runtime.keys
        self.rooms = BlockRooms(client, keys)
        self.ledger = Ledger(client, keys)
        self.feed_store = FeedStore(client, keys)
        self.feed = Feed(runtime.calendar, self.feed_store, runtime.settings)
        self.channels = Channels(runtime.calendar, ChannelStore(client, keys), runtime.settings)
        self.slots = SlotSource(runtime.lockme, client, keys)
        slot_leases = Leases(client, keys, lease_s=SLOT_LEASE_S, wait_s=SLOT_WAIT_S)
        self.writer = Writer(runtime.lockme, self.ledger, runtime.store.record_sync, slot_leases)
        # A second sync of a calendar (a person's confirm beside the job) waits briefly,
        # then fails as transient and is retried.
        self.calendar_lock = Leases(client, keys, lease_s=SYNC_LEASE_S, wait_s=SYNC_WAIT_S)

    def _window(self) -> tuple[datetime, datetime]:
        now = datetime.now(UTC)
        return now, now + timedelta(days=self.rt.settings.blocks_horizon_days)

    def _privacy(self, room_ids: list[int]) -> dict[int, str]:
        return {room: self.rt.store.route(room).privacy for room in room_ids}

    def waiting_for(self) -> str:
        """Empty when both services are connected; otherwise which one blocks wait for."""
        for provider in ("google", "lockme"):
            if not self.rt.store.connection(provider)["connected"]:
                return provider
        return ""

    def _plan(self, calendar_id: str, read: FeedRead | None, *, force: bool) -> Plan:
        """The plan of one calendar from its stored snapshot (``read`` says what changed)."""
        now, until = self._window()
        snapshot = self.feed_store.snapshot(calendar_id).values()
        explained: set[str] = set()
        if read is not None and not read.full:
            explained = set(read.changed) | set(read.removed)
        return plan(
            calendar_id,
            self._privacy(self.rooms.rooms_of(calendar_id)),
            [s for s in map(Snapshot.read, snapshot) if s],
            self.ledger.for_calendar(calendar_id),
            self.slots.hours,
            self.rt.settings.tz,
            now=now,
            until=until,
            explained=explained,
            force=force,
            language=self.rt.settings.venue_language,
        )

    def sync(self, calendar_id: str, *, force: bool = False) -> SyncReport:
        """Read the calendar's changes and write them into Lockme (see the module doc).

        ``force`` applies removals the guard would hold: a person confirmed them."""
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
        used = bool(self.rooms.rooms_of(calendar_id))
        read = self.feed.read(calendar_id) if used else None
        report.full = bool(read and read.full)
        # A calendar no room uses any more frees its blocks: a person changed the setting.
        self._apply(self._plan(calendar_id, read, force=force or not used), report)
        if not used:
            self.channels.stop(calendar_id)
            self.feed_store.forget(calendar_id)

    def _apply(self, result: Plan, report: SyncReport) -> None:
        budget = WRITES_PER_RUN
        for move in result.rehome:
            self.ledger.rehome(move.extid, move.event_id, move.title)
            report.rehomed += 1
        if result.held:
            report.held = result.held
            self.rooms.hold(report.calendar_id, result.held, len(result.free))
        else:
            self.rooms.release(report.calendar_id)
            for record in result.free[:budget]:
                self.writer.free(cast(BlockRecord, record))
                report.freed += 1
            budget -= report.freed
        self._forget_stale_conflicts(report.calendar_id, result.create)
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
            self.slots.hours,
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
    ledger = Ledger(runtime.redis, runtime.keys)
    mine = [c for c in ledger.conflicts() if c["room_id"] == room_id]
    for conflict in mine:
        ledger.clear_conflict(room_id, conflict["date"], conflict["hour"])
    return calendar_id if mine or lost_block else None


def _counts(report: SyncReport) -> dict[str, Any]:
    fields = ("created", "freed", "rehomed", "conflicts", "full", "more")
    return {name: getattr(report, name) for name in fields}


def _within(stamp: Any, span: timedelta) -> bool:
    if not isinstance(stamp, str):
        return False
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    return datetime.now(UTC) - moment < span


def sync_calendar(runtime: Runtime, calendar_id: str) -> dict[str, Any]:
    """What the job runs: one sync, and a follow-up run queued when writes were left."""
    from worker.blocks.jobs import request_sync

    report = BlocksSync(runtime).sync(calendar_id)
    if report.more:
        request_sync(runtime, calendar_id)
    return report.as_dict()
