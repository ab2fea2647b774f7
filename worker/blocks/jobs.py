"""The blocks sync job: one per calendar at a time, however many pushes ask for it.

Google may push several times for one change, and staff editing a series trigger a burst;
each sync reads everything that changed since the last, so a burst needs one run, and a
push that arrives while a run is under way needs exactly one more (the run may have read
before the change). The job id is the calendar's (RQ's ``unique``): while one is queued a
request is a no-op; while one runs, a flag on the calendar's state asks it to run again.

RQ job ids allow only letters, digits, ``_`` and ``-``, so the id is ``blocks-{hash}``.
"""

from __future__ import annotations

import hashlib
import importlib

from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from worker.runtime import Runtime

SYNC_CALENDAR = "worker.blocks.jobs.sync_calendar_job"
JOB_PREFIX = "blocks-"
AGAIN_FIELD = "again"
# A run asked for again while running runs at most this many times in a row; past that the
# poll's safety net picks up whatever is left.
MAX_ROUNDS = 5
JOB_TIMEOUT_S = 300
WAITING = (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def job_id(calendar_id: str) -> str:
    return f"{JOB_PREFIX}{hashlib.sha1(calendar_id.encode()).hexdigest()[:16]}"


def request_sync(runtime: Runtime, calendar_id: str) -> str:
    """Ask for a sync of the calendar; returns ``queued``, ``known`` (one is waiting) or
    ``again`` (one is running and will run once more)."""
    jid = job_id(calendar_id)
    for _ in range(2):
        try:
            runtime.queue.enqueue(
                SYNC_CALENDAR,
                calendar_id,
                job_id=jid,
                unique=True,
                result_ttl=0,
                failure_ttl=24 * 3600,
                job_timeout=JOB_TIMEOUT_S,
                description="blocks calendar sync",
            )
            return "queued"
        except DuplicateJobError:
            pass
        try:
            job = Job.fetch(jid, connection=runtime.redis, serializer=runtime.queue.serializer)
        except NoSuchJobError:
            continue  # it ended between the two calls: enqueue again
        status = job.get_status(refresh=True)
        if status in WAITING:
            return "known"
        if status == JobStatus.STARTED:
            runtime.redis.hset(runtime.keys.blocks_calendar(calendar_id), AGAIN_FIELD, "1")
            return "again"
        job.delete()  # ended (finished, failed, stopped): a new run replaces it
    return "known"


def sync_calendar_job(calendar_id: str) -> None:
    """Job entry point: sync the calendar, and again while a push asked for it meanwhile."""
    from worker import tasks

    runtime = tasks.current()
    state = runtime.keys.blocks_calendar(calendar_id)
    # Imported here: the use case (worker.blocks.flow) imports the feed, the channels and
    # the Lockme side, none of which the enqueueing side (the web tier) needs.
    flow = importlib.import_module("worker.blocks.flow")
    for _ in range(MAX_ROUNDS):
        runtime.redis.hdel(state, AGAIN_FIELD)
        flow.sync_calendar(runtime, calendar_id)
        if not runtime.redis.hexists(state, AGAIN_FIELD):
            return
