"""Syncing a blocks calendar end to end: the fakes of Google and Lockme on loopback, the
real Redis, the product's own flow. What staff do in Google ends as exactly the blocks
Lockme should hold, with one Lockme write per change and nobody else's reservation touched."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import drain
from worker.domain.block_rules import GUARD_MAX_FREES
from worker.domain.identity import is_block_extid
from worker.domain.wording import VENUE_WORDS
from worker.flows.blocks.calendar_sync import BlocksSync, booking_changed
from worker.flows.reconcile import Reconciler
from worker.jobs.queue import enqueue_message
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.block_rooms import BlockRooms

BLOCK_LABEL = VENUE_WORDS["en"].block_label

CAL = "blocks@group.calendar.google.com"
ROOM, OTHER = 101, 102
TZ = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def venue(runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> BlocksSync:
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    fake_lockme.add_room(OTHER, "Bank Heist")
    fake_google.add_calendar(CAL, "Closed", "owner")
    BlockRooms(runtime.redis, runtime.keys).set(ROOM, CAL)
    return BlocksSync(runtime)


def local(days: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def blocks(fake: FakeLockme, room: int = ROOM) -> dict[str, dict[str, Any]]:
    """The product's reservations in Lockme, by slot ``date hour``."""
    found = {}
    for r in fake.live_reservations().values():
        if int(r["roomid"]) == room and is_block_extid(r.get("extid")):
            slot = f"{r['date']} {r['hour'][:5]}"
            assert slot not in found, f"two blocks in {slot}"
            found[slot] = r
    return found


def writes(fake: FakeLockme) -> int:
    return fake.count("PUT", r"/reservation$") + fake.count("DELETE", r"/reservation/")


