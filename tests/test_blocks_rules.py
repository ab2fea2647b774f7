"""The pure rules of Calendar → Lockme blocks: which events block, which slots, the plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.domain.block_rules import (
    GUARD_MAX_CREATES,
    GUARD_MAX_FREES,
    Rehome,
    Snapshot,
    Span,
    block_label,
    blocking_span,
    covered_slots,
    plan,
    slot_start,
)
from worker.domain.identity import block_extid, is_block_extid, private_properties
from worker.domain.wording import VENUE_WORDS
from worker.stores.block_ledger import BlockRecord

BLOCK_LABEL = VENUE_WORDS["en"].block_label


TZ = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(days=90)
HOURS = [time(10), time(12), time(14), time(16), time(18)]


def timed(start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "e1",
        "status": "confirmed",
        "start": {"dateTime": start, "timeZone": "Europe/Warsaw"},
        "end": {"dateTime": end, "timeZone": "Europe/Warsaw"},
        **extra,
    }


def test_a_busy_timed_event_blocks_its_interval() -> None:
    span = blocking_span(timed("2026-12-05T12:00:00+01:00", "2026-12-05T16:00:00+01:00"), TZ)
    assert span == Span(
        datetime(2026, 12, 5, 11, tzinfo=UTC), datetime(2026, 12, 5, 15, tzinfo=UTC)
    )


def test_free_cancelled_declined_and_own_events_do_not_block() -> None:
    base = ("2026-12-05T12:00:00+01:00", "2026-12-05T16:00:00+01:00")
    assert blocking_span(timed(*base, transparency="transparent"), TZ) is None
    assert blocking_span(timed(*base, status="cancelled"), TZ) is None
    declined = [{"email": "me@x", "self": True, "responseStatus": "declined"}]
    assert blocking_span(timed(*base, attendees=declined), TZ) is None
    # Someone else declining does not free the owner's time.
    other = [
        {"email": "you@x", "responseStatus": "declined"},
        {"self": True, "responseStatus": "accepted"},
    ]
    assert blocking_span(timed(*base, attendees=other), TZ) is not None
    ours = {"private": private_properties(5, 101, 3)}
    assert blocking_span(timed(*base, extendedProperties=ours), TZ) is None
    assert blocking_span(timed(*base, transparency="opaque"), TZ) is not None


def test_an_invitation_blocks_only_once_the_calendar_s_owner_accepts_it() -> None:
    base = ("2026-12-05T12:00:00+01:00", "2026-12-05T16:00:00+01:00")
    outsider = {"email": "stranger@example.com", "self": False}

    def invited(answer: str, organizer: dict[str, Any] = outsider) -> dict[str, Any]:
        attendees = [
            {"email": "stranger@example.com", "organizer": True, "responseStatus": "accepted"},
            {"email": "closed@x", "self": True, "responseStatus": answer},
        ]
        return timed(*base, organizer=organizer, attendees=attendees)

    # Anyone may invite a calendar: not answered yet, or "maybe", closes no slot.
    assert blocking_span(invited("needsAction"), TZ) is None
    assert blocking_span(invited("tentative"), TZ) is None
    assert blocking_span(invited("declined"), TZ) is None
    assert blocking_span(invited("accepted"), TZ) is not None
    # The owner's own event with guests blocks, unless the owner said no to it.
    mine = {"email": "closed@x", "self": True}
    assert blocking_span(invited("needsAction", mine), TZ) is not None
    assert blocking_span(invited("declined", mine), TZ) is None
    # No attendee entry for the calendar: not an invitation to it.
    assert blocking_span(timed(*base, attendees=[{"email": "a@x"}]), TZ) is not None


def test_an_all_day_event_blocks_from_local_midnight_to_midnight() -> None:
    event = {"id": "a", "start": {"date": "2026-12-05"}, "end": {"date": "2026-12-07"}}
    span = blocking_span(event, TZ)
    assert span is not None
    assert span.start == datetime(2026, 12, 4, 23, tzinfo=UTC)
    assert span.end == datetime(2026, 12, 6, 23, tzinfo=UTC)


def test_unreadable_or_empty_intervals_do_not_block() -> None:
    assert blocking_span({"id": "x", "start": {"dateTime": "soon"}, "end": {}}, TZ) is None
    assert (
        blocking_span(timed("2026-12-05T12:00:00+01:00", "2026-12-05T12:00:00+01:00"), TZ) is None
    )
    assert blocking_span({"id": "x"}, TZ) is None


def test_a_slot_is_blocked_when_its_start_falls_inside_the_event() -> None:
    # 11:00-14:00 covers the 12:00 slot but neither 10:00 (started before) nor 14:00 (the end
    # is exclusive): Lockme's own rule.
    span = blocking_span(timed("2026-12-05T11:00:00+01:00", "2026-12-05T14:00:00+01:00"), TZ)
    assert span is not None
    slots = covered_slots(span, lambda d: HOURS, TZ, now=NOW, until=UNTIL)
    assert slots == [(date(2026, 12, 5), time(12))]


def test_slots_in_the_past_or_beyond_the_horizon_are_left_alone() -> None:
    span = Span(NOW - timedelta(hours=5), NOW + timedelta(days=200))
    slots = covered_slots(span, lambda d: HOURS, TZ, now=NOW, until=UNTIL)
    assert slots[0] == (date(2026, 12, 1), time(10))
    assert all(slot_start(d, h, TZ) >= NOW for d, h in slots)
    assert all(slot_start(d, h, TZ) < UNTIL for d, h in slots)


def test_only_the_dates_the_event_touches_are_asked_for() -> None:
    asked: list[date] = []

    def hours(day: date) -> list[time]:
        asked.append(day)
        return HOURS

    span = blocking_span(timed("2026-12-05T11:00:00+01:00", "2026-12-05T14:00:00+01:00"), TZ)
    assert span is not None
    covered_slots(span, hours, TZ, now=NOW, until=UNTIL)
    assert set(asked) <= {date(2026, 12, 4), date(2026, 12, 5)}


def test_a_dst_night_slot_follows_the_booking_rule() -> None:
    # 02:30 does not exist on 2027-03-28 in Warsaw: it is 03:30 summer time, as bookings are.
    assert slot_start(date(2027, 3, 28), time(2, 30), TZ) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )
    span = Span(datetime(2027, 3, 28, 1, 0, tzinfo=UTC), datetime(2027, 3, 28, 2, 0, tzinfo=UTC))
    slots = covered_slots(
        span, lambda d: [time(2, 30)], TZ, now=NOW, until=NOW + timedelta(days=200)
    )
    assert slots == [(date(2027, 3, 28), time(2, 30))]


def test_the_label_shows_the_title_only_where_privacy_names_people() -> None:
    assert block_label("Staff party\nat 8", "full") == f"{BLOCK_LABEL}: Staff party at 8"
    assert block_label("Staff party", "no_contact") == f"{BLOCK_LABEL}: Staff party"
    assert block_label("Staff party", "time_only") == BLOCK_LABEL
    assert block_label("", "full") == BLOCK_LABEL


@pytest.mark.parametrize(
    "hostile", ["\x85", "\x9b31m", "\u202e", "\u2066", "\u2028", "\x1b[2J"], ids=repr
)
def test_the_label_keeps_no_c1_control_or_bidi_character(hostile: str) -> None:
    # An outsider's invitation names the block: its title must not hide or reorder what
    # Lockme's panel shows, any more than a name may in the terminal (worker.domain.printable).
    label = block_label(f"Party{hostile}gnihtemos", "full")
    assert label.isprintable(), label
    assert label.startswith(f"{BLOCK_LABEL}: Party")


def snap(event_id: str, start: datetime, hours: float, title: str = "Maintenance") -> Snapshot:
    return Snapshot(event_id, Span(start, start + timedelta(hours=hours)), title)


def record(p: Any, **extra: Any) -> BlockRecord:
    """The ledger's record of a made block, as the writer keeps it."""
    fields = {
        "extid": p.extid,
        "room_id": p.room_id,
        "date": p.day.isoformat(),
        "hour": f"{p.hour:%H:%M}",
        "calendar_id": p.calendar_id,
        "event_id": p.event_id,
        "reservation_id": 1,
        "state": "made",
        "at": "2026-12-01T09:00:00Z",
        **extra,
    }
    return BlockRecord(**fields)


