"""GET /status and GET /metrics read Redis and never write it.

RQ's registry counts clean up first by default: they fail over a dead worker's job, run
its failure callback and write dead letters. From the web process that made a page view a
write, and a scrape every 15 s a stream of them. Only the worker's maintenance recovers
jobs; the pages count what is there.
"""

from __future__ import annotations

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
from worker.queue import enqueue_message, job_id
from worker.runtime import Runtime
from worker.sandbox import FakeLockme

# Scripts count as writes whatever they do: a script's flags are not the command's.
SCRIPTS = {"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"}


def write_commands(client: redis.Redis) -> set[str]:
    """Every command this Redis flags as one that may write, and every script command."""
    table: dict[str, Any] = client.command()
    return {name for name, info in table.items() if "write" in info.get("flags", [])} | SCRIPTS


def command_calls(client: redis.Redis) -> dict[str, int]:
    """Calls per command since the server started (``INFO commandstats``)."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_").lower(): int(s["calls"]) for name, s in stats.items()}


@pytest.fixture
def writes(runtime: Runtime) -> Iterator[Any]:
    """A function returning the write commands run on this Redis since its previous call.

    Server-wide counts: nothing else uses this test's Redis server while the test runs
    (the worker here is the in-process one, and it is not running)."""
    watcher = redis.Redis.from_url(runtime.settings.redis_url)
    names = write_commands(watcher)
    last = command_calls(watcher)

    def since() -> dict[str, int]:
        nonlocal last
        now = command_calls(watcher)
        delta = {n: c - last.get(n, 0) for n, c in now.items() if n in names}
        last = command_calls(watcher)
        return {n: c for n, c in delta.items() if c}

    yield since
    watcher.close()


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
    writes()

    assert client.get("/status").status_code == 200
    assert writes() == {}
    scraped = client.get("/metrics")  # a staff session may scrape too
    assert scraped.status_code == 200
    assert 'lockme_sync_queue_depth{state="started"} 1.0' in scraped.get_data(as_text=True)
    assert writes() == {}
    job = Job.fetch(job_id(stranded), runtime.redis, serializer=runtime.queue.serializer)
    assert job.get_status() == JobStatus.STARTED  # left for the worker's maintenance
