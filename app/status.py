"""The status page, the retry buttons and the connection-health banner on every page.

Everything here reads bounded keys only (the last 50 syncs, at most 100 failures, 14 daily
counters, registry sizes), so the page costs the same with 100 or 100,000 syncs behind it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.auth import logged_in
from app.i18n import t
from app.runtime import runtime
from worker.status import queue_stats
from worker.store import PROVIDERS, Store
from worker.tasks import replay as replay_messages

bp = Blueprint("status", __name__)

RECENT_ROWS = 50
FAILURE_ROWS = 100
DAYS_SHOWN = 14


def connection_health(store: Store) -> dict[str, Any]:
    """Both connections, the providers that need a reconnect, and parked counts by provider.

    A provider needs a reconnect when its token exists but was refused (an error is
    recorded), or when messages wait for it; a never-connected provider is not an alarm.
    """
    connections = {provider: store.connection(provider) for provider in PROVIDERS}
    parked: dict[str, int] = {}
    for owner in store.parked().values():
        parked[owner] = parked.get(owner, 0) + 1
    broken = [
        provider
        for provider in PROVIDERS
        if provider in parked
        or (connections[provider]["error"] and store.load_token(provider) is not None)
    ]
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
    queue = queue_stats(rt)
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in range(DAYS_SHOWN)]
    daily = [
        {
            "day": day,
            "total": sum(counts.values()),
            "failed": counts.get("failed", 0),
            "details": ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        }
        for day, counts in rt.store.daily_counts(days).items()
    ]
    return render_template(
        "status.html",
        queue={
            "queued": queue["queued"],
            "started": queue["started"],
            "scheduled": queue["scheduled"],
            "failed_jobs": queue["failed"],
        },
        recent=rt.store.recent(RECENT_ROWS),
        failures=rt.store.failures(limit=FAILURE_ROWS),
        daily=daily,
        recent_rows=RECENT_ROWS,
        days_shown=DAYS_SHOWN,
        tz=rt.settings.venue_timezone,
    )


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
