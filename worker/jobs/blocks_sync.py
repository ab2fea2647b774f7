"""The blocks sync job: one per calendar at a time, however many pushes ask for it.

Google may push several times for one change, staff editing a series trigger a burst, and a
captured push can be replayed at will; each sync reads everything that changed since the
last, so a burst needs one run, and a push that arrives while a run is under way needs
exactly one more (the run may have read before the change). A request reads and sets the
calendar's keys in one script, so that it and a run ending never miss each other:

- ``running``: a lease the run holds while it lives (``worker.stores.leases``: a killed worker's
  lapses within ``RUN_LEASE_S``). A request meanwhile sets ``again``; the run, once it has
  let the lease go, asks for one more run when it finds ``again`` set.
- ``pending``: the id of the job queued and not yet started. A request meanwhile is a
  no-op (the job reads after it). A failed run keeps it while RQ waits to retry it.
- ``gate``: a read started less than ``READ_GAP_S`` ago. A request then queues its job to
  start when the gate opens, so replays cost at most one Google list call per calendar per
  ``READ_GAP_S``, and the last of a burst is still followed by a read.

No RQ job status is read: RQ deletes a finished job whenever its worker gets to it, and a
request that looked at one in between answered Google 500, or left its push to a run that
had already looked for pushes for the last time.

Each job has its own id (``blocks-{hash}-{random}``: RQ ids allow only letters, digits, ``_``
and ``-``): an id that a finishing job still holds would make RQ refuse the next run.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta

import redis
from redis.exceptions import LockError
from rq import get_current_job

from worker.jobs.job_names import (
    BLOCKS_JOB,
    SYNC_CALENDAR,
)
from worker.jobs.queue import retry_policy
from worker.runtime import Runtime
from worker.stores.leases import Leases

JOB_TIMEOUT_S = 300
# A calendar's reads start at least this far apart, whatever asks for them.
READ_GAP_S = 3.0
# How long a queued job (or one RQ will retry) answers for the calendar's requests, if it
# never starts: past it a request queues another (two runs at worst, never none).
PENDING_TTL_S = 3600
# The run's lease: a worker killed mid-run holds the calendar's requests this long at most.
RUN_LEASE_S = 20.0

# KEYS: running, pending, again, gate. ARGV: the new job's id, the TTL of pending and again.
# Returns {outcome, milliseconds until the gate opens}.
_REQUEST = """
if redis.call('exists', KEYS[1]) == 1 then
    redis.call('set', KEYS[3], '1', 'EX', ARGV[2])
    return {'again', 0}
end
if redis.call('set', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then
    return {'queued', redis.call('pttl', KEYS[4])}
end
return {'known', 0}
"""
# KEYS: pending. ARGV: a job id. Deletes pending if it still names that job.
_FORGET = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def job_id(calendar_id: str) -> str:
    """The prefix of the calendar's job ids (each job adds ``-{random}``)."""
    return f"{BLOCKS_JOB}{hashlib.sha1(calendar_id.encode()).hexdigest()[:16]}"


def _run_lease(calendar_id: str) -> str:
    """The name of the lease a run holds (``worker.stores.leases``)."""
    return f"blocks-run:{calendar_id}"


def _keys(runtime: Runtime, calendar_id: str) -> list[str]:
    """running, pending, again, gate."""
    keys = runtime.keys
    return [
        keys.lock(_run_lease(calendar_id)),
        *(keys.blocks_sync(calendar_id, part) for part in ("pending", "again", "gate")),
    ]


def pending_job(runtime: Runtime, calendar_id: str) -> str | None:
    """The id of the calendar's job that is queued (or waiting to be retried), if any."""
    raw = runtime.redis.get(runtime.keys.blocks_sync(calendar_id, "pending"))
    return raw.decode() if isinstance(raw, bytes) else raw


def busy(runtime: Runtime, calendar_id: str) -> bool:
    """Whether a sync of the calendar is queued (or waiting to be retried), running, or
    asked for again."""
    running, pending, again, _ = _keys(runtime, calendar_id)
    return bool(runtime.redis.exists(running, pending, again))


def request_sync(runtime: Runtime, calendar_id: str) -> str:
    """Ask for a sync of the calendar; returns ``queued``, ``known`` (one is waiting) or
    ``again`` (one is running and will be followed by one more). One script and, when a
    job is needed, one enqueue: no RQ status is read, so a job finishing meanwhile cannot
    make it fail (see the module doc)."""
    keys = _keys(runtime, calendar_id)
    jid = runtime.keys.job(f"{job_id(calendar_id)}-{uuid.uuid4().hex[:12]}")
    script = runtime.redis.register_script(_REQUEST)  # called by its hash
    outcome, gate_ms = script(keys=keys, args=[jid, PENDING_TTL_S])
    outcome = outcome.decode() if isinstance(outcome, bytes) else str(outcome)
    if outcome != "queued":
        return outcome
    options = {
        "job_id": jid,
        "result_ttl": 0,
        "failure_ttl": 24 * 3600,
        "job_timeout": JOB_TIMEOUT_S,
        "description": "blocks calendar sync",
        # Google or Lockme failing: the message jobs' backoff (each write is idempotent,
        # so a retried sync finishes what the failed one started).
        "retry": retry_policy(runtime.settings.retry_backoff_scale),
    }
    try:
        if int(gate_ms) > 0:
            delay = timedelta(milliseconds=int(gate_ms))
            runtime.queue.enqueue_in(delay, SYNC_CALENDAR, calendar_id, **options)
        else:
            runtime.queue.enqueue(SYNC_CALENDAR, calendar_id, **options)
    except Exception:
        # Not queued: the next request must not take it for waiting.
        with contextlib.suppress(redis.RedisError):
            runtime.redis.eval(_FORGET, 1, keys[1], jid)
        raise
    return outcome


def run_sync(runtime: Runtime, calendar_id: str, sync: Callable[[Runtime, str], object]) -> None:
    """A calendar's sync job: ``sync`` it once, then ask for one more run when a request
    came in meanwhile (see the module doc). The sync is handed in by the job's body
    (``worker.jobs.blocks_runs``): this side of the protocol is also the web tier's, which
    has no use for the flow and all it imports."""
    _, pending, again, gate = _keys(runtime, calendar_id)
    job = get_current_job()
    jid = job.id if job is not None else ""
    lease = Leases(runtime.redis, runtime.keys, lease_s=RUN_LEASE_S, wait_s=0)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(lease(_run_lease(calendar_id)))
        except LockError:
            # Another run of the calendar holds it: it started after this job was asked
            # for (the request would have said ``again`` otherwise), so its read covers it.
            runtime.redis.eval(_FORGET, 1, pending, jid)
            return
        # Taken before pending goes: a request in between sees the run, not nothing.
        runtime.redis.eval(_FORGET, 1, pending, jid)
        runtime.redis.delete(again)
        runtime.redis.set(gate, "1", px=int(READ_GAP_S * 1000))
        try:
            sync(runtime, calendar_id)
        except Exception:
            if job is not None and job.retries_left:
                # RQ retries this job: requests until then wait for it, as for a queued one.
                runtime.redis.set(pending, jid, ex=PENDING_TTL_S)
            raise
    # The lease is gone: a request from now on queues its own run, and one that came
    # while the run held it left ``again``.
    if runtime.redis.exists(again):
        request_sync(runtime, calendar_id)
