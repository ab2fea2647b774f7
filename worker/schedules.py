"""The worker's own periodic jobs: the nightly reconcile and the five-minute alert check.

Each scheduled run is named by its slot, so a restarting worker (or several workers) adds
no second one, and a running job can schedule its successor without touching itself.
Jobs are named by import path (see ``worker.queue``), as ``worker.tasks`` imports this module.
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta

from rq.exceptions import DuplicateJobError

from worker.blocks.adopt import CHECK_BLOCKS, CHECK_JOB, CHECK_S
from worker.blocks.jobs import POLL_BLOCKS, POLL_JOB, POLL_S
from worker.queue import ALERT_JOB, RECONCILE_JOB, RUN_ALERT_CHECK, RUN_RECONCILE
from worker.runtime import Runtime

RECONCILE_HOUR = 4
ALERT_CHECK_S = 300


def schedule_daily_reconcile(runtime: Runtime) -> datetime:
    """Keep one reconcile scheduled for the next 04:00 venue time."""
    now = datetime.now(runtime.settings.tz)
    run_at = now.replace(hour=RECONCILE_HOUR, minute=0, second=0, microsecond=0)
    if run_at <= now:
        run_at += timedelta(days=1)
    _schedule_once(
        runtime,
        run_at,
        runtime.keys.job(f"{RECONCILE_JOB}{run_at:%Y%m%d}"),
        RUN_RECONCILE,
        60,
        True,
    )
    return run_at


def schedule_alert_check(runtime: Runtime) -> datetime:
    """Keep one alert check scheduled at the next five-minute mark."""
    slot = (int(time.time()) // ALERT_CHECK_S + 1) * ALERT_CHECK_S
    run_at = datetime.fromtimestamp(slot, UTC)
    _schedule_once(runtime, run_at, runtime.keys.job(f"{ALERT_JOB}{slot}"), RUN_ALERT_CHECK, True)
    return run_at


def schedule_blocks_poll(runtime: Runtime) -> datetime:
    """Keep one blocks poll scheduled at the next ``POLL_S`` mark (``worker.blocks.jobs``)."""
    slot = (int(time.time()) // POLL_S + 1) * POLL_S
    run_at = datetime.fromtimestamp(slot, UTC)
    _schedule_once(runtime, run_at, runtime.keys.job(f"{POLL_JOB}{slot}"), POLL_BLOCKS, True)
    return run_at


def schedule_blocks_check(runtime: Runtime) -> datetime:
    """Keep one check of the blocks against Lockme scheduled at the next day's mark (UTC
    midnight; ``worker.blocks.adopt``)."""
    slot = (int(time.time()) // CHECK_S + 1) * CHECK_S
    run_at = datetime.fromtimestamp(slot, UTC)
    _schedule_once(runtime, run_at, runtime.keys.job(f"{CHECK_JOB}{slot}"), CHECK_BLOCKS, True)
    return run_at


def _schedule_once(runtime: Runtime, run_at: datetime, jid: str, func: str, *args: object) -> None:
    """Schedule ``func(*args)`` at ``run_at`` unless a job with id ``jid`` already waits."""
    with contextlib.suppress(DuplicateJobError):
        runtime.queue.enqueue_at(
            run_at, func, *args, job_id=jid, unique=True, job_timeout=1800, result_ttl=0
        )
