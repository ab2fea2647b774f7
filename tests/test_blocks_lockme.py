"""The Lockme side of blocks against the fake: the gateway's writes, the slot source, the
ledger and the writer, in every answer form the fake speaks. Exactness is the point: one
reservation per slot, nothing touched that the product did not make."""

from __future__ import annotations

import json
import threading
from datetime import date, time

import pytest

from worker.domain.block_rules import SlotPlan
from worker.domain.errors import TransientError
from worker.domain.identity import block_extid
from worker.flows.blocks.slots import SlotSource, UnreadableSlots, read_hours
from worker.flows.blocks.writer import Writer, WriteResult
from worker.gateways import lockme_shapes as shapes
from worker.gateways.lockme import SlotTaken
from worker.sandbox import FakeLockme
from worker.stores.block_ledger import BlockLedger, BlockRecord
from worker.stores.leases import Leases

ROOM = 5101
OTHER_ROOM = 5102
DAY = date(2026, 12, 7)  # a Monday
CAL = "c_blocks@group.calendar.google.com"


@pytest.fixture
def rooms(fake_lockme: FakeLockme) -> FakeLockme:
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    fake_lockme.add_room(OTHER_ROOM, "Prison Break")
    return fake_lockme


def plan(hour: str = "17:30", event: str = "evt1", room: int = ROOM) -> SlotPlan:
    at = time.fromisoformat(hour)
    return SlotPlan(
        extid=block_extid(CAL, event, room, DAY, at),
        room_id=room,
        day=DAY,
        hour=at,
        calendar_id=CAL,
        event_id=event,
        label="Blocked in Google Calendar",
    )


def writer_for(runtime) -> Writer:
    ledger = BlockLedger(runtime.redis, runtime.keys)
    leases = Leases(runtime.redis, runtime.keys, lease_s=8, wait_s=10)
    return Writer(runtime.lockme, ledger, runtime.store.history.record_sync, leases)


def api_made(fake: FakeLockme) -> list[dict]:
    return [r for r in fake.live_reservations().values() if r["source"] == "api"]


# --- gateway ------------------------------------------------------------------------------

CREATE_FORMS = ["int", "string", "object", "id", "data", "text"]


@pytest.mark.parametrize("form", [*CREATE_FORMS, "empty"])
def test_create_reads_the_id_in_each_form(runtime, rooms, form):
    rooms.dialect.create = form
    rid = runtime.lockme.create_reservation(ROOM, plan().body())
    (made,) = api_made(rooms)
    assert rid == (None if form == "empty" else made["reservationid"])


@pytest.mark.parametrize("form", ["409", "400", "200"])
def test_a_taken_slot_is_slot_taken_in_each_form(runtime, rooms, form):
    rooms.dialect.taken = form
    rooms.create_reservation(ROOM, DAY.isoformat(), "17:30:00")
    with pytest.raises(SlotTaken):
        runtime.lockme.create_reservation(ROOM, plan().body())


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop_after_apply": True}])
def test_a_create_is_not_repeated_in_place(runtime, rooms, fault):
    rooms.faults.add("PUT", r"/reservation$", times=1, **fault)
    with pytest.raises(TransientError):
        runtime.lockme.create_reservation(ROOM, plan().body())
    assert rooms.count("PUT", r"/reservation$") == 1
    assert len(api_made(rooms)) == (1 if "drop_after_apply" in fault else 0)


def test_a_delete_is_retried_in_place(runtime, rooms):
    rid = runtime.lockme.create_reservation(ROOM, plan().body())
    rooms.faults.add("DELETE", r"/reservation/", status=503, times=1)
    runtime.lockme.delete_reservation(ROOM, rid)
    assert not api_made(rooms)
    runtime.lockme.delete_reservation(ROOM, rid)  # gone already: a 404 is no error
    with pytest.raises(ValueError):
        runtime.lockme.delete_reservation(ROOM, "nonsense")


@pytest.mark.parametrize("form", ["flat", "keyed", "other"])
def test_lookup_by_ext(runtime, rooms, form):
    rooms.dialect.reservation = form
    rid = runtime.lockme.create_reservation(ROOM, plan().body())
    found = runtime.lockme.reservation_by_ext(ROOM, plan().extid)
    assert found is not None and (found.get("reservationid") or found.get("id")) == rid
    assert runtime.lockme.reservation_by_ext(OTHER_ROOM, plan().extid) is None
    assert runtime.lockme.reservation_by_ext(ROOM, "lcs-b-nobody") is None


def test_settings_are_raw_and_a_404_is_none(runtime, rooms):
    rooms.dialect.no_exception = "404"
    assert runtime.lockme.date_settings(ROOM, DAY) is None
    assert runtime.lockme.day_settings(ROOM, 0)[0] == {"hour": "10:00:00", "pricers": [1]}


