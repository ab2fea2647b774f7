"""Every override of RQ's worker, in one place: the seam the rest of the product runs RQ through.

The product keeps RQ and its worker, scheduler and registries. What this module changes is
what the product needs and RQ's ``SimpleWorker`` lacks: jobs run in the worker process, a
heartbeat thread keeps a running job's short heartbeat alive (so a SIGKILLed worker's job is
retried within ~30 s), a stop signal is remembered, dead peers are cleared. Overrides that
only saved Redis round trips were dropped: two real breaks were found in them, for about
10 ms per job beside a booking's API path of 60 ms and more (docs/benchmarks.md, "RQ seam").

It relies on these parts of RQ (3.0), each checked against the installed version by
``tests/test_rq_contract.py`` (signatures, the order RQ calls them in, the log templates):

- the worker's ``get_heartbeat_ttl(job, working_time)`` and
  ``maintain_heartbeats(job, execution)``, called by the heartbeat thread once
  ``execution`` (the running job's) is set;
- ``execute_job(job, queue)``, ``handle_execution_ended(job, queue, heartbeat_ttl)`` (the
  job's function has returned or raised, its outcome not yet written), ``teardown()``,
  ``request_stop(signum, frame)`` (the handler RQ installs for SIGTERM and SIGINT),
  ``run_maintenance_tasks()``, and the attributes ``job_monitoring_interval``,
  ``log_result_lifespan`` and ``execution``;
- the INFO templates RQ logs for every job (``_PerJobLines.TEMPLATES``), and the ERROR
  template of a failed job's traceback (``_ExpectedFailures.TEMPLATE``);
- for a job that ran before (:func:`forget_lapsed_executions`): ``Job.started_at``,
  ``Job.execution_registry`` (a sorted set at ``.key`` of execution ids) and
  ``Execution(id, job_id, connection).key``, the record RQ lets expire with the heartbeat;
- for taking over a dead worker's scheduler (:class:`DeadPeers`): the scheduler lock is
  the key ``RQScheduler.get_locking_key(queue)`` holding the scheduler's name, with a TTL
  of about a minute that the scheduler refreshes every second, beside the hash
  ``SCHEDULER_KEY_TEMPLATE % name`` (its ``hostname``, ``pid`` and ``last_heartbeat``, in
  the format ``rq.utils.utcparse`` reads);
  ``rq.scripts.release_lock`` deletes it only while it holds that name; RQ's
  ``run_maintenance_tasks()`` then acquires it and starts a scheduler when this worker's
  own is not running; ``Worker.all``, a worker's ``hostname``/``pid`` and
  ``register_death()``.

Each maintenance pass also keeps the product's periodic jobs scheduled for every runtime it
serves (:class:`PeriodicJobs`, ``worker.jobs.schedules``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import cast

import redis
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import release_lock
from rq.utils import now, utcparse
from rq.worker import BaseWorker, DequeueStrategy, SimpleWorker

from worker.domain.errors import AuthError, TransientError
from worker.jobs import schedules
from worker.runtime import Runtime
from worker.stores.redisutil import text

log = logging.getLogger(__name__)

# Maintenance fails over the jobs of dead workers and takes over a dead scheduler: every
# 5 s, so that a SIGKILLed worker's booking is retried within about 30 s (README).
MAINTENANCE_INTERVAL_S = 5
# A scheduler refreshes its heartbeat every second; one silent this long has died.
SCHEDULER_SILENT_S = 15
REDIS_RETRY_S = 2


class ShortHeartbeat:
    """Worker mixin: heartbeats of ``job_monitoring_interval`` + 10 s, so that a job whose
    worker was SIGKILLed is retried within ~30 s instead of RQ's default of several minutes."""

    HEARTBEAT_GRACE_S = 10
    job_monitoring_interval: int

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.job_monitoring_interval + self.HEARTBEAT_GRACE_S


class StopSignal(BaseWorker):
    """Worker mixin: remembers that a stop signal came, so that :func:`run_worker` lets the
    worker go instead of replacing it. RQ keeps that only in a private attribute."""

    stop_signalled = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signalled = True
        super().request_stop(signum, frame)


