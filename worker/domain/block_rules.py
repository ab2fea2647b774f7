"""Pure rules of Calendar → Lockme blocks: which events block, which slots, and the plan.

Nothing here does I/O, so the rules that decide what is written into a venue's live Lockme
account can be tested exhaustively. Lockme's own Google integration is the model: an event
in the blocks calendar blocks every slot of the room whose *start* falls inside
[event start, event end); deleting the event frees them.

What counts as blocking (docs/interface.md, "Calendar → Lockme blocks"): a busy event
(``transparency`` opaque or absent), not cancelled, not an invitation the calendar's owner
has left unaccepted (``left_unaccepted``), and not written by this product
(``worker.domain.identity.is_ours``: a booking event read back as a block would block the
very slot it shows). All-day events block from the local midnight of their
first day to the local midnight after their last, in the venue's zone; Google marks all-day
events free by default, so only those staff made busy count.

The plan keeps one block per slot even when several events cover it: the slot's block stays
with the event that made it while that event covers the slot, moves to another covering
event without any Lockme write when it stops (``rehome``), and is freed only when no event
covers the slot any more. So overlapping events never make a second reservation for a slot
(Lockme would refuse it as taken, and staff would be told a customer holds it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from worker.domain.identity import block_extid, is_ours
from worker.domain.printable import printable
from worker.domain.wording import VENUE_WORDS

# What the reservation says in Lockme's panel (``VenueWords.block_label``, in the venue's
# language), so staff know where it comes from and where to change it; the event's title
# follows it where the room's privacy level names people.
TITLE_LIMIT = 100
# Privacy levels at which the event's title may appear in Lockme (see booking.PRIVACY_LEVELS).
TITLED_PRIVACY = ("full", "no_contact")
# The mass-removal guard: a plan that frees more than this many blocks at once, or at least
# half the blocks of a room that has HALF_MIN_BLOCKS or more, waits for a person unless every
# removal is explained by an event a read saw change (or a person confirmed).
GUARD_MAX_FREES = 20
HALF_MIN_BLOCKS = 4
# The creation guard: the new blocks of an event a read saw appear or move wait for a person
# when there are more than this many, or when they reach across a week or more of one room
# (a long event closes every slot it spans; a week of closure is a person's decision).
GUARD_MAX_CREATES = 50
GUARD_MAX_CREATE_SPAN = timedelta(days=7)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# The ledger's state of a block whose reservation exists (``worker.stores.block_ledger``).
MADE = "made"


@dataclass(frozen=True)
class Span:
    """An event's blocking interval, as aware UTC instants: [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class SlotPlan:
    """One slot an event should block: the reservation the product makes in Lockme for it."""

    extid: str
    room_id: int
    day: date
    hour: time
    calendar_id: str
    event_id: str
    label: str

    @property
    def slot(self) -> str:
        return slot_key(self.room_id, self.day, self.hour)

    def body(self) -> dict[str, Any]:
        """The create's body: the label staff see, nobody's data, nothing to pay, confirmed
        (an API reservation with status 0 might be released like a web hold)."""
        return {
            "roomid": self.room_id,
            "date": self.day.isoformat(),
            "hour": self.hour.strftime("%H:%M:%S"),
            "extid": self.extid,
            "name": self.label,
            "surname": "",
            "people": 0,
            "price": 0,
            "pricer": "API",
            "status": 1,
            "comment": "",
        }