def test_a_staff_event_blocks_each_slot_starting_inside_it(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Boiler service", local(1, 11), local(1, 14))
    report = venue.sync(CAL)
    day = local(1, 0).date().isoformat()
    made = blocks(fake_lockme)
    # Default slots 10:00, 11:30, 13:00, 14:30 …: 11:30 and 13:00 start inside 11:00-14:00.
    assert sorted(made) == [f"{day} 11:30", f"{day} 13:00"]
    assert report.created == 2 and report.full
    block = made[f"{day} 11:30"]
    assert block["name"] == f"{BLOCK_LABEL}: Boiler service"
    assert int(block["people"] or 0) == 0 and float(block["price"] or 0) == 0
    assert writes(fake_lockme) == 2


def test_a_steady_calendar_costs_one_incremental_list_and_no_lockme_write(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Closed", local(2, 9), local(2, 23))
    venue.sync(CAL)
    before, lists = writes(fake_lockme), fake_google.count("GET", r"/events$")
    report = venue.sync(CAL)
    assert writes(fake_lockme) == before
    assert fake_google.count("GET", r"/events$") == lists + 1
    assert not report.full and report.created == report.freed == 0


def test_a_moved_event_frees_what_it_left_and_blocks_what_it_covers_now(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    eid = fake_google.staff_event(CAL, "Party", local(1, 10), local(1, 12))
    venue.sync(CAL)
    day = local(1, 0).date().isoformat()
    assert sorted(blocks(fake_lockme)) == [f"{day} 10:00", f"{day} 11:30"]
    before = writes(fake_lockme)
    fake_google.move_staff_event(CAL, eid, local(1, 11), local(1, 14))
    venue.sync(CAL)
    assert sorted(blocks(fake_lockme)) == [f"{day} 11:30", f"{day} 13:00"]
    # One delete for 10:00, one create for 13:00; 11:30 kept as it was.
    assert writes(fake_lockme) == before + 2
    fake_google.delete_staff_event(CAL, eid)
    venue.sync(CAL)
    assert blocks(fake_lockme) == {}


def test_free_declined_and_own_booking_events_never_block(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Free", local(1, 9), local(1, 23), transparency="transparent")
    fake_google.staff_event(CAL, "Declined", local(1, 9), local(1, 23), invitation="declined")
    # The room's bookings go to the same calendar: its booking events must not come back.
    runtime.store.routes.set_route(replace(runtime.store.routes.route(ROOM), calendar_id=CAL))
    rid, _ = fake_lockme.create_reservation(ROOM, local(3, 0).date().isoformat(), "13:00:00")
    assert rid
    drain(runtime)
    assert any(e.get("status") != "cancelled" for e in fake_google.events(CAL))
    venue.sync(CAL)
    assert blocks(fake_lockme) == {}
    assert writes(fake_lockme) == 0


def test_an_outsider_s_invitation_blocks_only_while_the_owner_accepts_it(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    # Anyone can invite the calendar: unanswered, it closes nothing, however long.
    invite = fake_google.staff_event(
        CAL, "Join us", local(1, 9), local(95, 23), invitation="needsAction"
    )
    venue.sync(CAL)
    assert blocks(fake_lockme) == {} and writes(fake_lockme) == 0
    small = fake_google.staff_event(
        CAL, "Supplier visit", local(2, 11), local(2, 12), invitation="needsAction"
    )
    venue.sync(CAL)
    assert blocks(fake_lockme) == {}
    fake_google.answer_invitation(CAL, small, "accepted")
    venue.sync(CAL)
    day = local(2, 0).date().isoformat()
    assert sorted(blocks(fake_lockme)) == [f"{day} 11:30"]
    # "Maybe" is not yes: the block goes.
    fake_google.answer_invitation(CAL, small, "tentative")
    venue.sync(CAL)
    assert blocks(fake_lockme) == {}
    fake_google.answer_invitation(CAL, invite, "declined")
    venue.sync(CAL)
    assert writes(fake_lockme) == 2


def test_a_slot_a_customer_holds_is_left_alone_then_blocked_when_it_frees(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    day = local(1, 0).date().isoformat()
    customer, _ = fake_lockme.create_reservation(ROOM, day, "13:00:00", name="Ada")
    fake_google.staff_event(CAL, "Team day", local(1, 11), local(1, 14))
    report = venue.sync(CAL)
    assert report.conflicts == 1
    assert sorted(blocks(fake_lockme)) == [f"{day} 11:30"]
    assert fake_lockme.live_reservations()[customer]["name"] == "Ada"
    conflicts = venue.ledger.conflicts()
    assert [(c["room_id"], c["date"], c["hour"]) for c in conflicts] == [(ROOM, day, "13:00")]
    # Asked again only later, not on every sync.
    before = writes(fake_lockme)
    venue.sync(CAL)
    assert writes(fake_lockme) == before
    # The customer cancels; the booking's webhook tells the flow.
    fake_lockme.delete_reservation(customer)
    assert booking_changed(runtime, ROOM) == CAL
    venue.sync(CAL)
    assert sorted(blocks(fake_lockme)) == [f"{day} 11:30", f"{day} 13:00"]
    assert venue.ledger.conflicts() == []


def test_after_a_410_the_full_resync_removes_blocks_of_events_gone_meanwhile(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    for days in (1, 3):
        fake_google.staff_event(CAL, "Keep", local(days, 9), local(days, 12))
    gone = fake_google.staff_event(CAL, "Gone", local(2, 9), local(2, 12))
    venue.sync(CAL)
    assert len(blocks(fake_lockme)) == 6
    fake_google.delete_staff_event(CAL, gone)
    fake_google.invalidate_sync_tokens()
    report = venue.sync(CAL)
    # Two of six blocks, after a full read: not a mass removal, applied.
    assert report.full and report.freed == 2 and report.held is None
    kept = {local(d, 0).date().isoformat() for d in (1, 3)}
    assert {b["date"] for b in blocks(fake_lockme).values()} == kept


def test_an_empty_read_after_many_blocks_waits_for_a_person(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    ids = [fake_google.staff_event(CAL, "Closed", local(d, 9), local(d, 23)) for d in (1, 2, 3)]
    venue.sync(CAL)
    made = len(blocks(fake_lockme))
    assert made > GUARD_MAX_FREES
    # Everything vanishes while the token is stale: the full read finds an empty calendar.
    for eid in ids:
        fake_google.delete_staff_event(CAL, eid)
    fake_google.invalidate_sync_tokens()
    report = venue.sync(CAL)
    assert report.held and report.freed == 0
    assert len(blocks(fake_lockme)) == made
    assert [h["calendar_id"] for h in venue.rooms.held()] == [CAL]
    # A person confirms.
    confirmed = venue.sync(CAL, force=True)
    assert confirmed.freed == made and blocks(fake_lockme) == {}
    assert venue.rooms.held() == []


def test_a_disconnected_google_stops_the_sync_and_keeps_the_blocks(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 12))
    venue.sync(CAL)
    made = blocks(fake_lockme)
    runtime.store.tokens.delete_token("google")
    report = venue.sync(CAL)
    assert report.skipped and blocks(fake_lockme) == made


def test_a_calendar_no_room_uses_frees_its_blocks(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 12))
    venue.sync(CAL)
    assert blocks(fake_lockme)
    venue.rooms.clear(ROOM)
    venue.sync(CAL)
    assert blocks(fake_lockme) == {}


@pytest.mark.parametrize("form", ["int", "string", "object", "id", "data", "text", "empty"])
def test_every_create_answer_form_ends_with_one_block_per_slot(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle, form: str
) -> None:
    fake_lockme.dialect.create = form
    fake_google.staff_event(CAL, "Closed", local(1, 11), local(1, 14))
    venue.sync(CAL)
    venue.sync(CAL)
    assert len(blocks(fake_lockme)) == 2
    assert fake_lockme.count("PUT", r"/reservation$") == 2


def test_a_preview_lists_the_slots_and_writes_nothing(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Closed", local(1, 11), local(1, 14))
    planned = venue.preview(OTHER, CAL)
    assert [(p.room_id, f"{p.hour:%H:%M}") for p in planned] == [(OTHER, "11:30"), (OTHER, "13:00")]
    assert writes(fake_lockme) == 0
    assert venue.feed_store.snapshot(CAL) == {}


def test_recurring_and_all_day_events_block_per_occurrence(
    venue: BlocksSync, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(
        CAL, "Weekly check", local(1, 10), local(1, 11), recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]
    )
    day = local(5, 0).date()
    fake_google.staff_event(
        CAL, "Holiday", day, day + timedelta(days=1), all_day=True, transparency="opaque"
    )
    venue.sync(CAL)
    made = blocks(fake_lockme)
    weekly = {local(d, 0).date().isoformat() for d in (1, 8, 15)}
    assert {s for s in made if s.endswith("10:00") and s[:10] in weekly} == {
        f"{d} 10:00" for d in weekly
    }
    assert sum(1 for s in made if s.startswith(day.isoformat())) == 9


def test_reconcile_writes_no_calendar_event_for_a_block(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 12))
    venue.sync(CAL)
    made = blocks(fake_lockme)
    assert made
    summary = Reconciler(runtime).run(days=3)
    assert summary.created == 0 and summary.errors == 0
    rids = {str(r["reservationid"]) for r in made.values()}
    live = fake_google.live_events_by_reservation()
    assert not rids & set(live)


def test_a_block_deleted_in_lockme_s_panel_is_made_again(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    # The calendar is the source of truth, as in Lockme's own integration: to open the slot,
    # staff change the event; a block removed in the panel while the event covers the slot
    # comes back at the next sync.
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 11))
    venue.sync(CAL)
    ((slot, block),) = blocks(fake_lockme).items()
    enqueue_message(runtime, fake_lockme.delete_reservation(int(block["reservationid"])))
    # Its webhook names the product's own block: acknowledged, no calendar write, and the
    # room's calendar synced at once (the job drain runs too).
    drain(runtime)
    again = blocks(fake_lockme)
    assert list(again) == [slot] and again[slot]["reservationid"] != block["reservationid"]
    assert [e["result"] for e in runtime.store.history.recent(2)] == ["blocked", "own_block"]
