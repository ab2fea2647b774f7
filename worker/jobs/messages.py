"""The message jobs' bodies, and the error policy that decides retry, park or dead letter.

RQ calls a job by the dotted path it was queued under (``worker.entrypoints``); the entry
point there fetches the job's runtime (``worker.jobs.runtimes``) and passes it down, so
everything here takes the runtime as an argument and nothing looks one up.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from rq.job import Job, get_current_job

from worker.domain.errors import AuthError, PermanentError, SyncError, TransientError
from worker.flows.blocks.calendar_sync import booking_changed
from worker.flows.booking_sync import Result
from worker.flows.reconcile import Reconciler
from worker.jobs import intake, schedules
from worker.jobs.blocks_sync import request_sync
from worker.jobs.queue import (
    PROBE_S,
    defer_retry,
    enqueue_message,
    enqueue_probe,
    job_keys,
    release_retries,
)
from worker.ops import alerts, logs, metrics
from worker.runtime import Runtime
from worker.stores import underway

log = logging.getLogger(__name__)

# How often a message runs again at once when a reconnect lands while it fails for the
# lack of one; after that, the retry policy takes over.
RECONNECT_RERUNS = 2


def process_message(
    runtime: Runtime, message_id: int, replay: bool = False, received_at: float | None = None
) -> str:
    """A message's job. Transient errors propagate so RQ retries them with backoff, waiting
    at least as long as the error's ``retry_after`` asks.

    Every line logged while the job runs carries its message id (and, once the message is
    read, its reservation and room); the outcome is counted for ``/metrics``, with the
    job's other counts, in one write at its end.
    """
    started = time.monotonic()
    with logs.bind(message_id=message_id), metrics.batch(runtime.redis, runtime.keys):
        logs.event("job.started", outcome="started", replay=replay)
        try:
            result = handle_message(runtime, message_id, replay, received_at)
        except Exception as exc:
            if isinstance(exc, TransientError) and exc.retry_after:
                defer_retry(get_current_job(), exc.retry_after)
            if isinstance(exc, TransientError) and exc.service:
                _note_outage(runtime, exc)
            if isinstance(exc, TransientError):
                underway.note(
                    runtime.redis,
                    runtime.keys,
                    message_id,
                    "retrying",
                    service=exc.service,
                    reason=str(exc),
                    details=exc.details,
                )
            metrics.incr(runtime.redis, runtime.keys, "jobs", outcome="error")
            logs.event(
                "job.failed",
                outcome=type(exc).__name__,
                duration_ms=logs.elapsed_ms(started),
                level=logging.WARNING,
            )
            raise
        metrics.incr(runtime.redis, runtime.keys, "jobs", outcome=result)
        if result == "failed":
            metrics.incr(runtime.redis, runtime.keys, "dead_letters")
        name = "job.failed" if result == "failed" else "job.finished"
        logs.event(name, outcome=result, duration_ms=logs.elapsed_ms(started))
        return result


def _note_outage(runtime: Runtime, exc: TransientError) -> None:
    """A job gives up on a service until its retry: have the service checked soon. Not
    when the service itself named a later time (a daily quota's reset): probing before
    it would only spend calls on an answer known in advance."""
    if exc.retry_after and exc.retry_after > PROBE_S:
        return
    if runtime.store.outages.note_outage(exc.service):
        enqueue_probe(runtime)


def probe_outages(runtime: Runtime) -> list[str]:
    """The outage probe's job: check each service a job gave up on with one cheap call; for those
    that answer, bring the waiting retries forward. Returns the services found back.

    A service still failing is checked again ``PROBE_S`` later, so that after an outage
    every booking is retried within about that long of its end, however far along the
    backoff its job had got.
    """
    back = []
    for service in runtime.store.outages.outages():
        try:
            _probe(runtime, service)
        except TransientError:
            continue
        except SyncError:
            pass  # answering, if with a complaint (a grant to renew): no longer an outage
        runtime.store.outages.end_outage(service)
        back.append(service)
    if back:
        released = release_retries(runtime)
        log.info("%s answering again: %s waiting message(s) retried now", back, released)
    if runtime.store.outages.outages():
        enqueue_probe(runtime)
    return back


def _probe(runtime: Runtime, service: str) -> None:
    """One call of the kind the jobs failed at: Google's events, Lockme's test endpoint."""
    if service == "google":
        start = datetime.now(UTC)
        events = runtime.calendar.list_events(
            "primary", time_min=start, time_max=start + timedelta(minutes=1)
        )
        next(iter(events), None)
    else:
        runtime.lockme.test()


def handle_message(
    runtime: Runtime, message_id: int, replay: bool, received_at: float | None
) -> str:
    """The error policy around one message: a lost connection parks it, a permanent error
    makes it a dead letter, and anything else propagates for RQ's retry with backoff."""
    store = runtime.store
    if not replay and store.messages.is_done(message_id):
        return "duplicate"
    if not replay and store.failures.is_unknown(message_id):
        return "unknown"  # Lockme answered 404 for it lately: no second call
    payload = None
    record = store.failures.failure(message_id) if replay else None
    if record and record.get("kind") == "malformed":
        payload = record.get("payload")
    for _ in range(RECONNECT_RERUNS + 1):
        try:
            outcome = runtime.syncer.handle(message_id, payload, received_at=received_at)
            if outcome.room_id is not None:
                _free_for_blocks(runtime, outcome.room_id, outcome.result == Result.OWN_BLOCK)
            return outcome.result
        except AuthError as exc:
            service = exc.service or "lockme"
            if not store.failures.can_park(message_id):
                log.warning("message %s not parked: too many wait (Lockme redelivers)", message_id)
                return "deferred"
            # Parked only while the grant it failed with is still the stored one: after a
            # reconnect (which queues the replay of parked messages) it runs again at once.
            if store.failures.park(message_id, service, store.tokens.generation(service)):
                return _parked(runtime, message_id, exc)
        except PermanentError as exc:
            if exc.service == "lockme" and exc.status == 404:
                # Not a failure of ours: an id Lockme does not know (a made-up webhook, or
                # one deleted meanwhile). Kept apart, so that it never evicts a real record.
                store.failures.remember_unknown(message_id)
                underway.clear(runtime.redis, runtime.keys, message_id)
                log.info("message %s: Lockme does not know it", message_id)
                return "unknown"
            store.failures.record_failure(message_id, str(exc), kind="permanent")
            underway.clear(runtime.redis, runtime.keys, message_id)
            store.history.record_sync(
                {"message_id": message_id, "action": "fail", "result": "failed"}
            )
            log.warning("message %s failed: %s", message_id, exc)
            return "failed"
    raise TransientError("the connection changed during every run; retrying later")


def _free_for_blocks(runtime: Runtime, room_id: int, lost_block: bool) -> None:
    """A booking of the room changed: if a block waits for a slot of that room a customer
    held, or one of the product's blocks was removed in Lockme, the room's blocks calendar
    is synced now instead of at the next poll. Two Redis reads when the room has no blocks
    or no conflicts."""
    calendar_id = booking_changed(runtime, room_id, lost_block=lost_block)
    if calendar_id is not None:
        request_sync(runtime, calendar_id)


def _parked(runtime: Runtime, message_id: int, exc: AuthError) -> str:
    """Not acked, not dropped: replayed once the connection is restored. Shown as a booking
    under way (``worker.stores.underway``), whose row a redelivery updates rather than adding a
    history entry per delivery."""
    store, service = runtime.store, exc.service or "lockme"
    underway.note(
        runtime.redis,
        runtime.keys,
        message_id,
        "parked",
        service=service,
        reason=str(exc),
        details=exc.details,
    )
    if store.messages.is_done(message_id):
        # A concurrent run of the same message (a redelivery) acknowledged it meanwhile;
        # checked after parking, so whichever of the two finishes last unparks it.
        store.failures.unpark(message_id)
        underway.clear(runtime.redis, runtime.keys, message_id)
        return "duplicate"
    log.warning("message %s parked: %s needs reconnecting", message_id, service)
    alerts.check(runtime)
    return "parked"


def record_exhausted_failure(
    runtime: Runtime, job: Job, connection: Any, exc_type: Any, exc: Any
) -> None:
    """RQ failure callback: a transient failure with no retries left becomes a dead letter.

    RQ calls it before deciding on the retry, so ``retries_left`` still counts this attempt.
    The web process runs it too (a replay fails over a dead worker's job), which is why the
    web app configures its runtime here as well; the retry count needs none (job meta).
    """
    message_id = int(job.args[0])
    if job.retries_left:
        metrics.incr(connection, job_keys(job), "job_retries")
        logs.event(
            "job.retried",
            outcome=exc_type.__name__,
            message_id=message_id,
            retries_left=job.retries_left - 1,
        )
        return
    runtime.store.failures.record_failure(
        message_id, f"{exc_type.__name__}: {exc}", kind="transient"
    )
    underway.clear(connection, runtime.keys, message_id)
    metrics.incr(connection, runtime.keys, "dead_letters")
    logs.event("job.dead_letter", outcome=exc_type.__name__, message_id=message_id)


def replay(runtime: Runtime, message_ids: list[int] | None = None) -> list[int]:
    """Re-queue failed and parked messages (all of them when ``message_ids`` is None).

    A parked message (up to ``PARKED_LIMIT`` of them) goes back through the webhook inbox,
    whose dispatcher admits them in bounded batches (``worker.jobs.inbox``); any other (a
    failure, at most ``FAILURE_LIMIT``, working from its record) becomes a replay job at once.
    """
    store = runtime.store
    waiting = store.failures.parked()
    if message_ids is None:
        message_ids = sorted(
            {*(f["message_id"] for f in store.failures.failures(limit=10_000)), *waiting}
        )
    parked = [mid for mid in message_ids if mid in waiting and store.failures.failure(mid) is None]
    intake.readmit(runtime.redis, runtime.keys, parked)
    for message_id in parked:
        store.failures.unpark(message_id)
    for message_id in sorted(set(message_ids) - set(parked)):
        store.failures.unpark(message_id)
        enqueue_message(runtime, message_id, replay=True)
    return message_ids


def replay_parked(runtime: Runtime, provider: str) -> int:
    """The job after a reconnect, re-queue the messages parked for ``provider``.

    A job rather than part of the OAuth callback, so that the callback answers at once
    however many messages waited (thousands, after a long disconnect). The reconnect has
    bumped the connection's generation before queueing this, so a message that failed with
    the old grant is parked before this job reads the list, or not at all (``Failures.park``).
    """
    waiting = [mid for mid, owner in runtime.store.failures.parked().items() if owner == provider]
    replay(runtime, waiting)
    log.info("replayed %s message(s) parked for %s", len(waiting), provider)
    return len(waiting)


def run_reconcile(runtime: Runtime, days: int = 60, reschedule: bool = False) -> dict[str, int]:
    """The reconcile job. ``reschedule``: the run is the nightly slot's, which
    runs once however many jobs were made for it (``worker.jobs.schedules``)."""
    if reschedule and not schedules.claim_slot(runtime):
        return {}
    summary = Reconciler(runtime).run(days=days)
    log.info("reconcile: %s", summary)
    return summary.as_dict()


def run_alert_check(runtime: Runtime, reschedule: bool = False) -> list[str]:
    """The alert check's job. ``reschedule``: the run is a periodic slot's,
    which runs once however many jobs were made for it (``worker.jobs.schedules``)."""
    if reschedule and not schedules.claim_slot(runtime):
        return []
    return alerts.check(runtime)
