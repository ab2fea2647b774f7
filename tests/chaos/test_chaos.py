"""Fault injection with real worker processes, a real Redis and the web app on loopback.

Run alone with ``pytest -m chaos -s`` to see the summary lines. ``CHAOS_SEED`` replays a
run's plan (bookings, faults, kills); timing still varies between runs, which is the point.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.worker import Worker

from tests.chaos.harness import (
    CLI,
    Redelivery,
    RedisServer,
    WebApp,
    Workers,
    chaos_redis_url,
    queue_idle,
    seed_connections,
    summary_line,
    wait_for,
    worker_env,
)
from tests.conftest import google_record, make_settings
from worker.config import Settings
from worker.domain.booking import Route, event_id
from worker.jobs.queue import enqueue_message, job_id
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme, Faults
from worker.sandbox.google_errors import google_error_body
from worker.stores.store import Store

pytestmark = pytest.mark.chaos

SEED = int(os.environ.get("CHAOS_SEED", "20260427"))
BACKOFF_SCALE = "0.01"  # 5 s .. 30 min becomes 1 s .. 18 s
TZ = ZoneInfo("Europe/Warsaw")
CALENDARS = ("room-a@group.calendar.google.com", "room-b@group.calendar.google.com")
# Rooms 1-2 → room A, 3-4 → room B, 5-6 → no route, i.e. the primary calendar.
ROOMS = {1: CALENDARS[0], 2: CALENDARS[0], 3: CALENDARS[1], 4: CALENDARS[1], 5: None, 6: None}


@dataclass
class Env:
    settings: Settings
    runtime: Runtime
    lockme: FakeLockme
    google: FakeGoogle
    workers: Workers


@pytest.fixture
def fakes() -> Iterator[tuple[FakeLockme, FakeGoogle]]:
    print(f"\nCHAOS_SEED={SEED}")
    lockme = FakeLockme(faults=Faults(SEED + 1))
    google = FakeGoogle(rotate_refresh_tokens=True, faults=Faults(SEED + 2))
    for calendar_id in CALENDARS:
        google.add_calendar(calendar_id, calendar_id.split("@")[0])
    with lockme, google:
        yield lockme, google


def build_env(
    redis_url: str,
    fakes: tuple[FakeLockme, FakeGoogle],
    tmp: Path,
    backoff_scale: str = BACKOFF_SCALE,
) -> Env:
    """The engine wired to the fakes; ``backoff_scale`` "1" is the product's default."""
    lockme, google = fakes
    # The fake Google has no quota: the shared limiter would only slow the run down.
    settings = make_settings(
        redis_url,
        lockme,
        google,
        RETRY_BACKOFF_SCALE=backoff_scale,
        GOOGLE_RATE_LIMIT_PER_S="200",
    )
    runtime = build_runtime(settings)
    for room, calendar_id in ROOMS.items():
        if calendar_id:
            runtime.store.routes.set_route(Route(room_id=room, calendar_id=calendar_id))
    seed_connections(runtime.store, lockme, google)
    return Env(settings, runtime, lockme, google, Workers(settings, tmp, 2))


@pytest.fixture
def env(fakes: tuple[FakeLockme, FakeGoogle], tmp_path: Path) -> Iterator[Env]:
    """Shared Redis database (flushed before and after), two workers not yet started."""
    url = chaos_redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    built = build_env(url, fakes, tmp_path)
    yield built
    built.workers.stop_all()
    client.flushdb()
    client.close()


def registered_workers(env: Env) -> set[str]:
    return {worker.name for worker in Worker.all(queue=env.runtime.queue)}


def start_worker(env: Env, index: int) -> None:
    """Start a worker and wait until it has registered (it may clean up a dead one's
    registration as it does, so the count of workers tells nothing)."""
    before = registered_workers(env)
    env.workers.start(index)
    assert wait_for(lambda: bool(registered_workers(env) - before), 20), env.workers.logs()


def job_status(env: Env, message_id: int) -> JobStatus | None:
    job = Job.fetch(
        job_id(message_id), connection=env.runtime.redis, serializer=env.runtime.queue.serializer
    )
    return job.get_status(refresh=True)


