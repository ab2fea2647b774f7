"""Outages: the services a job gave up on for now, and since when."""

from __future__ import annotations

import time

import redis

from worker.stores.keys import Keys
from worker.stores.redisutil import text


class Outages:
    """One hash of service → when the first job gave up on it."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def note_outage(self, service: str) -> bool:
        """Remember that a job gave up on ``service`` for now (its retry waits in the
        backoff); True only for the first job, until :meth:`end_outage`."""
        return bool(self.redis.hsetnx(self.keys.outages, service, time.time()))

    def outages(self) -> dict[str, float]:
        """Each service some job is waiting for, with when the first one gave up on it."""
        return {text(k): float(v) for k, v in self.redis.hgetall(self.keys.outages).items()}

    def end_outage(self, service: str) -> None:
        self.redis.hdel(self.keys.outages, service)
