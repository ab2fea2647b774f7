"""What staff see and do of Calendar → Lockme blocks: the status page's "Blocks" section
with its confirm button, and the rooms page's blocks calendars with their two-step
preview / turn on and ask / turn off.

The engine is ``worker.flows.blocks`` (``report`` says what is shown, ``control`` does what a
person asks); this module puts it in staff's words and behind the login and CSRF gate.
Every step that writes to the venue's live Lockme account is a POST a person makes after
seeing what it will do: a preview writes nothing, turning off says how many blocks go.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.explain import ConnectionState
from app.i18n import t, t_known
from app.runtime import runtime
from app.sources import Sources, sources
from worker.domain.block_rules import GUARD_MAX_CREATES, MADE, SlotPlan
from worker.domain.causes import cause_of
from worker.domain.errors import SyncError
from worker.flows.blocks import control
from worker.ops import blocks_report as report
from worker.ops.names import calendar_names, room_label, room_names
from worker.runtime import Runtime
from worker.stores.block_ledger import BlockLedger
from worker.stores.block_rooms import BlockRooms

bp = Blueprint("blocks", __name__)

# The status page lists this many blocks (``status --json`` has them all); a preview this
# many slots of each kind.
BLOCKS_SHOWN = 200
PREVIEW_SHOWN = 100


# --- words ------------------------------------------------------------------------------
def when(day: str, hour: str) -> str:
    """A slot as staff say it, in the venue's zone (Lockme's dates and hours are local):
    "Sat 5 Dec at 17:00"."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return f"{day} {hour}".strip()
    return t(
        "blocks_when",
        weekday=t("blocks_weekdays").split()[parsed.weekday()],
        day=parsed.day,
        month=t("blocks_months").split()[parsed.month - 1],
        hour=hour[:5],
    )


def _name(rooms: dict[int, str], room_id: int) -> str:
    return rooms.get(room_id) or f"#{room_id}"


def _error_words(error: str) -> str:
    """A sync's last error in plain words; the raw text stays behind "details"."""
    cause = "lockme" if error.startswith("Lockme") else cause_of({"reason": error})
    return t_known(f"blocks_error_{cause}", t("blocks_error_unknown"))


# --- status page ------------------------------------------------------------------------
def status_section(
    rt: Runtime, rooms: dict[int, str], calendars: dict[str, str], google: ConnectionState
) -> dict[str, Any] | None:
    """The "Blocks" section of the status page, or None when no room uses blocks and
    nothing of them is left (``report.snapshot`` has already applied privacy).

    ``google`` is the connection as the banner reads it: while it is stopped, how each
    calendar is read says so, instead of the push or poll that would run were it working.
    """
    data = report.snapshot(rt)
    if not (data["rooms"] or data["list"] or data["conflicts"] or data["held"]):
        return None

    def calendar(calendar_id: str | None) -> str:
        return calendars.get(calendar_id or "") or str(calendar_id or "")

    users: dict[str, list[int]] = {}
    for room, calendar_id in data["rooms"].items():
        users.setdefault(calendar_id, []).append(int(room))
    conflicts = []
    for c in data["conflicts"]:
        words = {"room": _name(rooms, c["room_id"]), "when": when(c["date"], c["hour"])}
        if c.get("title"):
            text = t("blocks_conflict_titled", title=c["title"], **words)
        else:
            text = t("blocks_conflict", calendar=calendar(c.get("calendar_id")), **words)
        conflicts.append({"text": text, "link": c.get("link")})
    return {
        "held": [
            {
                "parts": _held_parts(h),
                "button": _held_button(h),
                "calendar": calendar(h["calendar_id"]),
                "rooms": ", ".join(_name(rooms, r) for r in users.get(h["calendar_id"], [])),
                "room_id": next(iter(users.get(h["calendar_id"], [])), ""),
                "at": h.get("at"),
            }
            for h in data["held"]
        ],
        "conflicts": conflicts,
        "calendars": [
            {
                "name": calendar(c["calendar_id"]),
                "rooms": ", ".join(_name(rooms, r) for r in users.get(c["calendar_id"], [])),
                "via": _via(c, google),
                "synced_at": c["synced_at"],
                "error": _error_words(c["error"]) if c["error"] else "",
                "raw_error": c["error"] or "",
            }
            for c in data["calendars"]
        ],
        "list": [
            {
                "room": room_label(rooms, b["room_id"]),
                "when": when(b["date"], b["hour"]),
                "title": b["title"],
                "link": b["link"],
                "pending": b["state"] != MADE,
            }
            for b in data["list"][:BLOCKS_SHOWN]
        ],
        "more": max(0, len(data["list"]) - BLOCKS_SHOWN),
        "active": data["active"],
        "checked_at": data["last_checked_at"],
    }


