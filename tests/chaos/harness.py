"""Moving parts of the fault-injection runs: a dedicated Redis, worker processes, the web
app on loopback and a Lockme that redelivers every unacknowledged message.

Everything here is real (processes, sockets, Redis); only Lockme and Google are the HTTP
fakes of ``worker/sandbox``. Killing a worker kills its whole process tree with SIGKILL, as a
machine or container dying would: the work horse and the scheduler go with it.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis
import requests
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from tests.conftest import WEBHOOK_SECRET, google_record, settings_env
from tests.databases import CHAOS_DB, TEST_REDIS_URL, claim, with_database, worker_index
from worker.config import Settings
from worker.gateways.lockme import token_record
from worker.jobs import intake
from worker.jobs.job_names import MESSAGE_JOB
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.store import Store

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "lockme-sync"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chaos_redis_url() -> str:
    """The chaos suite's database, flushed before and after each scenario: ``CHAOS_REDIS_URL``,
    else database 12 of the tests' Redis server, claimed as the tests' own are (another run
    holding it moves this one to a free database: ``tests/databases.py``)."""
    preferred = os.environ.get("CHAOS_REDIS_URL") or with_database(TEST_REDIS_URL, CHAOS_DB)
    return claim(preferred, worker_index())


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; returns the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class RedisServer:
    """A ``redis-server`` of the test's own, so that it can be flushed and restarted for real
    without touching the Redis other tests share. Data survives a restart through one
    ``SHUTDOWN SAVE`` snapshot; there are no periodic saves."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._proc = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
                *("--appendonly", "no", "--dir", str(self.directory), "--dbfilename", "dump.rdb"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, 10), "redis-server did not start"

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def restart(self, down_seconds: float) -> None:
        """Snapshot, stop, stay down for a while (clients see connection errors), start."""
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(self.url).shutdown(save=True)
        assert self._proc is not None
        self._proc.wait(timeout=10)
        time.sleep(down_seconds)
        self.start()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a deployed worker, pointing at the fakes."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONUNBUFFERED": "1",
        **settings_env(settings),
        "LOG_LEVEL": "INFO",
    }


