"""The bounded abuse run of docs/security.md: a flood of made-up webhook ids.

``python -m bench.abuse [flood] [--ids 20000]`` starts a redis-server of its own, sized as Heroku's
mini plan (``maxmemory 25mb``, ``noeviction``), the Lockme and Google fakes, and the web app
(Flask's test client: the receiver's own code, no socket). Then:

1. With the worker stopped, ``--ids`` webhooks with random ids arrive: how many are queued
   and how many refused (503), what the inbox, the wake list and Redis hold.
2. The worker runs (the product's dispatcher and worker class, in this process) while
   Lockme answers 404 for every made-up id; the same ids are then sent again, and the
   worker runs once more: Lockme calls per made-up id, and whether the real failure records
   made before the flood (malformed messages, kept with their payload) are intact.
3. Per-message memory in flight: real bookings through the whole pipeline, and what a
   finished job leaves in Redis for ``FINISHED_JOB_TTL_S``.

The runs of issue 19, each on its own redis-server and loopback only, bounded in time:

- ``spoof``: 500 wrong logins, each with a new 4,000-character ``X-Forwarded-For``.
- ``oversized``: a 50 MB message answer (the worker's side in a process of its own, for
  its peak memory) and a 40 MB ``/rooms``: memory, Redis, the failure record, the pages.
- ``slow [--sockets 60 200] [--seconds 20] [--config FILE]``: gunicorn as the Procfile runs
  it, slow sockets trickling header lines, ``/healthz`` and the webhook probed meanwhile
  (each given a second); then the receiver's throughput against the one-LPUSH baseline
  under the same settings (``--config`` compares another gunicorn settings file).

Figures are printed as one JSON object; docs/security.md quotes a run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import subprocess
import threading
import time
from collections import Counter
from typing import Any

import redis

from app import create_app
from bench.harness import wait_until
from tests.chaos.harness import free_port
from worker.config import load_settings
from worker.jobs import inbox, intake, rqseam, runtimes
from worker.jobs import messages as message_jobs
from worker.jobs.queue import FINISHED_JOB_TTL_S
from worker.ops.redis_memory import redis_memory
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.sandbox.endpoints import service_environment

SECRET = "abuse-run-hook-secret"
CONFIG = "gunicorn.conf.py"  # the Procfile's
PROBE_TIMEOUT_S = 1.0  # the webhook and /healthz are to answer within a second
MALFORMED = 5
BOGUS_FROM = 5_000_000_000


class MemoryPeak(threading.Thread):
    """Samples ``used_memory`` every 50 ms; ``peak`` is the highest seen."""

    def __init__(self, client: redis.Redis) -> None:
        super().__init__(daemon=True)
        self.client, self.peak, self.stopped = client, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.05):
            self.peak = max(self.peak, redis_memory(self.client).used_bytes)


def _redis_server() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--maxmemory", "25mb", "--maxmemory-policy", "noeviction"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    wait_until(lambda: _pings(client), timeout=10, step=0.05)
    return proc, url


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _mb(n: int) -> float:
    return round(n / 2**20, 2)


def _work(rt: Runtime) -> None:
    """What a worker process does until the inbox and the queue are empty."""
    while True:
        inbox.dispatch(rt)
        rqseam.SyncWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer).work(
            burst=True, with_scheduler=False, logging_level="WARNING"
        )
        if not intake.pending(rt.redis, rt.keys)[0]:
            return


def run(ids: int, bookings: int) -> dict[str, Any]:
    proc, url = _redis_server()
    lockme, google = FakeLockme().start(), FakeGoogle().start()
    try:
        settings = load_settings(
            env={
                "REDIS_URL": url,
                "SECRET_KEY": "abuse-run-secret-key-of-32-characters",
                "ADMIN_PASSWORD": "abuse-run-password",
                "WEBHOOK_SECRET": SECRET,
                **service_environment(lockme, google),
                "LOG_LEVEL": "ERROR",
            }
        )
        rt = build_runtime(settings)
        runtimes.configure(rt)
        rt.lockme.connect(lockme.issue_token())
        rt.store.connections.set_connection("lockme", account=lockme.nick)
        token = google.issue_token()
        rt.calendar.connect(
            {
                "access_token": token["access_token"],
                "refresh_token": token["refresh_token"],
                "expires_at": time.time() + 3600,
            },
            account=google.email,
        )
        rt.redis.set(rt.keys.since, time.time() - 2 * 24 * 3600)
        web = create_app(settings, rt).test_client()

        def deliver(message_id: int) -> int:
            return web.post(
                f"/webhooks/lockme?secret={SECRET}", headers={"X-MessageId": str(message_id)}
            ).status_code

        # Real failure records, kept with their payload for replay, made before the flood.
        malformed = [
            lockme.put_message({"action": "add", "roomid": 1, "reservationid": n, "data": None})
            for n in range(1, MALFORMED + 1)
        ]
        for mid in malformed:
            deliver(mid)
        _work(rt)
        records_before = {mid: rt.store.failures.failure(mid) for mid in malformed}
        baseline = redis_memory(rt.redis).used_bytes

        # 1. The worker stopped: a flood of random ids.
        bogus = random.Random(12).sample(range(BOGUS_FROM, BOGUS_FROM + 10**9), ids)
        started = time.monotonic()
        first = Counter(deliver(mid) for mid in bogus)
        flood_s = time.monotonic() - started
        stopped = {
            "webhooks": ids,
            "answers": dict(first),
            "seconds": round(flood_s, 1),
            "inbox": intake.pending(rt.redis, rt.keys)[0],
            "wake_list": rt.redis.llen(rt.keys.inbox_wake),
            "used_mb": _mb(redis_memory(rt.redis).used_bytes),
            "added_mb": _mb(redis_memory(rt.redis).used_bytes - baseline),
            "bytes_per_waiting_id": round(
                (redis_memory(rt.redis).used_bytes - baseline) / max(1, first[200])
            ),
        }

        # 2. The worker runs, Lockme answers 404; then every id arrives once more.
        peak = MemoryPeak(rt.redis)
        peak.start()
        worked = time.monotonic()
        _work(rt)
        again = Counter(deliver(mid) for mid in bogus)
        _work(rt)
        worked = time.monotonic() - worked
        peak.stopped.set()
        peak.join()
        calls = Counter(
            int(path.rsplit("/", 1)[1])
            for method, path, _ in lockme.requests
            if method == "GET" and path.startswith("/v2.4/message/")
        )
        per_bogus = [calls.get(mid, 0) for mid in bogus]
        running = {
            "answers_second_time": dict(again),
            "lockme_get_message_calls": sum(per_bogus),
            "max_calls_per_bogus_id": max(per_bogus),
            "unknown_ids_kept": rt.store.failures.unknown_count(),
            "failure_records": rt.store.failures.failure_count(),
            "real_failure_records_intact": all(
                rt.store.failures.failure(mid) == record for mid, record in records_before.items()
            ),
            "seconds": round(worked, 1),
            "peak_used_mb": _mb(peak.peak),
            "used_mb_after": _mb(redis_memory(rt.redis).used_bytes),
        }

        # 3. Memory per message in flight: real bookings, and what finished jobs leave.
        if FINISHED_JOB_TTL_S:
            time.sleep(FINISHED_JOB_TTL_S + 1)  # the flood's finished jobs expire first
        before = redis_memory(rt.redis).used_bytes
        mids = []
        for n in range(bookings):
            _, mid = lockme.create_reservation(101 + n % 4, "2027-03-01", f"{10 + n % 10}:00")
            deliver(mid)
            mids.append(mid)
        inbox.dispatch(rt)
        queued = redis_memory(rt.redis).used_bytes
        in_queue = rt.queue.count
        worked = time.monotonic()
        rqseam.SyncWorker([rt.queue], connection=rt.redis, serializer=rt.queue.serializer).work(
            burst=True, with_scheduler=False, logging_level="WARNING"
        )
        worked = time.monotonic() - worked
        finished = redis_memory(rt.redis).used_bytes
        job_bytes = sum(
            rt.redis.memory_usage(key) or 0
            for mid in mids
            for key in rt.redis.scan_iter(f"rq:*msg-{mid}*")
        )
        per_message = {
            "jobs_per_s": round(in_queue / worked, 1),
            "bookings": bookings,
            "jobs_admitted_at_once": in_queue,
            "bytes_per_queued_job": round((queued - before) / max(1, in_queue)),
            "bytes_per_finished_message": round((finished - before) / bookings),
            "finished_job_keys_bytes_per_message": round(job_bytes / bookings),
            "finished_job_ttl_s": FINISHED_JOB_TTL_S,
        }
        return {"worker_stopped": stopped, "worker_running": running, "in_flight": per_message}
    finally:
        lockme.stop()
        google.stop()
        proc.terminate()
        proc.wait(timeout=10)


# --- issue 19's runs: a spoofed header, oversized answers, slow sockets ----------------------
def _settings_env(url: str, lockme: FakeLockme, google: FakeGoogle) -> dict[str, str]:
    return {
        "REDIS_URL": url,
        "SECRET_KEY": "abuse-run-secret-key-of-32-characters",
        "ADMIN_PASSWORD": "abuse-run-password",
        "WEBHOOK_SECRET": SECRET,
        **service_environment(lockme, google),
        "LOG_LEVEL": "ERROR",
    }


def spoofed_header(posts: int = 500) -> dict[str, Any]:
    """``posts`` wrong logins, each with a new 4,000-character ``X-Forwarded-For`` behind
    one trusted hop (the default): what the login keys hold, and how the attempts end."""
    proc, url = _redis_server()
    lockme, google = FakeLockme().start(), FakeGoogle().start()
    try:
        settings = load_settings(env=_settings_env(url, lockme, google))
        rt = build_runtime(settings)
        web = create_app(settings, rt).test_client()
        page = web.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        before = redis_memory(rt.redis).used_bytes
        codes: Counter[int] = Counter()
        for n in range(posts):
            forged = f"{n:04d}" + "x" * 3996
            answer = web.post(
                "/login",
                data={"password": f"guess {n}", "csrf_token": token},
                headers={"X-Forwarded-For": forged},
            )
            codes[answer.status_code] += 1
        login_keys = list(rt.redis.scan_iter(rt.keys.login_attempts("*")))
        key_bytes = sum(int(rt.redis.memory_usage(k) or 0) for k in login_keys)
        return {
            "posts": posts,
            "answers": dict(codes),
            "login_keys": len(login_keys),
            "login_key_bytes": key_bytes,
            "redis_growth_mb": _mb(redis_memory(rt.redis).used_bytes - before),
        }
    finally:
        lockme.stop()
        google.stop()
        proc.terminate()
        proc.wait(timeout=10)


def _oversized_child(url: str, env: dict[str, str], jobs: Any, results: Any) -> None:
    """The worker's side, in a process of its own, so that its peak memory is its own."""
    import resource

    rt = build_runtime(load_settings(env=env))
    runtimes.configure(rt)
    start_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    message_id = jobs.get()
    began = time.monotonic()
    outcome = message_jobs.handle_message(rt, message_id, False, None)
    results.put(
        {
            "outcome": outcome,
            "seconds": round(time.monotonic() - began, 2),
            "worker_peak_growth_mb": round(
                (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_kb) / 1024, 1
            ),
        }
    )


