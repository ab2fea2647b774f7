"""The shared Google rate limiter, driven by a hand-moved clock instead of real time."""

from __future__ import annotations

import pytest
import redis

from worker.gateways.ratelimit import RateLimiter


class Clock:
    """Seconds that only move when a test (or a limiter's sleep) moves them."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(client: redis.Redis, clock: Clock, rate: float, burst: int = 1) -> RateLimiter:
    return RateLimiter(client, "test:rate", rate, burst=burst, clock=clock, sleep=clock.sleep)


def granted_within(starts: list[float], begin: float, seconds: float = 1.0) -> int:
    return sum(1 for at in starts if begin <= at < begin + seconds)


def test_reservations_from_many_processes_never_exceed_the_rate(redis_url):
    client = redis.Redis.from_url(redis_url)
    clock = Clock()
    # Four "processes" share the key; all ask at the same instant, 200 times in all.
    limiters = [limiter(client, clock, rate=50) for _ in range(4)]
    starts = [clock.now + limiters[i % 4].reserve() for i in range(200)]
    assert starts == sorted(starts)
    for begin in starts:  # every one-second window that opens at a granted slot
        assert granted_within(starts, begin) <= 50
    assert granted_within(starts, starts[0]) == 50
    assert starts[-1] - starts[0] == pytest.approx(199 / 50)


def test_blocking_call_sleeps_until_its_slot(redis_url):
    clock = Clock()
    limit = limiter(redis.Redis.from_url(redis_url), clock, rate=8)
    begin = clock.now
    for _ in range(9):
        limit()
    assert granted_within([begin + i / 8 for i in range(9)], begin) == 8
    assert clock.now - begin == pytest.approx(1.0)


def test_idle_time_banks_only_the_burst(redis_url):
    client = redis.Redis.from_url(redis_url)
    clock = Clock()
    limit = limiter(client, clock, rate=10, burst=3)
    clock.now += 60  # a long quiet spell
    waits = [limit.reserve() for _ in range(5)]
    assert sum(1 for wait in waits if wait == 0) == 3
    assert waits[3:] == [0.1, 0.2]


def test_redis_clock_is_used_without_a_clock(redis_url):
    limit = RateLimiter(redis.Redis.from_url(redis_url), "test:rate", 1.0, burst=2)
    assert limit.reserve() == 0
    assert limit.reserve() == 0
    assert 0 < limit.reserve() <= 1
