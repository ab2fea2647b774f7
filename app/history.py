"""The status page's history as staff read it: each booking under way (waiting to be
retried, or parked until a reconnect) as a row of its own, then what synced, and the search
by reservation number, customer name, day and room.

Every row names its booking the way staff do: the room's name (no ids), the booking's own
date and hour, and the customer where the room's privacy level shows names. A cancellation
keeps the time of the booking it cancelled (Lockme's delete carries none): it is taken from
the booking's earlier entries. Reads the whole kept history (``HISTORY_LIMIT`` entries), so
the cost is bounded whatever the venue's size.
"""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import abort
from rq.exceptions import NoSuchJobError
from rq.registry import ScheduledJobRegistry
from werkzeug.datastructures import MultiDict

from app.explain import ConnectionState
from app.i18n import t, t_known
from app.runtime import runtime
from worker.domain.booking import Route
from worker.jobs.queue import job_id
from worker.runtime import Runtime
from worker.stores import underway
from worker.stores.history import HISTORY_LIMIT, without_echoes

ROWS_SHOWN = 50
SEARCH_CHARS = 100
# The history entries of an earlier release for a parked message: anonymous, one per
# redelivery; the bookings under way replace them.
_PARKED_ENTRY = "park"


@dataclass(frozen=True)
class Search:
    """What staff asked for: ``text`` (a reservation number, or part of a customer's
    name), ``day`` (the booking's date) and ``room`` (its id); each may be empty."""

    text: str = ""
    day: str = ""
    room: int | None = None

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> Search:
        """Read ``q``, ``day`` and ``room``; a day or room that is not one is a 400."""
        text = " ".join(args.get("q", "").split())[:SEARCH_CHARS].lstrip("#")
        day, room = args.get("day", "").strip(), args.get("room", "").strip()
        if day:
            try:
                day = date.fromisoformat(day).isoformat()
            except ValueError:
                abort(400)
        if room and not (room.isascii() and room.isdigit() and len(room) <= 18):
            abort(400)
        return cls(text, day, int(room) if room else None)

    @property
    def active(self) -> bool:
        return bool(self.text or self.day or self.room is not None)

    def matches(self, row: dict[str, Any]) -> bool:
        """Whether a readable row (see :func:`_named`) fits every part asked for."""
        if self.day and row.get("date") != self.day:
            return False
        if self.room is not None and str(row.get("room_id")) != str(self.room):
            return False
        if not self.text:
            return True
        if self.text.isdigit():
            return str(row.get("reservation_id") or "") == self.text
        return plain(self.text) in plain(row.get("customer") or "")


# Letters that carry no combining mark to drop: ł is not l plus a mark.
_BASE_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O"})


def plain(value: str) -> str:
    """``value`` without case or diacritics: staff type "wisniewska" for "Wiśniewska"
    (a phone's keyboard, a guest's spelling on the phone)."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_BASE_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def history_rows(
    rt: Runtime, search: Search, rooms: dict[int, str], calendars: dict[str, str]
) -> list[dict[str, Any]]:
    """The newest synced rows (at most ``ROWS_SHOWN``) that fit ``search``."""
    entries = without_echoes(
        [e for e in rt.store.history.recent(HISTORY_LIMIT) if e.get("action") != _PARKED_ENTRY]
    )
    routes = rt.store.routes.routes()
    known: dict[Any, dict[str, Any]] = {}
    for entry in reversed(entries):  # oldest first: a booking's details before its cancel
        reservation = entry.get("reservation_id")
        if reservation is None:
            continue
        earlier = known.setdefault(reservation, {})
        for field in ("date", "hour", "customer"):
            if entry.get(field):
                earlier[field] = entry[field]
            elif earlier.get(field):
                entry[field] = earlier[field]
    rows = []
    for entry in entries:
        row = _named(entry, rooms, routes)
        if search.matches(row):
            calendar_id = entry.get("calendar_id") or ""
            row["calendar"] = calendars.get(calendar_id) or _calendar_fallback(calendar_id)
            row["action_text"] = t_known(f"action_{entry.get('action')}", str(entry["action"]))
            row["result_text"] = t_known(f"result_{entry.get('result')}", str(entry["result"]))
            rows.append(row)
            if len(rows) == ROWS_SHOWN:
                break
    return rows


def underway_rows(
    rt: Runtime, search: Search, rooms: dict[int, str], states: dict[str, ConnectionState]
) -> list[dict[str, Any]]:
    """Each booking under way, with why it waits and what happens next."""
    routes = rt.store.routes.routes()
    scheduled = ScheduledJobRegistry(queue=rt.queue)
    rows = []
    for raw in underway.rows(rt.redis, rt.keys)[:ROWS_SHOWN]:
        row = _named(raw, rooms, routes)
        if not search.matches(row):
            continue
        provider = raw.get("service") or ""
        name = provider.capitalize()
        state = raw.get("state", "retrying")
        if state == "parked" and states.get(provider, ConnectionState("ok")).state == "reconnect":
            why = t("wait_why_reconnect", provider=name)
            then = t("wait_next_reconnect", button=t("reconnect", provider=name))
        elif state == "parked":
            state, why, then = "replaying", t("state_replaying"), t("wait_next_now")
        else:
            why = t("wait_why_down", provider=name) if provider else t("wait_why_busy")
            then = _next_try(scheduled, raw["message_id"])
        row.update(state=state, state_text=t("state_" + state), why=why, then=then)
        rows.append(row)
    return rows


def _next_try(scheduled: ScheduledJobRegistry, message_id: int) -> str:
    """When the message's retry is due, in venue time, if it waits in RQ's schedule."""
    with contextlib.suppress(NoSuchJobError):
        due = scheduled.get_scheduled_time(job_id(message_id))
        return t("wait_next_at", time=clock(due.replace(tzinfo=due.tzinfo or UTC).timestamp()))
    return t("wait_next_soon")


def _named(
    entry: dict[str, Any], rooms: dict[int, str], routes: dict[int, Route]
) -> dict[str, Any]:
    """An entry with its room's name, its booking's time, and its customer only where the
    room's privacy level (now) shows names."""
    room_id = entry.get("room_id")
    room = int(str(room_id)) if room_id is not None and str(room_id).isdigit() else None
    route = routes.get(room, Route(room_id=room or 0)) if room is not None else None
    shows_names = route is not None and route.privacy != "time_only"
    return {
        **entry,
        "room": rooms.get(room, t("room_n", id=room)) if room is not None else "",
        "booked_for": " ".join(filter(None, (entry.get("date"), entry.get("hour")))),
        "customer": entry.get("customer", "") if shows_names else "",
    }


def _calendar_fallback(calendar_id: str) -> str:
    return t("primary_calendar") if calendar_id == "primary" else calendar_id


def clock(stamp: float) -> str:
    """A UNIX time as the venue's wall clock (hours and minutes; the day when not today)."""
    tz = runtime().settings.tz
    moment = datetime.fromtimestamp(stamp, tz)
    today = datetime.now(tz).date()
    return moment.strftime("%H:%M" if moment.date() == today else "%Y-%m-%d %H:%M")
