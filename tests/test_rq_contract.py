"""The contract between ``worker/jobs/rqseam.py`` and the installed RQ.

The seam overrides RQ methods that RQ does not document as extension points, so a minor RQ
release can change them without notice. Each test here fails naming what changed: a
signature (``inspect.signature``), the order RQ calls the hooks in while a real worker runs
real jobs, or the templates of the per-job log lines the seam filters out. ``scripts/lock``
runs this file first after every upgrade; ``pyproject.toml`` holds RQ to the major version
it has passed. What RQ's own suite does not cover (a stop signal, a failing heartbeat) is in
``tests/test_rq_promises.py``; ``scripts/rq-suite`` runs RQ's suite against the seam.
"""

from __future__ import annotations

import inspect
import logging
import re
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rq import Queue
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.worker import SimpleWorker

from worker.domain.errors import TransientError
from worker.jobs import rqseam

# Every RQ method the seam overrides or calls, with the parameters (after ``self``) it
# expects.
RQ_METHODS: dict[str, tuple[str, ...]] = {
    "maintain_heartbeats": ("job", "execution"),
    "get_heartbeat_ttl": ("job", "working_time"),
    "execute_job": ("job", "queue"),
    "handle_execution_ended": ("job", "queue", "heartbeat_ttl"),
    "teardown": (),
    "request_stop": ("signum", "frame"),
    "run_maintenance_tasks": (),
}

# RQ's attributes the seam sets or reads.
RQ_ATTRIBUTES = ("log_result_lifespan", "job_monitoring_interval", "execution")

BEAT = threading.Event()


def succeed_after_a_heartbeat() -> str:
    """A job that lasts until the seam's heartbeat thread has beaten for it once."""
    return "beaten" if BEAT.wait(timeout=30) else "no heartbeat"


def succeed() -> None:
    """A job that does nothing."""


def fail() -> None:
    raise ValueError("this job fails")


def fail_transiently() -> None:
    raise TransientError("Google events: 503 Service Unavailable", service="google")


def _parameters(method: Any) -> tuple[str, ...]:
    return tuple(inspect.signature(method).parameters)[1:]


def _overridden(methods: bool) -> list[str]:
    """The RQ methods (or attributes) that the seam's classes define again."""
    seam = [c for c in rqseam.SyncWorker.__mro__ if c.__module__ == rqseam.__name__]
    return sorted(
        name
        for c in seam
        for name, value in vars(c).items()
        if not name.startswith("__") and hasattr(SimpleWorker, name) and callable(value) == methods
    )


@pytest.mark.parametrize("name", RQ_ATTRIBUTES)
def test_rq_keeps_the_attributes_the_seam_relies_on(queue: Queue, name: str) -> None:
    worker = SimpleWorker([queue], connection=queue.connection)
    assert hasattr(worker, name), f"RQ's worker no longer has the attribute {name}"


@pytest.mark.parametrize("name", sorted(RQ_METHODS))
def test_rq_keeps_the_signature_the_seam_relies_on(name: str) -> None:
    assert hasattr(SimpleWorker, name), f"RQ's worker no longer has {name}()"
    found = _parameters(getattr(SimpleWorker, name))
    assert found == RQ_METHODS[name], (
        f"RQ's SimpleWorker.{name} now takes {found}, "
        f"worker/jobs/rqseam.py expects {RQ_METHODS[name]}"
    )


@pytest.mark.parametrize("name", _overridden(methods=False))
def test_every_attribute_the_seam_sets_is_rqs_and_in_the_docstring(name: str) -> None:
    assert name in RQ_ATTRIBUTES, f"worker/jobs/rqseam.py sets RQ's {name}; add it to RQ_ATTRIBUTES"
    assert f"``{name}``" in (rqseam.__doc__ or ""), (
        f"worker/jobs/rqseam.py's docstring omits {name}"
    )


@pytest.mark.parametrize("name", _overridden(methods=True))
def test_every_override_is_in_the_contract_and_the_docstring(name: str) -> None:
    assert name in RQ_METHODS, f"worker/jobs/rqseam.py overrides {name}(); add it to RQ_METHODS"
    ours = _parameters(getattr(rqseam.SyncWorker, name))
    assert ours == RQ_METHODS[name], f"SyncWorker.{name} takes {ours}, RQ's {RQ_METHODS[name]}"
    assert f"``{name}(" in (rqseam.__doc__ or ""), f"worker/jobs/rqseam.py's docstring omits {name}"