def start_slow_job(env: Env, delay: float = 4, room: int = 1) -> int:
    """Queue one booking whose message read takes ``delay`` seconds; wait until it runs."""
    _rid, mid = env.lockme.create_reservation(room, "2026-09-01", "18:00:00")
    env.lockme.faults.add("GET", rf"/message/{mid}$", delay=delay, times=1)
    enqueue_message(env.runtime, mid)
    started = StartedJobRegistry(queue=env.runtime.queue)
    assert wait_for(lambda: job_id(mid) in started.get_job_ids(), 20), env.workers.logs()
    return mid


# --- worker death ---------------------------------------------------------------------------


def test_job_of_killed_worker_is_retried_promptly(env: Env) -> None:
    """With no redelivery at all, the surviving worker fails the abandoned job over.

    Worker 0 starts first, so it runs the scheduler, and is kept busy; worker 1 takes the
    second job and is SIGKILLed. The README promises 45 s; the figure is printed.
    """
    start_worker(env, 0)
    busy = start_slow_job(env, delay=10, room=2)
    start_worker(env, 1)
    mid = start_slow_job(env)
    env.workers.kill(1)
    killed_at = time.monotonic()
    assert wait_for(lambda: mid in env.lockme.acked, 60), env.workers.logs()
    elapsed = time.monotonic() - killed_at
    print(f"job of a SIGKILLed worker acknowledged {elapsed:.1f} s after the kill")
    assert elapsed < 45
    assert busy in env.lockme.acked


def test_redelivery_revives_job_stuck_on_dead_worker(env: Env) -> None:
    """No worker is left to clean up: a redelivery of the message, as the dispatcher hands
    it over, itself fails the job over; the restarted worker takes over the dead one's
    scheduler lock and reservation lease at once, not when they lapse."""
    start_worker(env, 0)
    mid = start_slow_job(env)
    env.workers.kill(0)
    assert job_status(env, mid) == JobStatus.STARTED
    # The job looks alive until its heartbeat lapses (monitoring interval + grace).
    time.sleep(16)
    assert enqueue_message(env.runtime, mid) in ("requeued", "known")
    assert job_status(env, mid) in (JobStatus.QUEUED, JobStatus.SCHEDULED)
    assert job_id(mid) not in StartedJobRegistry(queue=env.runtime.queue).get_job_ids()
    restarted = time.monotonic()
    start_worker(env, 1)
    assert wait_for(lambda: mid in env.lockme.acked, 30), env.workers.logs()
    print(f"revived job acknowledged {time.monotonic() - restarted:.1f} s after the restart")


def test_job_of_killed_scheduler_worker_is_retried_by_the_survivor(env: Env) -> None:
    """The killed worker was also running the scheduler: the survivor takes its scheduler
    lock over (RQ alone would wait up to 61 s) and retries the job, within 45 s of the kill."""
    start_worker(env, 0)
    mid = start_slow_job(env)  # on worker 0, the scheduler's worker: the only one yet
    start_worker(env, 1)
    env.workers.kill(0)
    killed_at = time.monotonic()
    assert wait_for(lambda: mid in env.lockme.acked, 60), env.workers.logs()
    elapsed = time.monotonic() - killed_at
    print(f"job of the killed scheduler's worker acknowledged {elapsed:.1f} s after the kill")
    assert elapsed < 45


def test_the_only_worker_killed_and_restarted_at_once_recovers_within_30_s(env: Env) -> None:
    """The worker dies mid-job holding the scheduler lock and the booking's reservation,
    and is restarted a second later (a process manager's restart), with no redelivery:
    its booking reaches the calendar within 30 s of the restart (README)."""
    start_worker(env, 0)
    mid = start_slow_job(env)
    env.workers.kill(0)
    time.sleep(1)
    restarted = time.monotonic()
    start_worker(env, 0)
    assert wait_for(lambda: mid in env.lockme.acked, 60), env.workers.logs()
    elapsed = time.monotonic() - restarted
    print(f"job of the only, restarted worker acknowledged {elapsed:.1f} s after the restart")
    assert elapsed < 30


