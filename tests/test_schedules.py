"""Periodic work heals itself: the nightly reconcile, the alert check and the blocks poll
come back after a flushed Redis or a lost job without a restart, cover a runtime set while
the worker runs, and run each slot once however many jobs were made for it.

A real ``lockme-sync worker`` process where the promise is about one (a flush under a
running worker); elsewhere a real worker's maintenance pass, called as RQ's loop calls it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from tests.chaos.harness import Workers, wait_for
from tests.conftest import make_settings
from worker.flows.reconcile import last_run
from worker.jobs import rqseam, runtimes, schedules
from worker.jobs.job_names import ALERT_JOB, POLL_JOB, RECONCILE_JOB
from worker.jobs.queue import enqueue_reconcile
from worker.jobs.schedules import POLL_S
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme

OTHER_PREFIX = "v2:"
OTHER_QUEUE = "v2-lockme"
PREFIXES = tuple(periodic.prefix for periodic in schedules.PERIODIC)
# Generous: the machine is shared and slow; what is asserted is that it happens at all.
LIMIT_S = 60


def periodic_ids(runtime: Runtime) -> dict[str, str]:
    """The earliest run of each periodic job waiting in the runtime's schedule (its hash
    there too), by job-id prefix. At a slot's time a pass may make the next run before
    RQ's scheduler (once a second) has queued the due one: a kind may briefly have two."""
    registry = ScheduledJobRegistry(queue=runtime.queue)
    found: dict[str, str] = {}
    for jid in registry.get_job_ids(cleanup=False):  # earliest first
        for prefix in PREFIXES:
            if jid.startswith(runtime.keys.job(prefix)) and Job.exists(
                jid, connection=runtime.redis
            ):
                found.setdefault(prefix, jid)
    return found


def clear_of_a_slot(margin_s: float = 10) -> None:
    """Wait, if need be, until no slot falls within ``margin_s``, for a test that counts
    the jobs waiting (see :func:`periodic_ids`). Every slot is on a multiple of the poll's
    30 s: the others' intervals are multiples of it, and time zones are whole quarters."""
    left = POLL_S - time.time() % POLL_S
    if left < margin_s:
        time.sleep(left + 0.5)


def all_scheduled(runtime: Runtime) -> bool:
    return len(periodic_ids(runtime)) == len(PREFIXES)


def pass_of(worker: rqseam.SyncWorker) -> None:
    """One maintenance pass of ``worker``, as its loop runs it every few seconds."""
    worker.run_maintenance_tasks()


@pytest.fixture
def worker(runtime: Runtime) -> rqseam.SyncWorker:
    """The product's worker for ``runtime``'s queue, serving the runtimes set in this
    process (as ``lockme-sync worker`` does)."""
    made = rqseam.SyncWorker(
        [runtime.queue], connection=runtime.redis, serializer=runtime.queue.serializer
    )
    made.served = runtimes.served
    return made


