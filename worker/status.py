"""One snapshot of the system's health, shared by ``lockme-sync status`` and the status page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from worker import intake
from worker.runtime import Runtime, started_registry
from worker.store import PROVIDERS


def queue_stats(runtime: Runtime) -> dict[str, Any]:
    """Counts per RQ state and the age of the oldest waiting message (None when empty).

    ``queued`` includes messages still in the webhook inbox (no worker has turned them into
    jobs yet), so a stopped worker shows up as a growing queue and an ageing oldest message.
    """
    queue = runtime.queue
    waiting, oldest_receipt = intake.pending(runtime.redis)
    oldest = [datetime.fromtimestamp(oldest_receipt, UTC)] if oldest_receipt else []
    first = queue.get_job_ids(0, 1)
    if first:
        job = Job.fetch(first[0], connection=runtime.redis, serializer=queue.serializer)
        if job.enqueued_at:
            oldest.append(job.enqueued_at.replace(tzinfo=job.enqueued_at.tzinfo or UTC))
    oldest_age = round((datetime.now(UTC) - min(oldest)).total_seconds(), 1) if oldest else None
    return {
        "queued": queue.count + waiting,
        "started": started_registry(queue).count,
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
