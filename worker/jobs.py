"""RQ plumbing: job ids, the retry policy, enqueue helpers and the job entry point.

One job per Lockme message id (``msg-<id>``, enqueued with ``unique=True``): a redelivery of
a message that is queued or running creates no second job, one whose job failed re-queues
it, and one already acknowledged is answered from the store without any work.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Callback, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.registry import FailedJobRegistry
from rq.utils import now
from rq.worker import BaseWorker, SimpleWorker, WorkerStatus

from worker import alerts, intake, logs, metrics
from worker.config import load_settings
from worker.errors import AuthError, PermanentError
from worker.runtime import Runtime, build_runtime, started_registry
from worker.store import FAILURE_DAYS, Store

log = logging.getLogger(__name__)

# Capped exponential backoff: ~5 s, 20 s, 1 min, 3 min, 10 min, 30 min (≈ 45 min in all);
# Lockme's own 24 h redelivery re-queues the message after that.
RETRY_INTERVALS = (5, 20, 60, 180, 600, 1800)
JITTER = 0.2
RECONCILE_HOUR = 4
MAINTENANCE_INTERVAL_S = 15
REDIS_RETRY_S = 2
ALERT_CHECK_S = 300
DISPATCH_BLOCK_S = 2
# A finished message job is kept this long, then expires. With 0, RQ deletes it inline
# after each job (its executions, registries and result: several more round trips), which
# python -m bench measured at about a tenth of the worker's CPU per booking. Its ack is
# recorded in the store (``done:``), so a kept job never blocks a redelivery's dedupe.
FINISHED_JOB_TTL_S = 300

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


def enqueue_message(
    runtime: Runtime, message_id: int, *, replay: bool = False, received_at: float | None = None
) -> str:
    """Queue a message once; returns ``queued``, ``requeued`` or ``known``.

    ``received_at`` is when its webhook first arrived (for the latency histogram); a
    redelivery of a message whose job exists keeps the job, and so the first time.
    """
    if not replay and runtime.store.is_done(message_id):
        return "known"
    jid = job_id(message_id)
    try:
        runtime.queue.enqueue(
            process_message,
            message_id,
            replay,
            received_at,
            job_id=jid,
            unique=True,
            retry=retry_policy(runtime.settings.retry_backoff_scale),
            on_failure=Callback(record_exhausted_failure),
            result_ttl=FINISHED_JOB_TTL_S,
            failure_ttl=FAILURE_DAYS * 24 * 3600,
            description=f"Lockme message {message_id}",
        )
        return "queued"
    except DuplicateJobError:
        return _revive(runtime, message_id, replay, received_at)


def _revive(runtime: Runtime, message_id: int, replay: bool, received_at: float | None) -> str:
    """An existing job for this message: re-queue it if it ended, leave it if it is live.

    A finished job is kept for a while (``FINISHED_JOB_TTL_S``); a replay of its message
    replaces it with one that works from the recorded failure."""
    jid = job_id(message_id)
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


def process_message(message_id: int, replay: bool = False, received_at: float | None = None) -> str:
    """Job entry point. Transient errors propagate so RQ retries them with backoff.

    Every line logged while the job runs carries its message id (and, once the message is
    read, its reservation and room); the outcome is counted for ``/metrics``, with the
    job's other counts, in one write at its end.
    """
    runtime = current()
    started = time.monotonic()
    with logs.bind(message_id=message_id), metrics.batch(runtime.redis):
        logs.event("job.started", outcome="started", replay=replay)
        try:
            result = _process(runtime, message_id, replay, received_at)
        except Exception as exc:
            metrics.incr(runtime.redis, "jobs", outcome="error")
            logs.event(
                "job.failed",
                outcome=type(exc).__name__,
                duration_ms=logs.elapsed_ms(started),
                level=logging.WARNING,
            )
            raise
        metrics.incr(runtime.redis, "jobs", outcome=result)
        if result == "failed":
            metrics.incr(runtime.redis, "dead_letters")
        name = "job.failed" if result == "failed" else "job.finished"
        logs.event(name, outcome=result, duration_ms=logs.elapsed_ms(started))
        return result


def _process(runtime: Runtime, message_id: int, replay: bool, received_at: float | None) -> str:
    store = runtime.store
    if not replay and store.is_done(message_id):
        return "duplicate"
    payload = None
    record = store.failure(message_id) if replay else None
    if record and record.get("kind") == "malformed":
        payload = record.get("payload")
    try:
        return runtime.syncer.handle(message_id, payload, received_at=received_at).result
    except AuthError as exc:
        # Not acked, not dropped: replayed once the connection is restored.
        store.park(message_id, exc.service or "lockme")
        if store.is_done(message_id):
            # A concurrent run of the same message (a redelivery) acknowledged it meanwhile;
            # checked after parking, so whichever of the two finishes last unparks it.
            store.unpark(message_id)
            return "duplicate"
        store.record_sync({"message_id": message_id, "action": "park", "result": "parked"})
        log.warning("message %s parked: %s needs reconnecting", message_id, exc.service)
        alerts.check(runtime)
        return "parked"
    except PermanentError as exc:
        store.record_failure(message_id, str(exc), kind="permanent")
        store.record_sync({"message_id": message_id, "action": "fail", "result": "failed"})
        log.warning("message %s failed: %s", message_id, exc)
        return "failed"


def record_exhausted_failure(job: Job, connection: Any, exc_type: Any, exc: Any, tb: Any) -> None:
    """RQ failure callback: a transient failure with no retries left becomes a dead letter.

    RQ calls it before deciding on the retry, so ``retries_left`` still counts this attempt.
    It works from the ``connection`` RQ passes, not the process-wide runtime: the web
    process runs it too (a replay, or the status page's counts, fail over a dead worker's
    job) and has no runtime configured there.
    """
    message_id = int(job.args[0])
    if job.retries_left:
        metrics.incr(connection, "job_retries")
        logs.event(
            "job.retried",
            outcome=exc_type.__name__,
            message_id=message_id,
            retries_left=job.retries_left - 1,
        )
        return
    Store(connection, "").record_failure(
        message_id, f"{exc_type.__name__}: {exc}", kind="transient"
    )
    metrics.incr(connection, "dead_letters")
    logs.event("job.dead_letter", outcome=exc_type.__name__, message_id=message_id)


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
    _schedule_once(runtime, run_at, f"reconcile-{run_at:%Y%m%d}", run_reconcile, 60, True)
    return run_at


def run_alert_check(reschedule: bool = False) -> list[str]:
    """Job entry point for the alert check; the periodic run schedules its successor first."""
    runtime = current()
    if reschedule:
        schedule_alert_check(runtime)
    return alerts.check(runtime)


def schedule_alert_check(runtime: Runtime) -> datetime:
    """Keep one alert check scheduled at the next five-minute mark (named by it, so a
    restarting worker adds none)."""
    slot = (int(time.time()) // ALERT_CHECK_S + 1) * ALERT_CHECK_S
    run_at = datetime.fromtimestamp(slot, UTC)
    _schedule_once(runtime, run_at, f"alerts-{slot}", run_alert_check, True)
    return run_at


def _schedule_once(runtime: Runtime, run_at: datetime, jid: str, func: Any, *args: Any) -> None:
    """Schedule ``func(*args)`` at ``run_at`` unless a job with id ``jid`` already waits."""
    with contextlib.suppress(DuplicateJobError):
        runtime.queue.enqueue_at(
            run_at, func, *args, job_id=jid, unique=True, job_timeout=1800, result_ttl=0
        )


class ShortHeartbeat:
    """Worker mixin: heartbeats of ``job_monitoring_interval`` + 10 s, so that a job whose
    worker was SIGKILLed is retried within ~30 s instead of RQ's default of several minutes."""

    HEARTBEAT_GRACE_S = 10
    job_monitoring_interval: int

    def get_heartbeat_ttl(self, job: Job) -> int:
        return self.job_monitoring_interval + self.HEARTBEAT_GRACE_S