def run(events: list[Snapshot], made: list[dict[str, Any]], **kw: Any) -> Any:
    return plan(
        "cal",
        kw.pop("rooms", {101: "full"}),
        events,
        made,
        lambda room, day: HOURS,
        TZ,
        now=NOW,
        until=UNTIL,
        **kw,
    )


DAY = datetime(2026, 12, 5, 9, tzinfo=UTC)  # 10:00 Warsaw


def test_a_plan_blocks_each_covered_slot_once_with_a_marked_extid() -> None:
    result = run([snap("e1", DAY, 4)], [])
    assert [(p.day, p.hour) for p in result.create] == [
        (date(2026, 12, 5), time(10)),
        (date(2026, 12, 5), time(12)),
    ]
    assert all(is_block_extid(p.extid) for p in result.create)
    assert result.create[0].extid == block_extid("cal", "e1", 101, date(2026, 12, 5), time(10))
    assert result.free == [] and result.held is None


def test_applying_a_plan_leaves_nothing_to_do() -> None:
    events = [snap("e1", DAY, 4), snap("e2", DAY + timedelta(days=1), 9)]
    first = run(events, [], rooms={101: "full", 102: "time_only"})
    again = run(events, [record(p) for p in first.create], rooms={101: "full", 102: "time_only"})
    assert again.create == [] and again.free == [] and again.rehome == []


