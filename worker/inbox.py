"""The worker's side of the webhook inbox (``worker.intake``): ids become RQ jobs.

A dispatcher thread in every worker process moves ids from the inbox into unique RQ jobs,
where the dedupe and re-queue rules live (``worker.queue``).
"""

from __future__ import annotations

import logging
import threading

import redis

from worker import intake
from worker.queue import enqueue_message
from worker.runtime import Runtime

log = logging.getLogger(__name__)

DISPATCH_BLOCK_S = 2


def dispatch(runtime: Runtime, block: float = 0) -> int:
    """Turn every id waiting in the webhook inbox (``worker.intake``) into its job.

    Returns how many. An id leaves the inbox only after its job exists, so a dispatcher
    killed half-way loses nothing: the next one finds the job and adds no second one. Safe
    in several processes at once. With ``block``, first wait that long for a wake-up.
    """
    client = runtime.redis
    if block:
        client.blpop([intake.WAKE], timeout=block)
    client.delete(intake.WAKE)  # ids pushed after this wake the next round; none is missed
    waiting = client.zrange(intake.PENDING, 0, -1, withscores=True)
    for raw, received_at in waiting:
        enqueue_message(runtime, int(raw), received_at=received_at)
        client.zrem(intake.PENDING, raw)
    return len(waiting)


class Dispatcher(threading.Thread):
    """Runs :func:`dispatch` in the background of a worker process until stopped."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="inbox-dispatcher", daemon=True)
        self.runtime = runtime
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                dispatch(self.runtime, block=DISPATCH_BLOCK_S)
            except redis.RedisError as exc:
                log.warning("inbox dispatch paused: %s", type(exc).__name__)
                self.stopped.wait(DISPATCH_BLOCK_S)

    def stop(self) -> None:
        self.stopped.set()
