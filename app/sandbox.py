"""The sandbox pages: a Lockme panel to book, change and cancel, trouble to inject, and a
week view of the sandbox calendars.

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

from app.live import digest
from app.runtime import runtime
from app.sandbox_texts import st
from worker.sandbox.client import SandboxClient
from worker.sandbox.demo import SandboxError

bp = Blueprint("sandbox", __name__)

BOOKING_FIELDS = ("room", "date", "hour", "name", "people", "phone", "paid")
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


def _act(action: Callable[[], str]) -> Response:
    """Run one change against the sandbox, say what happened, and go back to the page."""
    try:
        flash(action(), "ok")
    except SandboxError as exc:
        flash(st("unreachable", error=exc), "error")
    return redirect(url_for("sandbox.page"))


def _form_fields() -> dict[str, str]:
    return {key: request.form.get(key, "").strip() for key in BOOKING_FIELDS}


@bp.route("/sandbox")
def page() -> str:
    sandbox = client()
    try:
        rooms, bookings, state = sandbox.rooms(), sandbox.bookings(), sandbox.state()
    except SandboxError as exc:
        flash(st("unreachable", error=exc), "error")
        rooms, bookings, state = [], [], {"troubles": {}}
    store = runtime().store
    connected = all(store.load_token(provider) for provider in ("lockme", "google"))
    tomorrow = datetime.now(runtime().settings.tz).date() + timedelta(days=1)
    return render_template(
        "sandbox.html",
        rooms=rooms,
        bookings=bookings,
        troubles=state["troubles"],
        webhooks=state.get("webhooks", []),
        connected=connected,
        default_date=tomorrow.isoformat(),
    )


@bp.route("/sandbox/book", methods=["POST"])
def book() -> Response:
    return _act(lambda: st("booked", id=client().book(**_form_fields())["reservationId"]))


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


# --- the calendar view --------------------------------------------------------------------
def _week_start(raw: str | None, today: date) -> date:
    """Monday of the week holding ``?week=`` (any day of it), else of today."""
    try:
        day = date.fromisoformat(raw) if raw else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


def _digest(events: list[dict[str, Any]]) -> str:
    """Changes whenever an event is added, moved, renamed or cancelled: the page polls it."""
    keys = ("calendar", "id", "summary", "start", "end", "status", "colorId")
    return digest(sorted(json.dumps([e.get(k) for k in keys]) for e in events))


def _grids(
    events: list[dict[str, Any]],
    calendars: list[dict[str, str]],
    colours: dict[str, str],
    monday: date,
) -> list[dict[str, Any]]:
    """Per calendar: the hours shown and, per hour and weekday, the events starting then."""
    tz = runtime().settings.tz
    grids = []
    for calendar in calendars:
        cells: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for event in events:
            if event["calendar"] != calendar["id"] or event["status"] == "cancelled":
                continue
            start = datetime.fromisoformat(event["start"]).astimezone(tz)
            end = datetime.fromisoformat(event["end"]).astimezone(tz)
            offset = (start.date() - monday).days
            if not 0 <= offset < 7:
                continue
            colour = event.get("colorId") or colours.get(str(event.get("lockmeRoomId")), "")
            cells.setdefault((start.hour, offset), []).append(
                {
                    **event,
                    "from": start.strftime("%H:%M"),
                    "to": end.strftime("%H:%M"),
                    "colour": colour,
                }
            )
        hours = [hour for hour, _ in cells]
        first, last = min([FIRST_HOUR, *hours]), max([LAST_HOUR, *hours])
        grids.append(
            {
                **calendar,
                "hours": list(range(first, last + 1)),
                "cells": cells,
                "count": sum(len(found) for found in cells.values()),
            }
        )
    return grids


@bp.route("/sandbox/calendar")
def calendar() -> str:
    tz = runtime().settings.tz
    today = datetime.now(tz).date()
    monday = _week_start(request.args.get("week"), today)
    sandbox = client()
    try:
        events, calendars, rooms = sandbox.events(), sandbox.calendars(), sandbox.rooms()
    except SandboxError as exc:
        flash(st("unreachable", error=exc), "error")
        events, calendars, rooms = [], [], []
    colours = {str(room["id"]): room["colorId"] for room in rooms}
    return render_template(
        "sandbox_calendar.html",
        grids=_grids(events, calendars, colours, monday),
        monday=monday,
        days=[monday + timedelta(days=n) for n in range(7)],
        day_names=st("days").split(),
        today=today,
        prev_week=(monday - timedelta(days=7)).isoformat(),
        next_week=(monday + timedelta(days=7)).isoformat(),
        digest=_digest(events),
        rooms=rooms,
    )


@bp.route("/sandbox/calendar/digest")
def calendar_digest() -> Response:
    """What ``live.js`` polls: the page's grid is fetched again when this changes."""
    try:
        digest = _digest(client().events())
    except SandboxError:
        digest = ""
    return jsonify({"digest": digest})
