"""Bounded Redis under a flood of webhooks, and made-up message ids.

Reproduces issue 12's findings 1, 2 and 12 against a real Redis, the receiver through
Flask's test client and the Lockme fake: the inbox has a bound (503 past it), the
dispatcher admits jobs in bounded batches, an id Lockme does not know costs one Lockme call
and never evicts a real failure record, and Redis memory is reported and alerted.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.chaos.harness import free_port, wait_for
from tests.conftest import deliver, drain, make_settings
from tests.test_web import log_in
from worker import entrypoints
from worker.jobs import inbox, intake
from worker.jobs import messages as message_jobs
from worker.ops import alerts
from worker.ops.redis_memory import RedisMemory, redis_memory
from worker.ops.status import snapshot
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.failures import FAILURE_LIMIT, PARKED_LIMIT, UNKNOWN_LIMIT, UNKNOWN_TTL_S

BOGUS_BASE = 9_000_000_000


def _fill_inbox(rt: Runtime, count: int) -> None:
    """A backlog as a stopped worker leaves it: ``count`` ids waiting in the inbox."""
    pipe = rt.redis.pipeline(transaction=False)
    for n in range(count):
        pipe.zadd(rt.keys.inbox_pending, {str(BOGUS_BASE + n): 1.0})
    pipe.execute()


def test_past_the_inbox_bound_the_receiver_answers_503_and_keeps_nothing(
    client: Any, runtime: Runtime
) -> None:
    _fill_inbox(runtime, intake.INBOX_LIMIT - 1)
    assert deliver(client, 1).status_code == 200  # the last place
    full = deliver(client, 2)
    assert full.status_code == 503 and "retry later" in full.get_json()["error"]
    assert intake.pending(runtime.redis, runtime.keys)[0] == intake.INBOX_LIMIT
    # An id already waiting is still "known" (200): nothing is lost, nothing grows.
    assert deliver(client, 1).status_code == 200
    assert deliver(client, BOGUS_BASE + 5).status_code == 200


def test_the_wake_list_holds_one_signal_however_many_webhooks(
    client: Any, runtime: Runtime
) -> None:
    for n in range(300):
        assert deliver(client, BOGUS_BASE + n).status_code == 200
    assert intake.pending(runtime.redis, runtime.keys)[0] == 300
    assert runtime.redis.llen(runtime.keys.inbox_wake) == 1


def test_the_dispatcher_admits_jobs_in_bounded_batches(runtime: Runtime) -> None:
    backlog = inbox.JOBS_IN_FLIGHT + 2 * inbox.DISPATCH_BATCH + 7
    _fill_inbox(runtime, backlog)
    assert inbox.dispatch(runtime) == inbox.JOBS_IN_FLIGHT
    assert runtime.queue.count == inbox.JOBS_IN_FLIGHT
    assert intake.pending(runtime.redis, runtime.keys)[0] == backlog - inbox.JOBS_IN_FLIGHT
    assert inbox.dispatch(runtime) == 0  # the queue is full: the rest waits, compactly
    runtime.queue.empty()
    assert inbox.dispatch(runtime) == backlog - inbox.JOBS_IN_FLIGHT


def test_an_unknown_id_costs_one_lockme_call_and_is_no_failure(
    client: Any, runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    bogus = BOGUS_BASE + 42
    for _ in range(3):
        assert deliver(client, bogus).status_code == 200
        drain(runtime)
    assert fake_lockme.count("GET", rf"/message/{bogus}$") == 1
    assert (
        runtime.store.failures.failure(bogus) is None
        and runtime.store.failures.failure_count() == 0
    )
    assert runtime.store.failures.is_unknown(bogus)
    # A job for it (a redelivery that raced the note) reads nothing from Lockme either.
    assert message_jobs.handle_message(runtime, bogus, False, None) == "unknown"
    assert fake_lockme.count("GET", rf"/message/{bogus}$") == 1
    # Replay on a person's request still asks Lockme.
    assert message_jobs.handle_message(runtime, bogus, True, None) == "unknown"
    assert fake_lockme.count("GET", rf"/message/{bogus}$") == 2


def test_unknown_ids_never_evict_a_real_failure_record(
    client: Any, runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    payload = {"action": "add", "roomid": 101, "reservationid": 5, "data": {"date": "nope"}}
    real = fake_lockme.put_message(payload)
    assert deliver(client, real).status_code == 200
    drain(runtime)
    before = runtime.store.failures.failure(real)
    assert before is not None and before["payload"] == payload
    bogus = random.Random(7).sample(range(BOGUS_BASE, BOGUS_BASE + 10**6), FAILURE_LIMIT + 50)
    for n in bogus:
        assert deliver(client, n).status_code == 200
    while intake.pending(runtime.redis, runtime.keys)[
        0
    ]:  # the dispatcher admits them batch by batch
        drain(runtime)
    assert runtime.store.failures.failure(real) == before
    assert runtime.store.failures.failure_count() == 1
    assert runtime.store.failures.unknown_count() == len(bogus)
    assert fake_lockme.count("GET", rf"/message/{BOGUS_BASE // 10**6}\d+$") == len(bogus)


def test_the_unknown_ids_are_bounded(runtime: Runtime) -> None:
    for n in range(UNKNOWN_LIMIT + 15):
        runtime.store.failures.remember_unknown(BOGUS_BASE + n)
    assert runtime.redis.zcard(runtime.keys.unknown_ids) == UNKNOWN_LIMIT
    assert runtime.store.failures.is_unknown(BOGUS_BASE + UNKNOWN_LIMIT + 14)
    assert not runtime.store.failures.is_unknown(BOGUS_BASE)  # the oldest made room
    assert 0 < runtime.redis.ttl(runtime.keys.unknown_ids) <= UNKNOWN_TTL_S


def test_redis_memory_is_reported(client: Any, runtime: Runtime) -> None:
    memory = redis_memory(runtime.redis)
    assert memory.used_bytes > 0
    status = snapshot(runtime)
    assert status["redis"]["used_memory"] > 0 and "maxmemory" in status["redis"]
    assert status["unknown_message_ids"] == 0
    json.dumps(status, default=str)
    log_in(client)
    scraped = client.get("/metrics").get_data(as_text=True)
    assert "lockme_sync_redis_memory_used_bytes " in scraped
    assert "lockme_sync_redis_memory_max_bytes " in scraped
    assert "lockme_sync_unknown_message_ids 0.0" in scraped
    page = client.get("/status").get_data(as_text=True)
    assert "Redis memory used / limit" in page
    assert re.search(r"<dd>\d+(\.\d)? (Bytes|kB|MB)", page)


@pytest.fixture
def small_redis_url() -> Iterator[str]:
    """A redis-server of our own, whose maxmemory a test may set (never the shared one's)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: _answers(url), timeout=10)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except redis.ConnectionError:
        return False


def test_memory_near_its_limit_is_alerted(
    small_redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    settings = make_settings(
        small_redis_url, fake_lockme, fake_google, ALERT_WEBHOOK_URL="http://127.0.0.1:9/x"
    )
    rt = build_runtime(settings)
    try:
        assert "redis_memory" not in {a.condition for a in alerts.active(rt)}
        used = redis_memory(rt.redis).used_bytes
        rt.redis.config_set("maxmemory", str(int(used / 0.85)))
        memory = redis_memory(rt.redis)
        assert memory.max_bytes > 0 and memory.near_full
        condition = {a.condition: a.text for a in alerts.active(rt)}
        assert "redis_memory" in condition and "refuses webhooks" in condition["redis_memory"]
        assert not RedisMemory(used_bytes=10, max_bytes=0).near_full  # no limit set
    finally:
        rt.redis.close()


def test_parked_messages_are_bounded_and_a_turned_away_one_is_not_lost(
    client: Any, runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    # A long disconnect: as many messages wait as the bound allows.
    pipe = runtime.redis.pipeline(transaction=False)
    for n in range(PARKED_LIMIT):
        pipe.hset(runtime.keys.parked, str(BOGUS_BASE + n), "lockme")
    pipe.execute()
    fake_lockme.revoke()
    _, mid = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00")
    assert deliver(client, mid).status_code == 200
    drain(runtime)
    assert (
        len(runtime.store.failures.parked()) == PARKED_LIMIT
        and mid not in runtime.store.failures.parked()
    )
    assert runtime.store.failures.failure(mid) is None and not runtime.store.messages.is_done(mid)
    assert mid not in fake_lockme.acked  # left to Lockme's redelivery
    # One already parked is parked again (its replay after the reconnect finds it).
    assert runtime.store.failures.can_park(BOGUS_BASE + 1)


def test_a_replay_of_thousands_of_parked_messages_is_admitted_in_batches(
    runtime: Runtime,
) -> None:
    parked = [BOGUS_BASE + n for n in range(inbox.JOBS_IN_FLIGHT + 700)]
    pipe = runtime.redis.pipeline(transaction=False)
    for mid in parked:
        pipe.hset(runtime.keys.parked, str(mid), "google")
    pipe.execute()
    assert entrypoints.replay_parked("google") == len(parked)
    assert runtime.store.failures.parked() == {}
    assert runtime.queue.count == 0 and intake.pending(runtime.redis, runtime.keys)[0] == len(
        parked
    )
    assert runtime.redis.llen(runtime.keys.inbox_wake) == 1
    assert inbox.dispatch(runtime) == inbox.JOBS_IN_FLIGHT
    assert intake.pending(runtime.redis, runtime.keys)[0] == 700


def test_failures_without_a_payload_never_push_out_one_with_its_payload(
    runtime: Runtime,
) -> None:
    """Made-up ids while Lockme answers 429 end as transient failures (no payload): past
    the bound they go first, and the malformed record replay works from stays."""
    store = runtime.store
    payload = {"action": "add", "data": None}
    store.failures.record_failure(
        7, "data is None, not an object", payload=payload, kind="malformed"
    )
    for n in range(FAILURE_LIMIT + 5):
        store.failures.record_failure(BOGUS_BASE + n, "TransientError: 429", kind="transient")
    assert store.failures.failure_count() == FAILURE_LIMIT
    kept = store.failures.failure(7)
    assert kept is not None and kept["payload"] == payload
    assert store.failures.failure(BOGUS_BASE) is None  # the oldest without a payload went
    assert store.failures.failure(BOGUS_BASE + FAILURE_LIMIT + 4) is not None
    store.failures.clear_failure(7)
    assert runtime.redis.zcard(runtime.keys.failures_payload) == 0