def test_overlapping_events_make_one_block_per_slot_and_hand_it_over() -> None:
    # "early" (09:30-12:00) covers the 10:00 slot, "long" (10:00-16:00) 10:00, 12:00, 14:00.
    early, long = snap("early", DAY - timedelta(minutes=30), 2.5), snap("long", DAY, 6)
    first = run([early, long], [])
    slots = [(p.day, p.hour) for p in first.create]
    assert len(slots) == len(set(slots)) == 3
    assert {p.hour: p.event_id for p in first.create}[time(10)] == "early"
    made = [record(p) for p in first.create]
    # The event that made the 10:00 block goes; "long" still covers it: no Lockme write.
    after = run([long], made, explained={"early"})
    assert after.create == [] and after.free == []
    assert after.rehome == [Rehome(first.create[0].extid, "long")]


def test_a_moved_event_frees_the_slots_it_left_and_blocks_the_new_ones() -> None:
    first = run([snap("e1", DAY, 4)], [])
    made = [record(p) for p in first.create]
    moved = run([snap("e1", DAY + timedelta(hours=2), 4)], made, explained={"e1"})
    assert [(p.day, p.hour) for p in moved.create] == [(date(2026, 12, 5), time(14))]
    assert [r.hour for r in moved.free] == ["10:00"]
    assert moved.held is None


def test_past_blocks_are_never_freed() -> None:
    past = record(run([snap("e1", DAY, 4)], []).create[0], date="2026-11-30", hour="10:00")
    assert run([], [past]).free == []


def test_blocks_of_a_room_no_longer_using_the_calendar_are_freed() -> None:
    made = [record(p) for p in run([snap("e1", DAY, 4)], []).create]
    result = run([snap("e1", DAY, 4)], made, rooms={102: "full"}, explained={"e1"})
    assert len(result.free) == 2 and {p.room_id for p in result.create} == {102}


def test_many_unexplained_removals_wait_for_a_person() -> None:
    events = [snap(f"e{i}", DAY + timedelta(days=i), 9) for i in range(6)]
    made = [record(p) for p in run(events, []).create]
    assert len(made) > GUARD_MAX_FREES
    # An empty read (a full resync that found nothing): everything would go.
    held = run([], made)
    assert held.held is not None and len(held.free) == len(made)
    assert held.writes == 0
    # The same removals seen as deletions in an incremental read are what staff asked for.
    assert run([], made, explained={f"e{i}" for i in range(6)}).held is None
    # A person confirmed.
    assert run([], made, force=True).held is None


def test_half_of_a_room_s_blocks_going_unexplained_waits() -> None:
    events = [snap("e1", DAY, 9), snap("e2", DAY + timedelta(days=1), 9)]
    made = [record(p) for p in run(events, []).create]
    assert len(made) == 10
    assert run(events[:1], made).held is not None
    assert run(events[:1], made, explained={"e2"}).held is None
    # A small room: two of three blocks going is not "mass" removal.
    small = [record(p) for p in run([snap("e1", DAY, 5)], []).create]
    assert len(small) == 3
    assert run([], small).held is None


