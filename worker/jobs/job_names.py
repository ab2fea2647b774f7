"""Every job's permanent names: the dotted path it is queued under, and its job-id prefix.

A queued job keeps both in Redis: RQ runs it by the path (``worker.entrypoints``), and
refuses a second job by its id, which starts with the prefix and goes on with what makes it
unique (a message id, a time slot, a calendar). Spelled once, here, so that the code that
queues a job, the schedules, and the status that counts them agree; none of them ever
changes, or jobs already waiting would be stranded or counted as something else.
"""

from __future__ import annotations

PROCESS_MESSAGE = "worker.entrypoints.process_message"
RECORD_EXHAUSTED_FAILURE = "worker.entrypoints.record_exhausted_failure"
RUN_RECONCILE = "worker.entrypoints.run_reconcile"
RUN_ALERT_CHECK = "worker.entrypoints.run_alert_check"
REPLAY_PARKED = "worker.entrypoints.replay_parked"
PROBE_OUTAGES = "worker.entrypoints.probe_outages"
SYNC_CALENDAR = "worker.entrypoints.sync_blocks_calendar"
POLL_BLOCKS = "worker.entrypoints.poll_blocks"
CHECK_BLOCKS = "worker.entrypoints.check_blocks"

MESSAGE_JOB = "msg-"
PROBE_JOB = "probe-"
RECONCILE_JOB = "reconcile-"
ALERT_JOB = "alerts-"
# A blocks calendar's sync: the prefix, a hash of the calendar id, a random part.
BLOCKS_JOB = "blocks-"
# The blocks poll's and the daily check's: the prefix, then the time slot it runs in.
POLL_JOB = f"{BLOCKS_JOB}poll-"
CHECK_JOB = f"{BLOCKS_JOB}check-"
