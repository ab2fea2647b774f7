"""Job paths of earlier releases, kept so that jobs queued under them before an upgrade run.

RQ stores a job's function as a dotted path. Releases before the job entry points moved to
:mod:`worker.entrypoints` queued messages' retries, reconciles and alert checks under
``worker.tasks.*``; such a job may still wait in a backoff or a schedule when the new code
starts. Each name here is the entry point itself, so nothing is stranded and nothing is twice.
"""

from worker.entrypoints import (
    probe_outages,
    process_message,
    record_exhausted_failure,
    replay_parked,
    run_alert_check,
    run_reconcile,
)

__all__ = [
    "probe_outages",
    "process_message",
    "record_exhausted_failure",
    "replay_parked",
    "run_alert_check",
    "run_reconcile",
]
