"""GET /status and GET /metrics read Redis and never write it.

RQ's registry counts clean up first by default: they fail over a dead worker's job, run
its failure callback and write dead letters. From the web process that made a page view a
write, and a scrape every 15 s a stream of them. Only the worker's maintenance recovers
jobs; the pages count what is there.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rq.job import Job, JobStatus

from app import create_app
from tests.conftest import deliver, drain
from tests.test_faults import strand_on_dead_worker
from tests.test_web import log_in
from worker.config import Settings
from worker.jobs.queue import enqueue_message, job_id
from worker.runtime import Runtime
from worker.sandbox import FakeLockme

# Scripts count as writes whatever they do: a script's flags are not the command's.
SCRIPTS = {"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"}


def write_commands(client: redis.Redis) -> set[str]:
    """Every command this Redis flags as one that may write, and every script command."""
    table: dict[str, Any] = client.command()
    return {name for name, info in table.items() if "write" in info.get("flags", [])} | SCRIPTS


class Monitor(threading.Thread):
    """Every command run on this test's own database, as Redis's ``MONITOR`` streams it.

    ``MONITOR`` names each command's database, so other test processes sharing the server
    (pytest-xdist's, another checkout's) are told apart; ``INFO commandstats`` counts the
    whole server and would charge their writes to this test."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(url)
        self.db = int(self.client.connection_pool.connection_kwargs.get("db", 0))
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self._monitor = self.client.monitor()
        self._monitor.__enter__()

    def run(self) -> None:
        with contextlib.suppress(redis.RedisError, OSError, ValueError, AttributeError):
            while True:
                command = self._monitor.next_command()
                if int(command.get("db", -1)) == self.db:
                    with self.lock:
                        self.seen.append(str(command["command"]))

    def until(self, token: str) -> list[str]:
        """The commands seen before ``token`` (an ECHO sent after them), and forget them."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.lock:
                marks = [i for i, c in enumerate(self.seen) if token in c]
                if marks:
                    seen, self.seen = self.seen[: marks[0]], self.seen[marks[0] + 1 :]
                    return seen
            time.sleep(0.01)
        raise AssertionError("MONITOR never showed the marker")


@pytest.fixture
def writes(runtime: Runtime) -> Iterator[Any]:
    """A function returning the write commands run on the test's database since its
    previous call."""
    names = write_commands(runtime.redis)
    monitor = Monitor(runtime.settings.redis_url)
    monitor.start()

    def since() -> dict[str, int]:
        # MONITOR streams in order: once the marker shows, everything before it has.
        token = f"readonly-marker-{time.monotonic_ns()}"
        runtime.redis.echo(token)
        counts: dict[str, int] = {}
        for command in monitor.until(token):
            name = command.split(" ")[0].strip('"').lower()
            if name in names:
                counts[name] = counts.get(name, 0) + 1
        return counts

    since()
    yield since
    monitor.client.close()


def test_status_and_metrics_write_nothing(
    settings: Settings, runtime: Runtime, fake_lockme: FakeLockme, writes: Any
) -> None:
    client = create_app(settings, runtime).test_client()
    # An installation with history, a failure's worth of state and a dead worker's job: the
    # job is what RQ's counting cleanup would fail over.
    done = fake_lockme.create_reservation(1398, "2026-03-14", "18:30:00")[1]
    assert deliver(client, done).status_code == 200
    drain(runtime)
    stranded = fake_lockme.create_reservation(1398, "2026-03-15", "18:30:00")[1]
    assert enqueue_message(runtime, stranded) == "queued"
    strand_on_dead_worker(runtime, stranded)
    log_in(client)
    # The first view asks Lockme for the room names and caches them (with that call's count
    # and answer shape): a cache fill, once an hour, not a read's side effect.
    client.get("/status")
    assert writes(), "the cache fill is seen: the count would see any other write"

    assert client.get("/status").status_code == 200
    assert writes() == {}
    scraped = client.get("/metrics")  # a staff session may scrape too
    assert scraped.status_code == 200
    assert 'lockme_sync_queue_depth{state="started"} 1.0' in scraped.get_data(as_text=True)
    assert writes() == {}
    job = Job.fetch(job_id(stranded), runtime.redis, serializer=runtime.queue.serializer)
    assert job.get_status() == JobStatus.STARTED  # left for the worker's maintenance
