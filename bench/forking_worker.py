"""The baseline worker kind: RQ's forking HerokuWorker with the product's heartbeat settings.

``python -m bench.forking_worker`` is ``lockme-sync worker`` with only the worker class
swapped, so the two kinds are compared on the same runtime, queue and scheduler.
"""

from __future__ import annotations

from rq.worker import HerokuWorker

from worker.config import load_settings
from worker.jobs import rqseam, runtimes
from worker.runtime import build_runtime


class ForkingSyncWorker(rqseam.StopSignal, rqseam.ShortHeartbeat, HerokuWorker):
    """One forked work horse per job, as the worker ran before the benchmarks."""


if __name__ == "__main__":
    runtime = build_runtime(load_settings().require())
    runtimes.configure(runtime)
    rqseam.run_worker(runtime, worker_class=ForkingSyncWorker)
