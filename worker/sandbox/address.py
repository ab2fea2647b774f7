"""Where the running sandbox is found: its Redis database and, in it, its control API.

``lockme-sync dev`` publishes the address there, so that the ``sandbox`` commands, run
from any terminal, reach the sandbox that is running rather than starting one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import redis

from worker.config import Settings
from worker.sandbox.client import SandboxClient
from worker.sandbox.demo import SandboxError
from worker.stores.keys import Keys
from worker.stores.redisutil import connect_redis, text

SANDBOX_DB = 15


def sandbox_redis_url(settings: Settings) -> str:
    """``SANDBOX_REDIS_URL``, else database 15 of the Redis at ``REDIS_URL``: never the
    database real bookings live in."""
    if settings.sandbox_redis_url:
        return settings.sandbox_redis_url
    parts = urlsplit(settings.redis_url)
    return urlunsplit(parts._replace(path=f"/{SANDBOX_DB}"))


def _state(url: str, keys: Keys) -> dict[str, str]:
    """What ``lockme-sync dev`` published in the sandbox database at ``url``."""
    client = connect_redis(url, socket_connect_timeout=2)
    try:
        return {text(k): text(v) for k, v in client.hgetall(keys.sandbox_state).items()}
    finally:
        client.close()


def published(settings: Settings) -> tuple[str, str]:
    """The control URL and token of the sandbox running for these settings."""
    if settings.sandbox_url:
        return settings.sandbox_url, settings.sandbox_token
    url = sandbox_redis_url(settings)
    try:
        state = _state(url, Keys(settings.key_prefix))
    except redis.RedisError as exc:
        raise SandboxError(
            f"the sandbox's Redis ({url.split('@')[-1]}) is not reachable: {exc}"
        ) from None
    if not state.get("url"):
        raise SandboxError("no sandbox is running: start one with `lockme-sync dev --sandbox`")
    return state["url"], state.get("token", "")


def running_settings(settings: Settings) -> tuple[Settings, str]:
    """The settings a terminal command should read the product's data with, and a note
    saying which data that is.

    Without client ids, ``lockme-sync dev`` runs the sandbox, whose processes keep their
    data in the sandbox's own database: ``status``, ``check`` and ``routes`` run against
    ``REDIS_URL`` reported "not set up" while both services were connected. So when a
    sandbox is running (its control API answers) they read its database and services
    with the settings ``lockme-sync dev`` published there. With client ids set, or no
    sandbox running, they read ``REDIS_URL``, and say so.
    """
    if settings.sandbox_url:  # a process of the sandbox itself
        return settings, ""
    url = sandbox_redis_url(settings)
    try:
        state = _state(url, Keys(settings.key_prefix))
        environment = json.loads(state.get("env") or "{}")
        if environment:
            SandboxClient(state["url"], state.get("token", "")).state()  # still running?
    except (redis.RedisError, SandboxError, KeyError, ValueError):
        environment = {}
    here = f"this is the data at REDIS_URL ({settings.redis_url.split('@')[-1]})"
    if not environment:
        real = settings.lockme_client_id or settings.google_client_id
        return settings, "" if real else f"note  no sandbox is running: {here}"
    if settings.lockme_client_id or settings.google_client_id:
        return settings, f"note  a sandbox is running, but client ids are set: {here}"
    fields = {name.lower(): value for name, value in environment.items()}
    known = {name: value for name, value in fields.items() if hasattr(settings, name)}
    where = url.split("@")[-1]
    return replace(settings, **known), f"note  the running sandbox's data (Redis {where})"
