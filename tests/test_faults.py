"""Regression tests for faults the chaos runs (tests/chaos) found; fast and in-process."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import LockError
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from tests.conftest import connect_both, deliver, drain
from worker.domain.booking import Route
from worker.flows.booking_sync import LOCK_SECONDS, LOCK_WAIT_S
from worker.jobs import messages as message_jobs
from worker.jobs import rqseam, runtimes
from worker.jobs.job_names import PROCESS_MESSAGE
from worker.jobs.queue import enqueue_message, job_id
from worker.ops.status import queue_stats
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

ROOM_B = "room-b@group.calendar.google.com"


def strand_on_dead_worker(runtime: Runtime, message_id: int) -> None:
    """Leave the message's job as a SIGKILLed worker does: started, its heartbeat lapsed."""
    queue = runtime.queue
    found = Queue.dequeue_any([queue], None, connection=runtime.redis, serializer=queue.serializer)
    assert found is not None and found[0].id == job_id(message_id)
    job = found[0]
    worker = SimpleWorker([queue], connection=runtime.redis, serializer=queue.serializer)
    worker.prepare_execution(job)
    with runtime.redis.pipeline() as pipe:
        job.prepare_for_execution(worker.name, pipe)
        pipe.execute()
    registry = StartedJobRegistry(queue=queue)
    for member in runtime.redis.zrange(registry.key, 0, -1):
        runtime.redis.zadd(registry.key, {member: 1})  # expired long ago


def test_web_tier_fails_over_a_dead_workers_job_from_a_request_thread(
    runtime, fake_lockme, fake_google, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """The status page's counts leave a dead worker's job alone (reads write nothing); its
    replay button fails the job over, which runs the job's failure callback in the web
    process: in a request thread (gunicorn's threads), where SIGALRM timeouts cannot be set,
    and with no process-wide runtime (which must not be built from the environment or a
    stray .env)."""
    mids = [fake_lockme.create_reservation(5, "2026-04-10", f"1{h}:00:00")[1] for h in (7, 8)]
    runtimes.configure(None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)

    serializer = runtime.queue.serializer
    for mid in mids:
        assert enqueue_message(runtime, mid) == "queued"
        strand_on_dead_worker(runtime, mid)
    with ThreadPoolExecutor(1) as request_thread:
        assert request_thread.submit(queue_stats, runtime).result()["started"] == 2
        stranded = Job.fetch(job_id(mids[0]), runtime.redis, serializer=serializer)
        assert stranded.get_status() == JobStatus.STARTED
        request_thread.submit(message_jobs.replay, runtime, [mids[1]]).result()
    revived = [Job.fetch(job_id(m), runtime.redis, serializer=serializer) for m in mids]
    assert all(j.get_status() in (JobStatus.QUEUED, JobStatus.SCHEDULED) for j in revived)
    for job in revived:
        runtime.queue.enqueue_job(job)  # what the scheduler does once the retry interval passes

    runtimes.configure(runtime)
    drain(runtime)
    assert set(mids) <= fake_lockme.acked


def sync(client: Any, runtime: Runtime, *message_ids: int) -> None:
    for mid in message_ids:
        assert deliver(client, mid).status_code == 200
    drain(runtime)


def route_room_2_to_b(runtime: Runtime, google: FakeGoogle) -> None:
    if ROOM_B not in google.calendar_ids():
        google.add_calendar(ROOM_B, "Room B")
    runtime.store.routes.set_route(Route(room_id=2, calendar_id=ROOM_B))


def lose_store(runtime: Runtime, lockme: FakeLockme, google: FakeGoogle) -> None:
    """Redis flushed, then the operator reconnects and sets the room's route again."""
    runtime.redis.flushdb()
    connect_both(runtime, lockme, google)
    route_room_2_to_b(runtime, google)


def test_lost_store_stale_add_after_a_move_adds_no_second_event(
    client, runtime, fake_lockme, fake_google
):
    """The move landed before the store was lost; the add, still unacknowledged, comes
    back after it and must not create a second event in the old room's calendar."""
    route_room_2_to_b(runtime, fake_google)
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    m_move = fake_lockme.edit_reservation(rid, roomid=2)
    sync(client, runtime, m_move)
    lose_store(runtime, fake_lockme, fake_google)
    sync(client, runtime, m_add)
    copies = fake_google.live_events_by_reservation()[str(rid)]
    assert [calendar_id for calendar_id, _ in copies] == [ROOM_B]
    assert m_add in fake_lockme.acked


def test_lost_store_move_after_a_delete_does_not_resurrect(
    client, runtime, fake_lockme, fake_google
):
    """The delete landed in the old room's calendar (a delete does not restamp the event);
    the earlier move, redelivered after the store was lost, must not bring it back."""
    route_room_2_to_b(runtime, fake_google)
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    m_move = fake_lockme.edit_reservation(rid, roomid=2)
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_add, m_del)
    lose_store(runtime, fake_lockme, fake_google)
    sync(client, runtime, m_move)
    assert str(rid) not in fake_google.live_events_by_reservation()
    assert m_move in fake_lockme.acked


