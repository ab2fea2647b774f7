"""One snapshot of the system's health, shared by ``lockme-sync status`` and the status page."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from worker.flows.reconcile import last_run
from worker.gateways import lockme_shapes as shapes
from worker.jobs import intake
from worker.jobs.job_names import ALERT_JOB, CHECK_JOB, POLL_JOB, PROBE_JOB, RECONCILE_JOB
from worker.ops import blocks_report
from worker.ops.redis_memory import redis_memory
from worker.runtime import Runtime
from worker.stores.token_vault import PROVIDERS

# Job-id prefixes of the worker's own periodic jobs (``worker.jobs.schedules``): they wait in
# RQ's scheduled registry like a message's retry does, but nothing is wrong with them.
# The check on a service that is not answering (the probe) is one too: counted as a retry,
# an outage showed one booking more waiting than there was.
MAINTENANCE_PREFIXES = {
    RECONCILE_JOB: "reconcile",
    ALERT_JOB: "alert_check",
    PROBE_JOB: "probe",
    POLL_JOB: "blocks_poll",
    CHECK_JOB: "blocks_check",
}


def _maintenance(runtime: Runtime, job_id: str) -> str | None:
    return next(
        (
            kind
            for p, kind in MAINTENANCE_PREFIXES.items()
            if job_id.startswith(runtime.keys.job(p))
        ),
        None,
    )


def queue_stats(runtime: Runtime) -> dict[str, Any]:
    """Counts per RQ state and the age of the oldest waiting message (None when empty).

    ``queued`` includes messages still in the webhook inbox (no worker has turned them into
    jobs yet), so a stopped worker shows up as a growing queue and an ageing oldest message.
    ``scheduled`` counts every job waiting for its time; of those, ``retrying`` are
    messages waiting to be tried again and ``maintenance`` the nightly reconcile and the
    alert check, which are always there.

    Read-only: RQ's counts and listings clean their registry up first by default (failing
    over dead workers' jobs, running their failure callbacks, deleting expired ones), which
    would make every GET of ``/status`` or ``/metrics`` a write from the web process. Only
    the worker's maintenance recovers jobs, so a dead worker's job counts as started here
    until then.
    """
    queue = runtime.queue
    waiting, oldest_receipt = intake.pending(runtime.redis, runtime.keys)
    oldest = [datetime.fromtimestamp(oldest_receipt, UTC)] if oldest_receipt else []
    first = queue.get_job_ids(0, 1)
    if first:
        job = Job.fetch(first[0], connection=runtime.redis, serializer=queue.serializer)
        if job.enqueued_at:
            oldest.append(job.enqueued_at.replace(tzinfo=job.enqueued_at.tzinfo or UTC))
    oldest_age = round((datetime.now(UTC) - min(oldest)).total_seconds(), 1) if oldest else None
    scheduled = ScheduledJobRegistry(queue=queue).get_job_ids(cleanup=False)
    maintenance = sum(1 for jid in scheduled if _maintenance(runtime, jid))
    return {
        "queued": queue.count + waiting,
        "started": StartedJobRegistry(queue=queue).get_job_count(cleanup=False),
        "scheduled": len(scheduled),
        "failed": FailedJobRegistry(queue=queue).get_job_count(cleanup=False),
        "oldest_queued_age_s": oldest_age,
        "retrying": len(scheduled) - maintenance,
        "maintenance": maintenance,
    }


def reconcile_times(runtime: Runtime) -> dict[str, Any]:
    """The last finished reconcile (time, window, counts) and when the next one is due."""
    registry = ScheduledJobRegistry(queue=runtime.queue)
    due = []
    for jid in registry.get_job_ids(cleanup=False):
        if _maintenance(runtime, jid) == "reconcile":
            with contextlib.suppress(NoSuchJobError):  # started since it was listed
                due.append(registry.get_scheduled_time(jid))
    upcoming = min(due).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if due else None
    return {"last": last_run(runtime), "next": upcoming}


def snapshot(runtime: Runtime, recent: int = 50) -> dict[str, Any]:
    """The ``status --json`` object (see the README for its keys)."""
    store = runtime.store
    failures = [
        {k: f.get(k) for k in ("message_id", "reservation_id", "reason", "kind", "attempts", "at")}
        for f in store.failures.failures()
    ]
    return {
        "connections": {p: store.connections.connection(p) for p in PROVIDERS},
        "queue": queue_stats(runtime),
        "failures": failures,
        "parked": [
            {"message_id": m, "waits_for": p} for m, p in sorted(store.failures.parked().items())
        ],
        "recent": store.history.recent(recent),
        "last_webhook": store.messages.last_webhook(),
        # What Lockme's answers looked like, once per endpoint and form (no values).
        "lockme_answer_shapes": shapes.recorded(runtime.redis, runtime.keys),
        "reconcile": reconcile_times(runtime),
        "redis": redis_memory(runtime.redis).as_dict(),
        "blocks": blocks_report.snapshot(runtime),
        "unknown_message_ids": store.failures.unknown_count(),
    }
