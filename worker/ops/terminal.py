"""What the ``lockme-sync`` commands print for a person: status, routes, reconcile.

``status --json`` is the machine's view (docs/interface.md fixes its keys); this module is the
person's: venue time instead of UTC, room and calendar names beside the ids, "not set
up" instead of an error for a service never connected, and a progress display for the
minute or more a reconcile spends reading Lockme.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from worker.domain.causes import cause_of
from worker.domain.printable import printable
from worker.domain.wording import FAILURES, history_word
from worker.flows.reconcile import Change, ReadStep
from worker.ops.names import room_label
from worker.stores.history import without_echoes

BAR_WIDTH = 30


def venue_time(stamp: str | None, tz: ZoneInfo) -> str:
    """An ISO UTC stamp as the venue's wall-clock time (``2026-12-01 11:02``)."""
    if not stamp:
        return "-"
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _connection(name: str, state: dict[str, Any]) -> str:
    if state["connected"]:
        account = f" as {printable(state['account'])}" if state["account"] else ""
        return f"{name}: connected{account}"
    if state["error"] == "not connected":
        return f"{name}: not set up (connect it on the setup page)"
    return f"{name}: NOT WORKING: {printable(state['error'])} (reconnect on the setup page)"


def _calendar(calendars: dict[str, str], calendar_id: str | None) -> str:
    if not calendar_id:
        return ""
    name = calendars.get(calendar_id)
    return printable(name if name and name != calendar_id else calendar_id)


def status_lines(
    data: dict[str, Any],
    rooms: dict[int, str],
    calendars: dict[str, str],
    tz: ZoneInfo,
    recent: int = 20,
) -> list[str]:
    """``snapshot()`` as lines a person reads top to bottom."""
    lines = [
        _connection("Lockme", data["connections"]["lockme"]),
        _connection("Google", data["connections"]["google"]),
    ]
    queue = data["queue"]
    lines.append(
        f"Queue: {queue['queued']} waiting, {queue['started']} running, "
        f"{queue.get('retrying', queue['scheduled'])} waiting to retry, "
        f"{queue['failed']} failed jobs, {len(data['parked'])} waiting for a reconnect"
        f" ({queue.get('maintenance', 0)} scheduled maintenance jobs)"
    )
    reconcile = data.get("reconcile") or {}
    last = reconcile.get("last")
    last_text = (
        f"last {venue_time(last['at'], tz)} (checked {last['checked']}, created "
        f"{last['created']}, updated {last['updated']}, deleted {last['deleted']}, "
        f"errors {last['errors']})"
        if last
        else "not run yet"
    )
    lines.append(f"Nightly re-sync: {last_text}; next {venue_time(reconcile.get('next'), tz)}")
    lines.append(f"Failures: {len(data['failures'])}")
    for failure in data["failures"]:
        booking = f", booking {failure['reservation_id']}" if failure.get("reservation_id") else ""
        attempts = failure.get("attempts") or 1
        why = FAILURES.text(f"why_{cause_of(failure)}", "en")
        lines.append(
            f"  {venue_time(failure.get('at'), tz)}  message {failure['message_id']}{booking}: "
            f"{why} ({printable(failure['reason'])}; "
            f"{attempts} attempt{'s' if attempts != 1 else ''})"
        )
    lines.append(f"Recent syncs (times in {tz.key}):")
    shown = without_echoes(data["recent"])
    if not shown:
        lines.append("  nothing synced yet")
    for entry in shown[:recent]:
        reservation, message = entry.get("reservation_id"), entry.get("message_id")
        when = f" for {entry['date']} {entry.get('hour', '')}".rstrip() if entry.get("date") else ""
        parts = [
            venue_time(entry.get("at"), tz),
            f"booking {reservation}" if reservation else f"message {message}" if message else "",
            printable(room_label(rooms, entry.get("room_id"))),
            f"{history_word('action', entry.get('action'))}: "
            f"{history_word('result', entry.get('result'))}{when}",
            _calendar(calendars, entry.get("calendar_id")),
        ]
        lines.append("  " + "  ".join(part for part in parts if part))
    return lines


def routes_lines(
    routes: dict[int, Any], rooms: dict[int, str], default_minutes: int, *, header: bool
) -> list[str]:
    """Per route: room id, calendar id, minutes, room name (tab-separated, so that ``cut -f``
    and scripts written for earlier releases keep their first three fields). The header is
    for a person at a terminal; piped output stays one line per route, as documented."""
    lines = ["# room\tcalendar\tminutes\tname"] if header else []
    for room_id, route in routes.items():
        minutes = route.duration_minutes or default_minutes
        lines.append(
            f"{room_id}\t{printable(route.calendar_id)}\t{minutes}\t"
            f"{printable(rooms.get(room_id, ''))}".rstrip()
        )
    return lines


def change_line(change: Change, rooms: dict[int, str], calendars: dict[str, str]) -> str:
    """One planned change of a dry run, e.g. ``would create booking 12 in Rooms Kraków``."""
    verb = {"created": "create", "updated": "update", "deleted": "delete"}[change.action]
    calendar = _calendar(calendars, change.calendar_id)
    return f"would {verb} booking {change.reservation_id} in {calendar}"


class Progress:
    """Shows a reconcile's progress on ``stream``: a bar redrawn in place on a terminal,
    otherwise one line per room (logs and pipes get no carriage returns)."""

    def __init__(self, stream: TextIO, rooms: dict[int, str]) -> None:
        self.stream = stream
        self.rooms = rooms
        self.live = stream.isatty()

    def __call__(self, step: ReadStep) -> None:
        name = printable(room_label(self.rooms, step.room_id))
        if self.live:
            filled = BAR_WIDTH * step.done // step.total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r[{bar}] {step.done}/{step.total} room-days  {name}\x1b[K")
            if step.done == step.total:
                self.stream.write("\n")
        elif step.day_index == step.days - 1:
            self.stream.write(
                f"room {step.room_index + 1}/{step.rooms} {name}: {step.days} days read, "
                f"{step.bookings} booking{'s' if step.bookings != 1 else ''}\n"
            )
        self.stream.flush()
