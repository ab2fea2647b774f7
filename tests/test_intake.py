"""The webhook inbox: one round trip in the receiver, a dispatcher in the worker."""

from __future__ import annotations

import time

from tests.conftest import deliver
from worker.jobs import inbox, intake
from worker.jobs.queue import enqueue_message, job_id
from worker.ops.status import queue_stats


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_dispatcher_thread_turns_webhooks_into_jobs(client, runtime, fake_lockme):
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    dispatcher = inbox.Dispatcher(runtime)
    dispatcher.start()
    try:
        assert deliver(client, mid).get_json()["status"] == "queued"
        assert wait_for(lambda: runtime.queue.job_ids == [job_id(mid)])
        assert wait_for(lambda: intake.pending(runtime.redis, runtime.keys)[0] == 0)
    finally:
        dispatcher.stop()
        dispatcher.join(timeout=5)
    assert not dispatcher.is_alive()


def test_waiting_messages_count_as_queued_with_their_age(client, runtime):
    assert queue_stats(runtime)["oldest_queued_age_s"] is None
    deliver(client, 41)
    deliver(client, 42)
    stats = queue_stats(runtime)
    assert stats["queued"] == 2
    assert stats["oldest_queued_age_s"] is not None and stats["oldest_queued_age_s"] >= 0


def test_a_dispatcher_killed_after_enqueue_leaves_no_duplicate(client, runtime):
    """The id leaves the inbox only after its job exists; a dispatcher killed in between
    leaves it there, and the next dispatch finds the job and adds no second one."""
    deliver(client, 77)
    enqueue_message(runtime, 77)  # what the killed dispatcher got done
    assert intake.pending(runtime.redis, runtime.keys)[0] == 1
    assert inbox.dispatch(runtime) == 1
    assert intake.pending(runtime.redis, runtime.keys)[0] == 0
    # Spelled out: queued jobs keep their ids across releases (worker.jobs.queue.MESSAGE_JOB).
    assert runtime.queue.job_ids == ["msg-77"]
