"""Blocks bounded by design: what a huge or hostile calendar can cost the venue.

- A change that would suddenly block many slots waits for a person, as a mass removal does;
  once confirmed it is made whole, in as many runs as it takes.
- A removal staff caused (an event deleted) is applied whole without asking again, and so
  is one a person confirmed.
- A title of any length is kept once per event and cut to what is shown, so Redis and
  ``status --json`` stay small (asserted in bytes).

Against the fakes of Google and Lockme on loopback and a real Redis, through the product's
own sync and its jobs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import connected_runtime, drain, make_settings
from worker.domain.block_rules import TITLE_LIMIT
from worker.domain.identity import is_block_extid
from worker.flows.blocks import control
from worker.flows.blocks.calendar_sync import WRITES_PER_RUN, BlocksSync, SyncReport
from worker.ops import status
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.block_rooms import BlockRooms

CAL = "closed@group.calendar.google.com"
ROOM = 101
TZ = ZoneInfo("Europe/Warsaw")
HORIZON_DAYS = 30  # 270 slots: more than one run's writes (WRITES_PER_RUN)


@pytest.fixture
def runtime(redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> Iterator[Runtime]:
    settings = make_settings(
        redis_url, fake_lockme, fake_google, BLOCKS_HORIZON_DAYS=str(HORIZON_DAYS)
    )
    with connected_runtime(settings, fake_lockme, fake_google) as rt:
        fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
        fake_google.add_calendar(CAL, "Closed", "owner")
        BlockRooms(rt.redis, rt.keys).set(ROOM, CAL)
        yield rt


def local(days: int, hour: int) -> datetime:
    day = datetime.now(TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def lockme_blocks(fake: FakeLockme) -> list[dict[str, Any]]:
    return [r for r in fake.live_reservations().values() if is_block_extid(r.get("extid"))]


def sync_until_done(runtime: Runtime) -> list[SyncReport]:
    """Run the calendar's sync as its job does, again while it has writes left."""
    reports = []
    for _ in range(50):
        reports.append(BlocksSync(runtime).sync(CAL))
        if not reports[-1].more:
            return reports
    raise AssertionError("the sync never finished its writes")


def held(runtime: Runtime) -> list[dict[str, Any]]:
    return BlockRooms(runtime.redis, runtime.keys).held()


def test_a_change_that_blocks_weeks_at_once_waits_then_is_made_whole(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Inspection", local(1, 10), local(1, 11))
    sync_until_done(runtime)  # turned on: the first read's blocks were previewed
    assert len(lockme_blocks(fake_lockme)) == 1
    # An event over the whole horizon, accepted or typed by mistake: nothing is written.
    fake_google.staff_event(CAL, "Closed", local(2, 0), local(HORIZON_DAYS + 5, 0))
    report = BlocksSync(runtime).sync(CAL)
    assert report.created == 0 and report.held and "would be blocked at once" in report.held
    assert len(lockme_blocks(fake_lockme)) == 1
    [plan] = held(runtime)
    waiting = plan["creates"]
    assert waiting > WRITES_PER_RUN and plan["frees"] == 0
    # Staff's everyday changes still reach Lockme meanwhile; the long one keeps waiting.
    fake_google.staff_event(CAL, "Supplier", local(1, 13), local(1, 14))
    assert BlocksSync(runtime).sync(CAL).created == 1
    assert [h["creates"] for h in held(runtime)] == [waiting]
    # A person confirms: the first run, then the queued ones, without asking again.
    done = control.confirm(runtime, ROOM)
    assert done is not None and done.created == WRITES_PER_RUN and done.more
    drain(runtime)
    assert len(lockme_blocks(fake_lockme)) == 2 + waiting
    assert held(runtime) == []
    assert not any(r.created or r.held for r in sync_until_done(runtime))


def closed_to_the_horizon(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> tuple[str, int]:
    """A calendar turned on with one event over the whole horizon, blocked: its id and
    how many blocks it made (more than one run writes)."""
    closed = fake_google.staff_event(CAL, "Closed", local(0, 0), local(HORIZON_DAYS + 5, 0))
    sync_until_done(runtime)
    made = len(lockme_blocks(fake_lockme))
    assert made > WRITES_PER_RUN
    return closed, made


def test_a_deleted_event_s_blocks_are_all_freed_without_asking(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    closed, made = closed_to_the_horizon(runtime, fake_lockme, fake_google)
    # Staff delete it: the read explains every removal, however many runs they take.
    fake_google.delete_staff_event(CAL, closed)
    reports = sync_until_done(runtime)
    assert [r.held for r in reports] == [None] * len(reports) and len(reports) > 1
    assert sum(r.freed for r in reports) == made
    assert lockme_blocks(fake_lockme) == [] and held(runtime) == []


def test_a_confirmed_removal_is_applied_whole(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    closed, made = closed_to_the_horizon(runtime, fake_lockme, fake_google)
    # Gone while the sync token went stale: the full read cannot tell why, so it waits.
    fake_google.delete_staff_event(CAL, closed)
    fake_google.invalidate_sync_tokens()
    assert BlocksSync(runtime).sync(CAL).held
    assert [h["frees"] for h in held(runtime)] == [made]
    done = control.confirm(runtime, ROOM)
    assert done is not None and done.freed == WRITES_PER_RUN and done.more
    drain(runtime)
    assert lockme_blocks(fake_lockme) == [] and held(runtime) == []


def blocks_bytes(runtime: Runtime) -> int:
    """What the blocks keep in Redis, as Redis counts it (every key of the venue's blocks)."""
    keys = runtime.redis.keys(runtime.keys.blocks_made.replace("blocks:made", "blocks:*"))
    return sum(int(runtime.redis.memory_usage(key, samples=0) or 0) for key in keys)


def status_json_bytes(runtime: Runtime) -> int:
    """``lockme-sync status --json``'s output, as the command prints it."""
    return len(json.dumps(status.snapshot(runtime), indent=2, default=str).encode())


def test_a_huge_title_is_kept_once_and_cut_so_redis_and_status_stay_small(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    short = fake_google.staff_event(CAL, "Closed", local(0, 0), local(HORIZON_DAYS + 5, 0))
    sync_until_done(runtime)
    made = len(lockme_blocks(fake_lockme))
    assert made > 100
    small_redis, small_status = blocks_bytes(runtime), status_json_bytes(runtime)
    # The same event with a 10,000-character title, on a calendar turned on anew.
    fake_google.delete_staff_event(CAL, short)
    control.turn_off(runtime, ROOM)
    sync_until_done(runtime)
    assert lockme_blocks(fake_lockme) == []
    BlockRooms(runtime.redis, runtime.keys).set(ROOM, CAL)
    title = "Z" * 10_000
    fake_google.staff_event(CAL, title, local(0, 0), local(HORIZON_DAYS + 5, 0))
    sync_until_done(runtime)
    assert len(lockme_blocks(fake_lockme)) == made
    # Redis keeps the title once (cut), not once per block: a few hundred bytes more.
    assert blocks_bytes(runtime) - small_redis < 1_000
    # status --json shows each block's title cut to what the page and the label show.
    assert status_json_bytes(runtime) - small_status <= made * TITLE_LIMIT
    shown = {b["title"] for b in status.snapshot(runtime)["blocks"]["list"]}
    assert shown == {"Z" * TITLE_LIMIT}
    label = lockme_blocks(fake_lockme)[0]["name"]
    assert label.endswith(": " + "Z" * TITLE_LIMIT)
