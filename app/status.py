"""The status page, the retry buttons and the connection-health banner on every page.

Everything here reads bounded keys only (the last 50 syncs, at most 100 failures, 14 daily
counters, registry sizes), so the page costs the same with 100 or 100,000 syncs behind it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app import blocks
from app.auth import logged_in
from app.charts import (
    COLOURS,
    bound_label,
    group_counts,
    latency_chart,
    quantile_bound,
    syncs_chart,
)
from app.explain import CAUSES, explain
from app.i18n import t, t_known
from app.runtime import runtime
from worker.memory import redis_memory
from worker.names import calendar_names, room_label, room_names
from worker.shapes import recorded as answer_shapes
from worker.status import queue_stats, reconcile_times
from worker.store import Store
from worker.stores.tokens import PROVIDERS
from worker.tasks import replay as replay_messages

bp = Blueprint("status", __name__)

RECENT_ROWS = 50
# A search by reservation number looks through the whole kept history (1000 entries).
HISTORY_LIMIT = 1000
FAILURE_ROWS = 100
DAYS_SHOWN = 14


def connection_health(store: Store) -> dict[str, Any]:
    """Both connections, the providers that need a reconnect, and parked counts by provider.

    A provider needs a reconnect when its token exists but was refused (an error is
    recorded), or when messages wait for it and it is not connected; a never-connected
    provider is not an alarm. Messages still parked for a healthy connection are being
    replayed (a reconnect queues that), so they raise no alarm either.
    """
    connections = {provider: store.connection(provider) for provider in PROVIDERS}
    parked: dict[str, int] = {}
    for owner in store.parked().values():
        parked[owner] = parked.get(owner, 0) + 1
    broken = []
    for provider in PROVIDERS:
        connected = store.load_token(provider) is not None
        refused = bool(connections[provider]["error"]) and connected
        if refused or (provider in parked and not connected):
            broken.append(provider)
    return {"connections": connections, "broken": broken, "parked": parked}


@bp.app_context_processor
def _health_context() -> dict[str, Any]:
    return {"health": connection_health(runtime().store) if logged_in() else None}


@bp.app_template_filter("localtime")
def localtime(stamp: str | None) -> str:
    """An ISO UTC stamp from the store as the venue's wall-clock time."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(runtime().settings.tz).strftime("%Y-%m-%d %H:%M:%S")


@bp.route("/status")
def index() -> str:
    rt = runtime()
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in reversed(range(DAYS_SHOWN))]
    search = request.args.get("q", "").strip().lstrip("#")
    if search and not search.isdigit():
        abort(400)
    rooms, calendars = room_names(rt), calendar_names(rt)
    if search:
        history = [
            e
            for e in rt.store.recent(HISTORY_LIMIT)
            if str(e.get("reservation_id") or "") == search
        ]
    else:
        history = rt.store.recent(RECENT_ROWS)
    return render_template(
        "status.html",
        queue=queue_stats(rt),
        memory=redis_memory(rt.redis),
        unknown_ids=rt.store.unknown_count(),
        reconcile=reconcile_times(rt),
        recent=[_readable(entry, rooms, calendars) for entry in history],
        search=search,
        failures=[{"why": explain(f), "raw": f} for f in rt.store.failures(limit=FAILURE_ROWS)],
        rooms=rooms,
        syncs_chart=syncs_chart(rt.store.daily_counts(days), _group_titles()),
        latency_chart=latency_chart(
            rt.store.daily_latency(days), {"median": t("median"), "p95": t("p95")}
        ),
        chart_groups=[(g, COLOURS[g], t("group_" + g)) for g in COLOURS],
        daily_table=_daily_table(rt, days),
        recent_rows=RECENT_ROWS,
        days_shown=DAYS_SHOWN,
        tz=rt.settings.venue_timezone,
        answer_shapes=answer_shapes(rt.redis, rt.keys),
        blocks=blocks.status_section(rt, rooms, calendars),
    )


def _group_titles() -> dict[str, str]:
    return {group: t("group_" + group) for group in COLOURS}


def _daily_table(rt: Any, days: list[str]) -> list[dict[str, Any]]:
    """The charts' numbers as rows, newest first, for screen readers and exact values."""
    counts, latency = rt.store.daily_counts(days), rt.store.daily_latency(days)
    rows = []
    for day in reversed(days):
        grouped = group_counts(counts[day])
        median = quantile_bound(latency[day], 0.5)
        rows.append(
            {
                "day": day,
                **grouped,
                "median": bound_label(median) if median else "",
            }
        )
    return rows


def _readable(
    entry: dict[str, Any], rooms: dict[int, str], calendars: dict[str, str]
) -> dict[str, Any]:
    """One history entry in the words and names staff use."""
    calendar_id = entry.get("calendar_id") or ""
    return {
        **entry,
        "room": room_label(rooms, entry.get("room_id")),
        "booked_for": " ".join(filter(None, (entry.get("date"), entry.get("hour")))),
        "calendar": calendars.get(calendar_id) or _calendar_fallback(calendar_id),
        "action_text": t_known(f"action_{entry.get('action')}", str(entry.get("action"))),
        "result_text": t_known(f"result_{entry.get('result')}", str(entry.get("result"))),
    }


def _calendar_fallback(calendar_id: str) -> str:
    return t("primary_calendar") if calendar_id == "primary" else calendar_id


@bp.route("/help")
def help() -> str:
    """What each failure means and what to do, under the anchors the status page links."""
    return render_template("help.html", causes=CAUSES)


@bp.app_template_global("room_label")
def _room_label(rooms: dict[int, str], room_id: Any) -> str:
    return room_label(rooms, room_id)


@bp.route("/status/replay", methods=["POST"])
def replay() -> Response:
    """Re-queue one failed or parked message, or all of them (``all=1``)."""
    rt = runtime()
    if request.form.get("all"):
        ids = replay_messages(rt)
    else:
        raw = request.form.get("message_id", "").strip()
        # ASCII digits, as many as a Lockme id has: "²" passes isdigit() and int() of
        # thousands of digits raises, both were a 500.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            abort(400, description=t("bad_message_id"))
        message_id = int(raw)
        known = rt.store.failure(message_id) is not None or message_id in rt.store.parked()
        ids = replay_messages(rt, [message_id]) if known else []
    if ids:
        flash(t("retried", ids=", ".join(f"#{i}" for i in ids)), "ok")
    else:
        flash(t("nothing_to_retry"), "info")
    return redirect(url_for("status.index"))