class _Heartbeat(threading.Thread):
    """Keeps the running job's heartbeat alive, as a forking worker's monitor loop does.

    One thread for the worker's life that wakes every ``job_monitoring_interval`` and beats
    for the job running then; starting or ending a job is an assignment under a lock.
    Starting a thread per job waited until it ran, and waking one twice per job cost
    context switches, on every booking. ``end`` takes the lock a beat holds, so no beat
    lands after the job has ended (a late one would put the finished job back in the
    started registry, to be "abandoned" later).
    """

    def __init__(self, worker: BaseWorker) -> None:
        super().__init__(name="job-heartbeat", daemon=True)
        self.worker = worker
        self._job: Job | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def run(self) -> None:
        while not self._closed.wait(self.worker.job_monitoring_interval):
            with self._lock:
                if self._job is not None:
                    self.worker.maintain_heartbeats(self._job)

    def begin(self, job: Job) -> None:
        with self._lock:
            self._job = job

    def end(self) -> None:
        with self._lock:
            self._job = None

    def close(self) -> None:
        self.end()
        self._closed.set()


class _PerJobLines(logging.Filter):
    """Drops the INFO lines RQ writes for every job (dequeued, completed, "Job OK"): each
    repeats what ``job.started`` and ``job.finished`` say with the message id and outcome,
    and they were nearly half of the worker's log volume and its logging time."""

    TEMPLATES = frozenset(
        {
            "Worker %s: %s: %s (%s)",
            "Worker %s: %s: %s",
            "Successfully completed %s job in %ss on worker %s",
            "Successfully completed job %s in %ss on worker %s",
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno != logging.INFO or record.msg not in self.TEMPLATES


_PER_JOB_LINES = _PerJobLines()


class SyncWorker(ShortHeartbeat, SimpleWorker):
    """Runs each job in the worker process itself instead of a forked child.

    Measured with ``python -m bench``: a forked child per job makes each booking about a
    third slower, since a child cannot keep warm HTTP connections, the Google service
    object and cached tokens for the next job. SIGTERM (Heroku's stop signal) is a warm
    shutdown: the running job finishes, then the worker exits; if the platform's SIGKILL
    comes first, the short heartbeat gets the job retried within ~30 s.
    """

    log_result_lifespan = False
    _heartbeat: _Heartbeat | None = None
    _last_heartbeat_sent = 0.0
    _suspension_checked = 0.0

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's worker heartbeat in one round trip instead of two, and at most one a second
        between jobs.

        RQ sends one before and one after every dequeue, each extending a key that lives
        for a minute and more; ``python -m bench`` counted these as 6 of the 26 round trips
        RQ made per job. Heartbeats inside RQ's own pipelines are left as they are.
        """
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
            return
        if timeout is None and time.monotonic() - self._last_heartbeat_sent < 1:
            return
        with self.connection.pipeline(transaction=False) as pipe:
            super().heartbeat(timeout, pipeline=pipe)
            pipe.execute()
        self._last_heartbeat_sent = time.monotonic()

    def check_for_suspension(self, burst: bool) -> None:
        """``rq suspend`` is an operator's command: looked for once a second rather than
        before every job (a pipeline of three commands each time)."""
        if time.monotonic() - self._suspension_checked < 1:
            return
        super().check_for_suspension(burst)
        self._suspension_checked = time.monotonic()

    def set_state(self, state: str, pipeline: Any = None) -> None:
        """Skip the write when the state is already that one (RQ sets "idle" both after a
        job and again before the next dequeue)."""
        if pipeline is None and state == self.get_state():
            return
        super().set_state(state, pipeline=pipeline)

    def cleanup_execution(self, job: Job, pipeline: Any) -> None:
        """The worker is idle once a job's outcome is written: say so in that same
        transaction instead of one more round trip right after it."""
        super().cleanup_execution(job, pipeline)
        self.set_state(WorkerStatus.IDLE, pipeline=pipeline)

    def execute_job(self, job: Job, queue: Queue) -> None:
        if self._heartbeat is None:
            self._heartbeat = _Heartbeat(self)
            self._heartbeat.start()
        self._heartbeat.begin(job)
        try:
            super().execute_job(job, queue)
        finally:
            self._heartbeat.end()

    def teardown(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.close()
        super().teardown()

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        """RQ beats once more here to keep the job alive while a callback runs; a job that
        succeeded and has no success callback (every message job) runs nothing more."""
        if self._heartbeat is not None:
            self._heartbeat.end()
        if job.get_status(refresh=False) != JobStatus.FAILED and job.success_callback is None:
            job.ended_at = now()
            return
        super().handle_execution_ended(job, queue, heartbeat_ttl)


def run_worker(
    runtime: Runtime, *, burst: bool = False, worker_class: type[BaseWorker] = SyncWorker
) -> None:
    """Work the queue with the scheduler; ``worker_class`` lets the benchmarks compare kinds.

    RQ's worker quits when Redis goes away in the middle of a job. Left to the platform,
    that turns a Redis blip into crash restarts with growing cool-downs (up to 20 minutes
    on Heroku), so a worker that stopped without being asked to is replaced here once
    Redis answers again.
    """
    logging.getLogger("rq.worker").addFilter(_PER_JOB_LINES)
    while True:
        worker = worker_class(
            [runtime.queue],
            connection=runtime.redis,
            serializer=runtime.queue.serializer,
            job_monitoring_interval=5,
            maintenance_interval=MAINTENANCE_INTERVAL_S,
            # An idle worker blocks in BLPOP for worker_ttl - 15 s and runs maintenance,
            # which fails over the jobs of dead workers, only between dequeues: RQ's default
            # of 420 s left a SIGKILLed worker's job alone for ~7 minutes when all was quiet.
            worker_ttl=MAINTENANCE_INTERVAL_S + 15,
        )
        with contextlib.suppress(redis.ConnectionError):  # its teardown needs Redis too
            worker.work(burst=burst, with_scheduler=True, logging_level=runtime.settings.log_level)
        # A stop signal sets the shutdown date whether it came mid-job (RQ finishes the job
        # first and sets ``_stop_requested``) or between jobs (RQ raises StopRequested and
        # leaves ``_stop_requested`` unset).
        if burst or worker._shutdown_requested_date is not None:
            return
        log.warning("worker stopped unasked (Redis unreachable?); starting a new one")
        _wait_for_redis(runtime)


def _wait_for_redis(runtime: Runtime) -> None:
    while True:
        time.sleep(REDIS_RETRY_S)
        with contextlib.suppress(redis.RedisError):
            runtime.redis.ping()
            return


def dispatch(runtime: Runtime, block: float = 0) -> int:
    """Turn every id waiting in the webhook inbox (``worker.intake``) into its job.

    Returns how many. An id leaves the inbox only after its job exists, so a dispatcher
    killed half-way loses nothing: the next one finds the job and adds no second one. Safe
    in several processes at once. With ``block``, first wait that long for a wake-up.
    """
    client = runtime.redis
    if block:
        client.blpop([intake.WAKE], timeout=block)
    client.delete(intake.WAKE)  # ids pushed after this wake the next round; none is missed
    waiting = client.zrange(intake.PENDING, 0, -1, withscores=True)
    for raw, received_at in waiting:
        enqueue_message(runtime, int(raw), received_at=received_at)
        client.zrem(intake.PENDING, raw)
    return len(waiting)


class Dispatcher(threading.Thread):
    """Runs :func:`dispatch` in the background of a worker process until stopped."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="inbox-dispatcher", daemon=True)
        self.runtime = runtime
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                dispatch(self.runtime, block=DISPATCH_BLOCK_S)
            except redis.RedisError as exc:
                log.warning("inbox dispatch paused: %s", type(exc).__name__)
                self.stopped.wait(DISPATCH_BLOCK_S)

    def stop(self) -> None:
        self.stopped.set()
