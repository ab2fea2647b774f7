"""Receiver figures: throughput and latency under 32 connections, memory, start-up.

Both apps are served exactly as the Procfile serves the web process (``gunicorn --config
gunicorn.conf.py``), and ``wrk`` from Debian drives them with a distinct ``X-MessageId`` per
request (``bench/webhook.lua``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness import PeakRss, Stack, children, stack, stop, venv_bin, wait_until

CONNECTIONS = 32
SCRIPT = Path(__file__).with_name("webhook.lua")
ALL_ANSWERED = "all ids answered"  # the script's line once each id in BENCH_IDS is answered
APPS = {"receiver": "app:create_app()", "baseline": "bench.baseline_app:create_app()"}
CONFIG = "gunicorn.conf.py"  # the Procfile's


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


def wrk(url: str, seconds: float, delay_ms: int = 0, ids: Path | None = None) -> Load:
    """32 connections from one wrk thread (the other core is left to the server).

    With ``ids`` (a file of message ids, one a line) each id is sent once and the run ends
    when all are answered; one still unanswered after ``seconds`` is an error."""
    path = url[url.index("/", len("http://")) :]
    env = {**os.environ, "BENCH_PATH": path, "BENCH_DELAY_MS": str(delay_ms)}
    if ids is not None:
        env["BENCH_IDS"] = str(ids)
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(SCRIPT)]
    if ids is None:
        result = subprocess.run([*argv, url], env=env, capture_output=True, text=True, check=True)
        return parse_wrk(result.stdout)
    with subprocess.Popen([*argv, url], env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        head, answered = [], False
        for line in proc.stdout:
            head.append(line)
            if line.strip() == ALL_ANSWERED:
                proc.send_signal(signal.SIGINT)
                answered = True
                break
        output = "".join(head) + proc.stdout.read()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, argv, output)
    if not answered:
        # Some ids got no answer (socket errors): wrk's rate would be over all of -d.
        raise RuntimeError(f"not every id was answered within {seconds} s:\n{output}")
    return parse_wrk(output)


def half_rate_delay_ms(url: str, max_rate: float) -> int:
    """The pause per connection at which 32 connections offer half of ``max_rate``.

    Each connection's cycle is its pause plus one answer; the answer's time is taken from a
    short run at that lower rate, not from the flat-out run, whose latency is mostly queueing
    (subtracting that one ran the "half" load at about 70 % of the maximum).
    """
    cycle_ms = CONNECTIONS / (max_rate / 2) * 1000
    probe = wrk(url, 1, max(1, round(cycle_ms)))
    return max(1, round(cycle_ms - probe.p50_ms))


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")


@dataclass
class Served:
    """One app under load: flat-out, then at half that rate; plus memory and start-up."""

    max: Load
    half: Load
    peak_rss_mb: float
    startup_s: float


@contextmanager
def gunicorn(
    s: Stack, target: str, config: str = CONFIG
) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """Gunicorn started as the Procfile starts it (``config``: another settings file to
    compare with): the webhook's URL, the process and the seconds to its first answer;
    stopped and the database flushed afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    proc = s.spawn([venv_bin("gunicorn"), "--config", config, target], PORT=str(port))
    try:
        ready = wait_until(lambda: _answers(f"{base}/healthz"), timeout=30, step=0.01)
        yield f"{base}/webhooks/lockme?secret={s.env['WEBHOOK_SECRET']}", proc, ready - started
    finally:
        stop(proc)
        s.redis.flushdb()


def serve(s: Stack, target: str, seconds: float, config: str = CONFIG) -> Served:
    """Start gunicorn as the Procfile does, time its first answer, then load it twice."""
    with gunicorn(s, target, config) as (url, proc, startup_s), PeakRss(proc.pid) as rss:
        wrk(url, 1)  # warm up: imports, connection pools
        flat = wrk(url, seconds)
        half = wrk(url, seconds, half_rate_delay_ms(url, flat.rate))
    return Served(flat, half, rss.peak_mb, startup_s)


