"""The bounded abuse run of docs/security.md: a flood of made-up webhook ids.

``python -m bench.abuse [--ids 20000]`` starts a redis-server of its own, sized as Heroku's
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

Figures are printed as one JSON object; docs/security.md quotes a run.
"""

from __future__ import annotations

import argparse
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
from worker import inbox, intake, rqseam, tasks
from worker.config import load_settings
from worker.memory import redis_memory
from worker.queue import FINISHED_JOB_TTL_S
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.sandbox.endpoints import service_environment

SECRET = "abuse-run-hook-secret"
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
        tasks.configure(rt)
        rt.lockme.connect(lockme.issue_token())
        rt.store.set_connection("lockme", account=lockme.nick)
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
        records_before = {mid: rt.store.failure(mid) for mid in malformed}
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
            "unknown_ids_kept": rt.store.unknown_count(),
            "failure_records": rt.store.failure_count(),
            "real_failure_records_intact": all(
                rt.store.failure(mid) == record for mid, record in records_before.items()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=20_000)
    parser.add_argument("--bookings", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(run(args.ids, args.bookings), indent=2))


if __name__ == "__main__":
    main()
