"""Messages that did not sync: dead letters (failures), parked ones, ids Lockme lacks.

Retention is bounded: failures keep the last ``FAILURE_LIMIT`` for ``FAILURE_DAYS`` days,
parked messages at most ``PARKED_LIMIT``, unknown ids the newest ``UNKNOWN_LIMIT`` for
``UNKNOWN_TTL_S``.
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

import redis

from worker.stores.keys import Keys
from worker.stores.redisutil import now_iso, text
from worker.stores.token_vault import TokenVault

FAILURE_LIMIT = 1000
FAILURE_DAYS = 30
# A failure record's reason and payload at most (characters of text, of JSON): a hostile
# answer's reason phrase or body must not make a record, or the status page reading the
# latest of them, large. A malformed payload is already cut to what replay needs
# (``booking.replay_payload``, at most about 4 KB); one still larger is not kept, and replay
# reads the message from Lockme again.
REASON_LIMIT = 500
PAYLOAD_LIMIT = 8 * 1024
UNKNOWN_LIMIT = 10_000
UNKNOWN_TTL_S = 6 * 3600
# Parked messages (waiting for a reconnect) kept at most; see Failures.can_park.
PARKED_LIMIT = 10_000


class Failures:
    """Dead letters, parked messages, and the ids Lockme answered 404 for."""

    def __init__(self, client: redis.Redis, keys: Keys, tokens: TokenVault) -> None:
        self.redis = client
        self.keys = keys
        self.tokens = tokens

    # --- dead letters -------------------------------------------------------------------
    def record_failure(
        self,
        message_id: int,
        reason: str,
        *,
        payload: Any = None,
        reservation_id: int | None = None,
        kind: str = "permanent",
    ) -> dict[str, Any]:
        """Keep a failed message with its payload and reason (both bounded: ``REASON_LIMIT``,
        ``PAYLOAD_LIMIT``); counts attempts across replays."""
        old = self.failure(message_id)
        if payload is not None and len(json.dumps(payload)) > PAYLOAD_LIMIT:
            payload = None
        record = {
            "message_id": message_id,
            "reservation_id": reservation_id,
            "reason": reason[:REASON_LIMIT],
            "kind": kind,
            "attempts": (old["attempts"] if old else 0) + 1,
            "at": now_iso(),
            "payload": payload if payload is not None else (old or {}).get("payload"),
        }
        cutoff = time.time() - FAILURE_DAYS * 24 * 3600
        pipe = self.redis.pipeline()
        pipe.hset(self.keys.failures, str(message_id), json.dumps(record))
        pipe.zadd(self.keys.failures_at, {str(message_id): time.time()})
        if record["payload"] is not None:
            pipe.zadd(self.keys.failures_payload, {str(message_id): time.time()})
        pipe.execute()
        expired = self.redis.zrangebyscore(self.keys.failures_at, 0, cutoff)
        for stale in {*expired, *self._overflow()}:
            self.clear_failure(int(stale))
        return record

    def _overflow(self) -> list[bytes]:
        """The records to drop past ``FAILURE_LIMIT``: the oldest without a payload first.

        A record with its payload (a malformed message, acknowledged once recorded) is the
        only copy replay can work from; one without (a transient or permanent failure) is
        read from Lockme again on replay. So a burst of the latter (made-up ids while Lockme
        answers 429, say) never pushes out the former."""
        excess = int(self.redis.zcard(self.keys.failures_at)) - FAILURE_LIMIT
        if excess <= 0:
            return []
        kept = set(cast(list[bytes], self.redis.zrange(self.keys.failures_payload, 0, -1)))
        oldest = cast(
            list[bytes], self.redis.zrange(self.keys.failures_at, 0, excess + len(kept) - 1)
        )
        plain = [mid for mid in oldest if mid not in kept]
        return (plain + [mid for mid in oldest if mid in kept])[:excess]

    def failure(self, message_id: int) -> dict[str, Any] | None:
        raw = self.redis.hget(self.keys.failures, str(message_id))
        return json.loads(raw) if raw else None

    def failures(self, limit: int = 100) -> list[dict[str, Any]]:
        ids = cast(list[bytes], self.redis.zrevrange(self.keys.failures_at, 0, limit - 1))
        if not ids:
            return []
        raws = self.redis.hmget(self.keys.failures, ids)
        return [json.loads(raw) for raw in raws if raw]

    def failure_count(self) -> int:
        return int(self.redis.zcard(self.keys.failures_at))

    def clear_failure(self, message_id: int) -> None:
        pipe = self.redis.pipeline()
        self.clear_in(pipe, message_id)
        pipe.execute()

    def clear_in(self, pipe: Any, message_id: int) -> None:
        """:meth:`clear_failure` as writes queued on ``pipe``."""
        pipe.hdel(self.keys.failures, str(message_id))
        pipe.zrem(self.keys.failures_at, str(message_id))
        pipe.zrem(self.keys.failures_payload, str(message_id))

    # --- parked messages ----------------------------------------------------------------
    def park(self, message_id: int, provider: str, generation: int | None = None) -> bool:
        """Hold a message while ``provider`` is disconnected: neither acked nor dropped.

        With ``generation`` (that of the grant the message failed with), it is parked only
        if that is still the provider's connection; returns False when a reconnect came in
        between, so the caller runs the message again instead. A reconnect bumps the
        generation before it queues the replay of parked messages, so every message is
        either parked before that replay looks, or not parked at all.
        """
        key, field = self.keys.parked, str(message_id)
        if generation is None:
            self.redis.hset(key, field, provider)
            return True
        if self.tokens.hset_if_current(key, provider, generation, field, provider):
            return True
        # The token this process holds for the provider is out of date: read it again.
        self.tokens.forget(provider)
        return False

    def parked(self) -> dict[int, str]:
        return {int(k): text(v) for k, v in self.redis.hgetall(self.keys.parked).items()}

    def unpark(self, message_id: int) -> None:
        self.redis.hdel(self.keys.parked, str(message_id))

    def unpark_in(self, pipe: Any, message_id: int) -> None:
        """:meth:`unpark` as a write queued on ``pipe``."""
        pipe.hdel(self.keys.parked, str(message_id))

    def can_park(self, message_id: int) -> bool:
        """Room for this message among the parked ones (``PARKED_LIMIT``).

        While a connection is broken, every id a webhook names ends up parked, made-up ones
        included, so the list is bounded. A message turned away is not lost: it is left
        unacknowledged, and Lockme redelivers it for 24 h. The check and the park are two
        steps, so concurrent jobs may pass the bound by a few."""
        key = self.keys.parked
        pipe = self.redis.pipeline(transaction=False)
        pipe.hexists(key, str(message_id))
        pipe.hlen(key)
        already, count = pipe.execute()
        return bool(already) or count < PARKED_LIMIT

    # --- ids Lockme does not know -------------------------------------------------------
    def remember_unknown(self, message_id: int) -> None:
        """Note an id Lockme answered 404 for, so that its repeats cost no Lockme call.

        Anyone holding the webhook URL can send made-up ids; recorded as failures they
        pushed real ones (kept with their payload for replay) out of the capped failure list.
        So they live apart, in a set of their own, bounded twice: the newest
        ``UNKNOWN_LIMIT``, each for ``UNKNOWN_TTL_S``. Not the whole 24 h of Lockme's
        redelivery: should Lockme ever answer 404 for a real message, a redelivery after
        that time reads it again (and the daily reconcile is the net below that).
        """
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self.keys.unknown_ids, {str(message_id): now})
        pipe.zremrangebyscore(self.keys.unknown_ids, 0, now - UNKNOWN_TTL_S)
        pipe.zremrangebyrank(self.keys.unknown_ids, 0, -UNKNOWN_LIMIT - 1)
        pipe.expire(self.keys.unknown_ids, UNKNOWN_TTL_S)
        pipe.execute()

    def is_unknown(self, message_id: int) -> bool:
        noted = self.redis.zscore(self.keys.unknown_ids, str(message_id))
        return noted is not None and noted > time.time() - UNKNOWN_TTL_S

    def unknown_count(self) -> int:
        return int(self.redis.zcard(self.keys.unknown_ids))
