"""An event's times as the fake Calendar API reads them: instants, the instances of a
recurring event, and the checks Google makes of a written event's times, status and
recurrence (docs/google-calendar-oauth-rq.md)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]  # no stubs installed

from worker.sandbox.google_errors import BadRequest

# Recurring events are expanded this far ahead of now at most (an open-ended RRULE has no
# last instance), and into at most this many instances.
INSTANCE_HORIZON = timedelta(days=730)
MAX_INSTANCES = 2000


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp that must carry an offset (timeMin/timeMax rules)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("offset required")
    return parsed


def instant(value: dict[str, Any], calendar: dict[str, Any], which: str) -> datetime:
    """Absolute time of an EventDateTime: its offset, else its timeZone, else the calendar."""
    zone_name = value.get("timeZone") or calendar["timeZone"]
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadRequest("invalid", f"Invalid time zone definition for {which} time.") from exc
    try:
        if value.get("dateTime"):
            raw = str(value["dateTime"]).replace("Z", "+00:00")
            parsed = datetime.fromisoformat(raw)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone)
            return parsed.astimezone(UTC)
        day = date.fromisoformat(str(value["date"]))
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    except ValueError as exc:
        raise BadRequest("invalid", f"Invalid {which} time.") from exc


def instances(event: dict[str, Any], calendar: dict[str, Any]) -> list[dict[str, Any]]:
    """The event as ``singleEvents=true`` lists it: itself, or its recurring instances.

    The RRULE is evaluated in the event's own zone (instances keep their wall time
    across a DST change), up to :data:`INSTANCE_HORIZON` past now or the first start.
    Instance ids are Google's: ``{id}_{YYYYMMDDTHHMMSSZ}`` (timed, the UTC start) or
    ``{id}_{YYYYMMDD}`` (all-day), with ``recurringEventId`` and ``originalStartTime``.
    """
    lines = event.get("recurrence")
    if not lines:
        return [event]
    start, end = event["start"], event["end"]
    all_day = bool(start.get("date"))
    zone_name = start.get("timeZone") or calendar["timeZone"]
    zone = ZoneInfo(zone_name)
    if all_day:
        first_day = date.fromisoformat(start["date"])
        first = datetime.combine(first_day, datetime.min.time())
        days = date.fromisoformat(end["date"]) - first_day
    else:
        first_at = instant(start, calendar, "start")
        length = instant(end, calendar, "end") - first_at
        first = first_at.astimezone(zone).replace(tzinfo=None)
    horizon = max(datetime.now(UTC), first.replace(tzinfo=zone)) + INSTANCE_HORIZON
    rules = rrulestr("\n".join(str(line) for line in lines), dtstart=first, forceset=True)
    found: list[dict[str, Any]] = []
    for occurrence in rules:
        at = occurrence.replace(tzinfo=zone)
        if at > horizon or len(found) >= MAX_INSTANCES:
            break
        instance = {k: copy.deepcopy(v) for k, v in event.items() if k != "recurrence"}
        if all_day:
            day = occurrence.date()
            instance["start"] = {"date": day.isoformat()}
            instance["end"] = {"date": (day + days).isoformat()}
            suffix = f"{day:%Y%m%d}"
        else:
            utc = at.astimezone(UTC)
            instance["start"] = {"dateTime": at.isoformat(), "timeZone": zone_name}
            finish = (utc + length).astimezone(zone)
            instance["end"] = {"dateTime": finish.isoformat(), "timeZone": zone_name}
            suffix = f"{utc:%Y%m%dT%H%M%SZ}"
        instance["originalStartTime"] = dict(instance["start"])
        instance["id"] = f"{event.get('id', '')}_{suffix}"
        instance["recurringEventId"] = event.get("id", "")
        found.append(instance)
    return found


def validate(event: dict[str, Any], calendar: dict[str, Any]) -> None:
    """Google's checks of an event being written; raises :class:`BadRequest`."""
    _validate_times(event, calendar)
    _validate_status(event)
    _validate_recurrence(event, calendar)


def _validate_times(event: dict[str, Any], calendar: dict[str, Any]) -> None:
    start, end = event.get("start"), event.get("end")
    if not isinstance(start, dict) or not (start.get("dateTime") or start.get("date")):
        raise BadRequest("required", "Missing start time.")
    if not isinstance(end, dict) or not (end.get("dateTime") or end.get("date")):
        raise BadRequest("required", "Missing end time.")
    if bool(start.get("date")) != bool(end.get("date")):
        raise BadRequest(
            "invalid", "Start and end times must either both be date or both be dateTime."
        )
    start_at = instant(start, calendar, "start")
    end_at = instant(end, calendar, "end")
    if end_at < start_at:
        raise BadRequest("timeRangeEmpty", "The specified time range is empty.")


def _validate_status(event: dict[str, Any]) -> None:
    if event.get("status", "confirmed") not in ("confirmed", "tentative", "cancelled"):
        raise BadRequest("invalid", "Invalid Value")


def _validate_recurrence(event: dict[str, Any], calendar: dict[str, Any]) -> None:
    lines = event.get("recurrence")
    if lines is None:
        return
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise BadRequest("invalid", "Invalid recurrence rule.")
    if event["start"].get("dateTime") and not event["start"].get("timeZone"):
        raise BadRequest("required", "Missing time zone definition for start time.")
    try:
        instances(event, calendar)
    except (ValueError, TypeError) as exc:
        raise BadRequest("invalid", "Invalid recurrence rule.") from exc