def _dead(hostname: str | None, pid: int | None, name: str, own_name: str) -> bool:
    """Whether a process that registered ``hostname``/``pid`` is gone, as far as this host
    can see: only a process of this host can be looked up (and a pid equal to our own, in
    a restarted container, was another process's)."""
    if hostname != socket.gethostname() or not pid or name == own_name:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def take_over_dead_scheduler(
    connection: redis.Redis, queue_names: list[str], own: str = ""
) -> list[str]:
    """Free the scheduler locks held by a dead scheduler; returns the queues freed.

    RQ lets a scheduler's lock lapse on its own, up to 61 s after its worker died, and
    until then no retry of any job is enqueued. A holder is dead when its heartbeat is
    older than ``SCHEDULER_SILENT_S`` or, on this host, its process is gone. ``own`` is
    the calling worker's scheduler, never dead while the worker runs: it takes the lock
    before its process writes the heartbeat, and taking it over then warned at every
    start that it was "gone" (and RQ that the lock "had expired").
    """
    freed = []
    for queue_name in queue_names:
        key = RQScheduler.get_locking_key(queue_name)
        holder = connection.get(key)
        if holder is None:
            continue
        name = text(holder)
        if name == own:
            continue
        if _scheduler_dead(connection, name) and release_lock(connection, key, name):
            log.warning("scheduler %s of queue %s is gone; taking over its lock", name, queue_name)
            freed.append(queue_name)
    return freed


def _scheduler_dead(connection: redis.Redis, name: str) -> bool:
    """Whether the scheduler ``name`` has stopped: its hash is gone, it has not beaten for
    ``SCHEDULER_SILENT_S``, or its process on this host is gone.

    The hash is read field by field rather than with ``RQScheduler.fetch``: a scheduler
    that beats after Redis lost its data recreates it with ``last_heartbeat`` alone.
    """
    fields = {
        text(k): text(v) for k, v in connection.hgetall(SCHEDULER_KEY_TEMPLATE % name).items()
    }
    try:
        beat = utcparse(fields["last_heartbeat"])
    except (KeyError, ValueError):
        return True
    if (now() - beat).total_seconds() > SCHEDULER_SILENT_S:
        return True
    pid = fields.get("pid", "")
    return _dead(fields.get("hostname"), int(pid) if pid.isdigit() else None, name, "")


class DeadPeers(BaseWorker):
    """Worker mixin: no dead worker holds this one back for long.

    At start and at each maintenance pass, the scheduler lock of a dead scheduler is freed
    (RQ's maintenance then takes it and starts this worker's scheduler), and at start, the
    registrations of this host's dead workers are removed.
    """

    def run_maintenance_tasks(self) -> None:
        try:
            own = self.scheduler.name if self.scheduler else ""
            take_over_dead_scheduler(self.connection, [q.name for q in self.queues], own)
        except (redis.ResponseError, ValueError) as exc:
            # Never a reason to stop the worker: RQ's own lapse of the lock still works.
            log.warning("scheduler takeover skipped: %s", exc)
        super().run_maintenance_tasks()

    def clean_dead_registrations(self) -> int:
        """Register the death of this host's workers whose process is gone."""
        gone = 0
        for peer in BaseWorker.all(connection=self.connection):
            if _dead(peer.hostname, peer.pid, peer.name, self.name):
                peer.register_death()
                gone += 1
        return gone


class PeriodicJobs(BaseWorker):
    """Worker mixin: each maintenance pass (at start, then every ``MAINTENANCE_INTERVAL_S``
    between jobs) asserts the next slot of every periodic job of every runtime ``served``
    returns, asked anew at each pass. So a flushed Redis, a lost job or a killed worker
    costs at most one interval of each, and a runtime added while workers run is scheduled
    at the next pass; every worker process does it, and each slot still runs once."""

    served: Callable[[], Iterable[Runtime]] | None = None
    # Set when the runtimes served no longer match this worker's queues (a venue added or
    # removed): the worker stops between jobs and :func:`run_worker` starts one that
    # listens to the queues served now. RQ's worker and scheduler take their queues once.
    queues_changed = False

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        if self.served is not None:
            served = list(self.served())
            schedules.ensure_all(served)
            if {rt.queue.name for rt in served} != set(self.queue_names()):
                log.info("the venues served changed; listening to their queues anew")
                self.queues_changed = True
                raise StopRequested


