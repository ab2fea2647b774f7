"""A room's slots in the fake Lockme: the hours each weekday has and each date's exception,
set by a test (or :data:`DEFAULT_SLOTS`), served at ``/room/{r}/day/{0..6}`` and
``/room/{r}/date/{d}`` in the dialect's forms, and which live reservation holds a slot."""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.wrappers import Response

from worker.sandbox.faults import Faults
from worker.sandbox.lockme_bodies import DATE_RE, hhmmss, lockme_message
from worker.sandbox.lockme_dialect import nothing, slots_answer
from worker.sandbox.lockme_reservations import LockmeBook, public

# A room's slots unless a test sets others: every day 10:00 to 22:00, every 90 minutes.
DEFAULT_SLOTS = tuple(
    f"{(10 * 60 + 90 * i) // 60:02d}:{(10 * 60 + 90 * i) % 60:02d}:00" for i in range(9)
)


def _hour(value: str) -> str:
    """A test's hour as ``HH:MM:SS``; anything else is a mistake in the test."""
    hour = hhmmss(value)
    if hour is None:
        raise ValueError(f"{value!r} is not an hour")
    return hour


class SlotSettings(LockmeBook):
    """Each room's slot settings, and the slots' holders."""

    def __init__(self, faults: Faults | None, timezone: str, nick: str, userid: int) -> None:
        super().__init__(faults, timezone, nick, userid)
        self.day_slots: dict[int, dict[int, list[str]]] = {}
        """room id -> weekday (0 = Monday) -> its slot hours, where a test set them."""
        self.date_slots: dict[int, dict[str, list[str]]] = {}
        """room id -> date -> the hours of that date's exception."""

    def set_day_slots(self, roomid: int, weekday: int, hours: list[str]) -> None:
        """Set a room's slots on one weekday (0 = Monday); ``[]`` closes that day."""
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday {weekday} is not 0..6")
        with self.lock:
            self.day_slots.setdefault(int(roomid), {})[weekday] = [_hour(h) for h in hours]

    def set_date_slots(self, roomid: int, day: str, hours: list[str] | None) -> None:
        """Give a date an exception with these hours; ``None`` or ``[]`` removes it."""
        with self.lock:
            exceptions = self.date_slots.setdefault(int(roomid), {})
            if hours:
                exceptions[day] = [_hour(h) for h in hours]
            else:
                exceptions.pop(day, None)

    def weekday_slots(self, roomid: int, weekday: int) -> list[str]:
        """A weekday's slot hours (``HH:MM:SS``): what a test set, or :data:`DEFAULT_SLOTS`."""
        with self.lock:
            return list(self.day_slots.get(int(roomid), {}).get(weekday, DEFAULT_SLOTS))

    def slot_hours(self, roomid: int, day: str) -> list[str]:
        """The hours a date really has: its exception when it has one, else its weekday's."""
        with self.lock:
            exception = self.date_slots.get(int(roomid), {}).get(day)
            if exception:
                return list(exception)
            return self.weekday_slots(roomid, date.fromisoformat(day).weekday())

    def holder(self, roomid: int, day: str, hour: str) -> dict[str, Any] | None:
        """The live reservation holding a slot, if any."""
        wanted = hhmmss(hour)
        with self.lock:
            for reservation in self.reservations.values():
                if (
                    not reservation["deleted"]
                    and reservation["roomid"] == int(roomid)
                    and reservation["date"] == day
                    and hhmmss(reservation["hour"]) == wanted
                ):
                    return public(reservation)
        return None

    def _settings_answer(self, roomid: int, kind: str, raw: str) -> Response:
        """``GET /room/{r}/day/{0..6}`` or ``GET /room/{r}/date/{YYYY-MM-DD}``."""
        if kind == "day":
            if raw not in tuple("0123456"):
                return lockme_message(400, "Invalid day")
            hours = self.weekday_slots(roomid, int(raw))
            return slots_answer(self.dialect, hours) if hours else nothing(self.dialect.closed)
        if not DATE_RE.match(raw):
            return lockme_message(400, "Invalid date")
        exception = self.date_slots.get(roomid, {}).get(raw)
        if exception:
            return slots_answer(self.dialect, exception)
        form = self.dialect.no_exception
        return lockme_message(404, "No exception") if form == "404" else nothing(form)
