"""What every benchmark needs: Redis database 11, the HTTP fakes, real worker processes.

The fakes from ``worker/sandbox`` play Lockme and Google in this process; the code under test
runs in child processes started exactly as the Procfile starts them, talking to the fakes
over loopback, so connection handling, forking and process start-up are all measured.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from worker.config import load_settings
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.sandbox.endpoints import service_environment

ROOT = Path(__file__).resolve().parent.parent
# Flushed before and after every run; BENCH_REDIS_URL picks another server or database.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
WEBHOOK_SECRET = "bench-hook-secret"
# Calls to the OAuth token endpoints are not part of a booking's work.
TOKEN_PATHS = r"^/(access_token|token)$"


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.005) -> float:
    """Poll until ``predicate`` holds; returns the monotonic time it was first seen true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(step)
    return time.monotonic()


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of one live process, in MB; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (e.g. RQ work horses, gunicorn workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class PeakRss:
    """Samples VmHWM of a process and each of its children while they live.

    VmHWM is a high-water mark, so sampling every few milliseconds is enough to catch a
    short-lived forked child's peak as long as it lives longer than one period.
    """

    def __init__(self, pid: int, period: float = 0.02) -> None:
        self.pid = pid
        self.period = period
        self.parent_mb = 0.0
        self.child_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.parent_mb = max(self.parent_mb, peak_rss_mb(self.pid))
            for child in children(self.pid):
                self.child_mb = max(self.child_mb, peak_rss_mb(child))
            self._stop.wait(self.period)

    @property
    def peak_mb(self) -> float:
        return max(self.parent_mb, self.child_mb)


class Stack:
    """Redis database 11 (flushed before and after), both fakes, a connected runtime."""

    def __init__(self, *, latency: float = 0.0, google_rate_limit: float | None = None) -> None:
        self.redis = redis.Redis.from_url(REDIS_URL)
        self.redis.flushdb()
        self.lockme = FakeLockme().start()
        self.google = FakeGoogle(rate_limit_per_s=google_rate_limit).start()
        self.env = {
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "bench-secret-key-of-32-characters-or-more",
            "ADMIN_PASSWORD": "bench-admin-password",
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            **service_environment(self.lockme, self.google),
        }
        self.runtime: Runtime = build_runtime(load_settings(env=self.env))
        self.runtime.lockme.connect(self.lockme.issue_token())
        token = self.google.issue_token()
        self.runtime.calendar.connect(
            {
                "access_token": token["access_token"],
                "refresh_token": token["refresh_token"],
                "expires_at": time.time() + float(token["expires_in"]),
            },
            account=self.google.email,
        )
        # Measure a running installation: a new or flushed store double-checks each
        # booking's first write with Lockme until it outlives Lockme's 24 h of redelivery.
        self.redis.set(self.runtime.keys.since, time.time() - 2 * 24 * 3600)
        self.latency = latency

    @property
    def latency(self) -> float:
        return self.lockme.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.lockme.latency = seconds
        self.google.latency = seconds

    def close(self) -> None:
        self.lockme.stop()
        self.google.stop()
        self.redis.flushdb()
        self.runtime.redis.close()
        self.redis.close()

    # --- bookings -----------------------------------------------------------------------
    def new_bookings(self, count: int) -> list[int]:
        """``count`` new reservations made on Lockme; returns their message ids."""
        return [
            self.lockme.create_reservation(100 + i % 7, "2026-06-01", f"{8 + i % 12:02d}:00:00")[1]
            for i in range(count)
        ]

    def enqueue(self, message_ids: list[int]) -> None:
        """Queue the messages exactly as the receiver does."""
        from worker.jobs.queue import enqueue_message

        for message_id in message_ids:
            enqueue_message(self.runtime, message_id)

    def acked(self) -> int:
        return len(self.lockme.acked)

    def api_calls(self) -> int:
        """Requests to both APIs that a booking pays for (token refreshes excluded)."""
        return sum(
            len(fake.requests) - fake.count(None, TOKEN_PATHS)
            for fake in (self.lockme, self.google)
        )

    def rate_limited(self) -> int:
        return self.google.status_counts()[403]

    def clear_logs(self) -> None:
        self.lockme.clear_requests()
        self.google.clear_requests()

    def failures(self) -> int:
        from rq.registry import FailedJobRegistry

        return len(self.runtime.store.failures.failures(limit=10_000)) + len(
            FailedJobRegistry(queue=self.runtime.queue)
        )

    # --- processes ----------------------------------------------------------------------
    def spawn(self, argv: list[str], **extra_env: str) -> subprocess.Popen[bytes]:
        """Start a child with the stack's environment, in its own process group."""
        env = {**os.environ, **self.env, **extra_env}
        # Output goes to a file: an unread pipe fills up and stalls a chatty child.
        with tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False) as log:
            return subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def venv_bin(name: str) -> str:
    """A console script installed beside the running interpreter (``lockme-sync``, …)."""
    return str(Path(sys.executable).parent / name)


def stop(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM the child's process group (the Procfile's stop signal), SIGKILL if it hangs."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def stack(**kwargs: Any) -> Iterator[Stack]:
    s = Stack(**kwargs)
    try:
        yield s
    finally:
        s.close()


def replace_section(path: Path, title: str, section: str) -> None:
    """Put ``section`` (starting with its ``## title`` line) into the report at ``path``,
    in place of the section of that title, or at the end when it has none yet."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
