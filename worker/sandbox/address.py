"""Where the running sandbox is found: its Redis database and, in it, its control API.

``lockme-sync dev`` publishes the address there, so that the ``sandbox`` commands, run
from any terminal, reach the sandbox that is running rather than starting one. It also
writes that database's URL to a small file, the *record* (:func:`record_path`), so that a
terminal whose ``REDIS_URL`` differs from the one ``dev`` ran with finds it too.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
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


def record_path() -> Path:
    """The file ``lockme-sync dev`` records its sandbox's Redis in, one per user:
    ``$XDG_RUNTIME_DIR/lockme-sync/sandbox.json`` (a per-login folder only its user can
    read, emptied at logout), else ``lockme-sync-UID/sandbox.json`` in the temporary folder.
    """
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime_dir:
        return Path(runtime_dir) / "lockme-sync" / "sandbox.json"
    return Path(tempfile.gettempdir()) / f"lockme-sync-{os.getuid()}" / "sandbox.json"


def record(redis_url: str) -> Path:
    """Note that this process runs a sandbox whose data is at ``redis_url``.

    The URL may hold a Redis password, so the file and its folder are its owner's only.
    """
    path = record_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"redis_url": redis_url, "pid": os.getpid()}, file)
    return path


def forget() -> None:
    """Remove the record if it is this process's (a later ``dev`` may have replaced it)."""
    path = record_path()
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def _recorded_url() -> str:
    try:
        found = json.loads(record_path().read_text(encoding="utf-8"))
        return str(found["redis_url"]) if isinstance(found, dict) else ""
    except (OSError, ValueError, KeyError):
        return ""


def _state(url: str, keys: Keys) -> dict[str, str]:
    """What ``lockme-sync dev`` published in the sandbox database at ``url``."""
    client = connect_redis(url, socket_connect_timeout=2)
    try:
        return {text(k): text(v) for k, v in client.hgetall(keys.sandbox_state).items()}
    finally:
        client.close()


@dataclass(frozen=True)
class Found:
    """A running sandbox: its database, control API and the settings of its processes."""

    redis_url: str
    url: str
    token: str
    environment: dict[str, str]


def _places(settings: Settings) -> list[tuple[str, str]]:
    """The Redis URLs a sandbox may be in, in the order they are looked in, each with
    where it came from (for a person reading why none was found)."""
    implied = sandbox_redis_url(settings)
    setting = "SANDBOX_REDIS_URL" if settings.sandbox_redis_url else "REDIS_URL"
    recorded, path = _recorded_url(), record_path()
    if not recorded:
        return [(implied, f"from {setting}; nothing recorded in {path}")]
    if recorded == implied:
        return [(implied, f"from {setting}, and recorded in {path}")]
    return [(implied, f"from {setting}"), (recorded, f"recorded in {path}")]


def locate(settings: Settings) -> tuple[Found | None, str]:
    """The running sandbox (its control API answers), or None and where it was looked for.

    The sandbox database ``REDIS_URL`` implies comes first, then the one recorded by
    ``lockme-sync dev``; a stale record (``dev`` killed) finds nothing that answers.
    """
    keys, looked = Keys(settings.key_prefix), []
    for url, source in _places(settings):
        looked.append(f"Redis {url.split('@')[-1]} ({source})")
        try:
            state = _state(url, keys)
            if not state.get("url"):
                continue
            SandboxClient(state["url"], state.get("token", "")).state()  # still running?
            environment = json.loads(state.get("env") or "{}")
        except (redis.RedisError, SandboxError, ValueError):
            continue
        return Found(url, state["url"], state.get("token", ""), environment), ""
    return None, " and ".join(looked)


def published(settings: Settings) -> tuple[str, str]:
    """The control URL and token of the sandbox running for these settings."""
    if settings.sandbox_url:
        return settings.sandbox_url, settings.sandbox_token
    found, looked = locate(settings)
    if found is None:
        raise SandboxError(
            f"no sandbox is running (looked in {looked}): start one with `lockme-sync dev`"
        )
    return found.url, found.token


def running_settings(settings: Settings) -> tuple[Settings, str]:
    """The settings a terminal command should read the product's data with, and a note
    saying which data that is.

    Without client ids, ``lockme-sync dev`` runs the sandbox, whose processes keep their
    data in the sandbox's own database: a command run against ``REDIS_URL`` reported "not
    set up" while both services were connected. So when a sandbox is running (its control
    API answers) every command that reads the product's data reads its database and
    services, with the settings ``lockme-sync dev`` published there. With client ids set,
    or no sandbox running, they read ``REDIS_URL``, and say so.
    """
    if settings.sandbox_url:  # a process of the sandbox itself
        return settings, ""
    found, looked = locate(settings)
    here = f"this is the data at REDIS_URL ({settings.redis_url.split('@')[-1]})"
    if found is None or not found.environment:
        real = settings.lockme_client_id or settings.google_client_id
        return settings, "" if real else f"note  no sandbox is running (looked in {looked}): {here}"
    if settings.lockme_client_id or settings.google_client_id:
        return settings, f"note  a sandbox is running, but client ids are set: {here}"
    fields = {name.lower(): value for name, value in found.environment.items()}
    known: dict[str, Any] = {k: v for k, v in fields.items() if hasattr(settings, k)}
    where = found.redis_url.split("@")[-1]
    return replace(settings, **known), f"note  the running sandbox's data (Redis {where})"
