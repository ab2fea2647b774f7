"""The Lockme webhook receiver and the health probe.

The receiver only validates and records the message id (one Redis round trip, see
``worker.intake``); everything that talks to Lockme or Google happens in the worker.

It is a bare WSGI app placed in front of Flask (:func:`mount`), not a Flask view: a Flask
view paid more for the request context and the staff UI's app-wide hooks (session cookie,
login gate, CSRF check, language choice) than for its own work, and held the receiver well
below a one-``LPUSH`` endpoint's throughput (figures: docs/benchmarks.md). Lockme's
calls need none of those hooks: they carry no cookie, no form and no language, and they are
authenticated by the secret in the URL.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import redis
from flask import Blueprint, Response, jsonify

from app.runtime import runtime
from worker import logs, metrics
from worker.intake import Intake
from worker.runtime import Runtime

PATH = "/webhooks/lockme"
# Lockme's documentation does not say which method it uses, so both are accepted.
METHODS = frozenset({"GET", "POST"})
# Lockme's body is empty; anything large is not Lockme, and it is never read.
MAX_BODY = 64 * 1024
MESSAGE_ID = re.compile(r"[0-9]{1,18}")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)


class LockmeWebhook:
    """``POST /webhooks/lockme?secret=S`` with ``X-MessageId``, as docs/interface.md defines it.

    Every call, accepted or not, logs one ``webhook.received`` line and is counted once:
    rejected calls here, accepted ones inside the intake script itself.
    """

    def __init__(self, rt: Runtime) -> None:
        self._secret = rt.settings.webhook_secret.encode()
        self._redis = rt.redis
        # Registered once: the script is then called by its hash, in one round trip.
        self._intake = Intake(rt.redis)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        started = time.monotonic()
        try:
            status, answer, message_id, outcome = self._answer(environ)
        except Exception:
            # Answered here rather than by gunicorn, whose error line would carry the URL
            # with its secret; Lockme redelivers after a 500.
            log.exception("webhook not handled")
            status, answer, message_id, outcome = 500, {"error": "internal error"}, None, "error"
        # Only the validated id is logged; never the query string (it holds the secret).
        logs.event(
            "webhook.received",
            outcome=outcome,
            message_id=message_id,
            duration_ms=logs.elapsed_ms(started),
        )
        if status not in (200, 500, 503):
            metrics.incr(self._redis, "webhooks", outcome=outcome)
        body = json.dumps(answer).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store"),
        ]
        if status == 405:
            headers.append(("Allow", ", ".join(sorted(METHODS))))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]

    def _answer(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any], int | None, str]:
        """(HTTP status, JSON answer, the message id once valid, the logged outcome).

        Reads the WSGI environ directly: three values do not warrant a request object."""
        if environ["REQUEST_METHOD"] not in METHODS:
            return 405, {"error": "use POST"}, None, "bad_method"
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        secret = query.get("secret", [""])[0]
        if not hmac.compare_digest(secret.encode(), self._secret):
            return 403, {"error": "bad or missing secret"}, None, "forbidden"
        length = environ.get("CONTENT_LENGTH", "")
        if length.isdecimal() and int(length) > MAX_BODY:
            return 413, {"error": "the webhook carries no body"}, None, "too_large"
        raw = environ.get("HTTP_X_MESSAGEID")
        if raw is None:
            return 400, {"error": "missing X-MessageId header"}, None, "missing_id"
        raw = raw.strip()
        if not MESSAGE_ID.fullmatch(raw) or int(raw) < 1:
            return 422, {"error": "X-MessageId must be a positive integer"}, None, "bad_id"
        message_id = int(raw)
        try:
            outcome = self._intake.accept(message_id)
        except redis.RedisError as exc:
            log.error("webhook %s not queued: %s", message_id, type(exc).__name__)
            return 503, {"error": "queue unavailable, retry later"}, message_id, "unavailable"
        if outcome == "full":
            # Nothing dropped: Lockme redelivers an unacknowledged message for 24 h.
            return 503, {"error": "too many messages waiting, retry later"}, message_id, outcome
        return 200, {"message_id": message_id, "status": outcome}, message_id, outcome


def mount(app: WSGIApp, rt: Runtime) -> WSGIApp:
    """``app`` with the webhook's path answered by :class:`LockmeWebhook` before it."""
    receiver = LockmeWebhook(rt)

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH:
            return receiver(environ, start_response)
        return app(environ, start_response)

    return dispatch


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    rt = runtime()
    try:
        rt.redis.ping()
    except redis.RedisError:
        return jsonify(status="error", redis="unreachable"), 503
    return jsonify(status="ok", redis="ok"), 200
