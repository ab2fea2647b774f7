"""Webhook intake: one Redis round trip per call; the worker turns ids into RQ jobs.

Enqueueing an RQ job from the request costs about five round trips and a job
serialisation; measured with ``python -m bench`` that held the receiver to a small fraction
of what one ``LPUSH`` allows. So the receiver only records the message id in an inbox (a
sorted set scored by first receipt, plus a list that wakes a dispatcher), atomically with
the "last message" note and the webhook counter, in one Lua script. A dispatcher thread in
every worker process (``worker.inbox.Dispatcher``) moves ids from the inbox into unique RQ jobs,
where the dedupe and re-queue rules live.
"""

from __future__ import annotations

import json
import time

import redis

from worker import metrics
from worker.store import PREFIX, now_iso

PENDING = f"{PREFIX}inbox:pending"
WAKE = f"{PREFIX}inbox:wake"

# KEYS: done marker, last-webhook, pending zset, wake list, metrics hash
# ARGV: message id, last-webhook JSON, now, metric fields (known, queued)
# The zset's score is the first receipt (ZADD NX); the job carries it on, for the latency
# histogram observed at the ack.
_INTAKE = """
redis.call('SET', KEYS[2], ARGV[2])
local outcome = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[1]) == 1 then
    redis.call('RPUSH', KEYS[4], ARGV[1])
    outcome = 1
  end
end
redis.call('HINCRBY', KEYS[5], ARGV[4 + outcome], 1)
return outcome
"""


class Intake:
    """The receiver's side: record a message id for the worker, in one round trip."""

    def __init__(self, client: redis.Redis) -> None:
        self._script = client.register_script(_INTAKE)
        self._fields = [metrics.counter_field("webhooks", outcome=o) for o in ("known", "queued")]

    def accept(self, message_id: int) -> str:
        """``queued`` for a new message, ``known`` when it waits already or was acknowledged."""
        note = json.dumps({"message_id": message_id, "at": now_iso()})
        keys = [f"{PREFIX}done:{message_id}", f"{PREFIX}last-webhook", PENDING, WAKE, metrics.KEY]
        args = [message_id, note, time.time(), *self._fields]
        return "queued" if self._script(keys=keys, args=args) == 1 else "known"


def pending(client: redis.Redis) -> tuple[int, float | None]:
    """How many ids wait in the inbox, and the first receipt time of the oldest one."""
    oldest = client.zrange(PENDING, 0, 0, withscores=True)
    return int(client.zcard(PENDING)), (oldest[0][1] if oldest else None)