# --- the main scenario ----------------------------------------------------------------------

BOOKINGS = 220
OPS_PER_S = 10
EVENTS = r"/calendar/v3/calendars/[^/]+/events"
MESSAGE = r"/v2\.4/message/\d+$"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, because the scenario flushes and restarts it."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def install_faults(lockme: FakeLockme, google: FakeGoogle) -> None:
    """About one request in five fails; earlier rules win, so rarer faults come first."""
    google.faults.add(None, EVENTS, status=500, probability=0.10)
    google.faults.add(None, EVENTS, status=429, probability=0.06)
    rate_limited = google_error_body(403, "rateLimitExceeded", "Rate Limit Exceeded")
    google.faults.add(None, EVENTS, status=403, body=rate_limited, probability=0.06)
    for method in ("POST", "PUT", "DELETE"):
        google.faults.add(method, EVENTS, drop_after_apply=True, probability=0.09)
    # A timeout costs a worker the client's 20 s read timeout: a few, not a rate.
    lockme.faults.timeout_seconds = 25
    lockme.faults.add("GET", MESSAGE, timeout=True, probability=0.01, times=2)
    lockme.faults.add(
        "POST", MESSAGE, timeout=True, drop_after_apply=True, probability=0.01, times=2
    )
    lockme.faults.add("GET", MESSAGE, status=503, probability=0.18)
    lockme.faults.add("GET", MESSAGE, status=500, probability=0.10)
    lockme.faults.add("POST", MESSAGE, status=502, probability=0.15)
    lockme.faults.add("POST", MESSAGE, drop_after_apply=True, probability=0.11)


def booking_slot(rng: random.Random) -> tuple[str, str]:
    """A day this winter (no DST change) and an evening slot."""
    day = date(2026, 12, 1) + timedelta(days=rng.randrange(90))
    return day.isoformat(), f"{rng.randrange(9, 22):02d}:{rng.choice((0, 30)):02d}:00"


def activity(
    rng: random.Random,
    lockme: FakeLockme,
    redelivery: Redelivery,
    bookings: int,
    ops_per_s: float = OPS_PER_S,
) -> None:
    """Customers and staff on Lockme: adds, edits, room moves and deletes, ``ops_per_s``
    (~10) a second."""
    live: list[int] = []
    created = 0
    while created < bookings:
        roll = rng.random()
        if roll < 0.45 or not live:
            rid, mid = lockme.create_reservation(rng.choice(list(ROOMS)), *booking_slot(rng))
            live.append(rid)
            created += 1
        elif roll < 0.62:
            day, hour = booking_slot(rng)
            mid = lockme.edit_reservation(rng.choice(live), date=day, hour=hour)
        elif roll < 0.77:
            rid = rng.choice(live)
            room = lockme.reservations[rid]["roomid"]
            mid = lockme.edit_reservation(rid, roomid=rng.choice([r for r in ROOMS if r != room]))
        elif roll < 0.87:
            mid = lockme.edit_reservation(rng.choice(live), people=rng.randrange(2, 9))
        else:
            rid = live.pop(rng.randrange(len(live)))
            mid = lockme.delete_reservation(rid)
        redelivery.publish(mid)
        time.sleep(rng.uniform(0, 2 / ops_per_s))
    bad = {"action": "add", "roomid": 1, "reservationid": 990001, "data": {"hour": "25:99"}}
    for body in (bad, {**bad, "data": None}, {**bad, "action": "cancel"}):
        redelivery.publish(lockme.put_message(body))
    redelivery.publish(lockme.test_message())


