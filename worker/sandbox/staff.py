"""Staff events: what a person types into Google Calendar by hand, as the sandbox page and
the ``sandbox staff-event`` commands enter it.

Such events are what blocks read (``docs/blocks.md``): a busy one in a room's blocks
calendar closes the Lockme slots it covers. The fields are checked here, once, for every
way in; the fake Google then stores the event and pushes to the app as Google would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from worker.sandbox.demo import PAID_ANSWERS, SandboxError

DEFAULT_TITLE = "Staff only"
TITLE_MAX = 120


@dataclass(frozen=True)
class StaffTimes:
    """When a staff event runs: datetimes in the calendar's zone, or whole days."""

    start: date | datetime
    end: date | datetime
    all_day: bool


def day_of(value: Any) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise SandboxError(f"date {value!r} is not YYYY-MM-DD") from None


def _clock(value: Any, which: str) -> time:
    try:
        return datetime.strptime(str(value).strip()[:5], "%H:%M").time()
    except ValueError:
        raise SandboxError(f"{which} {value!r} is not HH:MM") from None


def _yes(value: Any, which: str) -> bool:
    """A yes/no field as forms and JSON send it (a checkbox, ``true``, ``"no"``…)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in ("", "off"):
        return False
    if text == "on":
        return True
    if text in PAID_ANSWERS:
        return bool(PAID_ANSWERS[text])
    raise SandboxError(f"{which} {value!r} is not yes or no")


def staff_times(fields: dict[str, Any]) -> StaffTimes:
    """``date`` with ``from``/``to`` (HH:MM, ``to`` later), or ``date`` with ``allDay``
    (``to``, if given, is ignored: one whole day). Naive datetimes: the fake reads them in
    the calendar's zone, as Calendar's UI does."""
    if not str(fields.get("date") or "").strip():
        raise SandboxError("date is required")
    day = day_of(fields["date"])
    if _yes(fields.get("allDay", False), "allDay"):
        return StaffTimes(day, day + timedelta(days=1), True)
    for key in ("from", "to"):
        if not str(fields.get(key) or "").strip():
            raise SandboxError(f"{key} is required (or allDay)")
    start = datetime.combine(day, _clock(fields["from"], "from"))
    end = datetime.combine(day, _clock(fields["to"], "to"))
    if end <= start:
        raise SandboxError("to must be later than from")
    return StaffTimes(start, end, False)


def staff_title(fields: dict[str, Any]) -> str:
    return str(fields.get("title") or "").strip()[:TITLE_MAX] or DEFAULT_TITLE


def staff_transparency(fields: dict[str, Any]) -> str:
    """Google's ``transparency``: busy (the default, as in Calendar's UI) is ``opaque``."""
    return "opaque" if _yes(fields.get("busy", True), "busy") else "transparent"
