"""What staff read: the history's details, honest queue numbers, reconcile's progress.

Driven through the engine's public functions against a real Redis and the sandbox services.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from worker.domain.booking import Route, event_id
from worker.flows.reconcile import Change, ReadStep, Reconciler, last_run
from worker.jobs import schedules
from worker.ops.names import calendar_names, room_label, room_names
from worker.ops.status import queue_stats, reconcile_times, snapshot
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme


def test_history_names_room_booking_time_link_and_latency(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    rid, mid = fake_lockme.create_reservation(5, "2026-05-02", "18:30:00")
    runtime.syncer.handle(mid, received_at=time.time() - 3)
    entry = runtime.store.history.recent(1)[0]
    event = fake_google.event(fake_google.email, event_id(rid))
    assert entry["room_id"] == 5
    assert (entry["date"], entry["hour"]) == ("2026-05-02", "18:30")
    assert entry["html_link"] == event["htmlLink"]
    # The name, as the event shows it at the room's level (no contact details), so that
    # staff can find the booking by it; never the phone or e-mail.
    assert entry["customer"] == "Jan Kowalski"
    assert "+48600100200" not in str(entry)
    assert 3 <= entry["latency_s"] < 60
    today = entry["at"][:10]
    assert runtime.store.history.daily_latency([today]) == {today: {"5": 1}}


def test_history_keeps_no_name_where_the_room_shows_none(
    runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    runtime.store.routes.set_route(Route(5, privacy="time_only"))
    rid, mid = fake_lockme.create_reservation(5, "2026-05-02", "18:30:00")
    runtime.syncer.handle(mid)
    entry = runtime.store.history.recent(1)[0]
    assert entry["reservation_id"] == rid and "Kowalski" not in str(entry)


def test_delete_entry_names_the_room_without_a_time(
    runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    rid, mid = fake_lockme.create_reservation(5, "2026-05-02", "18:30:00")
    runtime.syncer.handle(mid)
    runtime.syncer.handle(fake_lockme.delete_reservation(rid))
    entry = runtime.store.history.recent(1)[0]
    assert entry["result"] == "deleted" and entry["room_id"] == 5 and "date" not in entry
    assert "latency_s" not in entry  # no webhook receipt to time from


def test_maintenance_jobs_are_not_retries(runtime: Runtime) -> None:
    schedules.ensure(runtime)  # the nightly reconcile, the alert check, the blocks' poll and check
    stats, n = queue_stats(runtime), len(schedules.PERIODIC)
    assert (stats["scheduled"], stats["maintenance"], stats["retrying"]) == (n, n, 0)
    nxt = reconcile_times(runtime)["next"]
    assert nxt is not None and nxt.endswith("Z")
    assert snapshot(runtime)["reconcile"]["last"] is None


def test_names_come_from_lockme_google_and_routes(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_lockme.add_room(101, "Pharaoh's Tomb")
    fake_google.add_calendar("rooms@group.calendar.google.com", "Rooms Kraków", "writer")
    names = room_names(runtime)
    assert names[101] == "Pharaoh's Tomb"
    assert room_label(names, 101) == "Pharaoh's Tomb (#101)" and room_label(names, 7) == "#7"
    calendars = calendar_names(runtime)
    assert calendars["rooms@group.calendar.google.com"] == "Rooms Kraków"
    assert calendars["primary"] == calendars[fake_google.email]
    runtime.store.routes.set_route(Route(101, room_name="Tomb (upstairs)"))
    assert room_names(runtime)[101] == "Tomb (upstairs)"


def test_a_failed_name_read_is_not_retried_at_once(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.add_calendar("rooms@group.calendar.google.com", "Rooms Kraków", "writer")
    fake_google.revoke()
    fake_google.expire_access_tokens()
    assert calendar_names(runtime) == {}
    requests_before = len(fake_google.requests)
    assert calendar_names(runtime) == {}  # answered from the short negative cache
    assert len(fake_google.requests) == requests_before


def test_names_are_empty_when_not_connected(runtime: Runtime) -> None:
    runtime.store.tokens.delete_token("lockme")
    runtime.store.tokens.delete_token("google")
    assert room_names(runtime) == {} and calendar_names(runtime) == {}


def test_reconcile_reports_progress_and_lists_dry_run_changes(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_lockme.add_room(5, "Bunker")
    fake_lockme.add_room(6, "Lab")
    day = date.today() + timedelta(days=1)
    kept, _ = fake_lockme.create_reservation(5, day.isoformat(), "10:00:00")
    steps: list[ReadStep] = []
    summary = Reconciler(runtime, dry_run=True, progress=steps.append).run(days=2)
    assert [(s.room_id, s.done, s.total) for s in steps] == [
        (5, 1, 6),
        (5, 2, 6),
        (5, 3, 6),
        (6, 4, 6),
        (6, 5, 6),
        (6, 6, 6),
    ]
    assert steps[2].bookings == 1 and steps[-1].bookings == 0
    assert summary.changes == [Change("created", kept, "primary")]
    assert fake_google.live_events_by_reservation() == {}
    assert last_run(runtime) is None  # a dry run is not a reconcile
    Reconciler(runtime).run(days=2)
    assert last_run(runtime) is not None
    assert last_run(runtime)["created"] == 1 and last_run(runtime)["days"] == 2
