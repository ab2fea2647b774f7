"""Two runtimes, two key prefixes and two queues, in one process on one Redis.

The readiness check for several venues: each runtime has its own Lockme and Google (fakes
that hand out the same message and reservation ids), syncs its bookings, and touches none
of the other's data, queued jobs or locks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from app import create_app
from tests.conftest import connected_runtime, deliver, drain, make_settings
from worker.config import Settings
from worker.jobs import inbox, runtimes
from worker.jobs.queue import job_id
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.keys import PREFIX, Keys

OTHER_PREFIX = "v2:"
OTHER_QUEUE = "v2-lockme"
ROOM = 1398


def contents(client: redis.Redis, prefix: str) -> dict[bytes, Any]:
    """Every key under ``prefix`` with what it holds (by type), to compare before/after;
    but the pacing state of Google calls, which lapses by itself within a second."""
    readers = {
        b"string": client.get,
        b"hash": client.hgetall,
        b"list": lambda k: client.lrange(k, 0, -1),
        b"set": client.smembers,
        b"zset": lambda k: client.zrange(k, 0, -1, withscores=True),
    }
    pacing = Keys(prefix).rate_limit("google").encode()
    return {
        key: readers[client.type(key)](key)
        for key in client.scan_iter(f"{prefix}*")
        if key != pacing
    }


@pytest.fixture
def venue_b(redis_url: str) -> Iterator[tuple[Settings, FakeLockme, FakeGoogle]]:
    with FakeLockme() as lockme, FakeGoogle() as google:
        settings = make_settings(redis_url, lockme, google, LOCKME_QUEUE=OTHER_QUEUE)
        yield replace(settings, key_prefix=OTHER_PREFIX), lockme, google


def book(fake: FakeLockme, client: FlaskClient, day: str) -> tuple[int, int]:
    reservation_id, message_id = fake.create_reservation(ROOM, day, "18:30:00")
    assert deliver(client, message_id).status_code == 200
    return reservation_id, message_id


def test_two_runtimes_share_a_redis_without_touching_each_other(
    settings: Settings,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    venue_b: tuple[Settings, FakeLockme, FakeGoogle],
) -> None:
    settings_b, lockme_b, google_b = venue_b
    with (
        connected_runtime(settings, fake_lockme, fake_google) as a,
        connected_runtime(settings_b, lockme_b, google_b) as b,
    ):
        runtimes.configure(a)  # both configured: each job runs with its queue's runtime
        runtimes.configure(b)
        assert (a.keys.prefix, a.queue.name) == (PREFIX, "lockme")  # today's names
        assert (b.keys.prefix, b.queue.name) == (OTHER_PREFIX, OTHER_QUEUE)
        web_a = create_app(settings, a).test_client()
        web_b = create_app(settings_b, b).test_client()

        # The same ids on both sides: dedupe, job ids and locks must not mix them up.
        res_a, mid_a = book(fake_lockme, web_a, "2026-03-14")
        res_b, mid_b = book(lockme_b, web_b, "2026-03-15")
        assert (res_a, mid_a) == (res_b, mid_b)

        # A lock held by one runtime leaves the other's same reservation free.
        with (
            a.store.mappings.reservation(res_a, ROOM, timeout=30, wait=0),
            b.store.mappings.reservation(res_b, ROOM, timeout=30, wait=0),
        ):
            assert (
                a.redis.exists(a.keys.reservation_lock(res_a), b.keys.reservation_lock(res_b)) == 2
            )

        drain(a)
        assert mid_a in fake_lockme.acked and mid_b not in lockme_b.acked
        assert [e["start"]["dateTime"][:10] for e in fake_google.events("primary")] == [
            "2026-03-14"
        ]
        assert google_b.events("primary") == []
        # B's message waits in B's inbox, untouched by A's dispatcher and worker.
        assert b.redis.zscore(b.keys.inbox_pending, str(mid_b)) is not None
        assert (
            a.store.mappings.mapping(res_a) is not None and b.store.mappings.mapping(res_b) is None
        )

        before = contents(a.redis, PREFIX)
        # B's job (same message id as A's, which was unique) lands in B's queue alone.
        assert inbox.dispatch(b) == 1
        assert b.queue.job_ids == [b.keys.job(job_id(mid_b))] != [job_id(mid_a)]
        assert a.queue.count == 0
        drain(b)
        assert mid_b in lockme_b.acked
        assert [e["start"]["dateTime"][:10] for e in google_b.events("primary")] == ["2026-03-15"]
        assert len(fake_google.events("primary")) == 1
        mapping_b = b.store.mappings.mapping(res_b)
        assert mapping_b is not None
        assert [e["id"] for e in google_b.events("primary")] == [mapping_b.event_id]
        assert contents(a.redis, PREFIX) == before  # B's run wrote nothing of A's

        # Every product key belongs to one runtime; each queue held only its own jobs.
        keys = {k.decode() for k in a.redis.scan_iter("*")}
        ours = {k for k in keys if not k.startswith("rq:")}
        assert all(k.startswith((PREFIX, OTHER_PREFIX)) for k in ours)
        assert a.queue.count == 0 and b.queue.count == 0
        assert a.store.history.recent()[0]["message_id"] == mid_a
        assert b.store.history.recent()[0]["message_id"] == mid_b
        assert len(a.store.history.recent()) == len(b.store.history.recent()) == 1
