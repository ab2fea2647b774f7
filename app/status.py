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
from app.explain import CONNECTION_CAUSES, GUIDES, explain, guide_in, guide_url
from app.health import connection_health
from app.history import ROWS_SHOWN, Search, clock, history_rows, underway_rows
from app.i18n import t
from app.live import digest as live_digest
from app.live import digest_response
from app.runtime import runtime
from worker.domain.causes import CAUSES
from worker.gateways.lockme_shapes import recorded as answer_shapes
from worker.jobs.messages import replay as replay_messages
from worker.ops.names import calendar_names, room_names
from worker.ops.redis_memory import redis_memory
from worker.ops.status import queue_stats, reconcile_times
from worker.runtime import Runtime
from worker.stores import underway

bp = Blueprint("status", __name__)

FAILURE_ROWS = 100
DAYS_SHOWN = 14


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


@bp.app_template_filter("clock")
def _clock(stamp: float) -> str:
    return clock(stamp)


@bp.route("/status")
def index() -> str:
    rt = runtime()
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in reversed(range(DAYS_SHOWN))]
    search = Search.from_args(request.args)
    rooms, calendars = room_names(rt), calendar_names(rt)
    health = connection_health(rt.store)
    return render_template(
        "status.html",
        queue=queue_stats(rt),
        memory=redis_memory(rt.redis),
        unknown_ids=rt.store.failures.unknown_count(),
        reconcile=reconcile_times(rt),
        underway=underway_rows(rt, search, rooms, health["states"]),
        recent=history_rows(rt, search, rooms, calendars),
        search=search,
        failures=[
            {"why": explain(f), "raw": f} for f in rt.store.failures.failures(limit=FAILURE_ROWS)
        ],
        rooms=rooms,
        syncs_chart=syncs_chart(rt.store.history.daily_counts(days), _group_titles()),
        latency_chart=latency_chart(
            rt.store.history.daily_latency(days), {"median": t("median"), "p95": t("p95")}
        ),
        chart_groups=[(g, COLOURS[g], t("group_" + g)) for g in COLOURS],
        daily_table=_daily_table(rt, days),
        recent_rows=ROWS_SHOWN,
        days_shown=DAYS_SHOWN,
        tz=rt.settings.venue_timezone,
        answer_shapes=answer_shapes(rt.redis, rt.keys),
        digest=_live_digest(rt),
        blocks=blocks.status_section(rt, rooms, calendars, health["states"]["google"]),
    )


@bp.route("/status/digest")
def digest() -> Response:
    """What ``live.js`` polls: the status page's live part is fetched again when it changes."""
    return digest_response(_live_shown(runtime()))


def _live_digest(rt: Runtime) -> str:
    return live_digest(_live_shown(rt))


def _live_shown(rt: Runtime) -> list[Any]:
    """What the live part of the status page depends on: the connections, the bookings
    under way, the newest history entry, the failures and the queue's counts."""
    health = connection_health(rt.store)
    return [
        {p: repr(state) for p, state in health["states"].items()},
        health["parked"],
        underway.rows(rt.redis, rt.keys),
        rt.store.history.recent(1),
        [
            (f["message_id"], f.get("attempts"))
            for f in rt.store.failures.failures(limit=FAILURE_ROWS)
        ],
        queue_stats(rt),
    ]


def _group_titles() -> dict[str, str]:
    return {group: t("group_" + group) for group in COLOURS}


def _daily_table(rt: Any, days: list[str]) -> list[dict[str, Any]]:
    """The charts' numbers as rows, newest first, for screen readers and exact values."""
    counts, latency = rt.store.history.daily_counts(days), rt.store.history.daily_latency(days)
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


@bp.route("/help")
def help() -> str:
    """What each failure means and what to do, under the anchors the status page links."""
    return render_template(
        "help.html",
        causes=(*CONNECTION_CAUSES, *CAUSES),
        guides=GUIDES,
        guide_url=guide_url,
        guide_in=guide_in,
    )


@bp.app_template_global("room_name")
def _room_name(rooms: dict[int, str], room_id: Any) -> str:
    """A room as staff name it: its name, or "Room 5104" while its name is unknown."""
    if room_id is None or not str(room_id).isdigit():
        return ""
    return rooms.get(int(room_id)) or t("room_n", id=room_id)


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
        known = (
            rt.store.failures.failure(message_id) is not None
            or message_id in rt.store.failures.parked()
        )
        ids = replay_messages(rt, [message_id]) if known else []
    if ids:
        flash(t("retried", ids=", ".join(f"#{i}" for i in ids)), "ok")
    else:
        flash(t("nothing_to_retry"), "info")
    return redirect(url_for("status.index"))
