"""Webhook intake: one Redis round trip per call; the worker turns ids into RQ jobs.

Enqueueing an RQ job from the request costs several round trips and a job serialisation,
which held the receiver far below what one ``LPUSH`` allows (figures: docs/benchmarks.md).
So the receiver only records the message id in an inbox (a
sorted set scored by first receipt, plus a list that wakes a dispatcher), atomically with
the "last message" note and the webhook counter, in one Lua script. The inbox is bounded
(``INBOX_LIMIT``): past it the receiver answers 503, so that Lockme redelivers later rather
than Redis filling up. A dispatcher thread in every worker process
(``worker.jobs.inbox.Dispatcher``) moves ids from the inbox into unique RQ jobs, in bounded
batches, where the dedupe and re-queue rules live.
"""

from __future__ import annotations

import json
import time
from typing import cast

import redis

from worker.ops import metrics
from worker.stores.failures import UNKNOWN_TTL_S
from worker.stores.keys import Keys
from worker.stores.redisutil import now_iso

# At most this many ids wait for the worker; past it the receiver answers 503 and Lockme
# redelivers later. An id costs about 100 bytes here (docs/security.md), so a stopped worker
# under a flood holds about 1 MB, not the 25 MB of a small Redis.
INBOX_LIMIT = 10_000

# KEYS (the runtime's worker.stores.keys.Keys): done marker, last-webhook, pending zset, wake
#       list, metrics hash, unknown ids zset
# ARGV: message id, last-webhook JSON, now, metric fields (known, queued, full), limit,
#       the oldest time an unknown id still counts
# The zset's score is the first receipt (ZADD NX); the job carries it on, for the latency
# histogram observed at the ack. The wake list is a signal, so it holds at most one item.
# An id Lockme answered 404 for (``Failures.remember_unknown``) is "known": no job, no call.
_INTAKE = """
redis.call('SET', KEYS[2], ARGV[2])
local outcome = 0
local unknown = redis.call('ZSCORE', KEYS[6], ARGV[1])
if unknown and tonumber(unknown) <= tonumber(ARGV[8]) then unknown = false end
if redis.call('EXISTS', KEYS[1]) == 0 and not unknown
   and not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then
    outcome = 2
  else
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
    if redis.call('LLEN', KEYS[4]) == 0 then redis.call('RPUSH', KEYS[4], '1') end
    outcome = 1
  end
end
redis.call('HINCRBY', KEYS[5], ARGV[4 + outcome], 1)
return outcome
"""
OUTCOMES = ("known", "queued", "full")


class Intake:
    """The receiver's side: record a message id for the worker, in one round trip."""

    def __init__(self, client: redis.Redis, keys: Keys, limit: int = INBOX_LIMIT) -> None:
        self._script = client.register_script(_INTAKE)
        self._keys = keys
        self._fields = [metrics.counter_field("webhooks", outcome=o) for o in OUTCOMES]
        self._limit = limit

    def accept(self, message_id: int) -> str:
        """``queued`` for a new message; ``known`` when it waits already, was acknowledged
        or is an id Lockme does not know; ``full`` when the inbox is at its limit."""
        note = json.dumps({"message_id": message_id, "at": now_iso()})
        names = [
            self._keys.done(message_id),
            self._keys.last_webhook,
            self._keys.inbox_pending,
            self._keys.inbox_wake,
            self._keys.metrics,
            self._keys.unknown_ids,
        ]
        now = time.time()
        args: list[str | int | float] = [
            message_id,
            note,
            now,
            *self._fields,
            self._limit,
            now - UNKNOWN_TTL_S,
        ]
        return OUTCOMES[self._script(keys=names, args=args)]


def readmit(client: redis.Redis, keys: Keys, message_ids: list[int]) -> None:
    """Put messages that were admitted before (parked ones, on replay) back in the inbox,
    past its bound: the dispatcher then turns them into jobs batch by batch, so a replay of
    thousands of parked messages never becomes thousands of jobs in Redis at once."""
    if not message_ids:
        return
    now = time.time()
    pipe = client.pipeline(transaction=False)
    pipe.zadd(keys.inbox_pending, dict.fromkeys(map(str, message_ids), now), nx=True)
    pipe.rpush(keys.inbox_wake, "1")
    pipe.ltrim(keys.inbox_wake, -1, -1)
    pipe.execute()


def pending(client: redis.Redis, keys: Keys) -> tuple[int, float | None]:
    """How many ids wait in the inbox, and the first receipt time of the oldest one."""
    oldest = cast(
        list[tuple[bytes, float]], client.zrange(keys.inbox_pending, 0, 0, withscores=True)
    )
    return int(client.zcard(keys.inbox_pending)), (oldest[0][1] if oldest else None)