def oversized_answers(megabytes: int = 50) -> dict[str, Any]:
    """A ``GET /message/N`` answering a ``megabytes`` MB JSON string and a ``/rooms`` of 40
    MB: the worker's peak memory, Redis, the failure record, the status and rooms pages."""
    import multiprocessing

    proc, url = _redis_server()
    lockme, google = FakeLockme().start(), FakeGoogle().start()
    try:
        env = _settings_env(url, lockme, google)
        settings = load_settings(env=env)
        rt = build_runtime(settings)
        rt.lockme.connect(lockme.issue_token())
        rt.redis.set(rt.keys.since, time.time() - 2 * 24 * 3600)
        # Forked before the big body exists, so none of it is counted in the child.
        context = multiprocessing.get_context("fork")
        jobs, results = context.Queue(), context.Queue()
        child = context.Process(target=_oversized_child, args=(url, env, jobs, results))
        child.start()
        used_before = redis_memory(rt.redis).used_bytes
        message_id = lockme.put_message(json.dumps("x" * (megabytes * 2**20)))
        jobs.put(message_id)
        worker = results.get(timeout=300)
        child.join(30)
        failure = rt.store.failures.failure(message_id) or {}
        record = rt.redis.hget(rt.keys.failures, str(message_id)) or b""
        web = create_app(settings, rt).test_client()
        page = web.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        web.post("/login", data={"password": env["ADMIN_PASSWORD"], "csrf_token": token})
        began = time.monotonic()
        status_page = web.get("/status")
        status_s = time.monotonic() - began
        big_rooms = [{"roomid": 1, "room": "x" * (40 * 2**20)}]
        lockme.faults.add("GET", r"/rooms$", status=200, body=big_rooms)  # type: ignore[arg-type]
        began = time.monotonic()
        rooms_page = web.get("/setup/rooms")
        rooms_s = time.monotonic() - began
        return {
            "message_mb": megabytes,
            "worker": worker,
            "failure": {"kind": failure.get("kind"), "reason": failure.get("reason")},
            "failure_record_bytes": len(record),
            "acked": message_id in lockme.acked,
            "redis_growth_mb": _mb(redis_memory(rt.redis).used_bytes - used_before),
            "status_page": {"status": status_page.status_code, "seconds": round(status_s, 3)},
            "rooms_page_40mb": {"status": rooms_page.status_code, "seconds": round(rooms_s, 3)},
        }
    finally:
        lockme.stop()
        google.stop()
        proc.terminate()
        proc.wait(timeout=10)