def calendar_differences(env: Env) -> dict[str, list[int]]:
    """Compare the calendar with Lockme's truth: one event per live reservation, in the
    calendar its room routes to, starting at its date and hour."""
    truth = env.lockme.live_reservations()
    events = env.google.live_events_by_reservation()
    wrong = []
    for rid, reservation in truth.items():
        copies = events.get(str(rid), [])
        if len(copies) != 1:
            continue
        calendar_id, event = copies[0]
        stamp = f"{reservation['date']} {reservation['hour']}"
        start = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
        private = event["extendedProperties"]["private"]
        if (
            calendar_id != (ROOMS[reservation["roomid"]] or env.google.email)
            or datetime.fromisoformat(event["start"]["dateTime"]) != start
            or private["lockmeRoomId"] != str(reservation["roomid"])
        ):
            wrong.append(rid)
    return {
        "missing": [rid for rid in truth if str(rid) not in events],
        "duplicates": [int(rid) for rid, copies in events.items() if len(copies) > 1],
        "orphans": [int(rid) for rid in events if int(rid) not in truth],
        "misplaced": wrong,
    }


def trace(env: Env, rids: set[int], workers: Workers) -> str:
    """Everything about the given reservations: their messages in order, every copy of their
    event (cancelled ones too), and the workers' log lines about those messages."""
    lines = []
    messages: set[int] = set()
    for rid in sorted(rids):
        lines.append(f"reservation {rid}:")
        for mid, body in sorted(env.lockme.messages.items()):
            if isinstance(body, dict) and body.get("reservationid") == rid:
                messages.add(mid)
                data = body.get("data") or {}
                acked = "acked" if mid in env.lockme.acked else "UNACKED"
                lines.append(
                    f"  message {mid} {body['action']} room {body['roomid']} "
                    f"{data.get('date')} {data.get('hour')} {acked}"
                )
        for calendar_id in env.google.calendar_ids():
            event = env.google.event(calendar_id, event_id(rid))
            if event is not None:
                private = event["extendedProperties"]["private"]
                lines.append(
                    f"  event in {calendar_id}: {event['status']} stamp {private['lockmeStamp']}"
                    f" room {private['lockmeRoomId']} {event['start']['dateTime']}"
                )
    return "\n".join(lines) + "\n" + workers.logs(mentioning=messages)


def fault_share(*fakes: FakeLockme | FakeGoogle) -> str:
    hits = sum(rule.hits for fake in fakes for rule in fake.faults.rules)
    requests_served = sum(len(fake.requests) for fake in fakes)
    return f"{hits}/{requests_served}({100 * hits / max(requests_served, 1):.0f}%)"


def lose_store(env: Env) -> None:
    """Redis flushed: queue, mappings, markers, tokens, all gone. Routes come back with it
    (in one transaction, so no booking is briefly routed to ``primary``); the tokens only
    when the operator reconnects."""
    with env.runtime.redis.pipeline() as pipe:
        pipe.flushdb()
        for room, calendar_id in ROOMS.items():
            if calendar_id:
                Store(pipe, env.runtime.keys, "").routes.set_route(
                    Route(room_id=room, calendar_id=calendar_id)
                )
        pipe.execute()


