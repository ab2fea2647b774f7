"""The product's worker keeps RQ's promises where RQ's own suite does not look: a stop
signal at the end of a job, a Redis error inside a heartbeat, the worker's key during a
long wait for the next job.

Each test runs a real ``SyncWorker`` in this process's main thread (RQ installs its signal
handlers there) on a Redis server of its own, while a second thread plays the platform or the fault:
it sends SIGTERM, pauses Redis's writes (``CLIENT PAUSE``), breaks one heartbeat with a
real Redis error, or runs another worker's cleanup. The helper thread waits for states it
can see in Redis, never for a fixed time, and every wait has a generous limit.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from rq import Callback, Queue, Retry, get_current_job
from rq.job import Job, JobStatus
from rq.worker import Worker

from tests.chaos.harness import RedisServer
from worker.jobs import rqseam

RUNS = "promises:runs"
FAILURE_CALLBACKS = "promises:failure-callbacks"
RELEASE = "promises:release"
LIMIT_S = 30
# How long a write pause may last if the test never lifts it (it lifts it at once).
PAUSE_MS = 15_000


def _connection() -> redis.Redis:
    job = get_current_job()
    assert job is not None
    return job.connection


def finish_while_writes_pause() -> str:
    """A job that succeeds, and on its first run pauses Redis's writes as it returns, so
    that its worker is held between the job's return and writing its outcome."""
    conn = _connection()
    if conn.incr(RUNS) == 1:
        conn.execute_command("CLIENT", "PAUSE", PAUSE_MS, "WRITE")
    return "done"


def run_until_released() -> str:
    """A job that lasts until the test releases it."""
    conn = _connection()
    conn.incr(RUNS)
    conn.blpop([RELEASE], timeout=LIMIT_S * 2)
    return "done"


def succeed() -> None:
    """A job that does nothing."""


def note_failure(job: Job, connection: redis.Redis, *_: Any) -> None:
    connection.incr(FAILURE_CALLBACKS)


