"""Worker figures: per-booking overhead, forking vs in-process, the quota, scaling, start-up.

Every run starts real worker processes against the fakes and times bookings from the moment
they are queued until Lockme has received the last acknowledgement.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from rq import Worker

from bench import floor_worker
from bench.harness import ROOT, PeakRss, Stack, stack, stop, venv_bin, wait_until
from worker.jobs.queue import FINISHED_JOB_TTL_S

LATENCY_S = 0.020
WARM_UP = 5
NO_QUOTA = "10000"

WORKER = [venv_bin("lockme-sync"), "worker"]
FORKING_WORKER = [sys.executable, "-m", "bench.forking_worker"]
FLOOR_WORKER = [sys.executable, "-m", "bench.floor_worker"]


@dataclass
class Drain:
    """One timed burst: how long ``count`` bookings took and what it cost."""

    count: int
    seconds: float
    api_calls: int
    rate_limited: int
    failures: int
    peak_rss_mb: float

    @property
    def per_booking_ms(self) -> float:
        return self.seconds / self.count * 1000

    @property
    def calls_per_booking(self) -> float:
        return self.api_calls / self.count


def start_workers(s: Stack, argv: list[str], count: int, **env: str) -> list[subprocess.Popen]:
    """Start ``count`` workers and wait until each has registered with RQ."""
    procs = [s.spawn(argv, **env) for _ in range(count)]
    try:
        wait_until(lambda: Worker.count(connection=s.redis) >= count, timeout=30)
    except TimeoutError:
        for proc in procs:
            stop(proc)
        raise
    return procs


def timed_burst(
    s: Stack,
    queue: Callable[[list[int]], object],
    count: int,
    warm_up: int = WARM_UP,
    watch: AbstractContextManager[object] | None = None,
) -> float:
    """Seconds for ``count`` new bookings handed to ``queue`` until Lockme has the last
    ack, after ``warm_up`` bookings (whose requests are then forgotten); ``watch`` is
    entered for the timed part only."""
    queue(s.new_bookings(warm_up))
    wait_until(lambda: s.acked() >= warm_up, timeout=60)
    s.clear_logs()
    ids = s.new_bookings(count)
    with watch or nullcontext():
        started = time.monotonic()
        queue(ids)
        done = wait_until(lambda: s.acked() >= warm_up + count, timeout=300)
    return done - started


def drain(s: Stack, argv: list[str], workers: int, count: int, **env: str) -> Drain:
    """Time ``count`` new bookings through ``workers`` warm worker processes."""
    procs = start_workers(s, argv, workers, **env)
    try:
        rss = PeakRss(procs[0].pid)
        seconds = timed_burst(s, s.enqueue, count, warm_up=WARM_UP * workers, watch=rss)
        return Drain(
            count=count,
            seconds=seconds,
            api_calls=s.api_calls(),
            rate_limited=s.rate_limited(),
            failures=s.failures(),
            peak_rss_mb=rss.peak_mb,
        )
    finally:
        for proc in procs:
            stop(proc)


def per_booking(count: int = 60) -> dict[str, Drain]:
    """One worker, 20 ms on every API call: in-process (the product) beside forking."""
    results = {}
    for name, argv in (("in-process", WORKER), ("forking", FORKING_WORKER)):
        with stack(latency=LATENCY_S) as s:
            results[name] = drain(s, argv, 1, count, GOOGLE_RATE_LIMIT_PER_S=NO_QUOTA)
    return results


def _floor_env(s: Stack) -> dict[str, str]:
    return {
        "GOOGLE_URL": s.google.url,
        "FLOOR_LOCKME_TOKEN": s.lockme.issue_token()["access_token"],
        "FLOOR_GOOGLE_TOKEN": s.google.issue_token()["access_token"],
        "GOOGLE_RATE_LIMIT_PER_S": NO_QUOTA,
        "PYTHONPATH": str(ROOT),  # the worker imports the job from bench.floor_worker
    }


def _per_booking_ms(s: Stack, queue: Callable[[list[int]], object], count: int) -> float:
    seconds = timed_burst(s, queue, count)
    if s.google.status_counts().keys() != {200}:
        raise RuntimeError(f"the bare calls failed: {s.google.status_counts()}")
    return seconds / count * 1000


def floor(count: int = 60) -> dict[str, float]:
    """Milliseconds per booking for ``bench.floor_worker``'s bare calls, timed as
    :func:`drain` times the product: in a plain loop (the machine's floor), and as RQ jobs
    run by ``lockme-sync worker`` (the floor plus the queue's own work)."""
    results = {}
    with stack(latency=LATENCY_S) as s:
        proc = s.spawn(FLOOR_WORKER, **_floor_env(s))

        def in_list(ids: list[int]) -> None:
            s.redis.rpush(floor_worker.QUEUE, *ids)

        try:
            results["loop"] = _per_booking_ms(s, in_list, count)
        finally:
            stop(proc)
    with stack(latency=LATENCY_S) as s:
        procs = start_workers(s, WORKER, 1, **_floor_env(s))

        def as_jobs(ids: list[int]) -> None:
            for message_id in ids:
                s.runtime.queue.enqueue(
                    floor_worker.sync_one, message_id, result_ttl=FINISHED_JOB_TTL_S
                )

        try:
            results["rq"] = _per_booking_ms(s, as_jobs, count)
        finally:
            for proc in procs:
                stop(proc)
    return results


def at_quota(count: int = 1000, workers: int = 4, quota: float = 50, pace: float = 48) -> Drain:
    """``count`` new bookings against Google limited to ``quota`` requests/s per user.

    The shared limiter is set a little under the quota (``pace``): Google counts arrivals,
    and arrivals jitter by a few milliseconds around the instants the limiter hands out.
    """
    with stack(latency=LATENCY_S, google_rate_limit=quota) as s:
        return drain(s, WORKER, workers, count, GOOGLE_RATE_LIMIT_PER_S=str(pace))


def scaling(count: int = 120, counts: tuple[int, ...] = (1, 2, 4)) -> dict[int, Drain]:
    """A burst with no quota, so API latency is the bound: more processes drain it faster."""
    results = {}
    for workers in counts:
        with stack(latency=LATENCY_S) as s:
            results[workers] = drain(s, WORKER, workers, count, GOOGLE_RATE_LIMIT_PER_S=NO_QUOTA)
    return results


def startup() -> float:
    """Seconds from ``lockme-sync worker`` being started to its first booking synced."""
    with stack() as s:
        s.enqueue(s.new_bookings(1))
        started = time.monotonic()
        proc = s.spawn(WORKER)
        try:
            return wait_until(lambda: s.acked() >= 1, timeout=30) - started
        finally:
            stop(proc)
