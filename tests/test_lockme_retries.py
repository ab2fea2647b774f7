"""A single failed Lockme call is retried in place instead of failing the job's attempt;
long waits go to the job's backoff; the token endpoint is never retried blindly."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import deliver, drain
from worker.domain.errors import TransientError
from worker.gateways.lockme import API_RETRY, RETRY_AFTER_CAP_S
from worker.jobs.queue import job_id
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

MESSAGE = r"/message/\d+$"


def sync(client: Any, runtime: Runtime, mid: int) -> None:
    assert deliver(client, mid).status_code == 200
    drain(runtime)


def assert_synced_first_time(
    runtime: Runtime, lockme: FakeLockme, google: FakeGoogle, mid: int, rid: int
) -> None:
    """Written and acknowledged in the job's first attempt: no retry waits in RQ."""
    assert str(rid) in google.live_events_by_reservation()
    assert mid in lockme.acked
    assert runtime.store.messages.is_done(mid)
    assert runtime.store.failures.failure(mid) is None
    assert runtime.queue.scheduled_job_registry.get_job_ids() == []


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_one_failed_message_read_is_retried_in_place(
    status, client, runtime, fake_lockme, fake_google
):
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    rule = fake_lockme.faults.add("GET", MESSAGE, status=status, times=1)
    sync(client, runtime, mid)
    assert rule.hits == 1
    assert fake_lockme.count("GET", MESSAGE) == 2
    assert_synced_first_time(runtime, fake_lockme, fake_google, mid, rid)


def test_a_dropped_connection_is_retried_in_place(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_lockme.faults.timeout_seconds = 0  # drop at once, before the request is applied
    rule = fake_lockme.faults.add("GET", MESSAGE, timeout=True, times=1)
    sync(client, runtime, mid)
    assert rule.hits == 1
    assert_synced_first_time(runtime, fake_lockme, fake_google, mid, rid)


def test_an_ack_applied_but_dropped_is_repeated(client, runtime, fake_lockme, fake_google):
    """The ack is a POST, retried in place: acknowledging twice is still one acknowledgement."""
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    rule = fake_lockme.faults.add("POST", MESSAGE, drop_after_apply=True, times=1)
    sync(client, runtime, mid)
    assert rule.hits == 1
    assert fake_lockme.ack_count[mid] == 2
    assert_synced_first_time(runtime, fake_lockme, fake_google, mid, rid)


def test_a_short_retry_after_is_honoured_in_place(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    rule = fake_lockme.faults.add(
        "POST", MESSAGE, status=429, times=1, headers={"Retry-After": "1"}
    )
    sync(client, runtime, mid)
    assert rule.hits == 1
    assert_synced_first_time(runtime, fake_lockme, fake_google, mid, rid)


def test_a_long_retry_after_goes_to_the_job_backoff(client, runtime, fake_lockme, fake_google):
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    wait = RETRY_AFTER_CAP_S * 12
    fake_lockme.faults.add("GET", MESSAGE, status=503, headers={"Retry-After": f"{wait:.0f}"})
    with pytest.raises(TransientError) as failure:
        runtime.lockme.message(mid)
    assert failure.value.retry_after == wait
    assert failure.value.status == 503
    assert fake_lockme.count("GET", MESSAGE) == 1  # not retried in place
    sync(client, runtime, mid)
    assert mid not in fake_lockme.acked
    assert not runtime.store.messages.is_done(mid)
    registry = runtime.queue.scheduled_job_registry
    assert registry.get_job_ids() == [job_id(mid)]
    due = registry.get_scheduled_time(job_id(mid)).timestamp()
    assert due >= time.time() + wait - 10  # the job waits out what Lockme asked for


def test_an_outage_ends_the_in_place_retries(runtime, fake_lockme):
    """Retries in place are bounded: a persisting 503 fails the call after a few tries."""
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_lockme.faults.add("GET", MESSAGE, status=503)
    with pytest.raises(TransientError, match="503"):
        runtime.lockme.message(mid)
    assert fake_lockme.count("GET", MESSAGE) == 1 + API_RETRY.total


def test_a_stopped_lockme_fails_the_call_as_transient(runtime, fake_lockme):
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_lockme.stop()
    with pytest.raises(TransientError, match=rf"^Lockme GET /message/{mid}: \w+Error$"):
        runtime.lockme.message(mid)


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop_after_apply": True}])
def test_the_token_endpoint_is_not_retried_blindly(fault, runtime, fake_lockme):
    """A refresh whose answer was lost may have spent the rotating refresh token already;
    sending it again cannot help, so the failure goes back to the job as it is."""
    fake_lockme.expire_access_tokens()
    stored = runtime.store.tokens.load_token("lockme")
    runtime.store.tokens.save_token("lockme", {**stored, "expires_at": 0})
    fake_lockme.faults.add("POST", r"^/access_token$", times=1, **fault)
    with pytest.raises(TransientError, match="token endpoint"):
        runtime.lockme.rooms()
    assert fake_lockme.count("POST", r"^/access_token$") == 1