def test_the_shape_log_records_each_write_endpoint(runtime, rooms):
    rid = runtime.lockme.create_reservation(ROOM, plan().body())
    runtime.lockme.reservation_by_ext(ROOM, plan().extid)
    runtime.lockme.reservation_by_ext(ROOM, plan("19:00").extid)
    runtime.lockme.delete_reservation(ROOM, rid)
    runtime.lockme.day_settings(ROOM, 2)
    runtime.lockme.date_settings(ROOM, DAY)
    seen = {(e["endpoint"], e["status"]) for e in shapes.recorded(runtime.redis, runtime.keys)}
    assert {
        ("PUT /room/{id}/reservation", 200),
        ("GET /room/{id}/reservation/ext/{x}", 200),
        ("GET /room/{id}/reservation/ext/{x}", 404),
        ("DELETE /room/{id}/reservation/{id}", 200),
        ("GET /room/{id}/day/{id}", 200),
        ("GET /room/{id}/date/{date}", 200),
    } <= seen


# --- slots --------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["objects", "strings", "keyed", "data"])
def test_slots_in_each_form(runtime, rooms, form):
    rooms.dialect.slots = form
    rooms.set_day_slots(ROOM, 0, ["09:00", "12:15", "18:00"])
    source = SlotSource(runtime.lockme, runtime.redis, runtime.keys)
    assert source.hours(ROOM, DAY) == [time(9), time(12, 15), time(18)]


@pytest.mark.parametrize("closed", ["[]", "{}", "null"])
@pytest.mark.parametrize("none", ["[]", "{}", "null", "404"])
def test_closed_days_and_dates_without_exception(runtime, rooms, closed, none):
    rooms.dialect.closed, rooms.dialect.no_exception = closed, none
    rooms.set_day_slots(ROOM, 6, [])
    source = SlotSource(runtime.lockme, runtime.redis, runtime.keys)
    assert source.hours(ROOM, date(2026, 12, 13)) == []
    assert source.hours(ROOM, DAY)[0] == time(10)


def test_a_non_empty_exception_replaces_the_weekday(runtime, rooms):
    rooms.set_date_slots(ROOM, DAY.isoformat(), ["08:00", "20:00"])
    source = SlotSource(runtime.lockme, runtime.redis, runtime.keys)
    assert source.hours(ROOM, DAY) == [time(8), time(20)]
    assert source.hours(ROOM, date(2026, 12, 14))[0] == time(10)  # the next Monday


def test_ninety_days_read_each_weekday_once(runtime, rooms):
    source = SlotSource(runtime.lockme, runtime.redis, runtime.keys)
    days = [date.fromordinal(DAY.toordinal() + n) for n in range(90)]
    for _ in range(2):
        for day in days:
            assert len(source.hours(ROOM, day)) == 9
    assert rooms.count("GET", r"/day/\d$") == 7
    assert rooms.count("GET", r"/date/") == 90
    assert 0 < runtime.redis.ttl(runtime.keys.blocks_slots(ROOM, "day:0")) <= 3600
    assert 0 < runtime.redis.ttl(runtime.keys.blocks_slots(ROOM, f"date:{DAY}")) <= 900


def test_unreadable_slots_are_a_clear_error(runtime, rooms):
    rooms.faults.add("GET", r"/day/0$", status=200, body={"opening": "10-22"})
    source = SlotSource(runtime.lockme, runtime.redis, runtime.keys)
    with pytest.raises(UnreadableSlots, match=r"room 5101.*weekday 0"):
        source.hours(ROOM, DAY)
    assert runtime.redis.get(runtime.keys.blocks_slots(ROOM, "day:0")) is None  # not cached


@pytest.mark.parametrize(
    ("body", "hours"),
    [
        ([{"time": "9:30"}, {"hour": "11:00:00"}], [time(9, 30), time(11)]),
        ({"0": {"hour": "10:00:00"}, "1": "12:00"}, [time(10), time(12)]),
        (["12:00", "10:00", "12:00"], [time(10), time(12)]),
        ({"data": []}, []),
        (["noon"], None),
        ([{"pricers": [1]}], None),
        ("10:00", None),
        ({"hours": ["10:00"]}, None),
    ],
)
def test_read_hours_liberally(body, hours):
    assert read_hours(body) == hours


# --- ledger -------------------------------------------------------------------------------