def test_reservation_locked_by_a_killed_worker_is_taken_once_its_lease_lapses(runtime, fake_lockme):
    """A SIGKILLed worker's reservation lock is a lease nobody renews: another job for that
    booking waits for it to lapse and goes ahead, rather than fail as "busy" and be pushed
    along the retry backoff."""
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    assert runtime.store.tokens.lock(f"res:{rid}", timeout=1).acquire()  # its last renewal
    assert LOCK_WAIT_S > LOCK_SECONDS  # a dead holder's lease always lapses in the wait
    runtime.syncer.handle(mid)
    assert mid in fake_lockme.acked


def test_a_live_jobs_reservation_lease_is_renewed_while_it_runs(runtime):
    """However long a job holds a reservation, its lease does not lapse under it."""
    with runtime.store.mappings.reservation(78, 5, timeout=0.4, wait=1):
        time.sleep(1.2)  # three leases long
        assert runtime.redis.pttl(runtime.keys.reservation_lock(78)) > 0
        with (
            pytest.raises(LockError),
            runtime.store.mappings.reservation(78, 5, timeout=0.4, wait=0),
        ):
            pass
    assert not runtime.redis.exists(runtime.keys.reservation_lock(78))


def test_a_lapsed_reservation_lock_taken_by_another_job_is_not_released_by_the_first(runtime):
    """A job that outlived its lock (its renewals cut off, say, by a Redis failover) must
    not release, nor renew, the lock a second job took since."""
    key = runtime.keys.reservation_lock(77)
    with runtime.store.mappings.reservation(77, 5, timeout=0.2, wait=1) as held:
        assert held.route.room_id == 5 and held.mapping is None
        runtime.redis.delete(key)  # lapsed
        assert runtime.redis.set(key, "second-job", nx=True, px=10_000)
        time.sleep(0.2)  # renewal rounds pass
        assert runtime.redis.pttl(key) > 9_000
    assert runtime.redis.get(key) == b"second-job"
    runtime.redis.delete(key)
    with runtime.store.mappings.reservation(77, 5, timeout=10, wait=1):
        assert runtime.redis.exists(key)
    assert not runtime.redis.exists(key)


def test_lost_store_add_after_a_delete_that_found_nothing_does_not_resurrect(
    client, runtime, fake_lockme, fake_google
):
    """The delete overtook its add and found no event to cancel; the store, with the only
    trace of that delete, is lost; then the add comes."""
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_del)
    lose_store(runtime, fake_lockme, fake_google)
    sync(client, runtime, m_add)
    assert str(rid) not in fake_google.live_events_by_reservation()
    assert m_add in fake_lockme.acked


def test_stale_message_does_not_mark_an_unfinished_move_as_done(
    client, runtime, fake_lockme, fake_google
):
    """The newest message wrote the new room's event but failed to cancel the old one; an
    older message then meets that event. The newer message's retry must still finish."""
    route_room_2_to_b(runtime, fake_google)
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    m_move = fake_lockme.edit_reservation(rid, roomid=2)
    m_people = fake_lockme.edit_reservation(rid, people=6)
    sync(client, runtime, m_add)
    outage = fake_google.faults.add("DELETE", r"/events/", status=500)  # outlasts retries
    sync(client, runtime, m_people)
    fake_google.faults.remove(outage)
    assert m_people not in fake_lockme.acked
    sync(client, runtime, m_move)
    runtime.syncer.handle(m_people)  # the scheduled retry
    copies = fake_google.live_events_by_reservation()[str(rid)]
    assert [calendar_id for calendar_id, _ in copies] == [ROOM_B]


