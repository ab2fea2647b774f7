"""Which runtime a job runs with: the one registry of the runtimes a process serves.

RQ calls a job by its import path with the arguments it was enqueued with, so a job
cannot be handed its runtime. The job entry points (``worker.entrypoints``) fetch it here,
by the job's queue, and pass it down; nothing below them looks a runtime up. The worker,
the CLI and the web app each set theirs at start-up with :func:`configure`.
"""

from __future__ import annotations

from rq.job import Job, get_current_job

from worker.runtime import Runtime

# Queue name → the runtime whose jobs that queue holds. Usually one; a process may serve
# several (one per key prefix and queue, e.g. two venues), and a job runs with its queue's.
_runtimes: dict[str, Runtime] = {}


class NotConfiguredError(RuntimeError):
    """A job or callback ran in a process that set no runtime for its queue."""


def configure(runtime: Runtime | None) -> None:
    """Set the runtime for jobs of ``runtime.queue`` (once per process, before any job
    runs); ``None`` forgets every runtime set."""
    if runtime is None:
        _runtimes.clear()
    else:
        _runtimes[runtime.queue.name] = runtime


def serves(queue_name: str) -> bool:
    """Whether a runtime is set for jobs of ``queue_name``."""
    return queue_name in _runtimes


def keep_only(queue_names: set[str]) -> None:
    """Forget the runtimes of every queue but these (a venue removed while workers run)."""
    for name in set(_runtimes) - queue_names:
        _runtimes.pop(name, None)


def served() -> list[Runtime]:
    """Every runtime set in this process, as it stands at this call: the worker's
    maintenance asks at each pass, so a runtime set while it runs gets its periodic jobs."""
    return list(_runtimes.values())


def current(job: Job | None = None) -> Runtime:
    """The runtime of ``job``'s queue (by default the job running now), or outside a job
    the process's only one. Never built from the environment here: a process that forgot
    to configure one would otherwise write with settings nobody chose (a stray .env, say).
    Nor is a job of a queue with no runtime here given another queue's: run so, one
    venue's booking would be synced with another venue's accounts."""
    job = job or get_current_job()
    if job is not None and job.origin in _runtimes:
        return _runtimes[job.origin]
    if len(_runtimes) == 1 and job is None:
        return next(iter(_runtimes.values()))
    raise NotConfiguredError(
        f"no runtime configured for queue {job.origin if job else '(none)'}: "
        "call worker.jobs.runtimes.configure at start-up"
    )
