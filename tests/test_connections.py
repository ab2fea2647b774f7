"""Disconnect and reconnect are exact, across processes.

The web tier and the worker are separate processes with separate caches, so each test
drives the pages with one runtime and runs jobs with another, as a deployment does: the
worker's runtime has just used its token when the staff press Disconnect or Reconnect.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import connect_both, deliver, drain, establish, google_record
from tests.test_web import connect, log_in
from worker.config import Settings
from worker.jobs import intake, runtimes
from worker.jobs import messages as message_jobs
from worker.jobs.job_names import REPLAY_PARKED
from worker.jobs.queue import enqueue_message
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme

EVENTS = r"/calendar/v3/calendars/[^/]+/events"
MESSAGE_READ = r"/message/\d+$"


@pytest.fixture
def worker_rt(settings: Settings, web_app: Flask) -> Iterator[Runtime]:
    """The worker process's runtime: its own store, token cache and API clients."""
    rt = build_runtime(settings)
    runtimes.configure(rt)
    yield rt
    runtimes.configure(None)
    rt.redis.close()


@pytest.fixture
def staff(web_app: Flask) -> tuple[FlaskClient, str]:
    client = web_app.test_client()
    return client, log_in(client)


def book(lockme: FakeLockme, hour: str = "18:00:00") -> int:
    """A new booking on Lockme; returns its message id."""
    _rid, mid = lockme.create_reservation(101, "2026-05-02", hour)
    return mid


def warm(worker_rt: Runtime, client: FlaskClient, lockme: FakeLockme, google: FakeGoogle) -> None:
    """Connect both services and let the worker sync one booking, so that it holds a
    token it read a moment ago (what the old 5 s reuse kept using after a disconnect)."""
    connect_both(worker_rt, lockme, google)
    establish(worker_rt)
    mid = book(lockme, "10:00:00")
    deliver(client, mid)
    drain(worker_rt)
    assert mid in lockme.acked


@pytest.mark.parametrize("provider", ["google", "lockme"])
def test_after_disconnect_no_write_reaches_that_service(
    staff: tuple[FlaskClient, str],
    worker_rt: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    provider: str,
) -> None:
    client, csrf = staff
    warm(worker_rt, client, fake_lockme, fake_google)
    writes = fake_google.count("POST", EVENTS) + fake_google.count("PUT", EVENTS)
    acks = fake_lockme.count("POST", MESSAGE_READ)
    assert (
        client.post(f"/setup/{provider}/disconnect", data={"csrf_token": csrf}).status_code == 302
    )

    mid = book(fake_lockme)
    deliver(client, mid)
    drain(worker_rt)

    assert worker_rt.store.failures.parked() == {mid: provider}
    assert mid not in fake_lockme.acked
    assert fake_lockme.count("POST", MESSAGE_READ) == acks  # no ack with the old grant
    if provider == "google":
        assert fake_google.count("POST", EVENTS) + fake_google.count("PUT", EVENTS) == writes


@pytest.mark.parametrize("provider", ["google", "lockme"])
def test_reconnect_through_the_web_releases_messages_parked_just_before(
    staff: tuple[FlaskClient, str],
    worker_rt: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    provider: str,
) -> None:
    """The worker parked a message a moment before the reconnect, so it still "knows"
    the service is disconnected; the replay the reconnect queues must still get it
    through, with no ``lockme-sync replay``."""
    client, csrf = staff
    warm(worker_rt, client, fake_lockme, fake_google)
    client.post(f"/setup/{provider}/disconnect", data={"csrf_token": csrf})
    mid = book(fake_lockme)
    deliver(client, mid)
    drain(worker_rt)
    assert worker_rt.store.failures.parked() == {mid: provider}

    assert connect(client, provider).status_code == 302
    drain(worker_rt)

    assert mid in fake_lockme.acked
    assert worker_rt.store.failures.parked() == {}
    rid = fake_lockme.messages[mid]["reservationid"]
    assert len(fake_google.live_events_by_reservation()[str(rid)]) == 1


def test_a_worker_that_saw_a_disconnect_writes_at_once_after_a_reconnect_elsewhere(
    worker_rt: Runtime, settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    """The worker read "not connected" a moment ago; another process reconnects (no
    replay involved): the next message is written, not parked on the remembered state."""
    connect_both(worker_rt, fake_lockme, fake_google)
    establish(worker_rt)
    worker_rt.store.tokens.delete_token("google")
    assert worker_rt.store.tokens.load_token("google", max_age=60) is None
    web = build_runtime(settings)
    web.calendar.connect(google_record(fake_google.issue_token()), account=fake_google.email)
    web.redis.close()

    mid = book(fake_lockme)
    enqueue_message(worker_rt, mid)
    drain(worker_rt)

    assert mid in fake_lockme.acked
    assert worker_rt.store.failures.parked() == {}


def test_a_park_that_lost_the_race_with_a_reconnect_is_refused(
    worker_rt: Runtime, settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    """A message failed with the old grant and is parked only after the reconnect's replay
    has read the parked list: the park is refused (the job runs it again instead), and the
    worker forgets the token it held."""
    connect_both(worker_rt, fake_lockme, fake_google)
    worker_rt.store.tokens.delete_token("google")
    old = worker_rt.store.tokens.generation("google")
    web = build_runtime(settings)
    web.calendar.connect(google_record(fake_google.issue_token()), account=fake_google.email)
    web.redis.close()

    assert worker_rt.store.failures.park(1, "google", old) is False
    assert worker_rt.store.failures.parked() == {}
    assert worker_rt.store.tokens.load_token("google", max_age=60) is not None
    assert (
        worker_rt.store.failures.park(1, "google", worker_rt.store.tokens.generation("google"))
        is True
    )


def test_a_refresh_finishing_after_a_disconnect_does_not_reconnect(
    runtime: Runtime, fake_google: FakeGoogle
) -> None:
    stored = runtime.store.tokens.load_token("google")
    generation = runtime.store.tokens.generation("google")
    runtime.store.tokens.delete_token("google")
    assert runtime.store.tokens.save_token("google", stored, generation=generation) is False
    assert runtime.store.tokens.load_token("google") is None


def test_the_oauth_callback_queues_the_replay_instead_of_running_it(
    staff: tuple[FlaskClient, str],
    worker_rt: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
) -> None:
    client, _ = staff
    connect_both(worker_rt, fake_lockme, fake_google)
    worker_rt.store.tokens.delete_token("lockme")
    for mid in range(1, 2001):
        worker_rt.store.failures.park(mid, "lockme")
    worker_rt.store.failures.park(5000, "google")
    fake_lockme.clear_requests()

    assert connect(client, "lockme").status_code == 302

    # Only the token exchange and the account's name: not one message read or ack.
    assert fake_lockme.count(None, MESSAGE_READ) == 0
    assert len(worker_rt.store.failures.parked()) == 2001
    queued = [worker_rt.queue.fetch_job(jid) for jid in worker_rt.queue.job_ids]
    assert [(job.func_name, job.args) for job in queued] == [(REPLAY_PARKED, ["lockme"])]

    assert message_jobs.replay_parked(worker_rt, "lockme") == 2000
    assert worker_rt.store.failures.parked() == {5000: "google"}
    # The replay job alone: the 2,000 wait in the inbox, admitted in bounded batches.
    assert worker_rt.queue.count == 1
    assert intake.pending(worker_rt.redis, worker_rt.keys)[0] == 2000
