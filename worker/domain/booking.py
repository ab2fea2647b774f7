"""Pure functions: a Lockme message → a validated booking → a Google Calendar event body.

Nothing here does I/O, so every rule about dates, time zones, privacy and content can be
tested exhaustively and fuzzed cheaply.

Time-zone policy (documented in the README): Lockme sends a naive local date and hour.
On a DST night a *nonexistent* local time (spring forward, e.g. 02:30 in Warsaw) is moved
forward by the length of the gap (02:30 → 03:30 summer time), and a *repeated* local time
(fall back) is read as its first occurrence (summer time). Both follow from ``fold=0``,
which is also what Python and Google do by default, so the calendar and this code agree.
The end is the start plus the room's duration in *elapsed* minutes, computed in UTC.

Unpaid holds: a booking made on lock.me (``source: "web"``) with ``status`` 0 is a hold that
Lockme releases after about 20 minutes unless the customer pays. It is written as a
``tentative`` event whose summary starts with a marker (``VenueWords.hold_marker``, in the
venue's language; at every privacy level, the
room's title template after it); the edit that pays it (``status`` 1) makes it ``confirmed``
without the marker, and the release arrives as a delete like any other. Only ``web`` holds:
a ``panel``, ``widget`` or ``api`` booking with ``status`` 0 is a booking to be paid later
(on site, by transfer), not a hold Lockme will release, so it stays a confirmed event whose
description says "Payment: unpaid". A room whose ``Route.holds`` is ``hide`` gets no event
for a hold (an existing one is removed) until it is paid.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from worker.domain.identity import private_properties
from worker.domain.wording import VENUE_WORDS, VenueWords

ACTIONS = ("add", "edit", "delete", "test")
PRIVACY_LEVELS = ("full", "no_contact", "time_only")
# How a room shows unpaid holds: ``show`` as tentative, marked events; ``hide`` not at all.
HOLDS_SETTINGS = ("show", "hide")
HOLD_SOURCE = "web"
DEFAULT_TITLE = "{room}: {name} {surname}"
MAX_ID = 10**18
FIELD_LIMIT = 200
COMMENT_LIMIT = 2000
TEMPLATE_FIELDS = (
    "room",
    "name",
    "surname",
    "people",
    "phone",
    "email",
    "price",
    "status",
    "source",
    "reservation",
    "comment",
)
_HOUR = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class MalformedMessage(ValueError):
    """The message cannot be turned into a calendar change; the text says why, for staff."""


@dataclass(frozen=True)
class Booking:
    """One Lockme reservation as far as the calendar cares."""

    reservation_id: int
    room_id: int
    date: date
    hour: time
    name: str = ""
    surname: str = ""
    email: str = ""
    phone: str = ""
    people: int | None = None
    price: str = ""
    comment: str = ""
    paid: bool = False
    source: str = ""

    @property
    def is_hold(self) -> bool:
        """An unpaid lock.me booking, which Lockme releases unless paid (module docstring)."""
        return not self.paid and self.source.lower() == HOLD_SOURCE


@dataclass(frozen=True)
class Message:
    """A validated webhook message. ``booking`` is set for add/edit, ids for every non-test."""

    message_id: int
    action: str
    room_id: int | None = None
    reservation_id: int | None = None
    booking: Booking | None = None


@dataclass(frozen=True)
class Route:
    """Where a room's bookings go and how they look.

    A room nobody has set up yet gets ``no_contact``: the customer's name and party size,
    never their phone, e-mail or comment, like Lockme's own RODO mode. Showing more is a
    choice staff make per room on the rooms page. ``holds`` (one of ``HOLDS_SETTINGS``)
    says whether unpaid holds appear; routes saved before it existed read as ``show``.
    """

    room_id: int
    calendar_id: str = "primary"
    duration_minutes: int | None = None
    color_id: str = ""
    title_template: str = ""
    privacy: str = "no_contact"
    room_name: str = ""
    holds: str = "show"

    def shows(self, booking: Booking) -> bool:
        """Whether the booking gets an event in this room's calendar at all."""
        return self.holds != "hide" or not booking.is_hold