def _children(pid: int) -> list[int]:
    """Direct children of ``pid``, read from /proc (the horse runs in its own process group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    tree = [pid]
    for child in _children(pid):
        tree.extend(process_tree(child))
    return tree


class Workers:
    """``lockme-sync worker`` processes, started as Procfile's ``worker:`` line would be."""

    def __init__(self, settings: Settings, directory: Path, count: int) -> None:
        self.env = worker_env(settings)
        self.directory = directory
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self.kills = 0
        self.crashes = 0
        self._started = 0

    def start(self, index: int) -> None:
        self._started += 1
        log = open(self.directory / f"worker-{index}-{self._started}.log", "wb")  # noqa: SIM115
        # cwd is the test's directory so that a developer's .env cannot leak in.
        self.procs[index] = subprocess.Popen(
            [str(CLI), "worker"], env=self.env, cwd=self.directory, stdout=log, stderr=log
        )
        log.close()

    def start_all(self) -> None:
        for index in range(len(self.procs)):
            self.start(index)

    def kill(self, index: int) -> None:
        """SIGKILL the worker, its work horse and its scheduler at once."""
        self._kill_tree(index)
        self.kills += 1

    def _kill_tree(self, index: int) -> None:
        proc = self.procs[index]
        assert proc is not None
        for pid in process_tree(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def restart_exited(self) -> None:
        """A worker that exited by itself is a crash: count it and start a new one, as a
        process manager would."""
        for index, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is not None:
                self.crashes += 1
                self.start(index)

    def stop_all(self) -> None:
        for index, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is None:
                self._kill_tree(index)

    def logs(self, *, mentioning: set[int] | None = None) -> str:
        """The workers' logs: the tail of each, or every line naming one of ``mentioning``
        (message ids), which is what explains a wrong booking after a long run."""

        def pick(text: str) -> str:
            if mentioning is None:
                return text[-4000:]
            keys = {f'"message_id": {m},' for m in mentioning}
            return "\n".join(line for line in text.splitlines() if any(k in line for k in keys))

        return "\n".join(
            f"--- {path.name}\n{pick(path.read_text(errors='replace'))}"
            for path in sorted(self.directory.glob("worker-*.log"))
        )


class WebApp:
    """The real Flask app on a loopback port (threaded werkzeug), receiving webhooks."""

    def __init__(self, settings: Settings, runtime: Runtime, port: int = 0) -> None:
        """``port`` 0 takes any free one; a fixed one lets ``PUBLIC_URL`` name the app
        before it exists (Google's pushes go there)."""
        app = create_app(settings, runtime)
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebApp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Redelivery:
    """Lockme's side of the webhook: each new message is delivered after a random delay
    (so deliveries overtake each other), sometimes twice, and every message not yet
    acknowledged is delivered again, as Lockme does for 24 h: after ``interval`` seconds,
    then backing off to at most four times that (hundreds of messages redelivered every
    2 s would starve the fakes that share this process)."""

    def __init__(
        self, web_url: str, lockme: FakeLockme, rng: random.Random, interval: float = 2.0
    ) -> None:
        self.url = f"{web_url}/webhooks/lockme?secret={WEBHOOK_SECRET}"
        self.lockme = lockme
        self.rng = rng
        self.interval = interval
        self.paused = threading.Event()
        self.deliveries = 0
        self.refused = 0
        self._due: dict[int, float] = {}
        self._gap: dict[int, float] = {}
        self._extra: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(4)
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def publish(self, message_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._due[message_id] = now + self.rng.uniform(0, 1.5)
            if self.rng.random() < 0.3:
                self._extra.append((now + self.rng.uniform(0, 1.5), message_id))

    def pending(self) -> set[int]:
        with self._lock:
            return set(self._due)

    def __enter__(self) -> Redelivery:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            if self.paused.is_set():
                continue
            now = time.monotonic()
            acked = set(self.lockme.acked)
            with self._lock:
                for mid in [m for m in self._due if m in acked]:
                    del self._due[mid]
                due = [m for m, at in self._due.items() if at <= now]
                for mid in due:
                    gap = self._gap.get(mid, self.interval / 1.5) * 1.5
                    self._gap[mid] = min(gap, 4 * self.interval)
                    self._due[mid] = now + self._gap[mid]
                due += [m for at, m in self._extra if at <= now]
                self._extra = [(at, m) for at, m in self._extra if at > now]
            for mid in due:
                self._pool.submit(self._deliver, mid)

    def _deliver(self, message_id: int) -> None:
        try:
            response = self._session.post(
                self.url,
                headers={"X-MessageId": str(message_id), "User-Agent": "LockMe/1.0"},
                timeout=10,
            )
            ok = response.status_code == 200
        except requests.RequestException:
            ok = False
        with self._lock:
            self.deliveries += 1
            self.refused += not ok


def seed_connections(store: Store, lockme: FakeLockme, google: FakeGoogle) -> None:
    """Store a fresh grant for both services, as an operator reconnecting on /setup does."""
    store.tokens.save_token("lockme", token_record(lockme.issue_token()))
    store.connections.set_connection("lockme", account=lockme.nick)
    store.tokens.save_token("google", google_record(google.issue_token()))
    store.connections.set_connection("google", account=google.email)


def queue_idle(runtime: Runtime) -> bool:
    """No message in the webhook inbox, queued, running or waiting for a retry (the daily
    reconcile and the alert check stay scheduled for ever)."""
    queue = runtime.queue
    registries = (queue, StartedJobRegistry(queue=queue), ScheduledJobRegistry(queue=queue))
    jobs = [jid for registry in registries for jid in registry.get_job_ids()]
    return intake.pending(runtime.redis, runtime.keys)[0] == 0 and not any(
        j.startswith(MESSAGE_JOB) for j in jobs
    )


def summary_line(fields: Iterable[tuple[str, Any]]) -> str:
    return "CHAOS " + " ".join(f"{k}={v}" for k, v in fields)