def _probe(port: int, request: bytes, timeout: float) -> float | None:
    """Seconds to the first byte of the answer, or None when none came within ``timeout``."""
    import socket

    began = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(request)
            if not sock.recv(1):
                return None
    except OSError:
        return None
    return time.monotonic() - began


def slow_sockets(sockets: int, seconds: float, config: str = CONFIG) -> dict[str, Any]:
    """``sockets`` connections each sending one header line every 2 s (never finishing),
    against gunicorn as the Procfile runs it (``config``: another settings file to compare
    with); meanwhile ``/healthz`` and the webhook are called every 0.5 s, each given
    ``PROBE_TIMEOUT_S`` to answer."""
    import os
    import socket

    from bench.harness import stop, venv_bin

    proc, url = _redis_server()
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": url,
        "SECRET_KEY": "abuse-run-secret-key-of-32-characters",
        "ADMIN_PASSWORD": "abuse-run-password",
        "WEBHOOK_SECRET": SECRET,
        "PORT": str(port),
        "TRUSTED_PROXY_HOPS": "0",
        "LOG_LEVEL": "ERROR",
        "WEB_CONCURRENCY": "2",
    }
    web = subprocess.Popen(
        [venv_bin("gunicorn"), "--config", config, "app:create_app()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    health = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    hook = (
        f"POST /webhooks/lockme?secret={SECRET} HTTP/1.1\r\nHost: localhost\r\n"
        "X-MessageId: 42\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    slow: list[socket.socket] = []
    try:
        wait_until(lambda: _probe(port, health, 1.0) is not None, timeout=30, step=0.2)
        for _ in range(sockets):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            slow.append(sock)
        answered: Counter[str] = Counter()
        missed: Counter[str] = Counter()
        worst: dict[str, float] = {"healthz": 0.0, "webhook": 0.0}
        ends = time.monotonic() + seconds
        next_line = time.monotonic() + 2
        while time.monotonic() < ends:
            if time.monotonic() >= next_line:
                for n, sock in enumerate(slow):
                    with contextlib.suppress(OSError):
                        sock.sendall(f"X-Slow-{n}: still typing\r\n".encode())
                next_line += 2
            for name, request in (("healthz", health), ("webhook", hook)):
                took = _probe(port, request, PROBE_TIMEOUT_S)
                if took is None:
                    missed[name] += 1
                else:
                    answered[name] += 1
                    worst[name] = max(worst[name], took)
            time.sleep(0.5)
        return {
            "slow_sockets": sockets,
            "answered": dict(answered),
            f"not_answered_within_{PROBE_TIMEOUT_S:g}s": dict(missed),
            "slowest_answer_s": {k: round(v, 3) for k, v in worst.items()},
        }
    finally:
        for sock in slow:
            sock.close()
        stop(web)
        proc.terminate()
        proc.wait(timeout=10)


def slow_clients(counts: list[int], seconds: float, config: str = CONFIG) -> dict[str, Any]:
    """:func:`slow_sockets` at each of ``counts``, and beside them the receiver's throughput
    as a fraction of the one-LPUSH baseline's under the same settings (bench.receiver:
    wrk, 32 connections, the median of 3 alternating rounds; at least 0.8 is the target)."""
    from bench import receiver
    from bench.harness import stack

    runs = [slow_sockets(count, seconds, config) for count in counts]
    with stack() as s:
        served = receiver.receiver(s, config=config)
    rx, base = served["receiver"], served["baseline"]
    return {
        "config": config,
        "runs": runs,
        "receiver_req_s": round(rx.max.rate),
        "baseline_req_s": round(base.max.rate),
        "receiver_ratio": round(rx.max.rate / base.max.rate, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "run", nargs="?", default="flood", choices=("flood", "spoof", "oversized", "slow")
    )
    parser.add_argument("--ids", type=int, default=20_000)
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--sockets", type=int, nargs="+", default=[60, 200])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--config", default=CONFIG, help="gunicorn settings for the slow run")
    args = parser.parse_args()
    if args.run == "spoof":
        figures = spoofed_header()
    elif args.run == "oversized":
        figures = oversized_answers()
    elif args.run == "slow":
        figures = slow_clients(args.sockets, args.seconds, args.config)
    else:
        figures = run(args.ids, args.bookings)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