def forget_lapsed_executions(job: Job) -> int:
    """Drop from the job's list of executions those whose record has expired; returns how many.

    A job that ran before (its worker died, or it failed and is retried) may still list its
    earlier execution: RQ keeps the entry for 60 s past the record's own TTL, which with our
    short heartbeats is 15 s. Deleting the job once it succeeds (finished jobs are not kept)
    reads every listed record, and a lapsed one raised there, after the calendar write and
    the ack: RQ then retried the job, and after its last retry the message became a dead
    letter. A fresh job has run nowhere, so only a job that ran before pays the two reads.
    """
    registry = job.execution_registry
    entries = cast(list[bytes], job.connection.zrange(registry.key, 0, -1))
    listed = [text(entry) for entry in entries]
    if not listed:
        return 0
    with job.connection.pipeline(transaction=False) as pipe:
        for execution_id in listed:
            pipe.exists(Execution(execution_id, job.id, connection=job.connection).key)
        present = pipe.execute()
    lapsed = [eid for eid, found in zip(listed, present, strict=True) if not found]
    if lapsed:
        job.connection.zrem(registry.key, *lapsed)
    return len(lapsed)


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
                self._beat()

    def _beat(self) -> None:
        """One beat for the running job, if its execution exists yet (RQ creates it just
        after the job is handed over). A failed beat (a Redis error, most likely) costs
        this beat only: the thread outlives it, or every later job would lose its heartbeat
        and be taken for abandoned by another worker while it runs."""
        execution = self.worker.execution
        if self._job is None or execution is None:
            return
        try:
            self.worker.maintain_heartbeats(self._job, execution)
        except redis.RedisError as exc:
            log.warning("job heartbeat skipped: %s", exc)
        except Exception:
            log.exception("job heartbeat failed")

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
    and they were a large share of the worker's log volume and its logging time
    (figures: docs/benchmarks.md)."""

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


class _RoutineMaintenance(logging.Filter):
    """Makes RQ's lines for its routine maintenance (every ``MAINTENANCE_INTERVAL_S``)
    DEBUG lines: at INFO they were half of a development log, and say nothing an operator
    acts on. They still show with ``LOG_LEVEL=DEBUG``."""

    TEMPLATES = frozenset(
        {
            "Worker %s: cleaning registries for queue: %s",
            "Worker %s: cleaning group registries",
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or record.msg not in self.TEMPLATES:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


_ROUTINE_MAINTENANCE = _RoutineMaintenance()


class _ExpectedFailures(logging.Filter):
    """Drops RQ's ERROR line, with its whole traceback, for a job that failed in a way the
    product expects and handles: a service not answering (retried with backoff) or a
    grant to renew. The job's own ``job.failed`` line says it in one line; during a
    Google outage the traceback (about 50 lines) came on every retry. Any other failure
    keeps RQ's line and traceback: that is a bug to read."""

    TEMPLATE = "Worker %s: job %s: exception raised while executing (%s)\n%s"
    EXPECTED = tuple(f"{cls.__module__}.{cls.__name__}:" for cls in (TransientError, AuthError))

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != self.TEMPLATE or not isinstance(record.args, tuple):
            return True
        last = str(record.args[-1]).rstrip().rsplit("\n", 1)[-1]
        return not last.startswith(self.EXPECTED)


_EXPECTED_FAILURES = _ExpectedFailures()