def _held_parts(held: dict[str, Any]) -> list[dict[str, str]]:
    """What a held plan would do, in words, and what to look at first: the removals and
    the blocks that wait."""
    frees, creates = int(held.get("frees") or 0), int(held.get("creates") or 0)
    parts = []
    if frees:
        parts.append({"text": t("blocks_held", count=frees), "next": t("blocks_held_next")})
    if creates:
        parts.append(
            {
                "text": t("blocks_held_creates", count=creates, limit=GUARD_MAX_CREATES),
                "next": t("blocks_held_creates_next"),
            }
        )
    return parts


def _held_button(held: dict[str, Any]) -> str:
    frees, creates = int(held.get("frees") or 0), int(held.get("creates") or 0)
    if frees and creates:
        return t("blocks_held_confirm_both", frees=frees, creates=creates)
    if creates:
        return t("blocks_held_confirm_creates", count=creates)
    return t("blocks_held_confirm", count=frees)


def _via(calendar: dict[str, Any], google: ConnectionState) -> str:
    """How a calendar's changes reach the app, in words that agree with the banner."""
    if google.state in ("reconnect", "down"):
        return t(f"blocks_via_{google.state}")
    return t_known(f"blocks_via_{calendar['changes_via']}", calendar["changes_by"])


def _room_field(raw: str | None) -> int:
    """A room id from a form or a link: ASCII digits, as many as a Lockme id has."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        abort(400, description=t("blocks_bad_room"))
    return int(raw)


@bp.route("/status/blocks/confirm", methods=["POST"])
def confirm() -> Response:
    """Apply the plan the guards held for the room's calendar: a person looked."""
    rt = runtime()
    room_id = _room_field(request.form.get("room_id"))
    blocks_rooms = BlockRooms(rt.redis, rt.keys)
    calendar_id = blocks_rooms.calendar_of(room_id)
    if calendar_id not in {h["calendar_id"] for h in blocks_rooms.held()}:
        flash(t("blocks_nothing_held"), "info")
        return redirect(url_for("status.index", _anchor="blocks"))
    try:
        done = control.confirm(rt, room_id)
    except SyncError as exc:
        flash(t("blocks_confirm_failed", error=exc), "error")
        return redirect(url_for("status.index", _anchor="blocks"))
    if done is None or done.skipped:
        flash(t("blocks_skipped"), "error")
    else:
        flash(t("blocks_confirmed", freed=done.freed, created=done.created), "ok")
        if done.more:
            flash(t("blocks_confirm_more"), "info")
    return redirect(url_for("status.index", _anchor="blocks"))


# --- rooms page -------------------------------------------------------------------------
def rooms_section(rt: Runtime, found: Sources) -> list[dict[str, Any]]:
    """Each Lockme room with its blocks calendar (if any) and how many blocks it has."""
    settings = BlockRooms(rt.redis, rt.keys).all()
    counts: dict[int, int] = {}
    for record in BlockLedger(rt.redis, rt.keys).all():
        counts[record.room_id] = counts.get(record.room_id, 0) + 1
    labels = {o["value"]: o["label"] for o in found.readable}
    rows = []
    for room in found.rooms:
        room_id = int(room["roomid"])
        calendar_id = settings.get(room_id, "")
        rows.append(
            {
                "room_id": str(room_id),
                "room": str(room.get("room") or room_id),
                "calendar_id": calendar_id,
                "calendar": labels.get(calendar_id) or calendar_id,
                "readable": calendar_id in labels,
                "count": counts.get(room_id, 0),
            }
        )
    return rows


