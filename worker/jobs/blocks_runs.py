"""The blocks jobs' bodies: a calendar's sync, the poll, and the daily check against Lockme.

Apart from the requests' side (``worker.jobs.blocks_sync``), which the web tier uses to ask
for a sync and which must not import the use case: these run it.
"""

from __future__ import annotations

import time
from typing import Any

from worker.flows.blocks.calendar_sync import BlocksSync
from worker.jobs import schedules
from worker.jobs.blocks_sync import request_sync, run_sync
from worker.jobs.schedules import POLL_S
from worker.runtime import Runtime


def sync_calendar_job(runtime: Runtime, calendar_id: str) -> None:
    """A calendar's sync, as one run of the requests' protocol (``run_sync``)."""
    run_sync(runtime, calendar_id, _sync_once)


def _sync_once(runtime: Runtime, calendar_id: str) -> dict[str, Any]:
    """One sync, and a follow-up run queued when writes were left for it."""
    report = BlocksSync(runtime).sync(calendar_id)
    if report.more:
        request_sync(runtime, calendar_id)
    return report.as_dict()


# A calendar without a live push channel is read at each poll (``POLL_S``), one with a
# channel only as a safety net (a push Google never sent, or one lost).
SAFETY_NET_S = 600
# A calendar without a live channel is read at a poll unless something else read it this
# recently. Half an interval, not "almost one": each poll and each sync starts up to a
# second or more late (the scheduler's tick, a busy worker, a retried list call), so the
# last poll's read may be a little under one interval old, and skipping it made every
# other poll a no-op (changes waited a minute; ``python -m bench.twoway``).
RECENTLY_READ_S = POLL_S / 2


def due_calendars(runtime: Runtime, now: float | None = None) -> list[str]:
    """The calendars to read now: those whose channel is to be opened or renewed (their
    sync does it, then reads), those not pushed (``ChannelStore.pushed``) at every poll,
    the rest after ``SAFETY_NET_S``, and calendars no room uses any more that still have
    blocks (their sync frees them). Redis reads only: Google is called by the syncs."""
    sync = BlocksSync(runtime)
    if sync.waiting_for():
        return []
    now = time.time() if now is None else now
    used = sync.rooms.calendars()
    orphans = {r.calendar_id for r in sync.ledger.all()} - set(used)
    due = sorted(orphans)
    store = sync.channels.store
    for calendar_id in used:
        synced = float(sync.feed_store.state(calendar_id).get("synced_at") or 0)
        if sync.channels.due(calendar_id, now):
            wait = 0.0  # its sync opens or renews the channel, then reads
        elif store.pushed(calendar_id, now):
            wait = SAFETY_NET_S
        elif store.live(calendar_id, now):
            wait = 0.0  # no read has started under it: a change before it reached neither
        else:
            wait = RECENTLY_READ_S
        if now - synced >= wait:
            due.append(calendar_id)
    return due


def poll_blocks_job(runtime: Runtime, reschedule: bool = False) -> list[str]:
    """The poll's job: asks for the syncs that are due. ``reschedule``: the
    run is a periodic slot's, which runs once however many jobs were made for it
    (``worker.jobs.schedules``, which also keeps the next slot scheduled)."""
    if reschedule and not schedules.claim_slot(runtime):
        return []
    due = due_calendars(runtime)
    for calendar_id in due:
        request_sync(runtime, calendar_id)
    return due


def check_blocks_job(runtime: Runtime, reschedule: bool = False) -> dict[str, Any]:
    """The daily check's job: checks every blocks room and asks for a sync of
    each calendar that gained a block (its plan keeps or frees it). ``reschedule``: the run
    is a periodic slot's, which runs once however many jobs were made for it
    (``worker.jobs.schedules``, which also keeps the next slot scheduled)."""
    if reschedule and not schedules.claim_slot(runtime):
        return {"skipped": "the slot ran already"}
    sync = BlocksSync(runtime)
    waiting = sync.waiting_for()
    if waiting:
        return {"skipped": f"{waiting} is not connected"}
    report = sync.check.check(sorted(sync.rooms.all()))
    for calendar_id in sorted(report.calendars):
        request_sync(runtime, calendar_id)
    return report.as_dict()