class Made(Protocol):
    """What the plan reads of a block the ledger holds
    (``worker.stores.block_ledger.BlockRecord``)."""

    @property
    def extid(self) -> str: ...
    @property
    def room_id(self) -> int: ...
    @property
    def date(self) -> str: ...
    @property
    def hour(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def state(self) -> str: ...


@dataclass(frozen=True)
class Rehome:
    """A block that stays in Lockme but now belongs to another event covering its slot."""

    extid: str
    event_id: str


@dataclass
class Plan:
    """What one sync of a blocks calendar will do. ``held`` says why the frees wait for a
    person; ``held_creates`` are the creates that wait, and ``creates_held`` says why."""

    create: list[SlotPlan] = field(default_factory=list)
    free: list[Made] = field(default_factory=list)
    rehome: list[Rehome] = field(default_factory=list)
    held: str | None = None
    held_creates: list[SlotPlan] = field(default_factory=list)
    creates_held: str | None = None

    @property
    def writes(self) -> int:
        return len(self.create) + (0 if self.held else len(self.free))


def slot_key(room_id: int, day: date | str, hour: time | str) -> str:
    """``room:YYYY-MM-DD:HH:MM``, the one spelling of a slot (the ledger's hashes use it)."""
    day_text = day if isinstance(day, str) else day.isoformat()
    hour_text = hour[:5] if isinstance(hour, str) else hour.strftime("%H:%M")
    return f"{room_id}:{day_text}:{hour_text}"


def slot_start(day: date, hour: time, tz: ZoneInfo) -> datetime:
    """A slot's start as an aware UTC instant, by the booking rule of ``worker.domain.booking``
    (a nonexistent local time moves forward by the gap, a repeated one is the first)."""
    return datetime.combine(day, hour).replace(tzinfo=tz, fold=0).astimezone(UTC)


def _instant(when: Any, tz: ZoneInfo) -> datetime | None:
    if not isinstance(when, dict):
        return None
    if when.get("dateTime"):
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            zone = when.get("timeZone")
            moment = moment.replace(tzinfo=ZoneInfo(zone) if zone else tz)
        return moment.astimezone(UTC)
    if when.get("date"):
        day = date.fromisoformat(str(when["date"]))
        return datetime.combine(day, time()).replace(tzinfo=tz).astimezone(UTC)
    return None


def left_unaccepted(event: dict[str, Any]) -> bool:
    """Whether the event is an invitation the calendar's owner has not accepted: it lists
    the calendar among its attendees (``self``) with any answer but ``accepted`` (not
    answered yet, maybe, no). Anyone may invite a calendar, so an invitation closes slots
    only once the owner says yes. The owner's own event (``organizer.self``, or no
    attendee entry for the calendar) is no invitation and blocks, unless they declined it."""
    attendees = event.get("attendees")
    if not isinstance(attendees, list):
        return False
    answers = [a.get("responseStatus") for a in attendees if isinstance(a, dict) and a.get("self")]
    if not answers:
        return False
    organizer = event.get("organizer")
    if isinstance(organizer, dict) and organizer.get("self"):
        return "declined" in answers
    return "accepted" not in answers


def blocking_span(event: dict[str, Any], tz: ZoneInfo) -> Span | None:
    """The interval an event blocks, or None when it does not block at all."""
    if event.get("status") == "cancelled" or is_ours(event):
        return None
    if event.get("transparency") not in (None, "", "opaque"):
        return None
    if left_unaccepted(event):
        return None
    try:
        start, end = _instant(event.get("start"), tz), _instant(event.get("end"), tz)
    except (ValueError, TypeError, KeyError):
        return None
    if start is None or end is None or end <= start:
        return None
    return Span(start, end)


def covered_slots(
    span: Span,
    hours_for: Callable[[date], list[time]],
    tz: ZoneInfo,
    *,
    now: datetime,
    until: datetime,
) -> list[tuple[date, time]]:
    """The slots whose start falls inside ``span``, from ``now`` to ``until`` (the horizon).

    ``hours_for`` gives a date's slot hours (the day's settings or its exception); it is asked
    only for the dates the span touches, so a sync reads only the dates that have blocks.
    """
    first = max(span.start, now)
    last = min(span.end, until)
    if last <= first:
        return []
    found: list[tuple[date, time]] = []
    # A day earlier than the local date of the start: a slot of the previous date may fall
    # inside the span across a DST gap.
    day = first.astimezone(tz).date() - timedelta(days=1)
    while day <= last.astimezone(tz).date():
        for hour in sorted(set(hours_for(day))):
            moment = slot_start(day, hour, tz)
            if span.start <= moment < span.end and now <= moment < until:
                found.append((day, hour))
        day += timedelta(days=1)
    return found


def one_line(text: Any, limit: int = TITLE_LIMIT) -> str:
    """An event's title as one short line of plain text, as long as the label and the status
    page show it: line breaks and the other C0 controls folded to a space, then the
    terminal's filter (``printable``) for the rest, so that a C1 control or a bidi override in
    an outsider's title cannot hide or reorder what Lockme's panel shows. The feed stores no
    more of it, so a title of any length costs the same few bytes, once per event."""
    cleaned = _CONTROL.sub(" ", str(text or "")).strip()
    return printable(cleaned)[:limit]


def block_label(title: str, privacy: str, language: str = "en") -> str:
    """The reservation's name in Lockme: the label, and the title where privacy allows."""
    shown = one_line(title) if privacy in TITLED_PRIVACY else ""
    label = VENUE_WORDS[language].block_label
    return f"{label}: {shown}" if shown else label


@dataclass(frozen=True)
class Snapshot:
    """A blocking event as the feed keeps it (the title cut as the label shows it)."""

    event_id: str
    span: Span
    title: str

    @classmethod
    def from_event(cls, event: dict[str, Any], tz: ZoneInfo) -> Snapshot | None:
        """From a Google event, or None when it does not block."""
        span = blocking_span(event, tz)
        if span is None or not event.get("id"):
            return None
        return cls(str(event["id"]), span, one_line(event.get("summary")))

    @classmethod
    def read(cls, raw: dict[str, Any]) -> Snapshot | None:
        """From the feed's stored form (``start``/``end`` ISO instants); None if unreadable."""
        try:
            start = datetime.fromisoformat(str(raw["start"]).replace("Z", "+00:00"))
            end = datetime.fromisoformat(str(raw["end"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return None
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            return None
        span = Span(start.astimezone(UTC), end.astimezone(UTC))
        return cls(str(raw["id"]), span, one_line(raw.get("summary")))


def plan(
    calendar_id: str,
    rooms: dict[int, str],
    events: Iterable[Snapshot],
    made: Iterable[Made],
    hours_for: Callable[[int, date], list[time]],
    tz: ZoneInfo,
    *,
    now: datetime,
    until: datetime,
    explained: set[str] | None = None,
    sudden: set[str] | None = None,
    waiting: set[str] | None = None,
    force: bool = False,
    language: str = "en",
) -> Plan:
    """What to write so that Lockme's blocks of ``rooms`` (room id → privacy level) equal
    the slots the calendar's blocking ``events`` cover.

    ``made`` are the ledger's records of this calendar's blocks. A *pending* one (its create
    was cut short) whose slot is still wanted is planned again under its own extid, which
    the writer completes (it looks the extid up before creating). Past slots are left alone
    both ways: a block whose slot has started is history, not a plan.

    Two guards make a surprising plan wait for a person, unless ``force`` (a person
    confirmed it, or turned the room's blocks off). ``explained`` names the events whose
    removal a read saw (or a person confirmed): frees of other events' blocks are what the
    removal guard weighs. ``sudden`` names the events a read saw appear or change: their
    new blocks are what the creation guard weighs. ``waiting`` names events whose creates
    an earlier plan held and no read has changed since: they keep waiting.
    ``language`` is the venue's, that of the blocks' label.
    """
    covering: dict[str, list[tuple[Snapshot, int, date, time]]] = {}
    for event in sorted(events, key=lambda e: (e.span.start, e.event_id)):
        for room_id in sorted(rooms):
            for day, hour in covered_slots(
                event.span, partial(hours_for, room_id), tz, now=now, until=until
            ):
                covering.setdefault(slot_key(room_id, day, hour), []).append(
                    (event, room_id, day, hour)
                )
    result = Plan()
    future: list[Made] = []
    taken: set[str] = set()
    for record in made:
        start = _record_start(record, tz)
        if start is None or start < now:
            continue
        future.append(record)
        key = slot_key(record.room_id, record.date, record.hour)
        candidates = covering.get(key, [])
        if key in taken or record.room_id not in rooms or not candidates:
            # Not wanted, or a second record of one slot (this planner never makes one).
            result.free.append(record)
            continue
        taken.add(key)
        here = {c[0].event_id: c for c in candidates}
        owner = here.get(record.event_id, candidates[0])
        if record.state != MADE:
            event, room_id, day, hour = owner
            label = block_label(event.title, rooms[room_id], language)
            result.create.append(_slot_plan(record.extid, calendar_id, owner, label))
        elif record.event_id not in here:
            result.rehome.append(Rehome(record.extid, owner[0].event_id))
    for key, candidates in covering.items():
        if key in taken:
            continue
        event, room_id, day, hour = candidates[0]
        extid = block_extid(calendar_id, event.event_id, room_id, day, hour)
        label = block_label(event.title, rooms[room_id], language)
        result.create.append(_slot_plan(extid, calendar_id, candidates[0], label))
    result.create.sort(key=lambda p: (p.day, p.hour, p.room_id))
    if not force:
        result.held = guard(result.free, future, explained or set())
        _hold_creates(result, sudden or set(), waiting or set())
    return result


def _hold_creates(result: Plan, sudden: set[str], waiting: set[str]) -> None:
    """Move the creates the creation guard holds from ``result.create`` to
    ``result.held_creates``: those of each ``sudden`` event that trips it, and those of
    events still ``waiting`` from an earlier plan. Other creates go ahead, so a held event
    never keeps staff's everyday changes from Lockme.

    The guard weighs one event at a time, not a read's sum: how many changes one read
    gathers depends on timing (a push, a retry's wait), and the same edits must meet the
    same guard however they were read."""
    new: dict[str, list[SlotPlan]] = {}
    for p in result.create:
        if p.event_id in sudden:
            new.setdefault(p.event_id, []).append(p)
    why = {event_id: create_guard(creates) for event_id, creates in new.items()}
    held = set(waiting) | {event_id for event_id, reason in why.items() if reason}
    result.held_creates = [p for p in result.create if p.event_id in held]
    if result.held_creates:
        result.create = [p for p in result.create if p.event_id not in held]
        reasons = "; ".join(sorted({reason for reason in why.values() if reason}))
        result.creates_held = f"{len(result.held_creates)} slots would be blocked at once" + (
            f" ({reasons})" if reasons else ""
        )


def _slot_plan(
    extid: str, calendar_id: str, covering: tuple[Snapshot, int, date, time], label: str
) -> SlotPlan:
    event, room_id, day, hour = covering
    return SlotPlan(
        extid=extid,
        room_id=room_id,
        day=day,
        hour=hour,
        calendar_id=calendar_id,
        event_id=event.event_id,
        label=label,
    )


def guard(frees: list[Made], blocks: list[Made], explained: set[str]) -> str | None:
    """Why a plan's frees must wait for a person, or None.

    Many removals at once after a read that did not show those events going (a full
    resync, an empty answer, a calendar that was swapped) is how two-way syncs wipe a
    calendar; a person confirms such a plan. Removals of events the read saw cancelled,
    moved or turned free are what staff asked for, however many.
    """
    if all(r.event_id in explained for r in frees):
        return None
    if len(frees) > GUARD_MAX_FREES:
        return f"{len(frees)} blocks would be removed at once"
    per_room: dict[int, int] = {}
    for record in blocks:
        per_room[record.room_id] = per_room.get(record.room_id, 0) + 1
    for room_id, total in per_room.items():
        removed = sum(1 for r in frees if r.room_id == room_id)
        if total >= HALF_MIN_BLOCKS and removed * 2 >= total:
            return f"{removed} of room {room_id}'s {total} blocks would be removed at once"
    return None


def create_guard(creates: list[SlotPlan]) -> str | None:
    """Why one event's new blocks must wait for a person, or None: more than
    ``GUARD_MAX_CREATES`` of them, or a room's slots across ``GUARD_MAX_CREATE_SPAN`` or more.

    One busy event from now to the horizon closes every slot for months: an invitation
    accepted by mistake, or a date typed a year out. Blocks made go on sale again only
    when someone notices, so a change that large is shown to a person first."""
    if len(creates) > GUARD_MAX_CREATES:
        return f"one event would block {len(creates)}"
    reach: dict[int, list[datetime]] = {}
    for p in creates:
        reach.setdefault(p.room_id, []).append(datetime.combine(p.day, p.hour))
    for room_id, starts in sorted(reach.items()):
        if max(starts) - min(starts) >= GUARD_MAX_CREATE_SPAN:
            return f"one event would block a week or more of room {room_id}"
    return None


def _record_start(record: Made, tz: ZoneInfo) -> datetime | None:
    try:
        return slot_start(date.fromisoformat(record.date), time.fromisoformat(record.hour), tz)
    except ValueError:
        return None