def test_ledger_records_and_indexes(runtime):
    ledger = BlockLedger(runtime.redis, runtime.keys)
    p = plan()
    pending = ledger.pending(p.extid, ROOM, DAY, p.hour, CAL, "evt1")
    assert ledger.by_slot(ROOM, DAY, p.hour) == pending and ledger.count() == 1
    assert ledger.knows(1, (ROOM, DAY, p.hour)) and not ledger.knows(1)
    made = ledger.made(pending, 48211930)
    assert set(made.__dict__) == {
        "extid", "room_id", "date", "hour", "calendar_id", "event_id",
        "reservation_id", "state", "at",
    }  # fmt: skip
    # A record written when each block kept its event's title still reads.
    older = json.loads(made.to_json()) | {"title": "Maintenance"}
    assert BlockRecord.from_json(json.dumps(older)) == made
    assert (made.date, made.hour, made.state) == ("2026-12-07", "17:30", "made")
    assert ledger.by_reservation(48211930) == made == ledger.get(p.extid)
    assert ledger.for_room(ROOM) == [made] and ledger.for_room(OTHER_ROOM) == []
    assert ledger.for_calendar(CAL) == [made] and ledger.for_calendar("x") == []
    assert ledger.drop(p.extid) and not ledger.drop(p.extid)
    assert ledger.count() == 0 and ledger.by_reservation(48211930) is None
    assert runtime.redis.hlen(runtime.keys.blocks_by_slot) == 0


def test_ledger_drop_leaves_a_newer_claim_of_the_slot(runtime):
    ledger = BlockLedger(runtime.redis, runtime.keys)
    first, second = plan(event="a"), plan(event="b")
    ledger.pending(first.extid, ROOM, DAY, first.hour, CAL, "a")
    ledger.pending(second.extid, ROOM, DAY, second.hour, CAL, "b")
    ledger.drop(first.extid)
    assert ledger.by_slot(ROOM, DAY, first.hour).extid == second.extid


def test_ledger_conflicts(runtime):
    ledger = BlockLedger(runtime.redis, runtime.keys)
    ledger.set_conflict(ROOM, DAY, time(19), CAL, "evt1", "a customer's booking holds the slot")
    ledger.set_conflict(ROOM, DAY, time(17, 30), CAL, "evt1", "a customer's booking holds the slot")
    assert [c["hour"] for c in ledger.conflicts()] == ["17:30", "19:00"]
    assert ledger.clear_conflict(ROOM, DAY, "19:00") and not ledger.clear_conflict(
        ROOM, DAY, "19:00"
    )
    assert [c["hour"] for c in ledger.conflicts()] == ["17:30"]


# --- writer -------------------------------------------------------------------------------

DIALECTS = [
    *({"create": form} for form in CREATE_FORMS),
    {"create": "empty"},
    {"create": "empty", "reservation": "keyed"},
    {"create": "empty", "reservation": "other"},
    {"reservation": "other"},
    {"echo_extid": False},
    {"echo": "before"},
]


def speak(fake: FakeLockme, dialect: dict) -> None:
    for name, value in dialect.items():
        setattr(fake.dialect, name, value)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: ",".join(map(str, d.values())))
def test_block_then_free_in_every_dialect(runtime, rooms, dialect):
    speak(rooms, dialect)
    writer, p = writer_for(runtime), plan()
    assert writer.block(p) == WriteResult.BLOCKED
    assert writer.block(p) == WriteResult.UNCHANGED
    (made,) = api_made(rooms)
    assert (made["extid"], made["date"], made["hour"]) == (p.extid, "2026-12-07", "17:30:00")
    assert (made["name"], made["people"], made["status"]) == ("Blocked in Google Calendar", 0, 1)
    assert rooms.count("PUT", r"/reservation$") == 1
    record = writer.ledger.get(p.extid)
    assert record.state == "made"
    if record.reservation_id is not None:
        assert record.reservation_id == made["reservationid"]
    assert writer.free(record) == WriteResult.FREED
    assert writer.free(record) == WriteResult.UNCHANGED
    assert not api_made(rooms) and writer.ledger.count() == 0
    history = [(e["action"], e["result"]) for e in runtime.store.history.recent()]
    assert history == [("unblock", "freed"), ("block", "blocked")]


@pytest.mark.parametrize("dialect", [{}, {"create": "empty"}, {"reservation": "other"}])
def test_a_create_committed_but_dropped_ends_with_one_reservation(runtime, rooms, dialect):
    speak(rooms, dialect)
    rooms.faults.add("PUT", r"/reservation$", drop_after_apply=True, times=1)
    writer = writer_for(runtime)
    assert writer.block(plan()) == WriteResult.BLOCKED
    assert len(api_made(rooms)) == 1 and rooms.count("PUT", r"/reservation$") == 1


@pytest.mark.parametrize("status", [503, 429, 500])
def test_a_refused_create_that_did_not_land_is_made_again_in_place(runtime, rooms, status):
    """The lookup shows the create was refused before it was made: the writer repeats it
    (twice at most) instead of failing the whole sync to the job's backoff."""
    rooms.faults.add("PUT", r"/reservation$", status=status, times=2)
    writer = writer_for(runtime)
    assert writer.block(plan()) == WriteResult.BLOCKED
    assert len(api_made(rooms)) == 1 and rooms.count("PUT", r"/reservation$") == 3


