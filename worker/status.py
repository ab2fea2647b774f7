"""One snapshot of the system's health, shared by ``lockme-sync status`` and the status page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from worker.runtime import Runtime
from worker.store import PROVIDERS


def queue_stats(runtime: Runtime) -> dict[str, Any]:
    """Counts per RQ state and the age of the oldest waiting message (None when empty)."""
    queue = runtime.queue
    oldest_age = None
    first = queue.get_job_ids(0, 1)
    if first:
        job = Job.fetch(first[0], connection=runtime.redis, serializer=queue.serializer)
        if job.enqueued_at:
            enqueued = job.enqueued_at.replace(tzinfo=job.enqueued_at.tzinfo or UTC)
            oldest_age = round((datetime.now(UTC) - enqueued).total_seconds(), 1)
    return {
        "queued": queue.count,
        "started": StartedJobRegistry(queue=queue).count,
        "scheduled": ScheduledJobRegistry(queue=queue).count,
        "failed": FailedJobRegistry(queue=queue).count,
        "oldest_queued_age_s": oldest_age,
    }


def snapshot(runtime: Runtime, recent: int = 50) -> dict[str, Any]:
    """The ``status --json`` object (see the README for its keys)."""
    store = runtime.store
    failures = [
        {k: f.get(k) for k in ("message_id", "reservation_id", "reason", "kind", "attempts", "at")}
        for f in store.failures()
    ]
    return {
        "connections": {p: store.connection(p) for p in PROVIDERS},
        "queue": queue_stats(runtime),
        "failures": failures,
        "parked": [{"message_id": m, "waits_for": p} for m, p in sorted(store.parked().items())],
        "recent": store.recent(recent),
        "last_webhook": store.last_webhook(),
    }
