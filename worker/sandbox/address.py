"""Where the running sandbox is found: its Redis database and, in it, its control API.

``lockme-sync dev`` publishes the address there, so that the ``sandbox`` commands, run
from any terminal, reach the sandbox that is running rather than starting one.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis

from worker.config import Settings
from worker.keys import Keys
from worker.redisutil import connect_redis

from .demo import SandboxError

SANDBOX_DB = 15


def sandbox_redis_url(settings: Settings) -> str:
    """``SANDBOX_REDIS_URL``, else database 15 of the Redis at ``REDIS_URL``: never the
    database real bookings live in."""
    if settings.sandbox_redis_url:
        return settings.sandbox_redis_url
    parts = urlsplit(settings.redis_url)
    return urlunsplit(parts._replace(path=f"/{SANDBOX_DB}"))


def text(value: bytes | str) -> str:
    """A Redis answer as text, whichever way the client was set to decode."""
    return value.decode() if isinstance(value, bytes) else value


def published(settings: Settings) -> tuple[str, str]:
    """The control URL and token of the sandbox running for these settings."""
    if settings.sandbox_url:
        return settings.sandbox_url, settings.sandbox_token
    url = sandbox_redis_url(settings)
    try:
        client = connect_redis(url, socket_connect_timeout=2)
        state = {
            text(k): text(v)
            for k, v in client.hgetall(Keys(settings.key_prefix).sandbox_state).items()
        }
        client.close()
    except redis.RedisError as exc:
        raise SandboxError(
            f"the sandbox's Redis ({url.split('@')[-1]}) is not reachable: {exc}"
        ) from None
    if not state.get("url"):
        raise SandboxError("no sandbox is running: start one with `lockme-sync dev --sandbox`")
    return state["url"], state.get("token", "")
