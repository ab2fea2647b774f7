"""The permanent names of RQ's jobs: queued jobs store these dotted paths, not functions.

A job waiting in Redis (a message's retry in its backoff, tomorrow's reconcile) names the
function it will run by import path. Moving or renaming that function would strand every
such job of a running installation. So jobs are enqueued under the paths of this module,
and the implementations can move freely: keep these names and signatures, add new ones
beside them.

Each entry point fetches the job's runtime (``worker.jobs.runtimes``) and passes it down: the
only place a runtime is looked up.

Paths of earlier releases (``worker.tasks.process_message`` and the others in
:data:`EARLIER_PATHS`) stay importable for the jobs queued under them before an upgrade;
tests/test_entrypoints.py runs a job under each through the worker.
"""

from __future__ import annotations

from typing import Any

from rq.job import Job

from worker.jobs import blocks_runs, runtimes
from worker.jobs import messages as message_jobs

# What jobs of earlier releases were queued under: each must keep resolving.
EARLIER_PATHS = (
    "worker.tasks.process_message",
    "worker.tasks.record_exhausted_failure",
    "worker.tasks.run_reconcile",
    "worker.tasks.run_alert_check",
    "worker.tasks.replay_parked",
    "worker.tasks.probe_outages",
)


def process_message(message_id: int, replay: bool = False, received_at: float | None = None) -> str:
    """A Lockme message's job (``worker.jobs.messages.process_message``)."""
    return message_jobs.process_message(runtimes.current(), message_id, replay, received_at)


def record_exhausted_failure(job: Job, connection: Any, exc_type: Any, exc: Any, tb: Any) -> None:
    """A message job's failure callback (``worker.jobs.messages.record_exhausted_failure``)."""
    message_jobs.record_exhausted_failure(runtimes.current(job), job, connection, exc_type, exc)


def run_reconcile(days: int = 60, reschedule: bool = False) -> dict[str, int]:
    """The reconcile job (``worker.jobs.messages.run_reconcile``)."""
    return message_jobs.run_reconcile(runtimes.current(), days, reschedule)


def run_alert_check(reschedule: bool = False) -> list[str]:
    """The alert check job (``worker.jobs.messages.run_alert_check``)."""
    return message_jobs.run_alert_check(runtimes.current(), reschedule)


def replay_parked(provider: str) -> int:
    """The replay after a reconnect (``worker.jobs.messages.replay_parked``)."""
    return message_jobs.replay_parked(runtimes.current(), provider)


def probe_outages() -> list[str]:
    """The outage probe (``worker.jobs.messages.probe_outages``)."""
    return message_jobs.probe_outages(runtimes.current())


def sync_blocks_calendar(calendar_id: str) -> None:
    """A blocks calendar's sync (``worker.jobs.blocks_runs.sync_calendar_job``)."""
    blocks_runs.sync_calendar_job(runtimes.current(), calendar_id)


def poll_blocks(reschedule: bool = False) -> list[str]:
    """The blocks poll (``worker.jobs.blocks_runs.poll_blocks_job``)."""
    return blocks_runs.poll_blocks_job(runtimes.current(), reschedule)


def check_blocks(reschedule: bool = False) -> dict[str, Any]:
    """The daily check of the blocks against Lockme
    (``worker.jobs.blocks_runs.check_blocks_job``)."""
    return blocks_runs.check_blocks_job(runtimes.current(), reschedule)
