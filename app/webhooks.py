"""The Lockme webhook receiver and the health probe.

The receiver only validates and enqueues, so it answers in milliseconds; everything that
talks to Lockme or Google happens in the worker.
"""

from __future__ import annotations

import hmac
import logging
import re

import redis
from flask import Blueprint, jsonify, request

from app.runtime import runtime
from worker.jobs import enqueue_message

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)
MESSAGE_ID = re.compile(r"[0-9]{1,18}")


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
        rt.store.note_webhook(message_id)
        outcome = enqueue_message(rt, message_id)
    except redis.RedisError as exc:
        log.error("webhook %s not queued: %s", message_id, type(exc).__name__)
        return jsonify(error="queue unavailable, retry later"), 503
    return jsonify(message_id=message_id, status=outcome), 200


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    rt = runtime()
    try:
        rt.redis.ping()
    except redis.RedisError:
        return jsonify(status="error", redis="unreachable"), 503
    return jsonify(status="ok", redis="ok", queued=rt.queue.count), 200
