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
import time

from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from worker.domain.errors import SyncError
from worker.jobs.queue import retry_policy
from worker.ops import logs
from worker.runtime import Runtime

SYNC_CALENDAR = "worker.entrypoints.sync_blocks_calendar"
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
    jid = runtime.keys.job(job_id(calendar_id))
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
                # Google or Lockme failing: the message jobs' backoff (each write is
                # idempotent, so a retried sync finishes what the failed one started).
                retry=retry_policy(runtime.settings.retry_backoff_scale),
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


def sync_calendar_job(runtime: Runtime, calendar_id: str) -> None:
    """The calendar's sync job: sync it, and again while a push asked for it meanwhile."""
    state = runtime.keys.blocks_calendar(calendar_id)
    # Imported here: the use case (worker.flows.blocks.calendar_sync) imports the feed, the
    # channels and
    # the Lockme side, none of which the enqueueing side (the web tier) needs.
    flow = importlib.import_module("worker.flows.blocks.calendar_sync")
    for _ in range(MAX_ROUNDS):
        runtime.redis.hdel(state, AGAIN_FIELD)
        flow.sync_calendar(runtime, calendar_id)
        if not runtime.redis.hexists(state, AGAIN_FIELD):
            return


POLL_BLOCKS = "worker.entrypoints.poll_blocks"
# The poll's job ids: the prefix, then the time slot it runs in.
POLL_JOB = f"{JOB_PREFIX}poll-"
# How often the poll looks; a calendar without a live push channel is read at each look,
# one with a channel only as a safety net (a push Google never sent, or one lost).
POLL_S = 30
SAFETY_NET_S = 600
# A calendar without a live channel is read at a poll unless something else read it this
# recently. Half an interval, not "almost one": each poll and each sync starts up to a
# second or more late (the scheduler's tick, a busy worker, a retried list call), so the
# last poll's read may be a little under one interval old, and skipping it made every
# other poll a no-op (changes waited a minute; ``python -m bench.twoway``).
RECENTLY_READ_S = POLL_S / 2


def due_calendars(runtime: Runtime, now: float | None = None) -> list[str]:
    """The calendars to read now: those without a live channel at every poll, the rest
    after ``SAFETY_NET_S``, and calendars no room uses any more that still have blocks
    (their sync frees them). Renews channels on the way (``Channels.ensure``)."""
    from worker.flows.blocks.calendar_sync import BlocksSync

    sync = BlocksSync(runtime)
    if sync.waiting_for():
        return []
    now = time.time() if now is None else now
    used = sync.rooms.calendars()
    orphans = {r.calendar_id for r in sync.ledger.all()} - set(used)
    due = sorted(orphans)
    for calendar_id in used:
        # Judged by the channel in force since the last read, not by its replacement: a
        # change made after the old one expired was pushed to nobody.
        before = sync.channels.store.current(calendar_id)
        try:
            channel = sync.channels.ensure(calendar_id)
        except SyncError as exc:  # Google down: polling covers it, the next poll retries
            logs.event("blocks.push", outcome="ensure_failed", reason=type(exc).__name__)
            channel = None
        synced = float(sync.feed_store.state(calendar_id).get("synced_at") or 0)
        live = all(c is not None and c.seconds_left(now) > 0 for c in (before, channel))
        if now - synced >= (SAFETY_NET_S if live else RECENTLY_READ_S):
            due.append(calendar_id)
    return due


def poll_blocks_job(runtime: Runtime, reschedule: bool = False) -> list[str]:
    """The poll's job: asks for the syncs that are due. ``reschedule``: the
    run is a periodic slot's, which runs once however many jobs were made for it
    (``worker.jobs.schedules``, which also keeps the next slot scheduled)."""
    from worker.jobs import schedules

    if reschedule and not schedules.claim_slot(runtime):
        return []
    due = due_calendars(runtime)
    for calendar_id in due:
        request_sync(runtime, calendar_id)
    return due