def positive_id(value: Any, what: str) -> int:
    """Accept an int or a numeric string in 1..10^18; Lockme's types are not documented."""
    if isinstance(value, bool):
        raise MalformedMessage(f"{what} {value!r} is not an id")
    # isascii: str.isdigit() also accepts digits int() refuses, such as "¹".
    digits = value.strip() if isinstance(value, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        value = int(digits)
    if isinstance(value, int) and 1 <= value < MAX_ID:
        return value
    raise MalformedMessage(f"{what} {_short(value)} is not an id")


def parse_date(value: Any) -> date:
    match = _DATE.match(value) if isinstance(value, str) else None
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise MalformedMessage(f"date {_short(value)} is not a date (YYYY-MM-DD)")


def parse_hour(value: Any) -> time:
    match = _HOUR.match(value.strip()) if isinstance(value, str) else None
    try:
        if match:
            return time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        pass
    raise MalformedMessage(f"hour {_short(value)} is not a time")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def _text(value: Any, limit: int = FIELD_LIMIT) -> str:
    """Cosmetic fields never reject a booking: coerce, strip control characters, cap length."""
    if value is None or isinstance(value, dict | list):
        return ""
    text = _CONTROL.sub("", str(value)).strip()
    return text[:limit]


def _people(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value < 10_000:
        return value
    digits = value.strip() if isinstance(value, str) else ""
    # isascii: "²".isdigit() is true, and int() refuses it.
    if digits.isascii() and digits.isdigit() and len(digits) < 5:
        return int(digits)
    return None


def _paid(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip() not in ("", "0", "false", "False")
    return bool(value) if isinstance(value, int | bool) else False


def parse_booking(data: Any, reservation_id: int, room_id: int) -> Booking:
    """Validate the ``data`` of an add/edit message, or a reservation read from the API."""
    if not isinstance(data, dict):
        raise MalformedMessage(f"data is {_short(data)}, not an object")
    return Booking(
        reservation_id=reservation_id,
        room_id=room_id,
        date=parse_date(data.get("date")),
        hour=parse_hour(data.get("hour")),
        name=_text(data.get("name")),
        surname=_text(data.get("surname")),
        email=_text(data.get("email")),
        phone=_text(data.get("phone")),
        people=_people(data.get("people")),
        price=_text(data.get("price"), 32),
        comment=_text(data.get("comment"), COMMENT_LIMIT),
        paid=_paid(data.get("status")),
        source=_text(data.get("source"), 32),
    )


def parse_message(message_id: int, payload: Any) -> Message:
    """Turn the JSON of ``GET /message/{id}`` into a :class:`Message` or raise MalformedMessage.

    A delete keys on the top-level ids alone: its ``data`` may be an object, ``[]`` (how
    PHP encodes an empty array), ``{}``, null or missing, and none of those stops it.
    """
    if not isinstance(payload, dict):
        raise MalformedMessage(f"message is {_short(payload)}, not an object")
    action = payload.get("action")
    if action not in ACTIONS:
        raise MalformedMessage(f"unknown action {_short(action)}")
    if action == "test":
        return Message(message_id, "test")
    data = payload.get("data")
    if action == "delete" and not isinstance(data, dict):
        data = {}
    if not isinstance(data, dict):
        raise MalformedMessage(f"data is {_short(data)}, not an object")
    reservation_id = positive_id(payload.get("reservationid"), "reservationid")
    room_raw = payload.get("roomid")
    room_id = positive_id(room_raw if room_raw not in (None, "") else data.get("roomid"), "roomid")
    booking = None if action == "delete" else parse_booking(data, reservation_id, room_id)
    return Message(message_id, action, room_id, reservation_id, booking)


# What a failure record keeps of a malformed message: the keys parse_message reads, each
# field of ``data`` only when the room's privacy level shows it on the event (replay writes
# nothing else), and no value longer than the event holds of it: about 4 KB at most.
MESSAGE_KEYS = ("action", "reservationid", "roomid")
_WHEN = ("date", "hour", "roomid", "people", "status", "source")
_NAMES = ("name", "surname")
BOOKING_KEYS = {
    "full": (*_WHEN, *_NAMES, "email", "phone", "price", "comment"),
    "no_contact": (*_WHEN, *_NAMES),
    "time_only": _WHEN,
}


def _kept(value: Any, limit: int = FIELD_LIMIT) -> Any:
    """A scalar as it is (a string cut to what the event holds of it); a nested value,
    which no field is read from, as None."""
    if isinstance(value, str):
        return value[:limit]
    return value if isinstance(value, int | float | bool) or value is None else None


def replay_payload(payload: Any, privacy: str) -> dict[str, Any] | None:
    """What replay needs of a malformed message at ``privacy``: the message's keys and the
    booking fields the room's event shows, bounded. None when it is no object at all
    (replay then reads the message from Lockme again)."""
    if not isinstance(payload, dict):
        return None
    kept: dict[str, Any] = {key: _kept(payload.get(key)) for key in MESSAGE_KEYS if key in payload}
    data = payload.get("data")
    if isinstance(data, dict):
        fields = BOOKING_KEYS.get(privacy, BOOKING_KEYS["time_only"])
        kept["data"] = {
            key: _kept(data[key], COMMENT_LIMIT if key == "comment" else FIELD_LIMIT)
            for key in fields
            if key in data
        }
    elif "data" in payload:
        kept["data"] = _kept(data)
    return kept


def confirmed_booking(current: Any, known: Booking) -> Booking:
    """The booking as Lockme's reservation read has it, or ``known`` (what the message
    said) when that answer cannot be parsed: nothing promises the read has a message's
    fields, and a valid add must not fail on a shape nobody has seen
    (``worker.gateways.lockme_shapes``
    records it, so the status page shows what came)."""
    try:
        return parse_booking(current, known.reservation_id, known.room_id)
    except MalformedMessage:
        return known


def event_id(reservation_id: int) -> str:
    """Deterministic Google event id: base32hex-safe (``lockme`` uses only a–v) and ≥ 5 chars.

    Deterministic ids are what make a retried insert whose response was lost harmless (409
    instead of a duplicate) and let a lost store find events again.
    """
    return f"lockme{reservation_id}"


def local_span(day: date, hour: time, tz: ZoneInfo, minutes: int) -> tuple[datetime, datetime]:
    """Start and end as aware datetimes in ``tz``; see the module docstring for DST rules."""
    naive = datetime.combine(day, hour)
    start = naive.replace(tzinfo=tz, fold=0)
    # A nonexistent time normalises through UTC to the wall time after the gap.
    start = start.astimezone(UTC).astimezone(tz)
    end = (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)
    return start, end


def render_title(template: str, values: dict[str, str], language: str = "en") -> str:
    """Fill ``{field}`` placeholders; unknown ones stay literal (no format-string tricks)."""
    text = _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template or DEFAULT_TITLE)
    empty = VENUE_WORDS[language].booking.format(id=values["reservation"])
    return re.sub(r"\s+", " ", text).strip(" :-") or empty


def unknown_placeholders(template: str) -> list[str]:
    """Placeholders that :func:`render_title` would leave literal, so a form can reject them."""
    return [name for name in _PLACEHOLDER.findall(template) if name not in TEMPLATE_FIELDS]


def template_values(booking: Booking, route: Route, language: str = "en") -> dict[str, str]:
    """Booking fields visible at the route's privacy level (hidden ones render empty), in
    the venue's ``language`` where the app supplies the words.

    The comment is free text in which customers often leave a phone number or an e-mail
    address, so it is shown only at ``full``: the levels below promise no contact data."""
    full = route.privacy == "full"
    named = route.privacy in ("full", "no_contact")
    words = VENUE_WORDS[language]
    return {
        "room": route.room_name or words.room.format(id=booking.room_id),
        "name": booking.name if named else "",
        "surname": booking.surname if named else "",
        "people": "" if booking.people is None else str(booking.people),
        "phone": booking.phone if full else "",
        "email": booking.email if full else "",
        "price": booking.price if full else "",
        "status": words.paid if booking.paid else words.unpaid,
        "source": booking.source,
        "reservation": str(booking.reservation_id),
        "comment": booking.comment if full else "",
    }


def _one_line(text: str) -> str:
    """Any run of whitespace, line breaks of every kind included, as one space."""
    return " ".join(text.split())


def describe(
    booking: Booking, values: dict[str, str], words: VenueWords = VENUE_WORDS["en"]
) -> str:
    """Event description: one ``Label: value`` line per field, then the customer's comment.

    Customers write the name and the comment, so neither may forge a line that staff would
    read as ours ("Payment: paid"): field values are folded onto their one line, and the
    comment comes last, under its own heading, each of its lines quoted with ``> ``. Values
    are HTML-escaped because Google renders descriptions as HTML.
    """
    rows = [
        (words.reservation, values["reservation"]),
        (words.people, values["people"]),
        (words.phone, values["phone"]),
        (words.email, values["email"]),
        (words.price, values["price"]),
        (words.payment, values["status"]),
        (words.source, values["source"]),
    ]
    lines = [f"{label}: {html.escape(_one_line(value))}" for label, value in rows if value]
    comment = [line.strip() for line in values["comment"].splitlines() if line.strip()]
    if comment:
        lines.append(words.comment_heading)
        lines += [f"> {html.escape(line)}" for line in comment]
    return "\n".join(lines)


def event_body(
    booking: Booking,
    route: Route,
    tz: ZoneInfo,
    default_minutes: int,
    stamp: int,
    language: str = "en",
) -> dict[str, Any]:
    """The full event resource (used with insert and update, which replaces every field).

    ``stamp`` is the id of the message whose state this is; it is stored on the event so
    that ordering survives the loss of the store. ``language`` is the venue's: staff read
    the marker and labels in their own calendar.
    """
    minutes = route.duration_minutes or default_minutes
    start, end = local_span(booking.date, booking.hour, tz, minutes)
    values = template_values(booking, route, language)
    title = render_title(route.title_template, values, language)
    words = VENUE_WORDS[language]
    body: dict[str, Any] = {
        "id": event_id(booking.reservation_id),
        "status": "tentative" if booking.is_hold else "confirmed",
        "summary": ((words.hold_marker if booking.is_hold else "") + title)[:FIELD_LIMIT],
        "description": describe(booking, values, words),
        "start": {"dateTime": start.isoformat(), "timeZone": tz.key},
        "end": {"dateTime": end.isoformat(), "timeZone": tz.key},
        "extendedProperties": {
            "private": private_properties(booking.reservation_id, booking.room_id, stamp)
        },
    }
    if route.color_id:
        body["colorId"] = route.color_id
    return body


def event_matches(event: dict[str, Any], body: dict[str, Any]) -> bool:
    """True when a stored event already shows ``body`` (used by reconcile to skip writes).

    The status is part of it: a hold's event is tentative, a paid one's confirmed, and an
    event with no status is confirmed (Google's default)."""
    keys = ("summary", "description", "colorId")
    same_fields = all(event.get(k, "") == body.get(k, "") for k in keys)
    same_times = all(
        _instant(event.get(side, {})) == _instant(body[side]) for side in ("start", "end")
    )
    same_status = event.get("status", "confirmed") == body["status"]
    return same_status and same_fields and same_times


def _instant(when: dict[str, Any]) -> datetime | None:
    raw = when.get("dateTime")
    if not raw:
        return None
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is None and when.get("timeZone"):
        moment = moment.replace(tzinfo=ZoneInfo(when["timeZone"]))
    return moment.astimezone(UTC)