def test_a_flushed_store_gets_its_periodic_jobs_back_without_a_restart(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Issue 23: a failover to an empty replica ended every chain until the next restart,
    up to a day on Heroku. Now the running worker schedules them again, and the poll runs
    again within about one interval."""
    workers = Workers(runtime.settings, tmp_path, 1)
    workers.start(0)
    try:
        assert wait_for(lambda: all_scheduled(runtime), LIMIT_S), workers.logs()
        runtime.redis.flushdb()
        assert wait_for(lambda: all_scheduled(runtime), LIMIT_S), workers.logs()
        poll = periodic_ids(runtime)[POLL_JOB]
        # It runs at its time: its slot is claimed by its run (and the next one waits).
        ran = wait_for(
            lambda: bool(runtime.redis.exists(runtime.keys.slot_ran(poll))), POLL_S + LIMIT_S
        )
        assert ran, workers.logs()
        proc = workers.procs[0]
        assert proc is not None and proc.poll() is None
        assert "stopped unasked" not in workers.logs()  # no restart, inside or out
    finally:
        workers.stop_all()


def test_a_lost_periodic_job_is_made_again_at_the_next_pass(
    runtime: Runtime, worker: rqseam.SyncWorker
) -> None:
    """A job gone whole, one whose hash lost its place in the schedule, and a place whose
    hash is gone (what a partial loss or a killed worker can leave): each is made again."""
    clear_of_a_slot()
    pass_of(worker)
    jobs = periodic_ids(runtime)
    assert len(jobs) == len(schedules.PERIODIC)
    registry = ScheduledJobRegistry(queue=runtime.queue)
    Job.fetch(jobs[ALERT_JOB], connection=runtime.redis).delete()
    runtime.redis.zrem(registry.key, jobs[POLL_JOB])
    runtime.redis.delete(Job.key_for(jobs[RECONCILE_JOB]))
    assert set(periodic_ids(runtime)) == set(PREFIXES) - {ALERT_JOB, POLL_JOB, RECONCILE_JOB}
    pass_of(worker)
    assert all_scheduled(runtime)
    for jid in periodic_ids(runtime).values():
        job = Job.fetch(jid, connection=runtime.redis, serializer=runtime.queue.serializer)
        assert job.get_status() == JobStatus.SCHEDULED
    pass_of(worker)  # all in place: a pass adds nothing
    assert len(registry.get_job_ids()) == len(schedules.PERIODIC)


def test_a_slot_runs_once_however_many_jobs_are_made_for_it(runtime: Runtime) -> None:
    """Several workers assert the schedule; one whose clock lags, or whose pass read the
    schedule just before a run ended, makes the slot's job again after it ran. That job
    does nothing: the first run claimed the slot."""
    a_day_ago = time.time() - 24 * 3600  # so the next slots are due now
    made = schedules.ensure(runtime, now=a_day_ago)
    reconcile = next(j for j in made if j.startswith(RECONCILE_JOB))
    rqseam.run_worker(runtime, burst=True)
    first = last_run(runtime)
    assert first is not None  # the nightly run ran
    runtime.redis.delete(runtime.keys.reconcile_last)
    assert reconcile in schedules.ensure(runtime, now=a_day_ago)  # made again
    rqseam.run_worker(runtime, burst=True)
    assert not Job.exists(reconcile, connection=runtime.redis)  # it ran …
    assert last_run(runtime) is None  # … and did nothing


def test_a_reconcile_asked_for_claims_no_slot(runtime: Runtime) -> None:
    """The status page's re-sync is no slot's: it runs whenever asked, however often."""
    for _ in range(2):
        runtime.redis.delete(runtime.keys.reconcile_last)
        enqueue_reconcile(runtime)
        rqseam.run_worker(runtime, burst=True)
        assert last_run(runtime) is not None


@pytest.fixture
def second_runtime(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> Iterator[Runtime]:
    """Another venue's runtime (its own key prefix and queue) on the same Redis, not set
    in the process yet."""
    settings = make_settings(redis_url, fake_lockme, fake_google, LOCKME_QUEUE=OTHER_QUEUE)
    other = build_runtime(replace(settings, key_prefix=OTHER_PREFIX))
    yield other
    other.redis.close()


def test_a_runtime_set_while_the_worker_runs_is_scheduled_at_its_next_pass(
    runtime: Runtime, second_runtime: Runtime, worker: rqseam.SyncWorker
) -> None:
    """Several venues come next (issue 25): the runtimes served are asked anew at each
    pass, so one added while workers run needs no restart."""
    clear_of_a_slot()
    pass_of(worker)
    assert all_scheduled(runtime)
    assert periodic_ids(second_runtime) == {}
    runtimes.configure(second_runtime)
    # The pass schedules it, then stops the worker, which listens to its queue too anew.
    with pytest.raises(rqseam.StopRequested):
        pass_of(worker)
    assert worker.queues_changed
    assert all_scheduled(second_runtime)
    ids = set(periodic_ids(runtime).values()) | set(periodic_ids(second_runtime).values())
    assert len(ids) == 2 * len(schedules.PERIODIC)  # each venue's own jobs
