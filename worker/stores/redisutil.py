"""Small helpers for talking to Redis: opening a client, reading its replies, the clock.

Apart from the stores (``worker.stores``) because the web tier, the worker, the CLI and the
sandbox all need them without needing any stored state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis


def connect_redis(url: str, **kwargs: Any) -> redis.Redis:
    """Open Redis from a URL; ``rediss://`` accepts self-signed certificates (Heroku's add-on).

    Heroku Key-Value Store serves TLS with a self-signed certificate and no way to pin it,
    so verification is off for ``rediss`` unless the URL sets ``ssl_cert_reqs`` itself.
    """
    if url.startswith("rediss://") and "ssl_cert_reqs" not in url:
        kwargs.setdefault("ssl_cert_reqs", None)
    kwargs.setdefault("socket_timeout", 10)
    kwargs.setdefault("socket_connect_timeout", 5)
    kwargs.setdefault("health_check_interval", 30)
    return redis.Redis.from_url(url, **kwargs)


def now_iso() -> str:
    """Now, in UTC, as the stored records spell times (``2026-03-14T18:30:00Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(value: bytes | str) -> str:
    """A value read from Redis, as text. The product's clients get bytes back (no
    ``decode_responses``), but redis-py types every reply as bytes or str."""
    return value.decode() if isinstance(value, bytes) else value
