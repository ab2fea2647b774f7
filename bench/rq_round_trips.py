"""Redis round trips per job: the product's worker beside RQ's own ``SimpleWorker``.

On Heroku a round trip to Redis is about 1 ms, so the count per job is the figure that
decides whether an override of RQ is worth its risk (docs/benchmarks.md, "RQ seam"). A
round trip is one command, or one pipeline, sent on a connection (counted in redis-py's
``send_packed_command``, through its ``connection_class`` option). The jobs do nothing and
carry the options of a message job (``worker/jobs/queue.py``), so the count is RQ's and the
seam's alone.

``python -m bench.rq_round_trips`` prints the figures and writes them to their section of
``docs/benchmarks.md`` (database 11 is flushed; ``BENCH_REDIS_URL`` picks another).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from rq import Callback, Queue, Retry
from rq.worker import BaseWorker, SimpleWorker

from bench.harness import REDIS_URL, ROOT, replace_section
from worker.jobs.queue import FINISHED_JOB_TTL_S, RETRY_INTERVALS
from worker.jobs.rqseam import SyncWorker

JOBS = 200


def noop() -> None:
    """The job: nothing, so that only the queue's own round trips are counted."""


def on_failure(*_: Any) -> None:
    """A failure callback, as message jobs have one (it changes RQ's path at the end)."""


class _CountingConnection(redis.Connection):
    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        type(self).sent += 1
        super().send_packed_command(command, check_health)


@dataclass
class Figure:
    variant: str
    round_trips_per_job: float


def _round_trips(url: str, worker_class: type[BaseWorker], jobs: int) -> int:
    pool = redis.ConnectionPool.from_url(url, connection_class=_CountingConnection)
    conn = redis.Redis(connection_pool=pool)
    conn.flushdb()
    queue = Queue("bench-round-trips", connection=conn)
    for _ in range(jobs):
        queue.enqueue(
            "bench.rq_round_trips.noop",
            retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
            on_failure=Callback("bench.rq_round_trips.on_failure"),
            result_ttl=FINISHED_JOB_TTL_S,
        )
    worker = worker_class([queue], connection=conn, job_monitoring_interval=5)
    before = _CountingConnection.sent
    worker.work(burst=True, logging_level="WARNING")
    sent = _CountingConnection.sent - before
    conn.flushdb()
    pool.disconnect()
    return sent


def per_job(url: str, worker_class: type[BaseWorker]) -> float:
    """Round trips of ``JOBS`` more jobs, divided by ``JOBS``: start-up and teardown cancel."""
    return (
        _round_trips(url, worker_class, 2 * JOBS) - _round_trips(url, worker_class, JOBS)
    ) / JOBS


def figures(url: str = REDIS_URL) -> list[Figure]:
    return [
        Figure("RQ's SimpleWorker", per_job(url, SimpleWorker)),
        Figure("SyncWorker (the product)", per_job(url, SyncWorker)),
    ]


SECTION = "## Redis round trips per job"


def write_section(rows: list[Figure], path: Path) -> None:
    """Replace this module's section of the report (or add it), leaving the rest as it is."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION,
        "",
        f"Produced by `python -m bench.rq_round_trips` on {when}, RQ {_rq_version()}, Python "
        f"{platform.python_version()}, jobs with a message job's options (a retry policy, a "
        "failure callback); one round trip is about 1 ms on Heroku's Redis.",
        "",
        "| worker | round trips per job |",
        "|---|---|",
    ]
    lines += [f"| {row.variant} | {row.round_trips_per_job:.1f} |" for row in rows]
    replace_section(path, SECTION, "\n".join(lines) + "\n")


def _rq_version() -> str:
    from importlib.metadata import version

    return version("rq")


def main() -> None:
    rows = figures(REDIS_URL)
    for row in rows:
        print(f"{row.variant:<50} {row.round_trips_per_job:5.1f} round trips per job")
    write_section(rows, ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
