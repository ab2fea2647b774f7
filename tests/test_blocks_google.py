"""The Google side of blocks: the gateway's sync and push calls, the feed, the channels and
the push receiver, against the Google fake on loopback and the real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from werkzeug.serving import make_server

from app import create_app
from tests.conftest import connected_runtime, drain, make_settings
from worker.config import ConfigError, Settings, load_settings
from worker.domain.errors import PermanentError
from worker.domain.identity import is_block_extid, private_properties
from worker.flows.blocks import control
from worker.flows.blocks.channels import Channels, ChannelStore
from worker.flows.blocks.feed import Feed, FeedStore
from worker.gateways.google_calendar import PushRefused, SyncTokenGone
from worker.jobs import blocks_runs, rqseam
from worker.jobs import blocks_sync as jobs
from worker.jobs.schedules import POLL_S
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.leases import Leases

CAL = "blocks@group.calendar.google.com"


@pytest.fixture
def blocks_cal(fake_google: FakeGoogle) -> str:
    fake_google.add_calendar(CAL, "Blocks", "owner")
    return CAL


def soon(days: int, hour: int) -> datetime:
    """A local time ``days`` from today, in the fake's zone (the venue's)."""
    from zoneinfo import ZoneInfo

    day = datetime.now(UTC).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Warsaw"))


def google_calls(fake: FakeGoogle, path: str = r"/calendar/v3/") -> int:
    return fake.count(None, path)


def feed_of(rt: Runtime) -> Feed:
    return Feed(rt.calendar, FeedStore(rt.redis, rt.keys), rt.settings)


# -- gateway ---------------------------------------------------------------------------


def test_changes_reads_in_full_then_incrementally_and_raises_on_a_stale_token(
    runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    for day in range(1, 4):
        fake_google.staff_event(blocks_cal, f"E{day}", soon(day, 10), soon(day, 11))
    far = fake_google.staff_event(blocks_cal, "Far", soon(200, 10), soon(200, 11))
    now = datetime.now(UTC)
    items, token = runtime.calendar.changes(blocks_cal, None, now, now + timedelta(days=90))
    assert len(items) == 3 and far not in {e["id"] for e in items}
    assert token
    gone = items[0]["id"]
    fake_google.delete_staff_event(blocks_cal, gone)
    changes, token2 = runtime.calendar.changes(blocks_cal, token)
    assert [(e["id"], e["status"]) for e in changes] == [(gone, "cancelled")]
    assert token2 and token2 != token
    fake_google.invalidate_sync_tokens()
    with pytest.raises(SyncTokenGone):
        runtime.calendar.changes(blocks_cal, token2)


def test_changes_follows_pages(runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str) -> None:
    fake_google.staff_event(
        blocks_cal, "Daily", soon(1, 9), soon(1, 10), recurrence=["RRULE:FREQ=DAILY;COUNT=300"]
    )
    now = datetime.now(UTC)
    items, token = runtime.calendar.changes(blocks_cal, None, now, now + timedelta(days=400))
    assert len(items) == 300 and token
    assert google_calls(fake_google, r"/events$") == 2


def test_watch_is_refused_for_plain_http_and_stop_is_idempotent(
    runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    with pytest.raises(PushRefused):
        runtime.calendar.watch(blocks_cal, "a" * 32, "tok", "http://example.com/x", 3600)
    connection = runtime.store.connections.connection("google")
    assert connection["connected"] and not connection["error"]
    answer = runtime.calendar.watch(blocks_cal, "b" * 32, "tok", "https://example.com/x", 3600)
    assert answer["resourceId"] and int(answer["expiration"]) > time.time() * 1000
    assert runtime.calendar.stop_channel("b" * 32, answer["resourceId"]) is True
    assert runtime.calendar.stop_channel("b" * 32, answer["resourceId"]) is False


def test_a_failing_list_is_retried_in_place(
    runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    fake_google.staff_event(blocks_cal, "E", soon(1, 10), soon(1, 11))
    rule = fake_google.faults.add("GET", r"/events$", status=503, times=1)
    read = feed_of(runtime).read(blocks_cal)
    assert rule.hits == 1 and read.full and len(read.changed) == 1


# -- feed ------------------------------------------------------------------------------


def test_feed_keeps_only_blocking_events(
    runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    busy = fake_google.staff_event(blocks_cal, "Party", soon(2, 18), soon(2, 22))
    fake_google.staff_event(
        blocks_cal, "Lunch", soon(2, 12), soon(2, 13), transparency="transparent"
    )
    fake_google.staff_event(blocks_cal, "Invite", soon(3, 12), soon(3, 13), invitation="declined")
    day = soon(4, 0).date()
    closed = fake_google.staff_event(
        blocks_cal, "Closed", day, day + timedelta(days=1), all_day=True
    )
    series = fake_google.staff_event(
        blocks_cal, "Clean", soon(5, 8), soon(5, 9), recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"]
    )
    ours = {
        "summary": "Booking",
        "start": {"dateTime": soon(6, 18).isoformat()},
        "end": {"dateTime": soon(6, 19).isoformat()},
        "extendedProperties": {"private": private_properties(1, 1, 1)},
    }
    runtime.calendar.insert(blocks_cal, ours)

    read = feed_of(runtime).read(blocks_cal)
    snapshot = FeedStore(runtime.redis, runtime.keys).snapshot(blocks_cal)
    instances = {e for e in snapshot if e.startswith(f"{series}_")}
    assert read.full and not read.empty and read.removed == frozenset()
    assert set(snapshot) == {busy, closed} | instances and len(instances) == 2
    assert read.changed == frozenset(snapshot)
    party = snapshot[busy]
    assert party["summary"] == "Party" and party["link"].startswith("https://")
    assert datetime.fromisoformat(party["start"]) == soon(2, 18)
    assert datetime.fromisoformat(snapshot[closed]["end"]) == soon(5, 0)
    state = FeedStore(runtime.redis, runtime.keys).state(blocks_cal)
    assert state["sync_token"] and state["full_at"] == state["synced_at"]


def test_feed_reads_changes_incrementally(
    runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    kept = fake_google.staff_event(blocks_cal, "Kept", soon(1, 10), soon(1, 11))
    moved = fake_google.staff_event(blocks_cal, "Moved", soon(2, 10), soon(2, 11))
    freed = fake_google.staff_event(blocks_cal, "Freed", soon(3, 10), soon(3, 11))
    gone = fake_google.staff_event(blocks_cal, "Gone", soon(4, 10), soon(4, 11))
    feed = feed_of(runtime)
    feed.read(blocks_cal)
    fake_google.move_staff_event(blocks_cal, moved, soon(2, 14), soon(2, 15))
    runtime.calendar.update(
        blocks_cal,
        freed,
        {**fake_google.event(blocks_cal, freed), "transparency": "transparent"},  # type: ignore[dict-item]
    )
    fake_google.delete_staff_event(blocks_cal, gone)
    added = fake_google.staff_event(blocks_cal, "Added", soon(5, 10), soon(5, 11))
    fake_google.clear_requests()

    read = feed.read(blocks_cal)
    assert not read.full and not read.empty
    assert read.changed == {moved, added}
    assert read.removed == {freed, gone}
    assert set(FeedStore(runtime.redis, runtime.keys).snapshot(blocks_cal)) == {kept, moved, added}
    assert google_calls(fake_google) == 1

    fake_google.clear_requests()
    quiet = feed.read(blocks_cal)
    assert (quiet.changed, quiet.removed, quiet.full) == (frozenset(), frozenset(), False)
    assert google_calls(fake_google) == 1


def test_a_stale_token_makes_a_full_read_that_replaces_the_snapshot(
    runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    first = fake_google.staff_event(blocks_cal, "First", soon(1, 10), soon(1, 11))
    second = fake_google.staff_event(blocks_cal, "Second", soon(2, 10), soon(2, 11))
    feed = feed_of(runtime)
    feed.read(blocks_cal)
    fake_google.invalidate_sync_tokens()
    fake_google.delete_staff_event(blocks_cal, first)
    read = feed.read(blocks_cal)
    assert read.full and read.removed == {first} and read.changed == frozenset()
    assert set(FeedStore(runtime.redis, runtime.keys).snapshot(blocks_cal)) == {second}
    fake_google.delete_staff_event(blocks_cal, second)
    emptied = feed.read(blocks_cal)
    assert emptied.empty and not emptied.full and emptied.removed == {second}


def test_a_failed_read_leaves_the_state_as_it_was(
    runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    fake_google.staff_event(blocks_cal, "E", soon(1, 10), soon(1, 11))
    feed, store = feed_of(runtime), FeedStore(runtime.redis, runtime.keys)
    feed.read(blocks_cal)
    before = (store.state(blocks_cal), store.snapshot(blocks_cal))
    fake_google.staff_event(blocks_cal, "F", soon(2, 10), soon(2, 11))
    fake_google.faults.add("GET", r"/events$", status=400, times=1)
    with pytest.raises(PermanentError):
        feed.read(blocks_cal)
    assert (store.state(blocks_cal), store.snapshot(blocks_cal)) == before


def test_the_full_read_is_bounded_to_the_horizon(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    settings = make_settings(redis_url, fake_lockme, fake_google, BLOCKS_HORIZON_DAYS="10")
    assert settings.blocks_horizon_days == 10
    near = fake_google.staff_event(blocks_cal, "Near", soon(5, 10), soon(5, 11))
    fake_google.staff_event(blocks_cal, "Far", soon(20, 10), soon(20, 11))
    with connected_runtime(settings, fake_lockme, fake_google) as rt:
        assert feed_of(rt).read(blocks_cal).changed == {near}


# -- channels --------------------------------------------------------------------------


@pytest.fixture
def push_settings(redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> Settings:
    return make_settings(redis_url, fake_lockme, fake_google, PUBLIC_URL="http://127.0.0.1:9")


@pytest.fixture
def push_runtime(
    push_settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> Iterator[Runtime]:
    with connected_runtime(push_settings, fake_lockme, fake_google) as rt:
        yield rt


def channels_of(rt: Runtime) -> Channels:
    return Channels(rt.calendar, ChannelStore(rt.redis, rt.keys), rt.settings)


def run_requested(rt: Runtime, cal: str) -> None:
    """Ask for the calendar's sync and run it now, as if its read gate had opened (the
    last read was seconds ago), the way the worker would."""
    rt.redis.delete(rt.keys.blocks_sync(cal, "gate"))
    jobs.request_sync(rt, cal)
    run_due(rt)


def run_due(rt: Runtime) -> None:
    """Run the queued jobs, the scheduled ones included as if their time had come."""
    registry = ScheduledJobRegistry(queue=rt.queue)
    for jid in registry.get_job_ids():
        job = rt.queue.fetch_job(jid)
        registry.remove(jid)
        if job is not None:
            rt.queue.enqueue_job(job)
    drain(rt)


def test_a_refused_address_is_recorded_and_not_asked_again_within_the_hour(
    push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    channels = channels_of(push_runtime)
    assert channels.ensure(blocks_cal) is None
    refused = ChannelStore(push_runtime.redis, push_runtime.keys).refused(blocks_cal)
    assert refused is not None and "must be HTTPS" in refused[1]
    assert channels.ensure(blocks_cal) is None
    assert fake_google.count("POST", r"/events/watch$") == 1
    assert push_runtime.redis.keys(push_runtime.keys.blocks_channel("*")) == []


def test_ensure_opens_renews_and_stop_closes(
    push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    fake_google.allow_http_push = True
    channels, store = channels_of(push_runtime), ChannelStore(push_runtime.redis, push_runtime.keys)
    first = channels.ensure(blocks_cal)
    assert first is not None and first.resource_id and first.seconds_left() > 6 * 24 * 3600
    assert store.get(first.id) == first and store.current(blocks_cal) == first
    assert channels.ensure(blocks_cal) == first
    assert fake_google.count("POST", r"/events/watch$") == 1

    # An hour left: under the day at which a channel is replaced.
    store.save(replace(first, expiration=int(time.time() * 1000) + 3600_000))
    second = channels.ensure(blocks_cal)
    assert second is not None and second.id != first.id
    assert fake_google.live_channels(blocks_cal) == [second.id]
    assert store.get(first.id) is None

    channels.stop(blocks_cal)
    assert fake_google.live_channels(blocks_cal) == []
    assert store.get(second.id) is None and store.current(blocks_cal) is None


def test_a_calendar_whose_channel_expired_is_read_at_the_poll_that_renews_it(
    push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    """Changes made after a channel expired were pushed to nobody: the poll asks for the
    sync that replaces the channel, and that sync reads the calendar too, instead of
    trusting the new channel for ten minutes."""
    from worker.stores.block_rooms import BlockRooms

    BlockRooms(push_runtime.redis, push_runtime.keys).set(101, blocks_cal)
    fake_google.allow_http_push = True
    run_requested(push_runtime, blocks_cal)
    store = ChannelStore(push_runtime.redis, push_runtime.keys)
    opened = store.current(blocks_cal)
    assert opened is not None and store.pushed(blocks_cal)
    # Read a minute ago: past the poll interval, well inside the safety net's.
    state = push_runtime.keys.blocks_calendar(blocks_cal)
    push_runtime.redis.hset(state, "synced_at", time.time() - 2 * POLL_S)
    assert blocks_runs.due_calendars(push_runtime) == []  # pushed: only the safety net reads it

    store.save(replace(opened, expiration=int(time.time() * 1000) - 1000))
    fake_google.expire_channel(opened.id)
    assert blocks_runs.due_calendars(push_runtime) == [blocks_cal]
    lists = fake_google.count("GET", r"/events$")
    run_requested(push_runtime, blocks_cal)
    renewed = store.current(blocks_cal)
    assert renewed is not None and renewed.id != opened.id
    assert fake_google.live_channels(blocks_cal) == [renewed.id]
    assert fake_google.count("GET", r"/events$") == lists + 1
    assert blocks_runs.due_calendars(push_runtime) == []


def test_a_channel_counts_only_once_a_read_started_under_it(
    push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    """A calendar read moments before its channel opened is not pushed yet: a change made
    in between reached neither. The poll reads it at once, not after the safety net."""
    from worker.stores.block_rooms import BlockRooms

    BlockRooms(push_runtime.redis, push_runtime.keys).set(101, blocks_cal)
    feed_of(push_runtime).read(blocks_cal)
    open_channel(push_runtime, fake_google, blocks_cal)
    store = ChannelStore(push_runtime.redis, push_runtime.keys)
    assert not store.pushed(blocks_cal)
    assert blocks_runs.due_calendars(push_runtime) == [blocks_cal]
    run_requested(push_runtime, blocks_cal)
    assert store.pushed(blocks_cal) and blocks_runs.due_calendars(push_runtime) == []
    assert fake_google.count("POST", r"/events/watch$") == 1  # the sync kept that channel


def test_a_renewed_channel_is_followed_by_a_read(
    push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    """Renewing a channel (under a day left) is the sync's: it opens the new one, then
    reads, as Google's sync guide advises."""
    from worker.stores.block_rooms import BlockRooms

    BlockRooms(push_runtime.redis, push_runtime.keys).set(101, blocks_cal)
    fake_google.allow_http_push = True
    run_requested(push_runtime, blocks_cal)
    store = ChannelStore(push_runtime.redis, push_runtime.keys)
    first = store.current(blocks_cal)
    assert first is not None
    store.save(replace(first, expiration=int(time.time() * 1000) + 3600_000))
    assert blocks_runs.due_calendars(push_runtime) == [blocks_cal]
    lists = fake_google.count("GET", r"/events$")
    run_requested(push_runtime, blocks_cal)
    second = store.current(blocks_cal)
    assert second is not None and second.id != first.id and store.pushed(blocks_cal)
    assert fake_google.count("GET", r"/events$") == lists + 1


