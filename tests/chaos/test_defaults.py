"""The product's latency promises, at its default retry settings (no backoff scaling).

``test_chaos.py`` shrinks the retry schedule a hundredfold to fit many faults in a short run,
so it cannot see how long a booking waits at the settings a venue runs. This profile keeps
the defaults and measures what the README promises, with two worker kills and the fault mix
of issue 11 (``worker.sandbox.fault_mix``): about 20% of Google calls failing (5xx, 429,
403 rateLimitExceeded, writes applied but answered 503) and about 10% of Lockme calls:

- every booking acknowledged (so written: the ack follows the write) within 60 s of its
  last message, and the calendar equal to Lockme's reservations at the end;
- webhook-to-calendar p99 at most 15 s, over the messages not caught in a worker's crash;
  each of those within the 45 s a crash may cost. "Caught" is read from evidence, never
  from a latency: the job was running on the killed worker, and RQ failed it over as
  abandoned (its ``job.retried`` log line names ``AbandonedJobError``). A message of the
  same booking waits for the dead worker's reservation lease
  (``worker.flows.booking_sync.LOCK_SECONDS``),
  which is short enough to stay inside the 15 s, so it is not excluded.

The profile is large enough for its p99 to mean something: about 340 messages, so the
p99 is the fourth slowest, not the second as with half as many, where two unlucky messages
on a busy machine decided the result. Changes come at five a second (as in ``python -m
bench``'s freshness row), not ten: under this fault mix a job spends a few hundred
milliseconds in its in-place retries, so at ten a second two workers run at about their
capacity, where any stall (a kill, a busy machine) leaves a backlog that lasts until the
changes stop, and the p99 measured queueing, not the product's retries and recovery. How
fast more workers drain a burst is ``python -m bench``'s to measure.

Lockme's own redelivery is slowed to 30 s, then longer: the product's retries must meet the
targets by themselves. ``test_google_outage_recovery`` (5 minutes of Google answering 503)
runs only with ``CHAOS_OUTAGE=1``: it is longer than the suite may take.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq.worker import Worker

from tests.chaos.harness import (
    Redelivery,
    WebApp,
    chaos_redis_url,
    queue_idle,
    summary_line,
    wait_for,
)
from tests.chaos.test_chaos import (
    EVENTS,
    SEED,
    Env,
    activity,
    book,
    build_env,
    calendar_differences,
    fakes,
    fault_share,
    trace,
)
from worker.sandbox import FakeGoogle, FakeLockme, fault_mix

pytestmark = pytest.mark.chaos
__all__ = ["fakes"]  # the fixture, shared with test_chaos.py

BOOKINGS = 150
OPS_PER_S = 5.0
REDELIVERY_S = 30.0
LAST_MESSAGE_TO_ACK_S = 60.0
P99_S = 15.0
CRASHED_S = 45.0


class AckClock(threading.Thread):
    """When each message was first seen acknowledged (polled every 0.1 s)."""

    def __init__(self, lockme: FakeLockme) -> None:
        super().__init__(name="ack-clock", daemon=True)
        self.lockme = lockme
        self.acked_at: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            now = time.monotonic()
            for mid in set(self.lockme.acked) - set(self.acked_at):
                self.acked_at[mid] = now


class TimedRedelivery(Redelivery):
    """Redelivery that remembers when each message was published (its webhook's first go)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.published: dict[int, float] = {}

    def publish(self, message_id: int) -> None:
        self.published.setdefault(message_id, time.monotonic())
        super().publish(message_id)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def webhook_to_calendar(env: Env) -> dict[int, float]:
    """Each finished message's time from its webhook's arrival to its acknowledgement,
    after its calendar write, as the worker recorded it in the history."""
    entries = env.runtime.store.history.recent(limit=1000)
    return {e["message_id"]: e["latency_s"] for e in entries if "latency_s" in e}


def abandoned(env: Env) -> set[int]:
    """Messages whose job was running on a worker when it was killed (RQ failed them over
    as abandoned): their wait is a crash's, promised separately (README: 45 s)."""
    found = set()
    for path in env.workers.directory.glob("worker-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if '"job.retried"' in line and '"AbandonedJobError"' in line:
                with contextlib.suppress(ValueError, KeyError):
                    found.add(int(json.loads(line)["message_id"]))
    return found


def last_message_waits(env: Env, lm: TimedRedelivery, clock: AckClock) -> dict[int, float]:
    """Per booking, from its last message's publication to that message's ack."""
    last: dict[int, int] = {}
    for mid, body in env.lockme.messages.items():
        if isinstance(body, dict) and isinstance(body.get("reservationid"), int):
            last[body["reservationid"]] = max(mid, last.get(body["reservationid"], 0))
    return {
        rid: clock.acked_at.get(mid, float("inf")) - lm.published[mid]
        for rid, mid in last.items()
        if mid in lm.published
    }


def running_a_job(env: Env, index: int) -> bool:
    """Whether worker ``index`` is running a job now (its RQ registration says so)."""
    proc = env.workers.procs[index]
    if proc is None:
        return False
    return any(
        worker.pid == proc.pid and worker.get_current_job_id() is not None
        for worker in Worker.all(queue=env.runtime.queue)
    )


@pytest.fixture
def chaos_redis() -> Iterator[str]:
    """The chaos database, flushed before and after."""
    url = chaos_redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def run_default_profile(env: Env, rng: random.Random, kills: list[tuple[float, int]]) -> dict:
    lockme, workers = env.lockme, env.workers
    clock = AckClock(lockme)
    clock.start()
    began = time.monotonic()
    workers.start_all()
    with (
        WebApp(env.settings, env.runtime) as web,
        TimedRedelivery(web.url, lockme, rng, interval=REDELIVERY_S) as lm,
    ):
        actor = threading.Thread(target=activity, args=(rng, lockme, lm, BOOKINGS, OPS_PER_S))
        actor.start()
        for at, index in kills:
            while time.monotonic() - began < at:
                workers.restart_exited()
                time.sleep(0.1)
            # Mid-job, as the crash promise is about: an idle worker's death costs nothing.
            wait_for(lambda index=index: running_a_job(env, index), 10, step=0.01)
            workers.kill(index)
            time.sleep(1)
            workers.start(index)
        actor.join()
        activity_s = time.monotonic() - began

        def settled() -> bool:
            workers.restart_exited()
            return not set(lockme.messages) - lockme.acked

        wait_for(settled, LAST_MESSAGE_TO_ACK_S + 60, step=0.5)
        wait_for(lambda: queue_idle(env.runtime), 30, step=0.5)
        waits = last_message_waits(env, lm, clock)
    clock.stop.set()
    latencies = webhook_to_calendar(env)
    return {
        "activity_s": activity_s,
        "wall_s": time.monotonic() - began,
        "waits": waits,
        "latencies": latencies,
    }


def test_default_settings_meet_the_latency_targets(
    fakes: tuple[FakeLockme, FakeGoogle], chaos_redis: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    env = build_env(chaos_redis, fakes, tmp_path, backoff_scale="1")
    fault_mix.install(env.lockme, env.google)
    try:
        result = run_default_profile(env, rng, kills=[(6, 0), (16, 1)])
    finally:
        env.workers.stop_all()
    diff = calendar_differences(env)
    unacked = sorted(set(env.lockme.messages) - env.lockme.acked)
    waits, by_message = result["waits"], result["latencies"]
    crashed = abandoned(env)
    latencies = [s for mid, s in by_message.items() if mid not in crashed]
    worst = max(waits.values())
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(
        summary_line(
            [
                ("profile", "defaults"),
                ("seed", SEED),
                ("bookings", BOOKINGS),
                ("messages", len(env.lockme.messages)),
                ("faults", fault_share(env.lockme, env.google)),
                ("kills", env.workers.kills),
                ("p50", f"{p50:.1f}s"),
                ("p99", f"{p99:.1f}s"),
                ("max", f"{max(latencies):.1f}s"),
                ("crashed_jobs", len(crashed)),
                ("crashed_max", f"{max((by_message.get(m, 0) for m in crashed), default=0):.1f}s"),
                ("worst_last_message_to_ack", f"{worst:.1f}s"),
                ("unacked", len(unacked)),
                ("activity", f"{result['activity_s']:.0f}s"),
                ("wall", f"{result['wall_s']:.0f}s"),
            ]
        )
    )
    wrong = {rid for rids in diff.values() for rid in rids}
    if wrong:
        print(trace(env, wrong, env.workers))
    assert diff == {"missing": [], "duplicates": [], "orphans": [], "misplaced": []}, diff
    assert unacked == [], (unacked, env.workers.logs())
    late = {rid: round(w, 1) for rid, w in waits.items() if w > LAST_MESSAGE_TO_ACK_S}
    assert late == {}, trace(env, set(late), env.workers)
    assert p99 <= P99_S, sorted(latencies)[-10:]
    assert all(by_message[m] <= CRASHED_S for m in crashed if m in by_message), by_message


@pytest.mark.skipif(not os.environ.get("CHAOS_OUTAGE"), reason="5+ minutes: CHAOS_OUTAGE=1")
def test_google_outage_recovery(
    fakes: tuple[FakeLockme, FakeGoogle], chaos_redis: str, tmp_path: Path
) -> None:
    """Google answers 503 to every calendar call for 5 minutes while bookings keep coming;
    every one of them is in the calendar within 2 minutes of the outage's end."""
    outage_s = float(os.environ.get("CHAOS_OUTAGE_S", "300"))
    rng = random.Random(SEED)
    env = build_env(chaos_redis, fakes, tmp_path, backoff_scale="1")
    lockme, google = env.lockme, env.google
    env.workers.start_all()
    try:
        with (
            WebApp(env.settings, env.runtime) as web,
            TimedRedelivery(web.url, lockme, rng, interval=REDELIVERY_S) as lm,
        ):
            outage = google.faults.add(None, EVENTS, status=503)
            began = time.monotonic()
            booked: set[int] = set()
            while time.monotonic() - began < outage_s:
                booked |= book(lockme, lm, rng, 1)
                time.sleep(outage_s / 20)
            google.faults.remove(outage)
            ended = time.monotonic()
            done = wait_for(lambda: booked <= lockme.acked, 300, step=0.5)
            recovered = time.monotonic() - ended
    finally:
        env.workers.stop_all()
    print(
        summary_line(
            [
                ("profile", "outage"),
                ("outage", f"{outage_s:.0f}s"),
                ("bookings", len(booked)),
                ("recovered", f"{recovered:.0f}s" if done else "no"),
            ]
        )
    )
    assert done and recovered <= 120, sorted(booked - lockme.acked)
