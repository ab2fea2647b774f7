"""A dead worker holds no one back: its scheduler lock is taken over, its registration
cleaned, its reservation lease lapses. (The end-to-end timings are in ``tests/chaos``.)"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from rq import Queue
from rq.scheduler import RQScheduler
from rq.utils import now
from rq.worker import SimpleWorker

from worker.jobs import rqseam
from worker.runtime import Runtime


def gone_pid() -> int:
    """The pid of a process of this host that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def scheduler_of(queue: Queue, name: str, *, pid: int, silent_s: float = 0) -> RQScheduler:
    """A scheduler holding ``queue``'s lock, as a worker's scheduler process leaves it."""
    scheduler = RQScheduler([queue], connection=queue.connection, name=name)
    assert scheduler.acquire_locks() == {queue.name}
    scheduler.pid = pid
    scheduler.last_heartbeat = now() - timedelta(seconds=silent_s)
    scheduler.save()
    return scheduler


@pytest.fixture
def queue(runtime: Runtime) -> Queue:
    return runtime.queue


def lock_holder(queue: Queue) -> bytes | None:
    return queue.connection.get(RQScheduler.get_locking_key(queue.name))


def test_the_lock_of_a_scheduler_whose_process_is_gone_is_freed_at_once(queue: Queue) -> None:
    scheduler_of(queue, "dead-one", pid=gone_pid())
    assert rqseam.take_over_dead_scheduler(queue.connection, [queue.name]) == [queue.name]
    assert lock_holder(queue) is None


def test_the_lock_of_a_silent_scheduler_is_freed(queue: Queue) -> None:
    """Another host's scheduler cannot be looked up: its silence tells it is gone."""
    scheduler = scheduler_of(queue, "silent-one", pid=1, silent_s=rqseam.SCHEDULER_SILENT_S + 5)
    scheduler.hostname = "another-host"
    scheduler.save()
    assert rqseam.take_over_dead_scheduler(queue.connection, [queue.name]) == [queue.name]


def test_a_scheduler_hash_left_half_by_a_flush_is_read_without_failing(queue: Queue) -> None:
    """A scheduler that beats after Redis lost its data recreates its hash with only the
    heartbeat: the worker's maintenance must read it, not crash on it."""
    scheduler_of(queue, "after-a-flush", pid=os.getppid())
    key = "rq:scheduler:after-a-flush"
    beat = queue.connection.hget(key, "last_heartbeat")
    queue.connection.delete(key)
    queue.connection.hset(key, "last_heartbeat", beat)
    assert rqseam.take_over_dead_scheduler(queue.connection, [queue.name]) == []
    queue.connection.hset(key, "last_heartbeat", "not a time")
    assert rqseam.take_over_dead_scheduler(queue.connection, [queue.name]) == [queue.name]


def test_a_live_schedulers_lock_is_left_alone(queue: Queue) -> None:
    scheduler_of(queue, "alive", pid=os.getppid())
    assert rqseam.take_over_dead_scheduler(queue.connection, [queue.name]) == []
    assert lock_holder(queue) == b"alive"


def test_a_workers_own_scheduler_is_not_taken_over_before_it_first_beats(queue: Queue) -> None:
    """A worker takes the lock in its own process, then starts the scheduler's, which
    writes the heartbeat: in between, only another worker may read the holder as dead."""
    scheduler = RQScheduler([queue], connection=queue.connection, name="starting")
    assert scheduler.acquire_locks() == {queue.name}  # no heartbeat written yet
    assert rqseam.take_over_dead_scheduler(queue.connection, [queue.name], "starting") == []
    assert lock_holder(queue) == b"starting"
    assert rqseam.take_over_dead_scheduler(queue.connection, [queue.name]) == [queue.name]


def test_rqs_routine_maintenance_lines_are_debug() -> None:
    """RQ's "cleaning registries" lines every few seconds show only at DEBUG."""
    routine = logging.LogRecord(
        "rq.worker", logging.INFO, "", 0, "Worker %s: cleaning group registries", ("w",), None
    )
    other = logging.LogRecord(
        "rq.worker", logging.INFO, "", 0, "Acquired lock for %s", ("q",), None
    )
    root = logging.getLogger()
    before = root.level
    try:
        root.setLevel(logging.INFO)
        assert not rqseam._ROUTINE_MAINTENANCE.filter(routine)
        assert rqseam._ROUTINE_MAINTENANCE.filter(other) and other.levelno == logging.INFO
        root.setLevel(logging.DEBUG)
        assert rqseam._ROUTINE_MAINTENANCE.filter(routine) and routine.levelname == "DEBUG"
    finally:
        root.setLevel(before)


def test_maintenance_takes_the_dead_schedulers_place(queue: Queue) -> None:
    """RQ's own maintenance would wait up to a minute for the lock to lapse."""
    scheduler_of(queue, "dead-one", pid=gone_pid())
    worker = rqseam.SyncWorker([queue], connection=queue.connection, serializer=queue.serializer)
    worker.scheduler = RQScheduler([queue], connection=queue.connection)
    worker.last_cleaned_at = now()  # not the first pass: RQ tries the scheduler lock
    try:
        worker.run_maintenance_tasks()
        assert lock_holder(queue) == worker.scheduler.name.encode()
    finally:
        if worker.scheduler._process is not None:
            # SIGKILL: the forked scheduler may still run a SIGTERM handler it inherited
            # from an earlier in-process worker, and ignore a terminate().
            worker.scheduler._process.kill()
            worker.scheduler._process.join(10)


def test_a_dead_workers_registration_on_this_host_is_cleaned(queue: Queue) -> None:
    dead = SimpleWorker([queue], connection=queue.connection, name="dead-worker")
    dead.register_birth()
    queue.connection.hset(dead.key, "pid", gone_pid())
    alive = SimpleWorker([queue], connection=queue.connection, name="alive-worker")
    alive.register_birth()
    queue.connection.hset(alive.key, "pid", os.getppid())
    me = rqseam.SyncWorker([queue], connection=queue.connection, serializer=queue.serializer)
    assert me.clean_dead_registrations() == 1
    assert {w.name for w in SimpleWorker.all(queue=queue)} == {"alive-worker"}
