"""RQ plumbing: job ids, the retry policy, enqueue helpers and the job entry point.

One job per Lockme message id (``msg-<id>``, enqueued with ``unique=True``): a redelivery of
a message that is queued or running creates no second job, one whose job failed re-queues
it, and one already acknowledged is answered from the store without any work.
"""

from __future__ import annotations

import contextlib
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from rq import Callback, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.worker import HerokuWorker

from worker.config import load_settings
from worker.errors import AuthError, PermanentError
from worker.runtime import Runtime, build_runtime
from worker.store import FAILURE_DAYS

log = logging.getLogger(__name__)

# Capped exponential backoff: ~5 s, 20 s, 1 min, 3 min, 10 min, 30 min (≈ 45 min in all);
# Lockme's own 24 h redelivery re-queues the message after that.
RETRY_INTERVALS = (5, 20, 60, 180, 600, 1800)
JITTER = 0.2
RECONCILE_HOUR = 4

_runtime: Runtime | None = None


def configure(runtime: Runtime | None) -> None:
    """Set the process-wide runtime (the worker does this once, before forking horses)."""
    global _runtime
    _runtime = runtime


def current() -> Runtime:
    """The process-wide runtime, built from the environment on first use."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(load_settings().require())
    return _runtime


def job_id(message_id: int) -> str:
    return f"msg-{message_id}"


def retry_policy() -> Retry:
    """Jittered intervals so that a burst of failures does not retry in lockstep."""
    intervals = [round(s * random.uniform(1 - JITTER, 1 + JITTER)) for s in RETRY_INTERVALS]
    return Retry(max=len(intervals), interval=intervals)


def enqueue_message(runtime: Runtime, message_id: int, *, replay: bool = False) -> str:
    """Queue a message once; returns ``queued``, ``requeued`` or ``known``."""
    if not replay and runtime.store.is_done(message_id):
        return "known"
    jid = job_id(message_id)
    try:
        runtime.queue.enqueue(
            process_message,
            message_id,
            replay,
            job_id=jid,
            unique=True,
            retry=retry_policy(),
            on_failure=Callback(record_exhausted_failure),
            result_ttl=0,
            failure_ttl=FAILURE_DAYS * 24 * 3600,
            description=f"Lockme message {message_id}",
        )
        return "queued"
    except DuplicateJobError:
        return _revive(runtime, message_id)


def _revive(runtime: Runtime, message_id: int) -> str:
    """An existing job for this message: re-queue it if it ended, leave it if it is live."""
    jid = job_id(message_id)
    try:
        job = Job.fetch(jid, connection=runtime.redis, serializer=runtime.queue.serializer)
    except NoSuchJobError:
        return enqueue_message(runtime, message_id)
    status = job.get_status(refresh=True)
    if status == JobStatus.STARTED:
        # Its worker may have died: expired heartbeats are failed (and retried) right now
        # instead of at the next maintenance pass.
        StartedJobRegistry(queue=runtime.queue).cleanup()
        status = job.get_status(refresh=True)
    if status == JobStatus.FAILED:
        FailedJobRegistry(queue=runtime.queue).requeue(jid)
        return "requeued"
    if status in (JobStatus.FINISHED, JobStatus.STOPPED, JobStatus.CANCELED, None):
        job.delete()
        return enqueue_message(runtime, message_id)
    return "known"


def process_message(message_id: int, replay: bool = False) -> str:
    """Job entry point. Transient errors propagate so RQ retries them with backoff."""
    runtime = current()
    store = runtime.store
    if not replay and store.is_done(message_id):
        return "duplicate"
    payload = None
    record = store.failure(message_id) if replay else None
    if record and record.get("kind") == "malformed":
        payload = record.get("payload")
    try:
        return runtime.syncer.handle(message_id, payload).result
    except AuthError as exc:
        # Not acked, not dropped: replayed once the connection is restored.
        store.park(message_id, exc.service or "lockme")
        store.record_sync({"message_id": message_id, "action": "park", "result": "parked"})
        log.warning("message %s parked: %s needs reconnecting", message_id, exc.service)
        return "parked"
    except PermanentError as exc:
        store.record_failure(message_id, str(exc), kind="permanent")
        store.record_sync({"message_id": message_id, "action": "fail", "result": "failed"})
        log.warning("message %s failed: %s", message_id, exc)
        return "failed"


def record_exhausted_failure(job: Job, connection: Any, exc_type: Any, exc: Any, tb: Any) -> None:
    """RQ failure callback: a transient failure with no retries left becomes a dead letter."""
    if job.retries_left:
        return
    message_id = int(job.args[0])
    current().store.record_failure(message_id, f"{exc_type.__name__}: {exc}", kind="transient")


def replay(runtime: Runtime, message_ids: list[int] | None = None) -> list[int]:
    """Re-queue failed and parked messages (all of them when ``message_ids`` is None)."""
    store = runtime.store
    if message_ids is None:
        message_ids = sorted(
            {*(f["message_id"] for f in store.failures(limit=10_000)), *store.parked()}
        )
    for message_id in message_ids:
        store.unpark(message_id)
        enqueue_message(runtime, message_id, replay=True)
    return message_ids


def run_reconcile(days: int = 60, reschedule: bool = False) -> dict[str, int]:
    """Job entry point for reconcile; the daily run schedules its successor first."""
    runtime = current()
    if reschedule:
        schedule_daily_reconcile(runtime)
    from worker.reconcile import Reconciler

    summary = Reconciler(runtime).run(days=days)
    log.info("reconcile: %s", summary)
    return summary.as_dict()


def enqueue_reconcile(runtime: Runtime, days: int = 60) -> str:
    """Queue an on-demand reconcile (the status page's "re-sync upcoming bookings")."""
    job = runtime.queue.enqueue(run_reconcile, days, job_timeout=1800, result_ttl=24 * 3600)
    return job.id


def schedule_daily_reconcile(runtime: Runtime) -> datetime:
    """Keep one reconcile scheduled for the next 04:00 venue time.

    The job id names the day, so worker restarts add no second one, and the running job can
    schedule tomorrow's without touching itself.
    """
    now = datetime.now(runtime.settings.tz)
    run_at = now.replace(hour=RECONCILE_HOUR, minute=0, second=0, microsecond=0)
    if run_at <= now:
        run_at += timedelta(days=1)
    with contextlib.suppress(DuplicateJobError):
        runtime.queue.enqueue_at(
            run_at,
            run_reconcile,
            60,
            True,
            job_id=f"reconcile-{run_at:%Y%m%d}",
            unique=True,
            job_timeout=1800,
            result_ttl=0,
        )
    return run_at


class SyncWorker(HerokuWorker):
    """HerokuWorker (SIGTERM → the job gets a few seconds to finish, then is retried) with
    short heartbeats, so a job whose worker was SIGKILLed is retried within ~30 s instead
    of RQ's default of several minutes."""

    HEARTBEAT_GRACE_S = 10

    def get_heartbeat_ttl(self, job: Job) -> int:
        return self.job_monitoring_interval + self.HEARTBEAT_GRACE_S


def run_worker(runtime: Runtime, *, burst: bool = False) -> None:
    worker = SyncWorker(
        [runtime.queue],
        connection=runtime.redis,
        serializer=runtime.queue.serializer,
        job_monitoring_interval=5,
        maintenance_interval=15,
    )
    worker.work(burst=burst, with_scheduler=True, logging_level=runtime.settings.log_level)