def test_an_event_that_blocks_more_than_the_limit_waits_for_a_person() -> None:
    # Five days of five slots in two rooms is 50 new blocks: they go ahead; three rooms wait.
    five_days = snap("long", DAY, 24 * 4 + 9)
    two = {101: "full", 102: "full"}
    fifty = run([five_days], [], sudden={"long"}, rooms=two)
    assert len(fifty.create) == GUARD_MAX_CREATES and fifty.creates_held is None
    three = {**two, 103: "full"}
    many = run([five_days], [], sudden={"long"}, rooms=three)
    assert many.create == [] and len(many.held_creates) == 75
    assert many.creates_held == "75 slots would be blocked at once (one event would block 75)"
    assert many.writes == 0
    # Not seen changing (a room turned on after a preview, or the plan's later runs), or a
    # person confirmed: they go ahead.
    assert len(run([five_days], [], rooms=three).create) == 75
    assert run([five_days], [], sudden={"long"}, rooms=three, force=True).creates_held is None
    # Many small events are weighed each on its own, however a read gathered them.
    small = [snap(f"e{i}", DAY + timedelta(days=i // 5, hours=2 * (i % 5)), 1) for i in range(60)]
    assert run(small, [], sudden={f"e{i}" for i in range(60)}).creates_held is None


def test_one_event_closing_a_room_for_a_week_waits_however_few_its_slots() -> None:
    week = snap("week", DAY, 24 * 7 + 1)  # 10:00 one day to 11:00 a week later
    held = run([week], [], sudden={"week"}, rooms={101: "full"})
    assert held.create == [] and len(held.held_creates) == 36
    assert held.creates_held is not None and "a week or more of room 101" in held.creates_held
    six_days = snap("six", DAY, 24 * 6 + 1)
    assert run([six_days], [], sudden={"six"}).creates_held is None
    # A weekly series is one event per occurrence: each is short.
    weekly = [snap(f"w{k}", DAY + timedelta(weeks=k), 1) for k in range(6)]
    assert run(weekly, [], sudden={f"w{k}" for k in range(6)}).creates_held is None


def test_a_held_event_keeps_waiting_while_everyday_changes_go_ahead() -> None:
    big, small = snap("big", DAY, 24 * 10), snap("small", DAY + timedelta(days=20), 1)
    later = run([big, small], [], sudden={"small"}, waiting={"big"})
    assert [p.event_id for p in later.create] == ["small"]
    assert {p.event_id for p in later.held_creates} == {"big"}
    # Shortened by staff, it is weighed anew, and goes ahead.
    short = snap("big", DAY, 3)
    assert run([short], [], sudden={"big"}).creates_held is None


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 20 * 24), st.integers(1, 30)), min_size=0, max_size=6),
    st.lists(st.tuples(st.integers(0, 20 * 24), st.integers(1, 30)), min_size=0, max_size=6),
)
def test_any_sequence_of_calendars_converges_to_one_block_per_covered_slot(
    before: list[tuple[int, int]], after: list[tuple[int, int]]
) -> None:
    def events(spec: list[tuple[int, int]], tag: str) -> list[Snapshot]:
        return [
            snap(f"{tag}{i}", NOW + timedelta(hours=h), length)
            for i, (h, length) in enumerate(spec)
        ]

    rooms = {101: "full", 102: "time_only"}
    made = [record(p) for p in run(events(before, "a"), [], rooms=rooms).create]
    step = run(events(after, "b"), made, rooms=rooms, force=True)
    freed = {r.extid for r in step.free}
    kept = [r for r in made if r.extid not in freed]
    final = kept + [record(p) for p in step.create]
    slots = [(r.room_id, r.date, r.hour) for r in final]
    assert len(slots) == len(set(slots))
    wanted = {
        (room, d.isoformat(), f"{h:%H:%M}")
        for e in events(after, "b")
        for room in rooms
        for d, h in covered_slots(e.span, lambda _d: HOURS, TZ, now=NOW, until=UNTIL)
    }
    assert set(slots) == wanted
    assert run(events(after, "b"), final, rooms=rooms, force=True).writes == 0
