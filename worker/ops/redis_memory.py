"""How much memory Redis uses, and its limit (``INFO memory``).

Everything lives in one Redis, often a small one (Heroku's mini plan: 25 MB). When it is
full it refuses writes, webhooks included, so its use is shown on the status page, in
``/metrics`` and ``status --json``, and alerted at ``ALERT_RATIO`` of the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

ALERT_RATIO = 0.8


@dataclass(frozen=True)
class RedisMemory:
    """``used_memory`` and ``maxmemory`` in bytes; a limit of 0 means none is set (a
    managed Redis may also enforce one it does not report)."""

    used_bytes: int
    max_bytes: int

    @property
    def ratio(self) -> float | None:
        return self.used_bytes / self.max_bytes if self.max_bytes else None

    @property
    def near_full(self) -> bool:
        return self.ratio is not None and self.ratio >= ALERT_RATIO

    def as_dict(self) -> dict[str, int | float | None]:
        ratio = None if self.ratio is None else round(self.ratio, 3)
        return {"used_memory": self.used_bytes, "maxmemory": self.max_bytes, "ratio": ratio}


def redis_memory(client: redis.Redis) -> RedisMemory:
    info = client.info("memory")
    return RedisMemory(int(info.get("used_memory", 0)), int(info.get("maxmemory", 0)))
