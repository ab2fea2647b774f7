"""The worker's own periodic jobs: the nightly reconcile, the five-minute alert check and the
blocks poll (which renews the push channels on its way).

Nothing here is scheduled once and then left to reschedule itself: a chain like that ended
for good with one lost job (a Redis failover to an empty replica, a worker SIGKILLed
between two links). Instead every maintenance pass of every worker (``worker.jobs.rqseam``,
every 5 s) asserts, for each runtime the deployment serves, that each job's *next* slot
waits in RQ's schedule, and makes it when it does not. The rules live in code; Redis holds
only the next run, which any pass can make again. Why not RQ's cron scheduler:
docs/operating.md, "Periodic work".

Never twice, with any number of workers: each scheduled run is named by its slot (RQ's
``unique`` refuses a second job while one waits), and a run claims its slot before it does
anything, so a slot whose job was made again after it ran (by a pass whose clock lags, or
that read the schedule just before the run ended) is skipped.

Jobs are named by import path (see ``worker.jobs.queue``), as ``worker.jobs.messages`` imports
this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from rq import get_current_job
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

from worker.jobs.job_names import (
    ALERT_JOB,
    CHECK_BLOCKS,
    CHECK_JOB,
    POLL_BLOCKS,
    POLL_JOB,
    RECONCILE_JOB,
    RUN_ALERT_CHECK,
    RUN_RECONCILE,
)
from worker.ops import logs
from worker.runtime import Runtime
from worker.stores.redisutil import text

log = logging.getLogger(__name__)

RECONCILE_HOUR = 4
ALERT_CHECK_S = 300
# How often the blocks poll looks (``worker.jobs.blocks_runs``), and the daily check of the
# blocks against Lockme (``worker.flows.blocks.adopt``), at UTC midnight.
POLL_S = 30
CHECK_S = 24 * 3600
# How long a run's claim on its slot is kept. A slot's job is made again only by a pass
# that took that slot for the next one, so before the slot's time by its own clock: ten
# minutes outlasts any such pass, and a day's claims of the 30 s poll stay a few KB.
CLAIM_S = 600
# A job of the next slot that is out of the schedule still holds the slot when it is due or
# running (a clock a little ahead of the others' took the slot for this one).
DUE_OR_RUNNING = (JobStatus.QUEUED, JobStatus.STARTED)


@dataclass(frozen=True)
class Periodic:
    """One periodic job: its job-id prefix, entry point and arguments, and its slots.

    ``slot(runtime, now)`` names the first slot after ``now`` and says when it runs. The
    names are those every release used (``alerts-<epoch>``, ``reconcile-<YYYYMMDD>``), so
    a job an earlier release scheduled counts as the slot's.
    """

    prefix: str
    func: str
    args: tuple[object, ...]
    slot: Callable[[Runtime, float], tuple[str, datetime]]

    def job_id(self, runtime: Runtime, slot: str) -> str:
        return runtime.keys.job(f"{self.prefix}{slot}")


def every(seconds: int) -> Callable[[Runtime, float], tuple[str, datetime]]:
    """Slots at each multiple of ``seconds`` since the epoch: the same for every worker."""

    def slot(runtime: Runtime, now: float) -> tuple[str, datetime]:
        mark = (int(now) // seconds + 1) * seconds
        return str(mark), datetime.fromtimestamp(mark, UTC)

    return slot


def nightly(runtime: Runtime, now: float) -> tuple[str, datetime]:
    """The next ``RECONCILE_HOUR`` o'clock in the venue's time zone."""
    local = datetime.fromtimestamp(now, runtime.settings.tz)
    run_at = local.replace(hour=RECONCILE_HOUR, minute=0, second=0, microsecond=0)
    if run_at <= local:
        run_at += timedelta(days=1)
    return f"{run_at:%Y%m%d}", run_at


# ``True``: the run is a slot's (the argument earlier releases named ``reschedule``).
RECONCILE = Periodic(RECONCILE_JOB, RUN_RECONCILE, (60, True), nightly)
ALERT_CHECK = Periodic(ALERT_JOB, RUN_ALERT_CHECK, (True,), every(ALERT_CHECK_S))
BLOCKS_POLL = Periodic(POLL_JOB, POLL_BLOCKS, (True,), every(POLL_S))
BLOCKS_CHECK = Periodic(CHECK_JOB, CHECK_BLOCKS, (True,), every(CHECK_S))
PERIODIC = (RECONCILE, ALERT_CHECK, BLOCKS_POLL, BLOCKS_CHECK)


def ensure(runtime: Runtime, now: float | None = None) -> list[str]:
    """Make sure each periodic job's next slot after ``now`` waits in RQ's schedule;
    returns the job ids made.

    One atomic read per pass when all is well (each id's place in the schedule and its
    job's status). A job that is gone, or is no longer where it waits (its hash outlived
    its place in the schedule, or the other way round: a partial loss), is made again; a
    job of the slot that is due or running is left alone.
    """
    now = time.time() if now is None else now
    wanted = []
    for periodic in PERIODIC:
        slot, run_at = periodic.slot(runtime, now)
        wanted.append((periodic, periodic.job_id(runtime, slot), run_at))
    registry_key = runtime.queue.scheduled_job_registry.key
    with runtime.redis.pipeline(transaction=True) as pipe:
        for _, jid, _ in wanted:
            pipe.zscore(registry_key, jid)
            pipe.hget(Job.key_for(jid), "status")
        found = pipe.execute()
    made = []
    for index, (periodic, jid, run_at) in enumerate(wanted):
        placed, status = found[2 * index], found[2 * index + 1]
        if status is not None and (placed is not None or text(status) in DUE_OR_RUNNING):
            continue
        if status is not None:  # its hash without its place, or a run of it that ended
            runtime.redis.delete(Job.key_for(jid))
        # A place without its hash is overwritten: RQ's scheduler would drop it unrun.
        if _schedule(runtime, periodic, jid, run_at):
            made.append(jid)
    return made


def ensure_all(runtimes: Iterable[Runtime]) -> list[str]:
    """:func:`ensure` for every runtime the deployment serves, read anew by each pass, so
    that a venue added while workers run is scheduled at the next pass. One runtime's
    failure (anything but Redis being away, which stops the pass as it stops the worker)
    leaves the others' schedules asserted."""
    made = []
    for runtime in runtimes:
        try:
            made += ensure(runtime)
        except (redis.ConnectionError, redis.TimeoutError):
            raise
        except Exception:
            log.exception("periodic jobs of %r not asserted", runtime.keys)
    return made


def _schedule(runtime: Runtime, periodic: Periodic, jid: str, run_at: datetime) -> bool:
    """Schedule one slot's job; False when another worker's pass made it meanwhile."""
    try:
        runtime.queue.enqueue_at(
            run_at,
            periodic.func,
            *periodic.args,
            job_id=jid,
            unique=True,
            job_timeout=1800,
            result_ttl=0,
        )
    except DuplicateJobError:
        return False
    return True


def claim_slot(runtime: Runtime) -> bool:
    """Claim the slot of the periodic job running now; False when a run of it came first.

    Called by a slot's run before it does anything. Outside a job (a direct call) there is
    no slot to claim.
    """
    job = get_current_job()
    if job is None:
        return True
    if runtime.redis.set(runtime.keys.slot_ran(job.id), "1", nx=True, ex=CLAIM_S):
        return True
    logs.event("periodic.skipped", outcome="slot_already_ran", job_id=job.id)
    return False
