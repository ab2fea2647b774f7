"""Prove each calendar can take the sync's writes: insert a test event, then delete it.

Reading the calendar list says a calendar is *listed* as writable; a real insert and delete
is what a booking will need, and catches what the list cannot (a calendar deleted since
it was routed, a grant without the events scope, an account that lost its share). The test
event carries none of the sync's private properties, so reconcile never takes it for a
booking, and it is an hour long tomorrow, far from any "now" a person might be looking at.
The last result per calendar is kept so the setup checklist can show it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from worker.domain.errors import SyncError
from worker.runtime import Runtime
from worker.stores.redisutil import now_iso, text

TITLE = "Lockme sync: test event (removed at once)"


@dataclass(frozen=True)
class CheckResult:
    calendar_id: str
    ok: bool
    error: str
    at: str


def check_calendar(runtime: Runtime, calendar_id: str) -> CheckResult:
    """Insert and delete one test event in ``calendar_id``; records and returns the result."""
    start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    body = {
        "summary": TITLE,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        "transparency": "transparent",
    }
    try:
        created = runtime.calendar.insert(calendar_id, body)
        runtime.calendar.delete(calendar_id, created["id"])
        result = CheckResult(calendar_id, True, "", now_iso())
    except SyncError as exc:
        result = CheckResult(calendar_id, False, str(exc), now_iso())
    runtime.redis.hset(runtime.keys.calendar_check, calendar_id, json.dumps(asdict(result)))
    return result


def check_all(runtime: Runtime) -> list[CheckResult]:
    """Every calendar a booking may go to: ``primary`` and each routed one."""
    return [
        check_calendar(runtime, calendar_id) for calendar_id in runtime.store.routes.calendars()
    ]


def last_results(runtime: Runtime) -> dict[str, CheckResult]:
    return {
        text(key): CheckResult(**json.loads(raw))
        for key, raw in runtime.redis.hgetall(runtime.keys.calendar_check).items()
    }