def test_chaos_converges(
    fakes: tuple[FakeLockme, FakeGoogle], own_redis: RedisServer, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    env = build_env(own_redis.url, fakes, tmp_path)
    lockme, google, workers = env.lockme, env.google, env.workers
    install_faults(lockme, google)
    began = time.monotonic()
    workers.start_all()
    timeline: list[tuple[float, Any]] = [(t, "expire tokens") for t in range(6, 60, 6)]
    # SIGKILL worker N and restart it; early, because a killed worker's reservation lock
    # holds that booking's messages back for its full 120 s.
    timeline += [(4, 0), (12, 1), (24, 0), (34, 1)]
    timeline += [(18, "flush"), (19.5, "reconnect"), (29, "restart redis")]
    timeline.sort(key=lambda item: item[0])
    try:
        with WebApp(env.settings, env.runtime) as web, Redelivery(web.url, lockme, rng) as lm:
            actor = threading.Thread(target=activity, args=(rng, lockme, lm, BOOKINGS))
            actor.start()
            for at, step in timeline:
                while time.monotonic() - began < at:
                    workers.restart_exited()
                    time.sleep(0.1)
                if isinstance(step, int):
                    workers.kill(step)
                    time.sleep(1)
                    workers.start(step)
                elif step == "expire tokens":
                    lockme.expire_access_tokens()
                    google.expire_access_tokens()
                elif step == "flush":
                    lose_store(env)
                elif step == "reconnect":
                    seed_connections(env.runtime.store, lockme, google)
                elif step == "restart redis":
                    own_redis.restart(down_seconds=3)
            actor.join()

            def settled() -> bool:
                workers.restart_exited()
                left = len(set(lockme.messages) - lockme.acked)
                if int(time.monotonic() - began) % 10 == 0:
                    print(f"{time.monotonic() - began:.0f}s: {left} unacked", flush=True)
                return left == 0

            wait_for(settled, 150, step=0.5)
            wait_for(lambda: queue_idle(env.runtime), 30, step=0.5)
            deliveries, refused = lm.deliveries, lm.refused
        wall = time.monotonic() - began
        diff = calendar_differences(env)
        unacked = sorted(set(lockme.messages) - lockme.acked)
        parked = env.runtime.store.failures.parked()
        line = summary_line(
            [
                ("seed", SEED),
                ("bookings", BOOKINGS),
                ("live", len(lockme.live_reservations())),
                ("messages", len(lockme.messages)),
                ("deliveries", deliveries),
                ("refused", refused),
                *((name, len(rids)) for name, rids in diff.items()),
                ("unacked", len(unacked)),
                ("parked", len(parked)),
                ("dead_letters", len(env.runtime.store.failures.failures(limit=10_000))),
                ("kills", workers.kills),
                ("crashes", workers.crashes),
                ("faults", fault_share(lockme, google)),
                ("wall", f"{wall:.0f}s"),
            ]
        )
        print(line)
        wrong = {rid for rids in diff.values() for rid in rids}
        if wrong:
            print(trace(env, wrong, workers))  # pytest shows it in full beside the failure
        assert diff == {"missing": [], "duplicates": [], "orphans": [], "misplaced": []}, diff
        assert unacked == [], (unacked, workers.logs())
    finally:
        workers.stop_all()


# --- a revoked grant -------------------------------------------------------------------------


def book(lockme: FakeLockme, redelivery: Redelivery, rng: random.Random, count: int) -> set[int]:
    """New bookings, delivered; returns their message ids."""
    ids = set()
    for _ in range(count):
        _rid, mid = lockme.create_reservation(rng.choice(list(ROOMS)), *booking_slot(rng))
        redelivery.publish(mid)
        ids.add(mid)
    return ids


def test_revoked_google_grant_parks_until_reconnect_and_replay(env: Env) -> None:
    """Google access is revoked mid-run: messages are parked, not acknowledged; after a
    reconnect, ``lockme-sync replay`` processes all of them (Lockme's redelivery is held
    back meanwhile, so that the replay alone is what recovers them)."""
    rng = random.Random(SEED)
    env.workers.start_all()
    lockme, google = env.lockme, env.google
    with WebApp(env.settings, env.runtime) as web, Redelivery(web.url, lockme, rng) as lm:
        before = book(lockme, lm, rng, 10)
        assert wait_for(lambda: before <= lockme.acked, 60), env.workers.logs()

        google.revoke()
        after_ids = book(lockme, lm, rng, 10)
        assert wait_for(lambda: set(env.runtime.store.failures.parked()) >= after_ids, 60), (
            env.workers.logs()
        )
        lm.paused.set()
        assert wait_for(lambda: queue_idle(env.runtime), 30)
        assert not after_ids & lockme.acked
        assert env.runtime.store.connections.connection("google")["connected"] is False

        env.runtime.calendar.connect(google_record(google.issue_token()), account=google.email)
        replayed = subprocess.run(
            [str(CLI), "replay"],
            env=worker_env(env.settings),
            cwd=env.workers.directory,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        print(replayed.stdout.strip())
        assert wait_for(lambda: after_ids <= lockme.acked, 60), env.workers.logs()
    assert env.runtime.store.failures.parked() == {}
    diff = calendar_differences(env)
    assert diff == {"missing": [], "duplicates": [], "orphans": [], "misplaced": []}
