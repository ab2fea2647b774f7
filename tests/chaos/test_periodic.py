"""Periodic work on two worker processes through a SIGKILL and a flushed Redis.

Two ``lockme-sync worker`` processes, as scaling by workers runs them. One is killed (its
scheduler with it) and not restarted; then Redis loses its data. The survivor, never
restarted, schedules the nightly reconcile, the alert check and the blocks poll again, and
the poll runs again at each of its slots.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.harness import Workers, wait_for
from tests.test_schedules import LIMIT_S, all_scheduled, periodic_ids
from worker.jobs.job_names import POLL_JOB
from worker.jobs.schedules import POLL_S
from worker.runtime import Runtime

pytestmark = pytest.mark.chaos
SLOTS_AFTER = 2


def test_periodic_work_survives_a_killed_worker_and_a_flush_on_the_other(
    runtime: Runtime, tmp_path: Path
) -> None:
    workers = Workers(runtime.settings, tmp_path, 2)
    workers.start_all()
    try:
        assert wait_for(lambda: all_scheduled(runtime), LIMIT_S), workers.logs()
        workers.kill(0)
        runtime.redis.flushdb()
        assert wait_for(lambda: all_scheduled(runtime), LIMIT_S), workers.logs()
        first = int(periodic_ids(runtime)[POLL_JOB].removeprefix(POLL_JOB))
        slots = [first + POLL_S * n for n in range(SLOTS_AFTER)]
        for slot in slots:
            key = runtime.keys.slot_ran(f"{POLL_JOB}{slot}")
            assert wait_for(lambda key=key: bool(runtime.redis.exists(key)), POLL_S + LIMIT_S), (
                workers.logs()
            )
        survivor = workers.procs[1]
        assert survivor is not None and survivor.poll() is None
        assert "stopped unasked" not in workers.logs()  # no restart, inside or out
    finally:
        workers.stop_all()