@pytest.mark.parametrize("read_ago", [POLL_S - 1.5, POLL_S + 1])
def test_a_calendar_without_push_is_read_at_every_poll_even_when_the_last_ran_late(
    runtime: Runtime, blocks_cal: str, read_ago: float
) -> None:
    """The last poll's read was a little under an interval ago (that poll, or its sync,
    started late): this poll reads again, not the next one a minute after the change."""
    from worker.stores.block_rooms import BlockRooms

    BlockRooms(runtime.redis, runtime.keys).set(101, blocks_cal)
    now = time.time()
    runtime.redis.hset(runtime.keys.blocks_calendar(blocks_cal), "synced_at", now - read_ago)
    assert blocks_runs.due_calendars(runtime, now) == [blocks_cal]
    runtime.redis.hset(runtime.keys.blocks_calendar(blocks_cal), "synced_at", now - 5)
    assert blocks_runs.due_calendars(runtime, now) == []  # read moments ago by something else


def test_stop_removes_the_records_even_when_google_fails(
    push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    fake_google.allow_http_push = True
    channels, store = channels_of(push_runtime), ChannelStore(push_runtime.redis, push_runtime.keys)
    opened = channels.ensure(blocks_cal)
    assert opened is not None
    fake_google.faults.add("POST", r"/channels/stop$", status=400)
    channels.stop(blocks_cal)
    assert store.get(opened.id) is None and store.current(blocks_cal) is None


# -- push receiver ---------------------------------------------------------------------


def push(client: Any, channel: str, token: str, state: str = "exists", resource: str = "") -> Any:
    headers = {
        "X-Goog-Channel-ID": channel,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-State": state,
        "X-Goog-Resource-ID": resource,
        "X-Goog-Message-Number": "2",
    }
    return client.post("/webhooks/google", headers=headers)


def open_channel(rt: Runtime, fake: FakeGoogle, cal: str) -> Any:
    fake.allow_http_push = True
    opened = channels_of(rt).ensure(cal)
    assert opened is not None
    assert fake.wait_for_pushes()
    return opened


def sync_job(rt: Runtime, cal: str) -> Job | None:
    """The calendar's sync job waiting to run (queued, or scheduled for when its read gate
    opens), if any."""
    pending = jobs.pending_job(rt, cal)
    return rt.queue.fetch_job(pending) if pending else None


def test_forged_and_unknown_pushes_cost_no_google_call_and_no_job(
    push_settings: Settings, push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    opened = open_channel(push_runtime, fake_google, blocks_cal)
    client = create_app(push_settings, push_runtime).test_client()
    fake_google.clear_requests()
    assert push(client, "not-a-channel", opened.token).status_code == 404
    assert push(client, "0" * 32, opened.token).status_code == 404
    assert push(client, opened.id, "wrong").status_code == 403
    assert push(client, opened.id, opened.token, resource="other").status_code == 403
    assert client.get("/webhooks/google").status_code == 405
    assert fake_google.requests == []
    assert push_runtime.queue.count == 0 and sync_job(push_runtime, blocks_cal) is None


def test_sync_is_answered_and_ignored(
    push_settings: Settings, push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    opened = open_channel(push_runtime, fake_google, blocks_cal)
    client = create_app(push_settings, push_runtime).test_client()
    assert push(client, opened.id, opened.token, "sync", opened.resource_id).status_code == 200
    assert push_runtime.queue.count == 0


def test_ten_pushes_make_one_job_and_a_push_during_a_run_asks_for_one_more(
    push_settings: Settings, push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    opened = open_channel(push_runtime, fake_google, blocks_cal)
    client = create_app(push_settings, push_runtime).test_client()
    for _ in range(10):
        assert (
            push(client, opened.id, opened.token, "exists", opened.resource_id).status_code == 200
        )
    assert push_runtime.queue.count == 1
    job = sync_job(push_runtime, blocks_cal)
    assert job is not None and job.args == [blocks_cal]

    # While a run holds the calendar, a request asks it for one more.
    run = Leases(push_runtime.redis, push_runtime.keys, lease_s=5, wait_s=0)
    with run(f"blocks-run:{blocks_cal}"):
        push_runtime.redis.delete(push_runtime.keys.blocks_sync(blocks_cal, "pending"))
        assert jobs.request_sync(push_runtime, blocks_cal) == "again"
    assert push_runtime.redis.exists(push_runtime.keys.blocks_sync(blocks_cal, "again"))
    assert push_runtime.queue.count == 1


@contextmanager
def receiving(redis_url: str, lockme: FakeLockme, google: FakeGoogle) -> Iterator[Settings]:
    """The web app on a loopback port in a thread, Google's pushes to it allowed over
    http; yields the settings of a deployment at that address."""
    google.allow_http_push = True
    placeholder = make_settings(redis_url, lockme, google)
    with connected_runtime(placeholder, lockme, google) as rt:
        server = make_server("127.0.0.1", 0, create_app(placeholder, rt), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.port}"
            yield make_settings(redis_url, lockme, google, PUBLIC_URL=url)
        finally:
            server.shutdown()


def test_the_fake_pushes_into_the_running_app(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    with (
        receiving(redis_url, fake_lockme, fake_google) as settings,
        connected_runtime(settings, fake_lockme, fake_google) as rt,
    ):
        assert channels_of(rt).ensure(blocks_cal) is not None
        assert fake_google.wait_for_pushes()
        assert rt.queue.count == 0
        today = date.today()
        fake_google.staff_event(blocks_cal, "Party", today, today + timedelta(days=1), all_day=True)
        assert fake_google.wait_for_pushes()
        assert [p["status"] for p in fake_google.pushes] == [200, 200]
        assert rt.queue.count == 1


# -- turning blocks on: no gap between the first read and push ------------------------

ROOM = 101


def blocked(lockme: FakeLockme, day: date) -> list[str]:
    """The hours of the product's blocks in ``ROOM`` on ``day``."""
    return sorted(
        r["hour"][:5]
        for r in lockme.live_reservations().values()
        if int(r["roomid"]) == ROOM and r["date"] == day.isoformat() and is_block_extid(r["extid"])
    )


def test_a_change_just_after_turning_blocks_on_is_pushed_at_once(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    """Turning blocks on opens the push channel before the first read, so a staff event
    added seconds later is pushed and blocked at once, not after the 10-minute safety net
    (the next poll found the channel live and the calendar read moments ago)."""
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    with (
        receiving(redis_url, fake_lockme, fake_google) as settings,
        connected_runtime(settings, fake_lockme, fake_google) as rt,
    ):
        control.turn_on(rt, ROOM, blocks_cal)
        drain(rt)  # the worker runs the sync turning on asked for
        assert fake_google.live_channels(blocks_cal)
        assert fake_google.count("GET", r"/events$") == 1
        assert blocks_runs.due_calendars(rt) == []  # the next poll: pushed, nothing to read
        # A few seconds later (the read gate has opened), staff add an event.
        rt.redis.delete(rt.keys.blocks_sync(blocks_cal, "gate"))
        fake_google.staff_event(blocks_cal, "Boiler", soon(1, 11), soon(1, 14))
        assert fake_google.wait_for_pushes()
        assert fake_google.pushes[-1]["status"] == 200
        drain(rt)
        assert blocked(fake_lockme, soon(1, 0).date()) == ["11:30", "13:00"]


def test_with_push_refused_a_change_after_turning_on_is_read_at_the_next_poll(
    push_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    """The sandbox's plain-http address: Google refuses it, so the calendar is polled at
    every poll (interface.md: at least every 60 s without a live channel)."""
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    control.turn_on(push_runtime, ROOM, blocks_cal)
    drain(push_runtime)
    store = ChannelStore(push_runtime.redis, push_runtime.keys)
    assert store.refused(blocks_cal) is not None and not store.pushed(blocks_cal)
    fake_google.staff_event(blocks_cal, "Boiler", soon(1, 11), soon(1, 14))
    now = time.time()
    assert blocks_runs.due_calendars(push_runtime, now) == []  # read moments ago
    assert blocks_runs.due_calendars(push_runtime, now + POLL_S) == [blocks_cal]
    assert POLL_S <= 60
    run_requested(push_runtime, blocks_cal)
    assert blocked(fake_lockme, soon(1, 0).date()) == ["11:30", "13:00"]
    assert fake_google.count("POST", r"/events/watch$") == 1  # not asked again this hour


# -- the push receiver under races and replays -----------------------------------------


class PushAsJobsFinish(rqseam.SyncWorker):
    """RQ's worker, with a push arriving at the moment each job has returned and RQ has
    not yet cleaned it up: the last moment a run of the calendar is still under way."""

    def __init__(self, *args: Any, send: Callable[[], int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.send = send
        self.answers: list[int] = []

    def handle_job_success(self, job: Job, *args: Any, **kwargs: Any) -> None:
        self.answers.append(self.send())
        super().handle_job_success(job, *args, **kwargs)


def test_a_push_as_a_run_finishes_is_answered_and_followed_by_a_run(
    push_settings: Settings, push_runtime: Runtime, fake_google: FakeGoogle, blocks_cal: str
) -> None:
    """The push lands after the run's last look for pushes and before RQ drops the job:
    answered 2xx, and one more run is waiting (the run may have read before the change)."""
    from worker.stores.block_rooms import BlockRooms

    BlockRooms(push_runtime.redis, push_runtime.keys).set(ROOM, blocks_cal)
    opened = open_channel(push_runtime, fake_google, blocks_cal)
    client = create_app(push_settings, push_runtime).test_client()
    jobs.request_sync(push_runtime, blocks_cal)

    def send() -> int:
        return int(push(client, opened.id, opened.token, "exists", opened.resource_id).status_code)

    worker = PushAsJobsFinish(
        [push_runtime.queue],
        connection=push_runtime.redis,
        serializer=push_runtime.queue.serializer,
        send=send,
    )
    worker.work(burst=True, with_scheduler=False)
    assert worker.answers == [200]
    waiting = push_runtime.queue.count + ScheduledJobRegistry(queue=push_runtime.queue).count
    assert waiting == 1


def test_a_push_racing_the_cleanup_of_a_finished_job_is_answered_2xx(
    push_settings: Settings,
    push_runtime: Runtime,
    fake_google: FakeGoogle,
    blocks_cal: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RQ deletes a finished job (``result_ttl=0``) whenever its worker gets to it, so a
    job a request finds may be gone a moment later: the request still answers 2xx and
    leaves a run waiting."""
    from worker.stores.block_rooms import BlockRooms

    BlockRooms(push_runtime.redis, push_runtime.keys).set(ROOM, blocks_cal)
    opened = open_channel(push_runtime, fake_google, blocks_cal)
    client = create_app(push_settings, push_runtime).test_client()
    jobs.request_sync(push_runtime, blocks_cal)
    fetch = Job.fetch.__func__  # type: ignore[attr-defined]

    def fetched_then_cleaned_up(cls: type[Job], *args: Any, **kwargs: Any) -> Job:
        job = fetch(cls, *args, **kwargs)
        job.delete()  # what RQ does at the end of a finished job's run
        return job

    monkeypatch.setattr(Job, "fetch", classmethod(fetched_then_cleaned_up))
    for _ in range(3):
        answer = push(client, opened.id, opened.token, "exists", opened.resource_id)
        assert answer.status_code == 200
    monkeypatch.undo()
    assert sync_job(push_runtime, blocks_cal) is not None


def test_replayed_pushes_cost_one_list_call_and_a_real_change_among_them_is_read(
    push_settings: Settings,
    push_runtime: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    blocks_cal: str,
) -> None:
    """A captured push replayed over and over: the first is read at once, the rest wait
    for one run when the read gate opens (a few seconds), which still sees a change made
    among them (the last push of a burst is never dropped)."""
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    fake_google.allow_http_push = True
    control.turn_on(push_runtime, ROOM, blocks_cal)
    drain(push_runtime)
    opened = ChannelStore(push_runtime.redis, push_runtime.keys).current(blocks_cal)
    assert opened is not None
    client = create_app(push_settings, push_runtime).test_client()
    push_runtime.redis.delete(push_runtime.keys.blocks_sync(blocks_cal, "gate"))
    lists = fake_google.count("GET", r"/events$")
    for index in range(30):
        answer = push(client, opened.id, opened.token, "exists", opened.resource_id)
        assert answer.status_code == 200
        if index == 20:  # a real change, pushed among the replays
            fake_google.staff_event(blocks_cal, "Boiler", soon(1, 11), soon(1, 14))
        drain(push_runtime)  # the worker runs whatever is due
    assert fake_google.count("GET", r"/events$") == lists + 1
    assert blocked(fake_lockme, soon(1, 0).date()) == []
    run_due(push_runtime)  # the gate opened
    assert fake_google.count("GET", r"/events$") == lists + 2
    assert blocked(fake_lockme, soon(1, 0).date()) == ["11:30", "13:00"]


@pytest.mark.parametrize("value", ["0", "731", "ninety", "-5"])
def test_a_bad_horizon_is_refused_at_start(value: str) -> None:
    with pytest.raises(ConfigError, match="BLOCKS_HORIZON_DAYS"):
        load_settings(env={"BLOCKS_HORIZON_DAYS": value})