def _wait_for(condition: Callable[[], object], what: str, limit_s: float = LIMIT_S) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this module's own: ``CLIENT PAUSE`` holds back every client of a
    server, so on the shared one it stalled the other test processes (and their blocked
    clients looked like this test's held-back write)."""
    server = RedisServer(tmp_path_factory.mktemp("promises-redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_url(private_redis: str) -> str:
    redis.Redis.from_url(private_redis).flushdb()
    return private_redis


@pytest.fixture
def conn(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.execute_command("CLIENT", "UNPAUSE")
    client.close()


@pytest.fixture
def queue(conn: redis.Redis) -> Queue:
    return Queue("promises", connection=conn)


@pytest.fixture
def make_worker(redis_url: str) -> Iterator[Callable[..., rqseam.SyncWorker]]:
    """The product's worker on a connection of its own, as a worker process has: RQ sets
    the socket timeout its blocking wait needs on a pool that has opened no connection."""
    own = redis.Redis.from_url(redis_url)

    def make(**options: Any) -> rqseam.SyncWorker:
        return rqseam.SyncWorker([Queue("promises", connection=own)], connection=own, **options)

    yield make
    own.close()


def _work(worker: rqseam.SyncWorker, scene: Callable[[], None], **work: Any) -> list[BaseException]:
    """Run ``worker`` in the main thread while ``scene`` runs beside it; returns what the
    scene raised. A scene leaves the worker able to end (``burst``, or it stops it).
    RQ's signal handlers are put back as they were afterwards."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    raised: list[BaseException] = []
    worker.working = threading.Event()
    worker.working.set()

    def play() -> None:
        try:
            scene()
        except BaseException as exc:
            raised.append(exc)

    helper = threading.Thread(target=play, name="scene", daemon=True)
    helper.start()
    try:
        worker.work(with_scheduler=False, **work)
    finally:
        worker.working.clear()
        for s, handler in before.items():
            signal.signal(s, handler)
    helper.join(LIMIT_S)
    return raised


def stop(worker: rqseam.SyncWorker) -> None:
    """Send SIGTERM to the worker as the platform does, to the main thread (so a blocking
    read there is interrupted, as in a worker process), unless it has ended already."""
    if not worker.working.is_set():
        return
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)
    _wait_for(lambda: worker.stop_signalled, "the worker to take the stop signal")


def _write_held_back(conn: redis.Redis) -> bool:
    """Whether a client waits for a write held back by ``CLIENT PAUSE`` (no client of
    these tests blocks otherwise while writes are paused)."""
    return any("b" in c["flags"] for c in conn.client_list())


def test_sigterm_between_a_jobs_return_and_its_outcome_finishes_it_once_and_stops(
    conn: redis.Redis, queue: Queue, make_worker: Callable[..., rqseam.SyncWorker]
) -> None:
    """Heroku's SIGTERM (every deploy, every daily restart) may land while the worker writes
    a message job's outcome. The job must end FINISHED, once, without its failure callback,
    and the worker must stop rather than take the next job."""
    job = queue.enqueue(
        f"{__name__}.finish_while_writes_pause",
        retry=Retry(max=1),
        on_failure=Callback(f"{__name__}.note_failure"),
        result_ttl=60,
    )
    following = queue.enqueue(f"{__name__}.succeed")
    worker = make_worker(job_monitoring_interval=5)

    def scene() -> None:
        _wait_for(lambda: _write_held_back(conn), "the outcome's write to wait")
        stop(worker)
        conn.execute_command("CLIENT", "UNPAUSE")

    assert _work(worker, scene, burst=True) == []

    assert conn.get(RUNS) == b"1", "the job ran again after it had succeeded"
    assert conn.get(FAILURE_CALLBACKS) is None, "a job that succeeded ran its failure callback"
    assert job.get_status() == JobStatus.FINISHED
    assert job.id not in queue.failed_job_registry
    assert following.get_status() == JobStatus.QUEUED, "the worker took a job after SIGTERM"


def _abandoned(queue: Queue, job: Job) -> bool:
    """Another worker's maintenance: RQ's cleanup of the started registry, then whether it
    gave up on ``job``."""
    queue.started_job_registry.cleanup()
    return job.id in queue.failed_job_registry or job.get_status() == JobStatus.FAILED


def test_a_redis_error_in_one_heartbeat_keeps_a_long_job_alive(
    conn: redis.Redis, queue: Queue, make_worker: Callable[..., rqseam.SyncWorker]
) -> None:
    """One heartbeat fails with a real Redis error (the worker's key is, for that beat, of
    the wrong type). The job must keep beating, so that no other worker's cleanup takes it
    for abandoned while it runs past the heartbeat's lifetime."""
    job = queue.enqueue(f"{__name__}.run_until_released", result_ttl=60)
    worker = make_worker(job_monitoring_interval=1)
    lifetime = worker.job_monitoring_interval + rqseam.ShortHeartbeat.HEARTBEAT_GRACE_S

    def beat() -> object:
        return Job.fetch(job.id, connection=conn).last_heartbeat

    def scene() -> None:
        _wait_for(lambda: conn.get(RUNS), "the job to start")
        started = beat()
        _wait_for(lambda: beat() != started, "the job's first heartbeat")
        conn.delete(worker.key)
        conn.set(worker.key, "not a hash")  # WRONGTYPE for the beat's HSET
        failed = beat()
        _wait_for(lambda: beat() != failed, "the heartbeat that meets the error")
        conn.delete(worker.key)
        until = time.monotonic() + lifetime + 3
        try:
            while time.monotonic() < until:
                assert not _abandoned(queue, job), "a running job was declared abandoned"
                time.sleep(0.5)
        finally:
            conn.rpush(RELEASE, 1)

    assert _work(worker, scene, burst=True) == []
    assert job.get_status() == JobStatus.FINISHED
    assert conn.get(RUNS) == b"1"


def test_the_worker_stays_registered_through_a_long_wait_for_the_next_job(
    conn: redis.Redis, queue: Queue, make_worker: Callable[..., rqseam.SyncWorker]
) -> None:
    """With ``worker_ttl`` raised, the worker blocks for longer than a job's heartbeat lives
    after a short job. ``Worker.all()`` must list it all that time."""
    job = queue.enqueue(f"{__name__}.succeed", result_ttl=60)
    worker = make_worker(job_monitoring_interval=1, worker_ttl=40)
    lifetime = worker.job_monitoring_interval + rqseam.ShortHeartbeat.HEARTBEAT_GRACE_S
    assert worker.dequeue_timeout > lifetime + 5

    def scene() -> None:
        _wait_for(lambda: job.get_status() == JobStatus.FINISHED, "the job to finish")
        try:
            until = time.monotonic() + lifetime + 3
            while time.monotonic() < until:
                listed = {w.name for w in Worker.all(connection=conn)}
                assert worker.name in listed, "a live worker dropped out of Worker.all()"
                time.sleep(0.5)
        finally:
            stop(worker)

    assert _work(worker, scene) == []