class SyncWorker(PeriodicJobs, DeadPeers, StopSignal, ShortHeartbeat, SimpleWorker):
    """Runs each job in the worker process itself instead of a forked child.

    A forked child per job makes each booking slower (``python -m bench``: forking ÷
    in-process, docs/benchmarks.md), since a child cannot keep warm HTTP connections, the
    Google service object and cached tokens for the next job. SIGTERM (Heroku's stop
    signal) is a warm shutdown: the running job finishes, then the worker exits; if the
    platform's SIGKILL comes first, the short heartbeat gets the job retried within ~30 s.

    Everything else is RQ's own worker: the overrides that only saved Redis round trips
    were dropped, their saving being small beside a booking's API calls and their risk
    real (docs/benchmarks.md, "RQ seam").
    """

    log_result_lifespan = False
    _heartbeat: _Heartbeat | None = None

    def execute_job(self, job: Job, queue: Queue) -> None:
        if job.started_at is not None:
            forget_lapsed_executions(job)
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
        """The job's function has returned or raised: no heartbeat thread beat may land
        after this, while RQ writes its outcome (a late one would list the ended execution
        again). RQ's own beat here keeps the job alive while a callback runs."""
        if self._heartbeat is not None:
            self._heartbeat.end()
        super().handle_execution_ended(job, queue, heartbeat_ttl)


def run_worker(
    runtime: Runtime,
    *,
    burst: bool = False,
    worker_class: type[StopSignal] = SyncWorker,
    served: Callable[[], Iterable[Runtime]] | None = None,
) -> None:
    """Work the queue with the scheduler; ``worker_class`` lets the benchmarks compare kinds.
    ``served`` names the runtimes whose queues the worker listens to and whose periodic jobs
    each maintenance pass keeps scheduled (``runtime``'s alone without it).

    RQ's worker quits when Redis goes away in the middle of a job. Left to the platform,
    that turns a Redis blip into crash restarts with growing cool-downs (up to 20 minutes
    on Heroku), so a worker that stopped without being asked to is replaced here once
    Redis answers again.
    """
    logging.getLogger("rq.worker").addFilter(_PER_JOB_LINES)
    logging.getLogger("rq.worker").addFilter(_ROUTINE_MAINTENANCE)
    logging.getLogger("rq.worker").addFilter(_EXPECTED_FAILURES)
    while True:
        queues = [rt.queue for rt in served()] if served is not None else [runtime.queue]
        worker = worker_class(
            queues,
            connection=runtime.redis,
            serializer=runtime.queue.serializer,
            job_monitoring_interval=5,
            maintenance_interval=MAINTENANCE_INTERVAL_S,
            # An idle worker blocks in BLPOP for worker_ttl - 15 s and runs maintenance,
            # which fails over the jobs of dead workers, only between dequeues: RQ's default
            # of 420 s left a SIGKILLed worker's job alone for ~7 minutes when all was quiet.
            worker_ttl=MAINTENANCE_INTERVAL_S + 15,
        )
        if isinstance(worker, PeriodicJobs):
            worker.served = served
        with contextlib.suppress(redis.ConnectionError):  # its teardown needs Redis too
            if isinstance(worker, DeadPeers):
                worker.clean_dead_registrations()
            # Before RQ tries the lock: a restart need not wait out its dead predecessor's.
            take_over_dead_scheduler(runtime.redis, [queue.name for queue in queues])
            # Round robin: with several venues' queues, each takes its turn.
            worker.work(
                burst=burst,
                with_scheduler=True,
                logging_level=runtime.settings.log_level,
                dequeue_strategy=DequeueStrategy.ROUND_ROBIN,
            )
        # A stop signal came either mid-job (RQ finished the job first) or between jobs.
        if burst or worker.stop_signalled:
            return
        if isinstance(worker, PeriodicJobs) and worker.queues_changed:
            continue
        log.warning("worker stopped unasked (Redis unreachable?); starting a new one")
        _wait_for_redis(runtime)


def _wait_for_redis(runtime: Runtime) -> None:
    while True:
        time.sleep(REDIS_RETRY_S)
        with contextlib.suppress(redis.RedisError):
            runtime.redis.ping()
            return
