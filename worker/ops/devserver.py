"""``lockme-sync dev``: the web app and a worker on a laptop, with Redis started if needed.

It writes a ``.env`` with generated secrets on first run (printing the admin password
once), so that a fresh checkout runs with no configuration at all. Without OAuth client
ids (or with ``--sandbox``) it also serves the built-in sandbox Lockme and Google
Calendar in this process and points the web and worker processes at them, so that the
product can be seen working before any account exists.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import redis

from worker.config import Settings, load_settings, read_dotenv
from worker.sandbox import address
from worker.sandbox import trouble as control
from worker.sandbox.demo import SandboxError
from worker.stores.redisutil import connect_redis


def ensure_env(path: Path) -> str | None:
    """Add missing secrets to ``.env``; returns a newly generated admin password, if any."""
    current = {**read_dotenv(path), **os.environ}
    generated = {
        name: secrets.token_urlsafe(length)
        for name, length in (("SECRET_KEY", 32), ("WEBHOOK_SECRET", 20), ("ADMIN_PASSWORD", 12))
        if not current.get(name)
    }
    if generated:
        # Readable by its owner only: it now holds the generated secrets. An existing file
        # (made by hand, 0644) is narrowed too before they are added.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as env_file:
            env_file.write("".join(f"{k}={v}\n" for k, v in generated.items()))
    return generated.get("ADMIN_PASSWORD")


def _answers(url: str) -> bool:
    try:
        return bool(connect_redis(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_redis(url: str) -> tuple[str, Any]:
    """Start a Redis at ``url`` when none answers: ``redis-server`` if installed, else an
    embedded in-process server (fakeredis). Returns a description and a handle to stop."""
    if _answers(url):
        return "using the Redis already running", None
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    binary = shutil.which("redis-server")
    if binary:
        proc = subprocess.Popen(
            [binary, "--bind", host, "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(50):
            if _answers(url):
                return f"started redis-server on {host}:{port} (data is not kept)", proc
            time.sleep(0.1)
        proc.terminate()
        raise SystemExit(f"redis-server did not start on {host}:{port}")
    try:
        from fakeredis import TcpFakeServer
    except ImportError:
        raise SystemExit(
            "No Redis answers and neither redis-server nor fakeredis is installed."
        ) from None
    server = TcpFakeServer((host, port))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"started an embedded in-process Redis on {host}:{port} (data is not kept)", server


def sandbox_wanted(settings: Settings, asked: bool) -> bool:
    """``--sandbox`` always; otherwise only while neither OAuth client id is set, so that a
    configured installation never talks to the sandbox by accident."""
    return asked or not (settings.lockme_client_id or settings.google_client_id)


def process_environment(port: int) -> dict[str, str]:
    """The environment of the web and worker processes ``run`` starts: this one's, with the
    local server's defaults under what the developer set."""
    env: dict[str, str] = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # OAuth over plain http is refused unless allowed; only ever for this local server.
    env.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    # Readable lines in a terminal; deployments keep the JSON default.
    env.setdefault("LOG_FORMAT", "text")
    env.setdefault("PUBLIC_URL", f"http://127.0.0.1:{port}")
    # Served straight to the browser, with no proxy in front: a forwarded header is forged.
    env.setdefault("TRUSTED_PROXY_HOPS", "0")
    return env


def run(port: int = 5000, sandbox: bool = False) -> int:
    password = ensure_env(Path.cwd() / ".env")
    settings = load_settings().require()
    description, redis_handle = ensure_redis(settings.redis_url)
    print(f"redis: {description}", flush=True)
    env = process_environment(port)
    base = env["PUBLIC_URL"]
    demo = None
    if sandbox_wanted(settings, sandbox):
        try:
            demo = control.serve(settings, f"http://127.0.0.1:{port}")
        except SandboxError as exc:
            raise SystemExit(f"sandbox: {exc}") from None
        env.update(demo[0].environment())
        # Another terminal, whatever its REDIS_URL, finds this sandbox through the record.
        recorded = address.record(demo[0].redis_url)
    # gunicorn.conf.py turns the control socket off, but gunicorn reads it only from the
    # working folder: run from anywhere else, two dev servers would share one socket in $HOME.
    web = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "--no-control-socket",
            "--bind", f"127.0.0.1:{port}", "app:create_app()",
        ],
        env=env,
    )  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "worker.ops.cli", "worker"], env=env)
    print(f"web:   {base}/  (log in with ADMIN_PASSWORD from .env)", flush=True)
    if password:
        print(f"       generated admin password: {password}", flush=True)
    if demo is not None:
        where = env["REDIS_URL"].split("@")[-1]
        print(f"sandbox: a demo Lockme and Google Calendar (data in {where})", flush=True)
        print(f"       connect both at {base}/setup, then book at {base}/sandbox", flush=True)
        print(f"       and watch {base}/sandbox/calendar", flush=True)
        print(f"       (terminal commands find it through {recorded})", flush=True)
    else:
        print(f"hook:  {base}/webhooks/lockme?secret=<WEBHOOK_SECRET from .env>", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set() and web.poll() is None and worker.poll() is None:
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    for proc in (web, worker):
        if proc.poll() is None:
            proc.terminate()
    for proc in (web, worker):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    if demo is not None:
        address.forget()
        control.stop(*demo)
    if isinstance(redis_handle, subprocess.Popen):
        redis_handle.terminate()
    elif redis_handle is not None:
        redis_handle.shutdown()
    return 0 if (web.returncode or 0) in (0, -15) else 1
