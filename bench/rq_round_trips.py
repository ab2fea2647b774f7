"""Redis round trips per job: what each override in ``worker/rqseam.py`` saves.

On Heroku a round trip to Redis is about 1 ms, so the count per job is the figure that
decides whether an override of RQ is worth its risk. A round trip is one command, or one
pipeline, sent on a connection (counted in redis-py's ``send_packed_command``, through its
``connection_class`` option). The jobs do nothing and carry the options of a message job
(``worker/queue.py``), so the count is RQ's and the seam's alone.

``python -m bench.rq_round_trips`` prints the figures and writes them to their section of
``docs/benchmarks.md`` (database 11 is flushed; ``BENCH_REDIS_URL`` picks another). Each
variant is the product's worker with one override put back to RQ's own method.
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
from worker.queue import FINISHED_JOB_TTL_S, RETRY_INTERVALS
from worker.rqseam import SyncWorker

# Overrides that change how many round trips a job costs (the others keep jobs alive or
# decide when the worker stops, and cost nothing per job).
OVERRIDES = (
    "heartbeat",
    "check_for_suspension",
    "set_state",
    "cleanup_execution",
    "handle_execution_ended",
)
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
    override: str | None = None


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


def without(name: str) -> type[BaseWorker]:
    """The product's worker with RQ's own ``name`` instead of the seam's."""
    return type(f"SyncWorkerWithRQs_{name}", (SyncWorker,), {name: getattr(SimpleWorker, name)})


def figures(url: str = REDIS_URL) -> list[Figure]:
    rows = [
        Figure("RQ's SimpleWorker", per_job(url, SimpleWorker)),
        Figure("SyncWorker (the product)", per_job(url, SyncWorker)),
    ]
    rows += [
        Figure(f"SyncWorker with RQ's `{name}`", per_job(url, without(name)), name)
        for name in OVERRIDES
    ]
    return rows


SECTION = "## Redis round trips per job"


def write_section(rows: list[Figure], path: Path) -> None:
    """Replace this module's section of the report (or add it), leaving the rest as it is."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    product = rows[1].round_trips_per_job
    lines = [
        SECTION,
        "",
        f"Produced by `python -m bench.rq_round_trips` on {when}, RQ {_rq_version()}, Python "
        f"{platform.python_version()}. Each override in `worker/rqseam.py` that changes the "
        "count is put back to RQ's own method in turn; one round trip is about 1 ms on "
        "Heroku's Redis.",
        "",
        "| worker | round trips per job | saved by the override |",
        "|---|---|---|",
    ]
    for row in rows:
        saved = f"{row.round_trips_per_job - product:.1f}" if row.override else ""
        lines.append(f"| {row.variant} | {row.round_trips_per_job:.1f} | {saved} |")
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
