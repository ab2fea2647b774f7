"""Blocks survive a store loss: the product's reservations in Lockme are the truth of what it
made. Redis is flushed under blocks already made; once the connections and the room's blocks
setting are back, the next sync adopts them, frees those of events deleted meanwhile, asks
for no slot twice and leaves customers' reservations alone. The daily check finds a block
the ledger lost, and the status says when the blocks were last checked.

Against the fakes on loopback and a real Redis, through the product's own sync and jobs.
"""

from __future__ import annotations

import re
import time
from datetime import time as dtime

from rq.registry import ScheduledJobRegistry

from tests import test_blocks_flow, test_web
from tests.conftest import connect_both, drain
from tests.test_web import Staff
from worker import entrypoints
from worker.domain.block_rules import GUARD_MAX_FREES, MADE
from worker.flows.blocks import control
from worker.flows.blocks.adopt import ADOPTED, Found
from worker.flows.blocks.calendar_sync import BlocksSync
from worker.jobs import schedules
from worker.jobs.job_names import CHECK_JOB
from worker.jobs.schedules import CHECK_S
from worker.ops import blocks_report
from worker.ops.status import queue_stats
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.block_rooms import BlockRooms

web_client = test_web.web_client
staff = test_web.staff

venue = test_blocks_flow.venue
blocks = test_blocks_flow.blocks
local = test_blocks_flow.local
CAL, ROOM = test_blocks_flow.CAL, test_blocks_flow.ROOM


def slot(days: int, hour: str) -> str:
    return f"{local(days, 0).date().isoformat()} {hour}"


def puts(fake: FakeLockme) -> int:
    return fake.count("PUT", r"/reservation$")


def lose_store(runtime: Runtime, lockme: FakeLockme, google: FakeGoogle) -> None:
    """Redis loses every key (a failover to an empty replica); a person connects both
    services again and sets the room's blocks calendar again, as after a fresh install."""
    runtime.redis.flushdb()
    connect_both(runtime, lockme, google)
    BlockRooms(runtime.redis, runtime.keys).set(ROOM, CAL)