def _answers(url: str) -> bool:
    """Any HTTP answer counts (the baseline has no /healthz and answers 404)."""
    try:
        with urllib.request.urlopen(url, timeout=0.5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def receiver(
    s: Stack, seconds: float = 4, rounds: int = 3, config: str = CONFIG
) -> dict[str, Served]:
    """The product's receiver beside the one-LPUSH baseline, on the same gunicorn settings.

    The two are measured in alternation, ``rounds`` times each, and each keeps its median
    round (by flat-out rate): on a shared 2-core machine one run of either can lose a
    third of its rate to a neighbour, which a single side-by-side pair would report as a
    difference between the apps.
    """
    require_wrk()
    runs: dict[str, list[Served]] = {name: [] for name in APPS}
    for _ in range(rounds):
        for name, target in APPS.items():
            runs[name].append(serve(s, target, seconds, config))
    return {
        name: sorted(served, key=lambda run: run.max.rate)[len(served) // 2]
        for name, served in runs.items()
    }


@dataclass
class Burst:
    """One burst of webhooks for new bookings, and the CPU seconds each process used
    meanwhile (``web``: gunicorn's workers, ``worker``, ``redis``: the server, when local)."""

    load: Load
    cpu_s: dict[str, float]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process and its reaped children, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(map(cpu_seconds, group)) for name, group in pids.items()}


def _ids_file(s: Stack, count: int) -> Path:
    with tempfile.NamedTemporaryFile("w", prefix="bench-ids-", delete=False) as f:
        f.write("\n".join(map(str, s.new_bookings(count))) + "\n")
    return Path(f.name)


def burst(s: Stack, count: int, worker: bool) -> Burst:
    """``count`` webhooks for new bookings from 32 connections, each id once, while one
    ``lockme-sync worker`` syncs them (``worker``) or with no worker running.

    A warm-up burst of 32 goes first; with a worker, its bookings are synced before the
    timed burst starts, so that both runs begin with warm processes and an empty queue."""
    from bench.workers import NO_QUOTA, WORKER, start_workers

    warm, timed = _ids_file(s, CONNECTIONS), _ids_file(s, count)
    with ExitStack() as running:
        procs = start_workers(s, WORKER, 1, GOOGLE_RATE_LIMIT_PER_S=NO_QUOTA) if worker else []
        for proc in procs:
            running.callback(stop, proc)
        url, web, _ = running.enter_context(gunicorn(s, APPS["receiver"]))
        wrk(url, 30, ids=warm)
        if worker:
            wait_until(lambda: s.acked() >= CONNECTIONS, timeout=60)
        pids = {
            "web": children(web.pid),
            "worker": [p.pid for p in procs],
            "redis": [int(s.redis.info("server")["process_id"])],
        }
        before = _cpu(pids)
        load = wrk(url, 60, ids=timed)
        after = _cpu(pids)
    for path in (warm, timed):
        path.unlink()
    return Burst(load, {name: after[name] - before[name] for name in pids})


def while_syncing(count: int = 1000, rounds: int = 3) -> dict[str, Burst]:
    """The receiver under a burst of new bookings with the worker live, beside the same
    burst with no worker; each keeps its median round by rate (see :func:`receiver`).

    API calls take ``bench.workers.LATENCY_S`` each, as in the worker figures, and the fakes
    answer them in this process: the receiver, the worker, Redis, wrk and the fakes share
    the machine's cores, as the web and worker processes share a small host.
    """
    from bench.workers import LATENCY_S

    require_wrk()
    runs: dict[str, list[Burst]] = {"worker": [], "no worker": []}
    for _ in range(rounds):
        for name, runs_of in runs.items():
            with stack(latency=LATENCY_S) as s:
                runs_of.append(burst(s, count, worker=name == "worker"))
    return {
        name: sorted(bursts, key=lambda b: b.load.rate)[len(bursts) // 2]
        for name, bursts in runs.items()
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
