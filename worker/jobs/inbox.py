"""The worker's side of the webhook inbox (``worker.jobs.intake``): ids become RQ jobs.

A dispatcher thread in every worker process moves ids from the inbox into unique RQ jobs,
where the dedupe and re-queue rules live (``worker.jobs.queue``).

Admission is bounded: an id in the inbox costs about 100 bytes of Redis, its RQ job about
11 KB (docs/security.md). So ids move in batches of ``DISPATCH_BATCH``, and only while fewer
than ``JOBS_IN_FLIGHT`` message jobs wait (queued, or scheduled for a retry); a storm of
thousands of messages waits in the inbox, not as thousands of jobs in a small Redis.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import cast

import redis

from worker.jobs.queue import enqueue_message
from worker.runtime import Runtime

log = logging.getLogger(__name__)

DISPATCH_BLOCK_S = 2
DISPATCH_BATCH = 100
JOBS_IN_FLIGHT = 500


def jobs_waiting(runtime: Runtime) -> int:
    """Jobs queued or scheduled for a retry: what admitting more would add to.

    Through RQ's public counts; the registry's without its cleanup, which would make this
    read write (and a scheduled job is the scheduler's to move, not ours)."""
    queue = runtime.queue
    return queue.count + queue.scheduled_job_registry.get_job_count(cleanup=False)


def dispatch(runtime: Runtime, block: float = 0) -> int:
    """Turn ids waiting in the webhook inbox (``worker.jobs.intake``) into their jobs, oldest
    first, in batches, while fewer than ``JOBS_IN_FLIGHT`` jobs wait.

    Returns how many. An id leaves the inbox only after its job exists, so a dispatcher
    killed half-way loses nothing: the next one finds the job and adds no second one. Safe
    in several processes at once. With ``block``, first wait that long for a wake-up; ids
    left behind by the bound are taken on the next round, at the latest after ``block``.
    """
    client = runtime.redis
    if block:
        client.blpop([runtime.keys.inbox_wake], timeout=block)
    client.delete(
        runtime.keys.inbox_wake
    )  # ids pushed after this wake the next round; none is missed
    moved = 0
    while (room := min(DISPATCH_BATCH, JOBS_IN_FLIGHT - jobs_waiting(runtime))) > 0:
        waiting = cast(
            list[tuple[bytes, float]],
            client.zrange(runtime.keys.inbox_pending, 0, room - 1, withscores=True),
        )
        for raw, received_at in waiting:
            enqueue_message(runtime, int(raw), received_at=received_at)
            client.zrem(runtime.keys.inbox_pending, raw)
        moved += len(waiting)
        if len(waiting) < room:
            break
    return moved


def dispatch_all(served: list[Runtime], block: float = 0) -> int:
    """:func:`dispatch` for each runtime served (each venue's inbox), after waiting up to
    ``block`` for a wake-up of any of them: one thread serves every venue's inbox."""
    if block and served:
        served[0].redis.blpop([rt.keys.inbox_wake for rt in served], timeout=block)
    return sum(dispatch(rt) for rt in served)


class Dispatcher(threading.Thread):
    """Runs :func:`dispatch` in the background of a worker process until stopped, for
    ``runtime`` or, with ``served``, for every runtime it returns at each round (a venue
    added while the worker runs is served from the worker's next maintenance pass)."""

    def __init__(
        self, runtime: Runtime, served: Callable[[], Iterable[Runtime]] | None = None
    ) -> None:
        super().__init__(name="inbox-dispatcher", daemon=True)
        self.runtime = runtime
        self.served = served
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                served = list(self.served()) if self.served else [self.runtime]
                dispatch_all(served, block=DISPATCH_BLOCK_S)
            except redis.RedisError as exc:
                log.warning("inbox dispatch paused: %s", type(exc).__name__)
                self.stopped.wait(DISPATCH_BLOCK_S)

    def stop(self) -> None:
        self.stopped.set()