def test_lost_store_message_for_a_room_left_since_does_not_hide_the_event(
    client, runtime, fake_lockme, fake_google
):
    """After the loss, an edit for the room the booking has since left is ignored (Lockme
    no longer has it there); the later move must still find and cancel the old copy."""
    route_room_2_to_b(runtime, fake_google)
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    m_edit = fake_lockme.edit_reservation(rid, hour="13:00:00")
    m_move = fake_lockme.edit_reservation(rid, roomid=2)
    sync(client, runtime, m_add)
    lose_store(runtime, fake_lockme, fake_google)
    sync(client, runtime, m_edit, m_move)
    copies = fake_google.live_events_by_reservation()[str(rid)]
    assert [calendar_id for calendar_id, _ in copies] == [ROOM_B]
    assert {m_edit, m_move} <= fake_lockme.acked


def test_delete_after_an_unfinished_move_cancels_both_copies(
    client, runtime, fake_lockme, fake_google
):
    """A move wrote the new room's event but failed to cancel the old one, and the delete
    came before its retry: the delete must find the new copy too (no orphan)."""
    route_room_2_to_b(runtime, fake_google)
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    m_move = fake_lockme.edit_reservation(rid, roomid=2)
    m_delete = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_add)
    outage = fake_google.faults.add("DELETE", r"/events/", status=500)  # outlasts retries
    sync(client, runtime, m_move)
    fake_google.faults.remove(outage)
    assert m_move not in fake_lockme.acked
    assert len(fake_google.live_events_by_reservation()[str(rid)]) == 2
    sync(client, runtime, m_delete)
    runtime.syncer.handle(m_move)  # the scheduled retry: stale now
    assert str(rid) not in fake_google.live_events_by_reservation()
    assert {m_move, m_delete} <= fake_lockme.acked


def test_a_slow_job_keeps_its_heartbeat_and_none_lands_after_it(runtime, fake_lockme):
    """The worker's one heartbeat thread beats for the running job (so a slow Lockme does
    not get the job failed over as abandoned) and stops beating the moment it ends (a late
    beat would put the finished job back in the started registry)."""
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_lockme.faults.add("GET", r"/message/", delay=2.5, times=1)
    # Kept after it ends, to read its beats (the product deletes a finished message job).
    runtime.queue.enqueue(PROCESS_MESSAGE, mid, job_id=job_id(mid), result_ttl=60)
    worker = rqseam.SyncWorker(
        [runtime.queue],
        connection=runtime.redis,
        serializer=runtime.queue.serializer,
        job_monitoring_interval=1,
    )
    worker.work(burst=True, with_scheduler=False)

    job = Job.fetch(job_id(mid), connection=runtime.redis, serializer=runtime.queue.serializer)
    assert job.get_status() == JobStatus.FINISHED
    assert job.started_at and job.last_heartbeat and job.ended_at
    # Beats every second while the message read hung for 2.5 s.
    assert (job.last_heartbeat - job.started_at).total_seconds() >= 1.5
    last = job.last_heartbeat  # RQ's own, as the job ended
    time.sleep(1.5)
    job.refresh()
    assert job.last_heartbeat == last
    assert job_id(mid) not in StartedJobRegistry(queue=runtime.queue).get_job_ids()


def test_a_job_retried_after_its_worker_died_finishes_without_a_false_dead_letter(
    runtime, fake_lockme
):
    """RQ lists a dead worker's execution for 60 s after its record has expired (our
    heartbeat TTL is short), and deleting the retried job once it has succeeded then failed
    on the missing record: the job was retried as failed, answered "duplicate" each time,
    and after the last retry its acknowledged message became a dead letter."""
    _rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    assert enqueue_message(runtime, mid) == "queued"
    strand_on_dead_worker(runtime, mid)
    StartedJobRegistry(queue=runtime.queue, death_penalty_class=TimerDeathPenalty).cleanup()
    for key in runtime.redis.scan_iter(f"rq:execution:{job_id(mid)}:*"):
        runtime.redis.delete(key)  # its record lapsed with its heartbeat; RQ's list did not
    job = Job.fetch(job_id(mid), runtime.redis, serializer=runtime.queue.serializer)
    # What the scheduler does once the retry interval passes.
    ScheduledJobRegistry(queue=runtime.queue).remove(job)
    runtime.queue.enqueue_job(job)

    drain(runtime)

    assert mid in fake_lockme.acked
    assert runtime.store.failures.failure(mid) is None
    assert not ScheduledJobRegistry(queue=runtime.queue).get_job_ids()  # not retried again
    assert not FailedJobRegistry(queue=runtime.queue).get_job_ids()
    assert not runtime.redis.exists(job.key)  # finished, and deleted as finished jobs are
