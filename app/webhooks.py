"""The Lockme webhook receiver and the health probe.

The receiver only validates and records the message id (one Redis round trip, see
``worker.intake``), so it answers in about a millisecond; everything that talks to Lockme
or Google happens in the worker.
"""

from __future__ import annotations

import hmac
import logging
import re
import time

import redis
from flask import Blueprint, Response, current_app, g, jsonify, request

from app.runtime import runtime
from worker import logs, metrics
from worker.intake import Intake

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)
MESSAGE_ID = re.compile(r"[0-9]{1,18}")
# Outcomes of rejected calls; an accepted one reports the queue's answer (queued, known…).
REJECTED = {
    400: "missing_id",
    403: "forbidden",
    413: "too_large",
    422: "bad_id",
    503: "unavailable",
}


@bp.route("/webhooks/lockme", methods=["POST", "GET"])
def lockme_webhook():  # type: ignore[no-untyped-def]
    rt = runtime()
    secret = request.args.get("secret", "")
    if not hmac.compare_digest(secret.encode(), rt.settings.webhook_secret.encode()):
        return jsonify(error="bad or missing secret"), 403
    raw = request.headers.get("X-MessageId")
    if raw is None:
        return jsonify(error="missing X-MessageId header"), 400
    raw = raw.strip()
    if not MESSAGE_ID.fullmatch(raw) or int(raw) < 1:
        return jsonify(error="X-MessageId must be a positive integer"), 422
    message_id = int(raw)
    try:
        outcome = _intake().accept(message_id)
        g.webhook_accepted = (message_id, outcome)
    except redis.RedisError as exc:
        log.error("webhook %s not queued: %s", message_id, type(exc).__name__)
        return jsonify(error="queue unavailable, retry later"), 503
    return jsonify(message_id=message_id, status=outcome), 200


def _intake() -> Intake:
    """One per app: registering the Lua script once saves a round trip per call."""
    intake = current_app.extensions.get("lockme_intake")
    if intake is None:
        intake = current_app.extensions["lockme_intake"] = Intake(runtime().redis)
    return intake


@bp.before_request
def _start_clock() -> None:
    g.webhook_started = time.monotonic()


@bp.after_request
def _record_webhook(response: Response) -> Response:
    """One ``webhook.received`` line and one count per call, whatever its outcome.

    Only the validated message id is logged; never the query string (it holds the secret).
    """
    if request.endpoint != "webhooks.lockme_webhook":
        return response
    # Set by the handler for an accepted call; the response is not parsed back on this path.
    message_id, accepted = g.get("webhook_accepted", (None, None))
    outcome = REJECTED.get(response.status_code) or accepted or str(response.status_code)
    # An app-wide hook may have answered before this blueprint's clock started.
    started = g.get("webhook_started")
    logs.event(
        "webhook.received",
        outcome=outcome,
        message_id=message_id,
        duration_ms=logs.elapsed_ms(started) if started is not None else None,
    )
    # Accepted calls are counted by the intake script itself; Redis is what failed on a 503.
    if response.status_code not in (200, 503):
        metrics.incr(runtime().redis, "webhooks", outcome=outcome)
    return response


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    rt = runtime()
    try:
        rt.redis.ping()
    except redis.RedisError:
        return jsonify(status="error", redis="unreachable"), 503
    return jsonify(status="ok", redis="ok"), 200