def test_after_a_store_loss_an_event_deleted_meanwhile_is_freed_and_the_rest_adopted(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    keep = fake_google.staff_event(CAL, "Keep", local(1, 9), local(1, 12))
    gone = fake_google.staff_event(CAL, "Gone", local(2, 9), local(2, 12))
    venue.sync(CAL)
    before = blocks(fake_lockme)
    assert sorted(before) == [
        slot(1, "10:00"),
        slot(1, "11:30"),
        slot(2, "10:00"),
        slot(2, "11:30"),
    ]
    lose_store(runtime, fake_lockme, fake_google)
    fake_google.delete_staff_event(CAL, gone)
    # Added meanwhile, starting earlier over Keep's slots: the plan would pick it for them.
    earlier = fake_google.staff_event(CAL, "Earlier", local(1, 8), local(1, 12))
    made = puts(fake_lockme)
    sync = BlocksSync(runtime)
    report = sync.sync(CAL)
    kept = blocks(fake_lockme)
    assert sorted(kept) == [slot(1, "10:00"), slot(1, "11:30")]
    assert report.freed == 2 and report.held is None
    # Adopted, not asked for again: no create, no slot reported as a customer's.
    assert puts(fake_lockme) == made and report.conflicts == 0 and sync.ledger.conflicts() == []
    records = sync.ledger.all()
    assert {r.reservation_id for r in records} == {int(r["reservationid"]) for r in kept.values()}
    assert all(r.state == MADE and r.event_id == earlier for r in records)
    # From then on they are blocks like any other: handed on, then freed with their events.
    fake_google.delete_staff_event(CAL, earlier)
    assert sync.sync(CAL).freed == 0 and sorted(blocks(fake_lockme)) == sorted(kept)
    assert {r.event_id for r in sync.ledger.all()} == {keep}
    fake_google.delete_staff_event(CAL, keep)
    assert sync.sync(CAL).freed == 2 and blocks(fake_lockme) == {}
    assert puts(fake_lockme) == made


def test_a_customer_s_reservation_is_never_adopted_or_freed(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    day = local(1, 0).date().isoformat()
    # One in a slot the event covers (a conflict), one another integration marked as its own.
    ada, _ = fake_lockme.create_reservation(ROOM, day, "13:00:00", name="Ada")
    other, _ = fake_lockme.create_reservation(ROOM, day, "14:30:00", name="Bo", extid="wp-77")
    gone = fake_google.staff_event(CAL, "Gone", local(1, 9), local(1, 16))
    venue.sync(CAL)
    assert sorted(blocks(fake_lockme)) == [slot(1, "10:00"), slot(1, "11:30")]
    customers = {rid: fake_lockme.live_reservations()[rid] for rid in (ada, other)}
    lose_store(runtime, fake_lockme, fake_google)
    fake_google.delete_staff_event(CAL, gone)
    fake_google.staff_event(CAL, "Elsewhere", local(3, 9), local(3, 11))
    sync = BlocksSync(runtime)
    sync.sync(CAL)
    assert sorted(blocks(fake_lockme)) == [slot(3, "10:00")]
    live = fake_lockme.live_reservations()
    assert {rid: live.get(rid) for rid in customers} == customers
    assert not {ada, other} & {r.reservation_id for r in sync.ledger.all()}


def closed_days_then_lost(
    venue: BlocksSync, runtime: Runtime, lockme: FakeLockme, google: FakeGoogle, deleted: int
) -> int:
    """Three days closed from 9 to 23 (more blocks than the guard lets go at once), then the
    store lost and the first ``deleted`` of those events deleted meanwhile; the blocks made."""
    ids = [google.staff_event(CAL, "Closed", local(d, 9), local(d, 23)) for d in (1, 2, 3)]
    venue.sync(CAL)
    made = len(blocks(lockme))
    assert made > GUARD_MAX_FREES
    lose_store(runtime, lockme, google)
    for eid in ids[:deleted]:
        google.delete_staff_event(CAL, eid)
    return made


def test_after_a_store_loss_an_empty_read_holds_the_mass_free_for_a_person(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    made = closed_days_then_lost(venue, runtime, fake_lockme, fake_google, deleted=3)
    sync = BlocksSync(runtime)
    report = sync.sync(CAL)
    # The calendar reads empty: that is what the guard distrusts, adopted blocks or not.
    assert report.held and report.freed == 0 and len(blocks(fake_lockme)) == made
    assert [h["calendar_id"] for h in sync.rooms.held()] == [CAL]
    assert all(r.event_id == ADOPTED for r in sync.ledger.all())
    confirmed = control.confirm(runtime, ROOM)
    assert confirmed is not None and confirmed.freed == made and blocks(fake_lockme) == {}


def test_after_a_store_loss_a_read_with_events_frees_many_adopted_blocks_at_once(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    closed_days_then_lost(venue, runtime, fake_lockme, fake_google, deleted=2)
    report = BlocksSync(runtime).sync(CAL)
    # The full read found the calendar's events: nothing better explains the rest going.
    assert report.held is None and report.freed > GUARD_MAX_FREES / 2
    assert {key.split()[0] for key in blocks(fake_lockme)} == {local(3, 0).date().isoformat()}


def test_turning_a_room_off_after_a_store_loss_removes_its_earlier_blocks(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 12))
    venue.sync(CAL)
    assert len(blocks(fake_lockme)) == 2
    lose_store(runtime, fake_lockme, fake_google)
    assert control.turn_off(runtime, ROOM) == 2
    assert blocks(fake_lockme) == {}


def test_the_daily_check_adopts_a_block_the_ledger_lost_and_its_sync_frees_it(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Keep", local(1, 9), local(1, 23))
    gone = fake_google.staff_event(CAL, "Gone", local(2, 9), local(2, 12))
    venue.sync(CAL)
    lost = [r for r in venue.ledger.all() if r.event_id == gone]
    assert len(lost) == 2
    for record in lost:
        venue.ledger.drop(record.extid)  # their records gone, their blocks still in Lockme
    fake_google.delete_staff_event(CAL, gone)
    venue.sync(CAL)
    assert slot(2, "10:00") in blocks(fake_lockme)  # nothing knows them any more
    result = entrypoints.check_blocks()
    assert result["adopted"] == 2 and result["calendars"] == [CAL]
    drain(runtime)  # the sync the check asked for
    assert not {slot(2, "10:00"), slot(2, "11:30")} & set(blocks(fake_lockme))
    assert len(blocks(fake_lockme)) == 9


def test_the_daily_check_is_scheduled_once_as_maintenance(
    venue: BlocksSync, runtime: Runtime
) -> None:
    schedules.ensure(runtime)
    schedules.ensure(runtime)  # a second worker's maintenance pass
    mark = (int(time.time()) // CHECK_S + 1) * CHECK_S
    ids = ScheduledJobRegistry(queue=runtime.queue).get_job_ids()
    assert [jid for jid in ids if CHECK_JOB in jid] == [runtime.keys.job(f"{CHECK_JOB}{mark}")]
    stats = queue_stats(runtime)
    assert stats["maintenance"] == len(schedules.PERIODIC) and stats["retrying"] == 0


def test_status_says_when_blocks_were_last_checked_against_lockme(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 12))
    venue.sync(CAL)
    # An established store does not hold a room's first sync back for the read: the daily
    # check reads it.
    assert fake_lockme.count("GET", r"/reservations/") == 0
    assert blocks_report.snapshot(runtime)["last_checked_at"] is None
    entrypoints.check_blocks()
    checked = blocks_report.snapshot(runtime)["last_checked_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", checked)
    lose_store(runtime, fake_lockme, fake_google)
    assert blocks_report.snapshot(runtime)["last_checked_at"] is None


def test_the_status_page_says_when_blocks_were_last_checked(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    test_web.connect(client, "lockme")
    test_web.connect(client, "google")
    holidays = "holidays@group.calendar.google.com"
    BlockRooms(web_runtime.redis, web_runtime.keys).set(ROOM, holidays)
    page = client.get("/status").get_data(as_text=True)
    assert "Not checked against the reservations in Lockme yet" in page
    BlocksSync(web_runtime).sync(holidays)
    page = client.get("/status").get_data(as_text=True)
    assert "Checked against the reservations in Lockme: " in page
    polish = client.get("/status?lang=pl").get_data(as_text=True)
    assert "Sprawdzono z rezerwacjami w Lockme: " in polish


def test_a_block_gone_from_lockme_after_the_date_s_list_is_not_adopted(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    """The date's list may be older than the adoption: a block freed (or deleted in Lockme's
    panel) in between must not come back as a record of a reservation that is gone."""
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 11))
    venue.sync(CAL)
    (record,) = venue.ledger.all()
    listed = Found(
        record.extid,
        record.room_id,
        local(1, 0).date(),
        dtime.fromisoformat(record.hour),
        record.reservation_id,
    )
    venue.ledger.drop(record.extid)
    assert record.reservation_id is not None
    fake_lockme.delete_reservation(record.reservation_id)
    assert venue.check._adopt(listed, CAL) is False
    assert venue.ledger.all() == []
