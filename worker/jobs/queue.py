"""The message queue's rules: job ids, the retry policy, and enqueueing a message once.

One job per Lockme message id (``msg-<id>``, enqueued with ``unique=True``): a redelivery of
a message that is queued or running creates no second job, one whose job failed re-queues
it, and one already acknowledged is answered from the store without any work.

Jobs are named by the import paths of ``worker.entrypoints`` (:data:`PROCESS_MESSAGE` …),
the permanent names queued jobs keep; as strings, so that this module imports none of the
code it queues (which enqueues through it).
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from datetime import UTC, datetime

from rq import Callback, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from worker.jobs.job_names import (
    MESSAGE_JOB,
    PROBE_JOB,
    PROBE_OUTAGES,
    PROCESS_MESSAGE,
    RECORD_EXHAUSTED_FAILURE,
    REPLAY_PARKED,
    RUN_RECONCILE,
)
from worker.runtime import Runtime, started_registry
from worker.stores.failures import FAILURE_DAYS
from worker.stores.keys import PREFIX, Keys

# A message job's meta names its runtime's key prefix, so that its failure callback can
# count a retry in any process, whether or not that process runs this runtime (a replay
# in the web process fails over a dead worker's job). Jobs queued before it have none.
KEY_PREFIX_META = "key_prefix"
# While a job waits out a failed service, one call checks on it this often: the backoff
# alone would leave a booking up to 10 minutes behind an outage that ended long before.
PROBE_S = 20

# Capped exponential backoff: ~5 s, 20 s, 1 min, 3 min, 10 min, 30 min (≈ 45 min in all);
# Lockme's own 24 h redelivery re-queues the message after that.
RETRY_INTERVALS = (5, 20, 60, 180, 600, 1800)
JITTER = 0.2
# A finished message job is deleted at once: RQ does it inline after each job (its
# executions, registries and result: a few more round trips; see docs/benchmarks.md). Kept
# for 300 s, each held about 6 KB: a flood of made-up ids, at the worker's ~200 jobs/s,
# filled a 25 MB Redis within a minute, and a storm of real messages at Google's 8/s took
# 15 MB (docs/security.md). Its ack is recorded in the store (``done:``), so a redelivery's
# dedupe never relied on a kept job.
FINISHED_JOB_TTL_S = 0


def job_id(message_id: int) -> str:
    return f"{MESSAGE_JOB}{message_id}"


def job_keys(job: Job) -> Keys:
    """The key names of the runtime that queued message job ``job``."""
    return Keys(str(job.meta.get(KEY_PREFIX_META, PREFIX)))


def retry_policy(scale: float = 1.0) -> Retry:
    """Jittered intervals so that a burst of failures does not retry in lockstep.

    ``scale`` (``RETRY_BACKOFF_SCALE``) shrinks the schedule for fault-injection runs; each
    interval stays at least 1 s so that a retry always waits in the scheduler instead of
    being re-queued at once and burning the next attempt against the same outage.
    """
    intervals = [
        max(1, round(s * scale * random.uniform(1 - JITTER, 1 + JITTER))) for s in RETRY_INTERVALS
    ]
    return Retry(max=len(intervals), interval=intervals)


def defer_retry(job: Job | None, seconds: float) -> None:
    """Make the job's next retry wait at least ``seconds``: a server's ``Retry-After`` or
    Google's daily quota reset, which can be hours past the next step of the schedule.

    RQ reads ``retry_intervals`` when the job fails, from the job object the worker is
    running (``get_current_job``), so the change applies to this retry alone and the rest of
    the schedule stays as it was; the daily-limit test in ``tests/test_google_errors.py``
    fails if an RQ release stops working this way.
    """
    if job is None or not job.retries_left or not job.retry_intervals:
        return
    intervals = list(job.retry_intervals)
    index = max(len(intervals) - job.retries_left, 0)
    if index < len(intervals) and intervals[index] < seconds:
        intervals[index] = math.ceil(seconds)
        job.retry_intervals = intervals


def enqueue_probe(runtime: Runtime) -> None:
    """Schedule a check of the failed services at the next ``PROBE_S`` mark, once (the
    job id names the mark, so a probe that finds a service still down schedules the next
    one while it runs)."""
    slot = (int(time.time()) // PROBE_S + 1) * PROBE_S
    with contextlib.suppress(DuplicateJobError):
        runtime.queue.enqueue_at(
            datetime.fromtimestamp(slot, UTC),
            PROBE_OUTAGES,
            job_id=runtime.keys.job(f"{PROBE_JOB}{slot}"),
            unique=True,
            job_timeout=120,
            result_ttl=0,
        )


def release_retries(runtime: Runtime) -> int:
    """Make every message job waiting in the backoff due now; returns how many.

    Called when a failed service answers again: the scheduler then queues them within a
    second, instead of each waiting out the rest of its interval (up to 10 minutes).
    """
    registry = ScheduledJobRegistry(queue=runtime.queue)
    waiting = [
        jid for jid in registry.get_job_ids() if jid.startswith(runtime.keys.job(MESSAGE_JOB))
    ]
    due = datetime.now(UTC)
    for jid in waiting:
        with contextlib.suppress(NoSuchJobError):
            registry.schedule(Job.fetch(jid, connection=runtime.redis), due)
    return len(waiting)


def enqueue_message(
    runtime: Runtime, message_id: int, *, replay: bool = False, received_at: float | None = None
) -> str:
    """Queue a message once; returns ``queued``, ``requeued`` or ``known``.

    ``received_at`` is when its webhook first arrived (for the latency histogram); a
    redelivery of a message whose job exists keeps the job, and so the first time.
    """
    if not replay and runtime.store.messages.is_done(message_id):
        return "known"
    jid = runtime.keys.job(job_id(message_id))
    try:
        runtime.queue.enqueue(
            PROCESS_MESSAGE,
            message_id,
            replay,
            received_at,
            job_id=jid,
            unique=True,
            retry=retry_policy(runtime.settings.retry_backoff_scale),
            on_failure=Callback(RECORD_EXHAUSTED_FAILURE),
            result_ttl=FINISHED_JOB_TTL_S,
            failure_ttl=FAILURE_DAYS * 24 * 3600,
            description=f"Lockme message {message_id}",
            meta={KEY_PREFIX_META: runtime.keys.prefix},
        )
        return "queued"
    except DuplicateJobError:
        return _revive(runtime, message_id, replay, received_at)


def _revive(runtime: Runtime, message_id: int, replay: bool, received_at: float | None) -> str:
    """An existing job for this message: re-queue it if it ended, leave it if it is live.

    A finished job is kept for a while (``FINISHED_JOB_TTL_S``); a replay of its message
    replaces it with one that works from the recorded failure."""
    jid = runtime.keys.job(job_id(message_id))
    try:
        job = Job.fetch(jid, connection=runtime.redis, serializer=runtime.queue.serializer)
    except NoSuchJobError:
        return enqueue_message(runtime, message_id, replay=replay, received_at=received_at)
    status = job.get_status(refresh=True)
    if status == JobStatus.STARTED:
        # Its worker may have died: expired heartbeats are failed (and retried) right now
        # instead of at the next maintenance pass.
        started_registry(runtime.queue).cleanup()
        status = job.get_status(refresh=True)
    if status == JobStatus.FAILED:
        FailedJobRegistry(queue=runtime.queue).requeue(jid)
        return "requeued"
    if status in (JobStatus.FINISHED, JobStatus.STOPPED, JobStatus.CANCELED, None):
        job.delete()
        return enqueue_message(runtime, message_id, replay=replay, received_at=received_at)
    return "known"


def enqueue_reconcile(runtime: Runtime, days: int = 60) -> str:
    """Queue an on-demand reconcile (the status page's "re-sync upcoming bookings")."""
    job = runtime.queue.enqueue(RUN_RECONCILE, days, job_timeout=1800, result_ttl=24 * 3600)
    return job.id


def enqueue_replay(runtime: Runtime, provider: str) -> str:
    """Queue the replay of the messages parked for ``provider`` (after its reconnect).

    No fixed job id: a second reconnect while one replay runs needs its own pass, and
    replaying a message twice is harmless (one job per message id).
    """
    return runtime.queue.enqueue(REPLAY_PARKED, provider, job_timeout=1800, result_ttl=3600).id
