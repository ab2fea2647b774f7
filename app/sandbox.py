"""The sandbox pages: a Lockme panel to book, change and cancel, each room's slots (free,
booked, blocked), trouble to inject, and a week view of the sandbox calendars where staff
events are added, moved and deleted as in Google Calendar's own UI.

Registered only in sandbox mode (``SANDBOX_URL`` set by ``lockme-sync dev``). The pages act
through the sandbox's control API, which the ``lockme-sync dev`` process serves, so what
they do reaches the app the way real Lockme traffic does: as a webhook, redelivered until
acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from app.i18n import st
from app.live import digest
from app.runtime import runtime
from worker.sandbox.client import SandboxClient
from worker.sandbox.demo import BLOCKS_CALENDAR_ID, SandboxError

bp = Blueprint("sandbox", __name__)

BOOKING_FIELDS = ("room", "date", "hour", "name", "people", "phone", "paid")
STAFF_FIELDS = ("calendar", "title", "date", "from", "to", "allDay", "busy")
STAFF_TIME_FIELDS = ("date", "from", "to", "allDay")
ALL_DAY_ROW = -1
"""The grid row of all-day events, above the hours."""
FIRST_HOUR, LAST_HOUR = 9, 22
"""The hours a week grid always shows; earlier or later bookings widen it."""


def client() -> SandboxClient:
    """One client (and connection pool) per web process."""
    found = current_app.extensions.get("sandbox_client")
    if found is None:
        settings = runtime().settings
        found = SandboxClient(settings.sandbox_url, settings.sandbox_token)
        current_app.extensions["sandbox_client"] = found
    return found


@bp.app_context_processor
def _sandbox_context() -> dict[str, object]:
    return {"sandbox_mode": True, "st": st}


def _act(action: Callable[[], str], back: str | None = None) -> Response:
    """Run one change against the sandbox, say what happened, and go back to the page
    (``back``: another one than the sandbox page)."""
    try:
        flash(action(), "ok")
    except SandboxError as exc:
        flash(_refusal(exc), "error")
    return redirect(back or url_for("sandbox.page"))


def _form_fields(names: tuple[str, ...] = BOOKING_FIELDS) -> dict[str, str]:
    return {key: request.form.get(key, "").strip() for key in names}


def _valid_day(raw: str) -> str:
    """``raw`` when it is a ``YYYY-MM-DD`` date, else ""."""
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return ""


def _day_arg(raw: str | None, default: date) -> date:
    """A ``YYYY-MM-DD`` query argument, or ``default`` when it is missing or no date."""
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


@bp.route("/sandbox")
def page() -> str:
    sandbox = client()
    tomorrow = datetime.now(runtime().settings.tz).date() + timedelta(days=1)
    day = _day_arg(request.args.get("day"), tomorrow)
    try:
        rooms, bookings, state = sandbox.rooms(), sandbox.bookings(), sandbox.state()
        slots, calendars = sandbox.slots(day.isoformat()), sandbox.calendars()
    except SandboxError as exc:
        flash(_refusal(exc), "error")
        rooms, bookings, state, slots, calendars = [], [], {"troubles": {}}, [], []
    default_slots = slots if day == tomorrow else _slots_or_none(sandbox, tomorrow)
    store = runtime().store
    connected = all(store.tokens.load_token(provider) for provider in ("lockme", "google"))
    names = {calendar["id"]: calendar["name"] for calendar in calendars}
    blocks = {room["id"]: names.get(room.get("blocksCalendar", ""), "") for room in rooms}
    return render_template(
        "sandbox.html",
        rooms=rooms,
        bookings=[b for b in bookings if not b.get("block")],
        troubles=state["troubles"],
        webhooks=state.get("webhooks", []),
        connected=connected,
        default_date=tomorrow.isoformat(),
        default_hour=_first_free_hour(default_slots, rooms[0]["id"] if rooms else None),
        booked_week=_valid_day(request.args.get("booked", "")),
        slots_day=day.isoformat(),
        slot_rooms=[{**room, "blocksFrom": blocks.get(room["room"], "")} for room in slots],
    )


def _slots_or_none(sandbox: SandboxClient, day: date) -> list[dict[str, Any]]:
    try:
        return sandbox.slots(day.isoformat())
    except SandboxError:
        return []


def _refusal(exc: SandboxError) -> str:
    """Why the sandbox did not do it, in the page's language where the sandbox named its
    words (an hour off the room's slots), else with the sandbox's own reason."""
    return st(exc.key, **exc.values) if exc.key else st("unreachable", error=exc)


def _first_free_hour(board: list[dict[str, Any]], room_id: int | None) -> str:
    """The form's default hour: the room's first free slot that day, so that the default
    sits on the room's grid as a customer's choice on lock.me does."""
    for room in board:
        if room["room"] == room_id:
            free = [slot["hour"] for slot in room["slots"] if slot["state"] == "free"]
            return free[0] if free else room["slots"][0]["hour"] if room["slots"] else ""
    return ""


@bp.route("/sandbox/book", methods=["POST"])
def book() -> Response:
    """Make the booking; the page then links to the calendar's week of it (booking for
    tomorrow on a Sunday lands in a week the calendar page would not open on)."""
    fields = _form_fields()
    try:
        made = client().book(**fields)
    except SandboxError as exc:
        flash(_refusal(exc), "error")
        return redirect(url_for("sandbox.page"))
    flash(st("booked", id=made["reservationId"]), "ok")
    return redirect(url_for("sandbox.page", booked=fields["date"]))


@bp.route("/sandbox/bookings/<int:reservation_id>", methods=["POST"])
def edit(reservation_id: int) -> Response:
    def change() -> str:
        client().edit(reservation_id, **_form_fields())
        return st("changed", id=reservation_id)

    return _act(change)


@bp.route("/sandbox/bookings/<int:reservation_id>/pay", methods=["POST"])
def pay(reservation_id: int) -> Response:
    """The customer pays an unpaid hold: Lockme sends an edit with status 1."""

    def settle() -> str:
        client().edit(reservation_id, paid="yes")
        return st("paid_done", id=reservation_id)

    return _act(settle)


@bp.route("/sandbox/bookings/<int:reservation_id>/cancel", methods=["POST"])
def cancel(reservation_id: int) -> Response:
    def drop() -> str:
        client().cancel(reservation_id)
        return st("cancelled", id=reservation_id)

    return _act(drop)


@bp.route("/sandbox/test-message", methods=["POST"])
def test_message() -> Response:
    return _act(lambda: st("test_sent", id=client().test_message()["messageId"]))


@bp.route("/sandbox/trouble", methods=["POST"])
def trouble() -> Response:
    kind = request.form.get("kind", "")

    def start() -> str:
        client().trouble(kind)
        return st("trouble_ended" if kind == "clear" else "trouble_started")

    return _act(start)


# --- staff events, as a person adds them in Google Calendar --------------------------------
def _week_of(day: str) -> str:
    """The calendar page at the week of ``day`` (this week when it is no date)."""
    return url_for("sandbox.calendar", week=day) if day else url_for("sandbox.calendar")


@bp.route("/sandbox/staff-events", methods=["POST"])
def staff_add() -> Response:
    fields = _form_fields(STAFF_FIELDS)
    fields["title"] = fields["title"] or st("staff_default_title")

    def add() -> str:
        client().staff_add(**fields)
        return st("staff_added")

    return _act(add, _week_of(fields["date"]))


@bp.route("/sandbox/staff-events/<event_id>", methods=["POST"])
def staff_move(event_id: str) -> Response:
    fields = _form_fields(STAFF_TIME_FIELDS)

    def move() -> str:
        client().staff_move(event_id, **fields)
        return st("staff_moved")

    return _act(move, _week_of(fields["date"]))


@bp.route("/sandbox/staff-events/<event_id>/delete", methods=["POST"])
def staff_delete(event_id: str) -> Response:
    def delete() -> str:
        client().staff_delete(event_id)
        return st("staff_deleted")

    return _act(delete, _week_of(request.form.get("week", "")))


# --- the calendar view --------------------------------------------------------------------
def _week_start(raw: str | None, today: date) -> date:
    """Monday of the week holding ``?week=`` (any day of it), else of today."""
    day = _day_arg(raw, today)
    return day - timedelta(days=day.weekday())


def _digest(events: list[dict[str, Any]]) -> str:
    """Changes whenever an event is added, moved, renamed or cancelled: the page polls it."""
    keys = ("calendar", "id", "summary", "start", "end", "status", "colorId", "busy")
    return digest(sorted(json.dumps([e.get(k) for k in keys]) for e in events))


def _grids(
    events: list[dict[str, Any]],
    calendars: list[dict[str, str]],
    colours: dict[str, str],
    monday: date,
) -> list[dict[str, Any]]:
    """Per calendar: the rows shown (all-day first, when any, then the hours) and, per row
    and weekday, the events starting then."""
    grids = []
    for calendar in calendars:
        cells: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for event in _week_events(events, monday):
            if event["calendar"] != calendar["id"]:
                continue
            colour = event.get("colorId") or colours.get(str(event.get("lockmeRoomId")), "")
            row = ALL_DAY_ROW if event["allDay"] else int(event["from"][:2])
            cells.setdefault((row, event["offset"]), []).append({**event, "colour": colour})
        hours = [hour for hour, _ in cells if hour != ALL_DAY_ROW]
        first, last = min([FIRST_HOUR, *hours]), max([LAST_HOUR, *hours])
        all_day = [ALL_DAY_ROW] if any(row == ALL_DAY_ROW for row, _ in cells) else []
        grids.append(
            {
                **calendar,
                "hours": all_day + list(range(first, last + 1)),
                "cells": cells,
                "count": sum(len(found) for found in cells.values()),
            }
        )
    return grids


def _week_events(events: list[dict[str, Any]], monday: date) -> list[dict[str, Any]]:
    """The week's live events, soonest first, with their local day (``date``, ``offset``
    from Monday) and times (``from``/``to``, empty for all-day events)."""
    tz = runtime().settings.tz
    shown = []
    for event in events:
        if event["status"] == "cancelled":
            continue
        if event.get("allDay"):
            day, start_text, end_text = date.fromisoformat(event["start"]), "", ""
        else:
            start = datetime.fromisoformat(event["start"]).astimezone(tz)
            end = datetime.fromisoformat(event["end"]).astimezone(tz)
            day, start_text, end_text = start.date(), f"{start:%H:%M}", f"{end:%H:%M}"
        offset = (day - monday).days
        if 0 <= offset < 7:
            shown.append(
                {
                    **event,
                    "allDay": bool(event.get("allDay")),
                    "date": day.isoformat(),
                    "offset": offset,
                    "from": start_text,
                    "to": end_text,
                }
            )
    return sorted(shown, key=lambda e: (e["date"], e["from"]))


@bp.route("/sandbox/calendar")
def calendar() -> str:
    tz = runtime().settings.tz
    today = datetime.now(tz).date()
    sandbox = client()
    try:
        events, calendars, rooms = sandbox.events(), sandbox.calendars(), sandbox.rooms()
        bookings = sandbox.bookings()
    except SandboxError as exc:
        flash(_refusal(exc), "error")
        events, calendars, rooms, bookings = [], [], [], []
    monday = _week_start(request.args.get("week") or _latest_booking_day(bookings), today)
    colours = {str(room["id"]): room["colorId"] for room in rooms}
    names = {calendar["id"]: calendar["name"] for calendar in calendars}
    return render_template(
        "sandbox_calendar.html",
        grids=_grids(events, calendars, colours, monday),
        calendars=calendars,
        staff_events=[
            {**event, "calendarName": names.get(event["calendar"], event["calendar"])}
            for event in _week_events(events, monday)
            if event.get("staff")
        ],
        default_day=max(today + timedelta(days=1), monday).isoformat(),
        all_day_row=ALL_DAY_ROW,
        blocks_calendar=BLOCKS_CALENDAR_ID,
        monday=monday,
        days=[monday + timedelta(days=n) for n in range(7)],
        day_names=st("days").split(),
        today=today,
        prev_week=(monday - timedelta(days=7)).isoformat(),
        next_week=(monday + timedelta(days=7)).isoformat(),
        digest=_digest(events),
        rooms=rooms,
        staff_help=_staff_help(rooms, names),
    )


def _latest_booking_day(bookings: list[dict[str, Any]]) -> str:
    """The date of the booking made last (the highest id), where the calendar page opens:
    the form books tomorrow, which on a Sunday is in next week."""
    made = [b for b in bookings if not b.get("block")]
    return str(max(made, key=lambda b: int(b["reservationid"]))["date"]) if made else ""


def _staff_help(rooms: list[dict[str, Any]], names: dict[str, str]) -> str:
    """The staff events' hint, naming the rooms that take blocks from the Closed calendar
    now (the rooms page may have changed them)."""
    calendar = names.get(BLOCKS_CALENDAR_ID, BLOCKS_CALENDAR_ID)
    taking = [room["name"] for room in rooms if room.get("blocksCalendar") == BLOCKS_CALENDAR_ID]
    if not taking:
        return st("staff_help_none", calendar=calendar)
    return st("staff_help", calendar=calendar, rooms=", ".join(taking))


@bp.route("/sandbox/calendar/digest")
def calendar_digest() -> Response:
    """What ``live.js`` polls: the page's grid is fetched again when this changes."""
    try:
        digest = _digest(client().events())
    except SandboxError:
        digest = ""
    return jsonify({"digest": digest})
