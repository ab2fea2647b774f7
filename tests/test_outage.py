"""After an outage, waiting bookings are retried when the service answers again, not when
each one's backoff runs out (up to 10 minutes later)."""

from __future__ import annotations

from rq.registry import ScheduledJobRegistry

from tests.conftest import deliver
from worker import entrypoints
from worker.jobs import inbox, rqseam
from worker.jobs.job_names import PROBE_JOB
from worker.jobs.queue import job_id
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

EVENTS = r"/calendar/v3/calendars/[^/]+/events"


def work(rt: Runtime) -> None:
    """Run what is queued, and what the scheduler finds due, as a worker would."""
    inbox.dispatch(rt)
    rqseam.SyncWorker(
        [rt.queue], connection=rt.redis, serializer=rt.queue.serializer, job_monitoring_interval=5
    ).work(burst=True, with_scheduler=True)


def scheduled(rt: Runtime) -> list[str]:
    return ScheduledJobRegistry(queue=rt.queue).get_job_ids()


def test_a_booking_waiting_out_an_outage_is_retried_once_google_answers(
    client, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    outage = fake_google.faults.add(None, EVENTS, status=503)
    _rid, mid = fake_lockme.create_reservation(5, "2026-05-02", "18:00:00")
    deliver(client, mid)
    work(runtime)
    assert mid not in fake_lockme.acked
    assert set(runtime.store.outages.outages()) == {"google"}
    probes = [jid for jid in scheduled(runtime) if jid.startswith(PROBE_JOB)]
    assert len(probes) == 1 and job_id(mid) in scheduled(runtime)

    # Still down: nothing is released, and the next check is scheduled.
    assert entrypoints.probe_outages() == []
    assert job_id(mid) in scheduled(runtime)

    fake_google.faults.remove(outage)
    assert entrypoints.probe_outages() == ["google"]
    assert runtime.store.outages.outages() == {}
    work(runtime)  # its retry was due in seconds to minutes; now it is due at once
    assert mid in fake_lockme.acked


def test_a_second_failing_job_schedules_no_second_probe(
    client, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    fake_google.faults.add(None, EVENTS, status=503)
    for hour in ("17:00:00", "18:00:00"):
        deliver(client, fake_lockme.create_reservation(5, "2026-05-02", hour)[1])
    work(runtime)
    assert len([jid for jid in scheduled(runtime) if jid.startswith(PROBE_JOB)]) == 1
