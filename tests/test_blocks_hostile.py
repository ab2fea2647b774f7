"""Hostile and huge blocks calendars (issue 23): a read that never ends stops at a stated
limit as a recorded malformed answer, every Google answer on the two-way path has its types
checked, and a sync that finds no change plans nothing, however large the calendar.

Against the Google fake on loopback (hostile answers are its fault rules) and the real
Redis; what a read costs is counted in requests to the fakes, never in memory or time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests import test_web
from tests.conftest import connected_runtime, make_settings
from tests.test_blocks_pages import HOLIDAYS, TOMB, _text, _venue
from tests.test_web import Staff
from worker.config import Settings
from worker.domain.errors import MalformedAnswer, SyncError
from worker.flows.blocks import control
from worker.flows.blocks.calendar_sync import BlocksSync
from worker.flows.blocks.feed import FeedStore
from worker.gateways import google_calendar as gcal
from worker.jobs import blocks_runs
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.block_rooms import BlockRooms

web_client = test_web.web_client
staff = test_web.staff

CAL = "blocks@group.calendar.google.com"
ROOM = 101
LISTS = r"/events$"
# An answer that always says there is more.
ENDLESS = {"kind": "calendar#events", "items": [], "nextPageToken": "more"}


@pytest.fixture
def settings(redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> Settings:
    """The default settings but Google's pace: the limits are hundreds of calls, which the
    default rate limiter would spread over half a minute each."""
    return make_settings(redis_url, fake_lockme, fake_google, GOOGLE_RATE_LIMIT_PER_S="1000")


@pytest.fixture
def venue(runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> BlocksSync:
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    fake_google.add_calendar(CAL, "Closed", "owner")
    BlockRooms(runtime.redis, runtime.keys).set(ROOM, CAL)
    return BlocksSync(runtime)


def local(rt: Runtime, days: int, hour: int) -> datetime:
    day = datetime.now(rt.settings.tz).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=rt.settings.tz)


def endless(fake: FakeGoogle) -> None:
    """Google answers every list with one more page, for longer than any limit; past that
    the fake refuses the made-up page token (400), so a read with no limit still ends."""
    fake.faults.add("GET", LISTS, status=200, body=ENDLESS, times=gcal.READ_PAGE_LIMIT * 3)


def error_of(rt: Runtime, calendar_id: str = CAL) -> str:
    return FeedStore(rt.redis, rt.keys).state(calendar_id).get("error", "")


# --- item 7: a read stops at a stated limit ---------------------------------------------
def test_a_read_that_never_ends_stops_at_the_page_limit_as_a_recorded_malformed_answer(
    venue: BlocksSync, runtime: Runtime, fake_google: FakeGoogle
) -> None:
    endless(fake_google)
    with pytest.raises(gcal.ReadTooLarge):
        venue.sync(CAL)
    assert fake_google.count("GET", LISTS) == gcal.READ_PAGE_LIMIT
    assert f"ran past {gcal.READ_PAGE_LIMIT} pages" in error_of(runtime)


def test_a_read_stops_at_the_item_limit(
    venue: BlocksSync, runtime: Runtime, fake_google: FakeGoogle
) -> None:
    page = {"items": [{"id": f"e{i}"} for i in range(gcal.READ_ITEM_LIMIT + 1)]}
    fake_google.faults.add("GET", LISTS, status=200, body=page)
    with pytest.raises(gcal.ReadTooLarge):
        venue.sync(CAL)
    assert f"more than {gcal.READ_ITEM_LIMIT:,} events" in error_of(runtime)


def test_too_many_changes_at_once_are_read_as_a_full_read_of_the_horizon(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    venue.sync(CAL)
    fake_google.staff_event(CAL, "Boiler", local(runtime, 1, 11), local(runtime, 1, 12))
    # The incremental read (the one with a sync token) never ends; the full one is fine.
    rule = fake_google.faults.add(
        "GET", LISTS, status=200, body=ENDLESS, times=gcal.READ_PAGE_LIMIT
    )
    report = venue.sync(CAL)
    assert rule.hits == gcal.READ_PAGE_LIMIT and report.full and report.created == 1
    assert error_of(runtime) == ""


def test_the_rooms_page_preview_reads_within_the_same_limit(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime)
    endless(fake_google)
    preview = client.get(f"/setup/rooms/blocks?room={TOMB}&calendar={HOLIDAYS}")
    assert preview.status_code == 200
    assert f"ran past {gcal.READ_PAGE_LIMIT} pages" in _text(preview.get_data(as_text=True))
    assert fake_google.count("GET", LISTS) == gcal.READ_PAGE_LIMIT


def test_the_status_page_shows_why_a_calendar_is_not_read(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime, TOMB)
    endless(fake_google)
    with pytest.raises(SyncError):
        BlocksSync(web_runtime).sync(HOLIDAYS)
    page = _text(client.get("/status").get_data(as_text=True))
    assert f"ran past {gcal.READ_PAGE_LIMIT} pages" in page


# --- item 8b: every answer's types are checked ------------------------------------------
@pytest.mark.parametrize(
    "page",
    [
        {"items": "abc"},
        {"items": [{"id": "e1", "start": "tomorrow", "end": {"date": "2030-01-01"}}]},
        {"items": [{"id": "e1", "summary": ["x"]}]},
        {"items": [{"id": "e1", "attendees": {"self": True}}]},
        {"items": [], "nextSyncToken": 7},
        {"items": [], "nextPageToken": ["x"]},
    ],
    ids=["items a string", "start a string", "summary a list", "attendees", "token", "page"],
)
def test_a_mistyped_events_page_is_a_recorded_malformed_answer(
    venue: BlocksSync, runtime: Runtime, fake_google: FakeGoogle, page: Any
) -> None:
    # A few times only: a reader that follows a mistyped page token would loop for good.
    fake_google.faults.add("GET", LISTS, status=200, body=page, times=3)
    with pytest.raises(MalformedAnswer, match="Google list"):
        venue.sync(CAL)
    assert "not a list of objects with ids" in error_of(runtime)


@pytest.mark.parametrize(
    "answer",
    [{"resourceId": "r1", "expiration": "soon"}, {"resourceId": 5, "expiration": "1"}, {}],
    ids=["expiration", "resource id", "empty"],
)
def test_a_mistyped_watch_answer_is_malformed_and_the_poll_goes_on(
    settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle, answer: Any
) -> None:
    fake_google.add_calendar(CAL, "Closed", "owner")
    fake_google.faults.add("POST", r"/events/watch$", status=200, body=answer)
    public = replace(settings, public_url="https://x.example")
    with connected_runtime(public, fake_lockme, fake_google) as rt:
        BlockRooms(rt.redis, rt.keys).set(ROOM, CAL)
        with pytest.raises(MalformedAnswer, match="Google watch"):
            rt.calendar.watch(CAL, "c" * 32, "tok", "https://x.example/w", 3600)
        # The poll reads the calendar without push instead of failing on the answer.
        assert blocks_runs.due_calendars(rt) == [CAL]


@pytest.mark.parametrize(
    "entry",
    [{"id": "a@example.com", "accessRole": ["owner"]}, {"id": "b", "summary": {"x": 1}}],
    ids=["access role", "summary"],
)
def test_a_mistyped_calendar_list_is_malformed(
    runtime: Runtime, fake_google: FakeGoogle, entry: Any
) -> None:
    fake_google.faults.add("GET", r"/calendarList$", status=200, body={"items": [entry]})
    with pytest.raises(MalformedAnswer, match="Google calendarList"):
        runtime.calendar.calendars(min_access_role="reader")


def test_a_primary_calendar_without_an_id_is_malformed(
    runtime: Runtime, fake_google: FakeGoogle
) -> None:
    fake_google.faults.add("GET", r"/calendarList/primary$", status=200, body={"summary": "x"})
    with pytest.raises(MalformedAnswer, match="Google calendarList"):
        runtime.calendar.primary_id()


def test_preview_of_a_mistyped_page_is_a_sync_error_not_a_crash(
    venue: BlocksSync, runtime: Runtime, fake_google: FakeGoogle
) -> None:
    fake_google.faults.add("GET", LISTS, status=200, body={"items": "abc"})
    with pytest.raises(MalformedAnswer):
        control.preview(runtime, ROOM, CAL)


# --- item 8a: a sync with no changes costs O(changes) -----------------------------------
SETTINGS_READS = r"/room/\d+/(day|date)/"


def settled(venue: BlocksSync, fake_lockme: FakeLockme, rt: Runtime) -> None:
    """Sync until a plan writes nothing, then forget the cached slot settings: a sync that
    plans again has to ask Lockme for them, one that does not plan asks nothing."""
    while venue.sync(CAL).more:
        pass
    venue.sync(CAL)
    cached = rt.redis.keys(rt.keys.blocks_slots(ROOM, "*"))
    rt.redis.delete(*cached)
    fake_lockme.clear_requests()


def test_a_sync_that_reads_no_change_plans_nothing_however_large_the_calendar(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    for day in range(1, 41):
        for hour in (10, 13, 16):
            fake_google.staff_event(
                CAL, "Staff", local(runtime, day, hour), local(runtime, day, hour + 1)
            )
    settled(venue, fake_lockme, runtime)
    lists = fake_google.count("GET", LISTS)
    report = venue.sync(CAL)
    # One list call that found nothing; no slot settings read, no Lockme call at all.
    assert fake_google.count("GET", LISTS) == lists + 1 and not report.full
    assert fake_lockme.count(None, SETTINGS_READS) == 0 and len(fake_lockme.requests) == 0
    assert report.created == report.freed == 0 and not report.planned


@pytest.mark.parametrize("first_sync_fails", [False, True], ids=["synced", "failed first"])
def test_a_change_read_after_a_quiet_plan_is_planned(
    venue: BlocksSync,
    runtime: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    first_sync_fails: bool,
) -> None:
    fake_google.staff_event(CAL, "Staff", local(runtime, 1, 10), local(runtime, 1, 11))
    settled(venue, fake_lockme, runtime)
    fake_google.staff_event(CAL, "Boiler", local(runtime, 2, 11), local(runtime, 2, 12))
    if first_sync_fails:
        # The read takes the change in (its token moves on); Lockme then fails the plan.
        fake_lockme.faults.add("GET", SETTINGS_READS, status=400)
        with pytest.raises(SyncError):
            venue.sync(CAL)
        fake_lockme.faults.clear()
    assert venue.sync(CAL).created == 1


def test_a_room_added_and_a_block_lost_are_planned_at_once(
    venue: BlocksSync, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.staff_event(CAL, "Staff", local(runtime, 1, 10), local(runtime, 1, 11))
    settled(venue, fake_lockme, runtime)
    fake_lockme.add_room(ROOM + 1, "Bank Heist")
    BlockRooms(runtime.redis, runtime.keys).set(ROOM + 1, CAL)
    assert venue.sync(CAL).created == 1
    venue.sync(CAL)
    assert not venue.sync(CAL).planned
    # A block deleted in Lockme's panel: the webhook drops it from the ledger (whose
    # generation moves), and the next sync makes it again.
    (record, *_) = venue.ledger.for_room(ROOM)
    assert record.reservation_id is not None
    fake_lockme.delete_reservation(record.reservation_id)
    venue.ledger.drop(record.extid)
    report = venue.sync(CAL)
    assert report.planned and report.created == 1
