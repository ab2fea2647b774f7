"""Receiver figures: throughput and latency under 32 connections, memory, start-up.

Both apps are served exactly as the Procfile serves the web process (``gunicorn --config
gunicorn.conf.py``), and ``wrk`` from Debian drives them with a distinct ``X-MessageId`` per
request (``bench/webhook.lua``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.harness import PeakRss, Stack, stop, venv_bin, wait_until

CONNECTIONS = 32
SCRIPT = Path(__file__).with_name("webhook.lua")
APPS = {"receiver": "app:create_app()", "baseline": "bench.baseline_app:create_app()"}


@dataclass
class Load:
    """One wrk run: achieved rate and latency percentiles (ms)."""

    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> Load:
    """Requests/sec, the 50th and 99th latency percentiles and non-2xx/socket errors."""
    percentiles = {
        int(p): _ms(v, u)
        for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\b", output, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    return Load(float(rate.group(1)), percentiles[50], percentiles[99], errors)


def wrk(url: str, seconds: float, delay_ms: int = 0) -> Load:
    """32 connections from one wrk thread (the other core is left to the server)."""
    path = url[url.index("/", len("http://")) :]
    result = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(SCRIPT), url],
        env={**os.environ, "BENCH_PATH": path, "BENCH_DELAY_MS": str(delay_ms)},
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_wrk(result.stdout)


def half_rate_delay_ms(url: str, max_rate: float) -> int:
    """The pause per connection at which 32 connections offer half of ``max_rate``.

    Each connection's cycle is its pause plus one answer; the answer's time is taken from a
    short run at that lower rate, not from the flat-out run, whose latency is mostly queueing
    (subtracting that one ran the "half" load at about 70 % of the maximum).
    """
    cycle_ms = CONNECTIONS / (max_rate / 2) * 1000
    probe = wrk(url, 1, max(1, round(cycle_ms)))
    return max(1, round(cycle_ms - probe.p50_ms))


@dataclass
class Served:
    """One app under load: flat-out, then at half that rate; plus memory and start-up."""

    max: Load
    half: Load
    peak_rss_mb: float
    startup_s: float


def serve(s: Stack, target: str, seconds: float) -> Served:
    """Start gunicorn as the Procfile does, time its first answer, then load it twice."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    proc = s.spawn([venv_bin("gunicorn"), "--config", "gunicorn.conf.py", target], PORT=str(port))
    try:
        ready = wait_until(lambda: _answers(f"{base}/healthz"), timeout=30, step=0.01)
        url = f"{base}/webhooks/lockme?secret={s.env['WEBHOOK_SECRET']}"
        with PeakRss(proc.pid) as rss:
            wrk(url, 1)  # warm up: imports, connection pools
            flat = wrk(url, seconds)
            half = wrk(url, seconds, half_rate_delay_ms(url, flat.rate))
        return Served(flat, half, rss.peak_mb, ready - started)
    finally:
        stop(proc)
        s.redis.flushdb()


def _answers(url: str) -> bool:
    """Any HTTP answer counts (the baseline has no /healthz and answers 404)."""
    try:
        with urllib.request.urlopen(url, timeout=0.5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def receiver(s: Stack, seconds: float = 4, rounds: int = 3) -> dict[str, Served]:
    """The product's receiver beside the one-LPUSH baseline, on the same gunicorn settings.

    The two are measured in alternation, ``rounds`` times each, and each keeps its median
    round (by flat-out rate): on a shared 2-core machine one run of either can lose a
    third of its rate to a neighbour, which a single side-by-side pair would report as a
    difference between the apps.
    """
    runs: dict[str, list[Served]] = {name: [] for name in APPS}
    for _ in range(rounds):
        for name, target in APPS.items():
            runs[name].append(serve(s, target, seconds))
    return {
        name: sorted(served, key=lambda run: run.max.rate)[len(served) // 2]
        for name, served in runs.items()
    }


def ensure_wrk() -> str:
    """Install Debian's ``wrk`` when it is missing and this may (root, with apt-get), as
    ``.ci/run`` installs Redis and Chromium; "" once it is there, else the one line to say."""
    if shutil.which("wrk"):
        return ""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install -y wrk) …", file=sys.stderr)
        for command in (["update", "-qq"], ["install", "-y", "-qq", "wrk"]):
            subprocess.run(["apt-get", *command], check=False, capture_output=True)
        if shutil.which("wrk"):
            return ""
    return "python -m bench needs wrk, which is not installed: apt-get install -y wrk"