def _chosen(found: Sources, raw_room: str | None, raw_calendar: str | None) -> tuple[int, str]:
    """The room and calendar a preview or a turn-on names, both from the lists offered."""
    room_id = _room_field(raw_room)
    names = {int(r["roomid"]): str(r.get("room") or r["roomid"]) for r in found.rooms}
    if room_id not in names:
        abort(400, description=t("blocks_unknown_room"))
    if raw_calendar not in {o["value"] for o in found.readable}:
        abort(400, description=t("bad_calendar", room=names[room_id]))
    return room_id, str(raw_calendar)


def _slots(plans: list[SlotPlan]) -> list[dict[str, str]]:
    return [
        {"when": when(p.day.isoformat(), f"{p.hour:%H:%M}"), "label": p.label}
        for p in plans[:PREVIEW_SHOWN]
    ]


@bp.route("/setup/rooms/blocks")
def preview() -> str:
    """What turning a room's blocks on would write, read now; nothing is written."""
    rt = runtime()
    found = sources()
    if found.problems:
        return render_template("blocks_preview.html", problems=found.problems)
    room_id, calendar_id = _chosen(found, request.args.get("room"), request.args.get("calendar"))
    calendars = {o["value"]: o["label"] for o in found.readable}
    current = BlockRooms(rt.redis, rt.keys).calendar_of(room_id)
    replaces = None
    if current and current != calendar_id:
        replaces = calendars.get(current) or current
    page: dict[str, Any] = {
        "room_id": room_id,
        "room": _name(room_names(rt), room_id),
        "calendar_id": calendar_id,
        "calendar": calendars[calendar_id],
        "replaces": replaces,
        "already": current == calendar_id,
        "days": rt.settings.blocks_horizon_days,
    }
    try:
        seen = control.preview(rt, room_id, calendar_id)
    except SyncError as exc:
        return render_template("blocks_preview.html", failed=str(exc), **page)
    return render_template(
        "blocks_preview.html",
        slots=_slots(seen.slots),
        slots_count=len(seen.slots),
        held=_slots(seen.held_by_customers),
        held_count=len(seen.held_by_customers),
        shown=PREVIEW_SHOWN,
        **page,
    )


@bp.route("/setup/rooms/blocks/on", methods=["POST"])
def turn_on() -> Response:
    """Make the calendar the room's blocks calendar and sync it now (in the background)."""
    rt = runtime()
    found = sources()
    if found.problems:
        for problem in found.problems:
            flash(problem.words, "error")
        return redirect(url_for("setup.rooms"))
    room_id, calendar_id = _chosen(found, request.form.get("room"), request.form.get("calendar"))
    calendars = {o["value"]: o["label"] for o in found.readable}
    replaced = control.turn_on(rt, room_id, calendar_id)
    room = _name(room_names(rt), room_id)
    flash(t("blocks_on_done", room=room, calendar=calendars[calendar_id]), "ok")
    if replaced:
        flash(t("blocks_on_replaced", calendar=calendars.get(replaced) or replaced), "info")
    return redirect(url_for("setup.rooms", _anchor="blocks"))


@bp.route("/setup/rooms/blocks/off", methods=["GET", "POST"])
def turn_off() -> str | Response:
    """GET asks (saying how many blocks go); POST turns the room's blocks off and removes
    every block the app made for it."""
    rt = runtime()
    room_id = _room_field(request.values.get("room"))
    room = _name(room_names(rt), room_id)
    calendar_id = BlockRooms(rt.redis, rt.keys).calendar_of(room_id)
    if calendar_id is None:
        flash(t("blocks_already_off", room=room), "info")
        return redirect(url_for("setup.rooms", _anchor="blocks"))
    if request.method == "GET":
        count = len(BlockLedger(rt.redis, rt.keys).for_room(room_id))
        calendar = calendar_names(rt).get(calendar_id) or calendar_id
        return render_template(
            "blocks_off.html", room_id=room_id, room=room, count=count, calendar=calendar
        )
    try:
        removed = control.turn_off(rt, room_id)
    except SyncError as exc:
        # The setting is cleared first: the sync of a calendar no room uses frees the
        # rest (the poll picks it up), so nothing stays behind for good.
        flash(t("blocks_off_partly", room=room, error=exc), "error")
    else:
        flash(t("blocks_off_done", room=room, count=removed), "ok")
    return redirect(url_for("setup.rooms", _anchor="blocks"))