def test_a_create_refused_every_time_fails_as_transient_with_nothing_made(runtime, rooms):
    rooms.faults.add("PUT", r"/reservation$", status=503)
    writer, p = writer_for(runtime), plan()
    with pytest.raises(TransientError):
        writer.block(p)
    assert api_made(rooms) == [] and rooms.count("PUT", r"/reservation$") == 3


def test_a_crash_between_the_create_and_the_ledger_ends_with_one_reservation(runtime, rooms):
    """The create lands, its answer is lost, and Lockme stays unreachable for the lookup:
    the attempt fails with the ledger still pending, as after a crash; the next one finds
    the reservation by its extid instead of making a second."""
    rooms.faults.add("PUT", r"/reservation$", drop_after_apply=True, times=1)
    rooms.faults.add("GET", r"/reservation/ext/", status=503, times=4)
    writer, p = writer_for(runtime), plan()
    with pytest.raises(TransientError):
        writer.block(p)
    assert writer.ledger.get(p.extid).state == "pending"
    rooms.faults.clear()
    assert writer.block(p) == WriteResult.BLOCKED
    (made,) = api_made(rooms)
    assert writer.ledger.get(p.extid).reservation_id == made["reservationid"]
    assert rooms.count("PUT", r"/reservation$") == 1


@pytest.mark.parametrize("same_event", [True, False])
def test_two_writers_racing_on_one_slot_make_one(runtime, rooms, same_event):
    rooms.latency = 0.05
    writers = [writer_for(runtime), writer_for(runtime)]
    plans = [plan(event="a"), plan(event="a" if same_event else "b")]
    results: list[WriteResult] = []
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait()
        results.append(writers[i].block(plans[i]))

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    loser = WriteResult.UNCHANGED if same_event else WriteResult.COVERED
    assert sorted(results) == sorted([WriteResult.BLOCKED, loser])
    assert len(api_made(rooms)) == 1 and rooms.count("PUT", r"/reservation$") == 1


@pytest.mark.parametrize("form", ["409", "400", "200"])
def test_a_taken_slot_is_a_conflict_and_the_customer_is_untouched(runtime, rooms, form):
    rooms.dialect.taken = form
    customer, _ = rooms.create_reservation(ROOM, DAY.isoformat(), "17:30:00", status=1)
    before = rooms.live_reservations()[customer]
    writer, p = writer_for(runtime), plan()
    assert writer.block(p) == WriteResult.CONFLICT
    assert rooms.live_reservations() == {customer: before}
    assert writer.ledger.count() == 0 and writer.ledger.by_slot(ROOM, DAY, p.hour) is None
    (conflict,) = writer.ledger.conflicts()
    assert (conflict["room_id"], conflict["hour"], conflict["event_id"]) == (ROOM, "17:30", "evt1")
    assert runtime.store.history.recent()[0]["result"] == "conflict"
    rooms.delete_reservation(customer)
    assert writer.block(p) == WriteResult.BLOCKED
    assert writer.ledger.conflicts() == []


def test_free_never_deletes_what_the_ledger_does_not_hold(runtime, rooms):
    writer = writer_for(runtime)
    mine, lookalike = plan(), plan()
    # Someone else's reservation, in another room, carrying the very extid of our block.
    other, _ = rooms.create_reservation(OTHER_ROOM, DAY.isoformat(), "17:30", extid=mine.extid)
    # Our create never landed (the record is pending): free must not reach for the other.
    pending = writer.ledger.pending(mine.extid, ROOM, DAY, mine.hour, CAL, "evt1")
    assert writer.free(pending) == WriteResult.FREED
    assert other in rooms.live_reservations() and writer.ledger.count() == 0
    # A record the ledger does not hold (forged, or freed already) deletes nothing.
    assert writer.block(lookalike) == WriteResult.BLOCKED
    record = writer.ledger.get(lookalike.extid)
    writer.ledger.drop(lookalike.extid)
    rooms.clear_requests()
    assert writer.free(record) == WriteResult.UNCHANGED
    assert rooms.count("DELETE", "") == 0 and len(api_made(rooms)) == 1


def test_free_after_staff_replaced_the_block_leaves_the_customer(runtime, rooms):
    writer, p = writer_for(runtime), plan()
    writer.block(p)
    (made,) = api_made(rooms)
    rooms.delete_reservation(made["reservationid"])  # staff removed the block in the panel
    customer, _ = rooms.create_reservation(ROOM, DAY.isoformat(), "17:30:00")
    assert writer.free(writer.ledger.get(p.extid)) == WriteResult.FREED
    assert customer in rooms.live_reservations() and writer.ledger.count() == 0
