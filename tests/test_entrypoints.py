"""Jobs queued under the dotted paths of earlier releases still run after an upgrade."""

from __future__ import annotations

from rq import Callback
from rq.job import Job, JobStatus
from rq.utils import import_attribute

from tests.conftest import drain
from worker import entrypoints
from worker.jobs import job_names
from worker.jobs.queue import job_id
from worker.runtime import Runtime
from worker.sandbox import FakeLockme

OLD = "worker.tasks."


def test_every_job_is_queued_under_an_entrypoint() -> None:
    paths = [
        value
        for name, value in vars(job_names).items()
        if name.isupper() and isinstance(value, str) and value.startswith("worker.")
    ]
    assert len(paths) == 9
    for path in paths:
        module, _, name = path.rpartition(".")
        assert module == "worker.entrypoints"
        assert import_attribute(path) is getattr(entrypoints, name)
    # Each earlier path names an entry point of the same name.
    for path in entrypoints.EARLIER_PATHS:
        assert import_attribute(path) is getattr(entrypoints, path.rpartition(".")[2])


def test_jobs_waiting_under_the_earlier_paths_run(
    runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    mid = fake_lockme.create_reservation(1398, "2026-03-14", "18:30:00")[1]
    waiting = [
        runtime.queue.enqueue(
            f"{OLD}process_message",
            mid,
            False,
            None,
            job_id=job_id(mid),
            on_failure=Callback(f"{OLD}record_exhausted_failure"),
            result_ttl=60,
        ),
        runtime.queue.enqueue(f"{OLD}run_reconcile", 7, result_ttl=60),
        runtime.queue.enqueue(f"{OLD}run_alert_check", result_ttl=60),
        runtime.queue.enqueue(f"{OLD}replay_parked", "google", result_ttl=60),
        runtime.queue.enqueue(f"{OLD}probe_outages", result_ttl=60),
    ]
    assert {job.func_name for job in waiting} == set(entrypoints.EARLIER_PATHS) - {
        f"{OLD}record_exhausted_failure"
    }
    drain(runtime)

    serializer = runtime.queue.serializer
    ran = [Job.fetch(job.id, runtime.redis, serializer=serializer) for job in waiting]
    assert [job.get_status() for job in ran] == [JobStatus.FINISHED] * len(waiting)
    assert ran[0].return_value() == "created"
    assert mid in fake_lockme.acked
    assert ran[3].return_value() == 0 and ran[4].return_value() == []


def test_the_earlier_failure_callback_still_records_a_dead_letter(
    runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    mid = fake_lockme.create_reservation(1398, "2026-03-14", "18:30:00")[1]
    fake_lockme.faults.add("GET", r"/message/", status=503)  # until the test ends
    runtime.queue.enqueue(
        f"{OLD}process_message",
        mid,
        job_id=job_id(mid),
        on_failure=Callback(f"{OLD}record_exhausted_failure"),
    )
    drain(runtime)
    assert runtime.store.failures.failure(mid) is not None
