"""The sandbox's demo venue, and what a person may enter for a booking there.

Three rooms of an escape-room venue in two calendars, so that a move between rooms shows
as an event leaving one calendar for another, and two rooms sharing a calendar show why
each room has its own colour. A third calendar, "Closed", is the blocks calendar of the
two front-desk rooms: a busy staff event there closes their Lockme slots (``docs/blocks.md``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


class SandboxError(Exception):
    """The sandbox cannot start or cannot do what was asked; the message says why.

    A refusal a person meets on the sandbox page also names its text there (``key``, with
    ``values``), so the page says it in its own language; the message is the terminal's.
    """

    def __init__(self, message: str, key: str = "", **values: str) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class DemoRoom:
    """A room of the demo venue, its calendar and its colour (a Google event colour id)."""

    room_id: int
    name: str
    calendar_id: str
    calendar_name: str
    color_id: str


DEMO_ROOMS = (
    DemoRoom(5101, "Pharaoh's Tomb", "front-desk@sandbox.example", "Front desk", "4"),
    DemoRoom(5102, "Prison Break", "front-desk@sandbox.example", "Front desk", "7"),
    DemoRoom(5103, "Haunted Manor", "haunted-manor@sandbox.example", "Haunted Manor", "10"),
)
# The "venue closed" calendar the front-desk rooms take blocks from.
BLOCKS_CALENDAR_ID = "closed@sandbox.example"
BLOCKS_CALENDAR_NAME = "Closed"
BLOCKED_ROOMS = (5101, 5102)
VENUE = "Escape Sandbox"
LOCKME_NICK = "escape-sandbox"
GOOGLE_ACCOUNT = "staff@sandbox.example"
PAID_ANSWERS = {"yes": 1, "true": 1, "1": 1, "no": 0, "false": 0, "0": 0}


def room(ident: str | int) -> DemoRoom:
    """A demo room by id or by name (case-insensitive)."""
    text = str(ident).strip()
    for candidate in DEMO_ROOMS:
        if text == str(candidate.room_id) or text.casefold() == candidate.name.casefold():
            return candidate
    names = ", ".join(f"{r.room_id} ({r.name})" for r in DEMO_ROOMS)
    raise SandboxError(f"no room {text!r} in the sandbox; its rooms are {names}")


def booking_fields(fields: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """Validate a booking's fields as the sandbox page and CLI send them; Lockme's own
    names out (``roomid``, ``name``/``surname``…)."""
    changes: dict[str, Any] = {}
    for key in ("room", "date", "hour"):
        if required and not str(fields.get(key) or "").strip():
            raise SandboxError(f"{key} is required")
    if fields.get("room") not in (None, ""):
        changes["roomid"] = room(fields["room"]).room_id
    if fields.get("date") not in (None, ""):
        changes["date"] = _date(str(fields["date"]))
    if fields.get("hour") not in (None, ""):
        changes["hour"] = _hour(str(fields["hour"]))
    if fields.get("name") not in (None, ""):
        first, _, last = str(fields["name"]).strip().partition(" ")
        changes["name"], changes["surname"] = first[:60], last.strip()[:60]
    if fields.get("people") not in (None, ""):
        people = str(fields["people"]).strip()
        if not people.isdigit() or not 1 <= int(people) <= 20:
            raise SandboxError("people must be a whole number from 1 to 20")
        changes["people"] = int(people)
    if fields.get("phone") not in (None, ""):
        changes["phone"] = str(fields["phone"]).strip()[:30]
    if fields.get("paid") not in (None, ""):
        changes["status"] = _paid(fields["paid"])
    return changes


def _paid(value: Any) -> int:
    """Lockme's ``status``: 1 paid, 0 an unpaid lock.me hold (released unless paid)."""
    text = str(value).strip().casefold()
    if text in PAID_ANSWERS:
        return PAID_ANSWERS[text]
    raise SandboxError(f"paid {value!r} is not yes or no")


def _date(value: str) -> str:
    try:
        time.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise SandboxError(f"date {value!r} is not YYYY-MM-DD") from None
    return value


def _hour(value: str) -> str:
    """``HH:MM`` (seconds dropped): Lockme's hour is ``HH:MM:SS``."""
    try:
        parsed = time.strptime(value[:5], "%H:%M")
    except ValueError:
        raise SandboxError(f"hour {value!r} is not HH:MM") from None
    return time.strftime("%H:%M:00", parsed)