class _Recorder(rqseam.SyncWorker):
    """The product's worker, noting each hook RQ calls with the job's status at that moment
    (a subclass, as the seam itself is one: RQ's code runs unchanged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, str | None]] = []

    def _note(self, name: str, job: Job) -> None:
        self.calls.append((name, job.get_status(refresh=False)))

    def execute_job(self, job: Job, queue: Queue) -> None:
        self._note("execute_job", job)
        super().execute_job(job, queue)

    def maintain_heartbeats(self, job: Job, execution: Execution) -> None:
        self._note("maintain_heartbeats", job)
        super().maintain_heartbeats(job, execution)
        BEAT.set()

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        self._note("get_heartbeat_ttl", job)
        return super().get_heartbeat_ttl(job, working_time)

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        self._note("handle_execution_ended", job)
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def cleanup_execution(self, job: Job, *args: Any, **kwargs: Any) -> None:
        self._note("cleanup_execution", job)
        super().cleanup_execution(job, *args, **kwargs)


@pytest.fixture
def queue(redis_url: str) -> Iterator[Queue]:
    conn = redis.Redis.from_url(redis_url)
    yield Queue("contract", connection=conn)
    conn.close()


def _run(queue: Queue, function: str, **worker_options: Any) -> tuple[_Recorder, Job]:
    job = queue.enqueue(function, result_ttl=60)
    worker = _Recorder([queue], connection=queue.connection, **worker_options)
    worker.work(burst=True, with_scheduler=False)
    job.refresh()
    return worker, job


def test_rq_calls_the_hooks_in_order_and_the_heartbeat_thread_beats(queue: Queue) -> None:
    BEAT.clear()
    worker, job = _run(queue, f"{__name__}.succeed_after_a_heartbeat", job_monitoring_interval=1)

    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "beaten", "maintain_heartbeats(job) was never called"
    # RQ asks for the heartbeat's TTL as the job starts, the seam's thread beats (asking
    # again each time), then the job ends and its execution is cleaned up.
    order = " ".join(name for name, _ in worker.calls)
    assert re.fullmatch(
        "execute_job( get_heartbeat_ttl)+( maintain_heartbeats get_heartbeat_ttl)+"
        " handle_execution_ended cleanup_execution",
        order,
    ), f"RQ calls the seam's hooks in a new order: {order}"
    assert worker.get_state() == "idle"
    assert worker.connection.hget(worker.key, "state") in (None, b"idle")


def test_a_failed_job_ends_before_its_outcome_is_written(queue: Queue) -> None:
    """SyncWorker.handle_execution_ended stops the heartbeat thread's beats for the job:
    RQ must call it before it cleans up the execution, for a failed job too."""
    worker, job = _run(queue, f"{__name__}.fail", job_monitoring_interval=5)

    assert job.get_status() == JobStatus.FAILED
    order = [name for name, _ in worker.calls]
    assert "handle_execution_ended" in order and "cleanup_execution" in order, order
    assert order.index("handle_execution_ended") < order.index("cleanup_execution"), (
        f"RQ now cleans up a failed job's execution before handle_execution_ended: {order}"
    )


def _work_unfiltered(worker: rqseam.SyncWorker, caplog: pytest.LogCaptureFixture) -> None:
    """Run ``worker`` in burst, capturing what RQ itself logs: run_worker filters RQ's
    logger for the whole process (an earlier test may have run it), so that filter is
    lifted meanwhile."""
    caplog.clear()
    logger = logging.getLogger("rq.worker")
    installed = list(logger.filters)
    for f in installed:
        logger.removeFilter(f)
    try:
        with caplog.at_level(logging.INFO, logger="rq.worker"):
            worker.work(burst=True, with_scheduler=False, logging_level="INFO")
    finally:
        for f in installed:
            logger.addFilter(f)


def _per_job_templates(queue: Queue, caplog: pytest.LogCaptureFixture, describe: bool) -> set[str]:
    """The templates of the INFO lines RQ logs about one job, by a real worker."""
    job_id = f"contract-{int(describe)}"
    queue.enqueue(f"{__name__}.succeed", job_id=job_id, description=f"{job_id} job")
    worker = rqseam.SyncWorker([queue], connection=queue.connection, job_monitoring_interval=5)
    worker.log_job_description = describe
    _work_unfiltered(worker, caplog)
    lines = [
        r
        for r in caplog.records
        if r.name == "rq.worker" and r.levelno == logging.INFO and job_id in r.getMessage()
    ]
    assert lines, "RQ logged no INFO line about the job"
    kept = [r.getMessage() for r in lines if rqseam._PerJobLines().filter(r)]
    assert not kept, f"RQ logs per-job lines the filter no longer drops: {kept}"
    return {str(r.msg) for r in lines}


def test_rq_logs_each_job_with_the_templates_the_filter_drops(
    queue: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    used = _per_job_templates(queue, caplog, True) | _per_job_templates(queue, caplog, False)
    stale = rqseam._PerJobLines.TEMPLATES - used
    assert not stale, f"rqseam._PerJobLines.TEMPLATES holds templates RQ no longer logs: {stale}"


def _traceback_lines(queue: Queue, caplog: pytest.LogCaptureFixture, function: str) -> list[Any]:
    """RQ's ERROR records about a failed job of ``function``, with no filter installed."""
    queue.enqueue(f"{__name__}.{function}")
    worker = rqseam.SyncWorker([queue], connection=queue.connection, job_monitoring_interval=5)
    _work_unfiltered(worker, caplog)
    return [r for r in caplog.records if r.name == "rq.worker" and r.levelno == logging.ERROR]


def test_an_expected_failure_leaves_no_traceback_and_a_bug_keeps_it(
    queue: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _traceback_lines(queue, caplog, "fail_transiently")
    assert expected, "RQ logged no ERROR line for a failed job"
    assert all(r.msg == rqseam._ExpectedFailures.TEMPLATE for r in expected)
    assert not [r for r in expected if rqseam._ExpectedFailures().filter(r)]
    bug = _traceback_lines(queue, caplog, "fail")
    kept = [r.getMessage() for r in bug if rqseam._ExpectedFailures().filter(r)]
    assert kept and "Traceback" in kept[0]


def test_a_stop_signal_is_remembered_so_run_worker_lets_the_worker_go(queue: Queue) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    worker = rqseam.SyncWorker([queue], connection=queue.connection)
    try:
        with pytest.raises(StopRequested):  # RQ stops an idle worker at once
            worker.request_stop(signal.SIGTERM, None)
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
    assert worker.stop_signalled
