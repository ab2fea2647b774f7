"""What a person does with blocks, from the terminal or the rooms page: look before
turning them on, turn them on, turn them off, and confirm a plan the guards held.

Each step is explicit because it writes into a venue's live Lockme account: turning on
shows what will be written first (``preview``); turning off removes only the reservations
the product made for that room; a held plan is applied only by ``confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from worker.domain.block_rules import SlotPlan
from worker.flows.blocks.calendar_sync import BlocksSync, SyncReport
from worker.flows.blocks.writer import WriteResult
from worker.jobs.blocks_sync import request_sync
from worker.runtime import Runtime


@dataclass(frozen=True)
class Preview:
    """The slots turning blocks on would block, and those a customer holds already."""

    room_id: int
    calendar_id: str
    slots: list[SlotPlan]
    held_by_customers: list[SlotPlan]


def preview(runtime: Runtime, room_id: int, calendar_id: str) -> Preview:
    """Read the calendar and the room's bookings now; nothing is written or stored."""
    planned = BlocksSync(runtime).preview(room_id, calendar_id)
    taken: dict[date, set[str]] = {}
    for day in sorted({p.day for p in planned}):
        taken[day] = {
            str(r.get("hour") or "")[:5] for r in runtime.lockme.reservations(room_id, day)
        }
    held = [p for p in planned if f"{p.hour:%H:%M}" in taken.get(p.day, set())]
    return Preview(room_id, calendar_id, [p for p in planned if p not in held], held)


def turn_on(runtime: Runtime, room_id: int, calendar_id: str) -> str | None:
    """Make ``calendar_id`` the room's blocks calendar and queue its sync; returns the
    calendar it replaced, whose sync (also queued) frees that calendar's blocks of the room."""
    sync = BlocksSync(runtime)
    previous = sync.rooms.calendar_of(room_id)
    sync.rooms.set(room_id, calendar_id)
    request_sync(runtime, calendar_id)
    if previous and previous != calendar_id:
        request_sync(runtime, previous)
    return previous if previous != calendar_id else None


def turn_off(runtime: Runtime, room_id: int) -> int:
    """Stop the room's blocks and remove every block the product made for it (a person
    asked: no guard). Returns how many were removed. The calendar's sync is queued, so a
    channel nobody needs any more is stopped."""
    sync = BlocksSync(runtime)
    calendar_id = sync.rooms.calendar_of(room_id)
    sync.check.ensure([room_id])  # its blocks made before a store loss are removed too
    sync.rooms.clear(room_id)
    freed = sum(
        sync.writer.free(record) == WriteResult.FREED for record in sync.ledger.for_room(room_id)
    )
    if calendar_id:
        request_sync(runtime, calendar_id)
    return freed


def confirm(runtime: Runtime, room_id: int) -> SyncReport | None:
    """Apply the room's calendar's held plan now (None: the room has no blocks). One run
    makes ``WRITES_PER_RUN`` writes; the rest is queued, and those runs finish it without
    asking again (the removals are remembered as approved, the creates no longer wait)."""
    sync = BlocksSync(runtime)
    calendar_id = sync.rooms.calendar_of(room_id)
    if calendar_id is None:
        return None
    report = sync.sync(calendar_id, force=True)
    if report.more:
        request_sync(runtime, calendar_id)
    return report


def stop_push(runtime: Runtime) -> None:
    """Before Google is disconnected: stop every push channel while the grant still works
    (best effort; the blocks stay in Lockme, and a channel Google is not told of expires)."""
    sync = BlocksSync(runtime)
    for calendar_id in sync.rooms.calendars():
        sync.channels.stop(calendar_id)
