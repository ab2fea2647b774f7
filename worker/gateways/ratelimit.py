"""A request-rate limiter shared by every process through Redis (GCRA with reservations).

Google's Calendar quota is per user, not per process: two worker dynos each pacing
themselves to the quota would exceed it together and get 403 ``rateLimitExceeded``, which
costs a retry with backoff. So the pacing state lives in Redis, in one key holding the
"theoretical arrival time" of the next request, and one Lua script reserves the next free
slot atomically. A caller sleeps until its slot instead of polling, so waiting costs no
Redis traffic and slots are handed out in arrival order.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

# KEYS[1]: the arrival-time key. ARGV: emission interval and burst tolerance (µs), and the
# current time (µs) or "" to use the Redis server's clock, which every process shares.
_RESERVE = """
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local start = math.max(now, tat - tolerance)
local next_tat = math.max(tat, now) + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat),
           'PX', math.ceil((next_tat - now) / 1000) + 1000)
return math.floor(start - now)
"""


class RateLimiter:
    """Blocks each caller until a slot under ``rate_per_s`` is free, across all processes.

    ``burst`` requests may go back to back after an idle spell; after that they are spaced
    ``1 / rate_per_s`` apart. ``clock`` (seconds) replaces the Redis server's clock, which
    lets a test drive time by hand; production leaves it None so that processes on
    different hosts agree on "now".
    """

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        rate_per_s: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self.key = key
        self.interval_us = 1_000_000 / rate_per_s
        self.tolerance_us = (burst - 1) * self.interval_us
        self._clock = clock
        self._sleep = sleep
        self._script = client.register_script(_RESERVE)

    def reserve(self) -> float:
        """Take the next free slot; returns the seconds to wait until it starts."""
        now = "" if self._clock is None else f"{self._clock() * 1_000_000:.0f}"
        wait_us = self._script(keys=[self.key], args=[self.interval_us, self.tolerance_us, now])
        return int(wait_us) / 1_000_000

    def __call__(self) -> None:
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
