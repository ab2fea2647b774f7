"""The Lockme webhook receiver and the health probe.

The receiver only validates and records the message id (one Redis round trip, see
``worker.jobs.intake``); everything that talks to Lockme or Google happens in the worker.

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
from worker.flows.blocks.channels import WEBHOOK_PATH as GOOGLE_PATH
from worker.flows.blocks.channels import ChannelStore
from worker.jobs import blocks_sync as jobs
from worker.jobs.intake import Intake
from worker.ops import logs, metrics
from worker.runtime import Runtime
from worker.stores.keys import Keys
from worker.venues import Venues

PATH = "/webhooks/lockme"
# A registered venue's webhook: ``VENUE_PATH<slug>``.
VENUE_PATH = PATH + "/"
# Lockme's documentation does not say which method it uses, so both are accepted.
METHODS = frozenset({"GET", "POST"})
# Lockme's body is empty; anything large is not Lockme, and it is never read.
MAX_BODY = 64 * 1024
MESSAGE_ID = re.compile(r"[0-9]{1,18}")
# The product's channel ids are uuid4().hex; anything else is answered without a Redis read.
CHANNEL_ID = re.compile(r"[0-9a-f]{32}")

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
        self._keys = rt.keys
        # Registered once: the script is then called by its hash, in one round trip.
        self._intake = Intake(rt.redis, rt.keys)

    @property
    def _unadmitted(self) -> Keys | None:
        """The keys a call rejected before its secret was admitted is counted under."""
        return self._keys

    def _admit(self, environ: dict[str, Any], secret: str) -> tuple[Intake, Keys] | None:
        """The inbox a call with ``secret`` goes to and the keys it is counted under, or
        ``None`` when the secret is wrong."""
        if not hmac.compare_digest(secret.encode(), self._secret):
            return None
        return self._intake, self._keys

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        started = time.monotonic()
        counted: Keys | None = None  # a 500 is not counted
        try:
            status, answer, message_id, outcome, counted = self._answer(environ)
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
        if status not in (200, 500, 503) and counted is not None:
            metrics.incr(self._redis, counted, "webhooks", outcome=outcome)
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

    def _answer(
        self, environ: dict[str, Any]
    ) -> tuple[int, dict[str, Any], int | None, str, Keys | None]:
        """(HTTP status, JSON answer, the message id once valid, the logged outcome, the
        keys a rejected call is counted under).

        Reads the WSGI environ directly: three values do not warrant a request object."""
        if environ["REQUEST_METHOD"] not in METHODS:
            return 405, {"error": "use POST"}, None, "bad_method", self._unadmitted
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        secret = query.get("secret", [""])[0]
        try:
            admitted = self._admit(environ, secret)
        except redis.RedisError as exc:
            # A venue's record could not be read: Lockme retries as for a full inbox.
            log.error("webhook not admitted: %s", type(exc).__name__)
            answer = {"error": "queue unavailable, retry later"}
            return 503, answer, None, "unavailable", None
        if admitted is None:
            return 403, {"error": "bad or missing secret"}, None, "forbidden", self._unadmitted
        intake, keys = admitted
        length = environ.get("CONTENT_LENGTH", "")
        if length.isdecimal() and int(length) > MAX_BODY:
            return 413, {"error": "the webhook carries no body"}, None, "too_large", keys
        raw = environ.get("HTTP_X_MESSAGEID")
        if raw is None:
            return 400, {"error": "missing X-MessageId header"}, None, "missing_id", keys
        raw = raw.strip()
        if not MESSAGE_ID.fullmatch(raw) or int(raw) < 1:
            return 422, {"error": "X-MessageId must be a positive integer"}, None, "bad_id", keys
        message_id = int(raw)
        try:
            outcome = intake.accept(message_id)
        except redis.RedisError as exc:
            log.error("webhook %s not queued: %s", message_id, type(exc).__name__)
            answer = {"error": "queue unavailable, retry later"}
            return 503, answer, message_id, "unavailable", keys
        if outcome == "full":
            # Nothing dropped: Lockme redelivers an unacknowledged message for 24 h.
            answer = {"error": "too many messages waiting, retry later"}
            return 503, answer, message_id, outcome, keys
        return 200, {"message_id": message_id, "status": outcome}, message_id, outcome, keys


class VenueWebhook(LockmeWebhook):
    """``POST /webhooks/lockme/SLUG?secret=S``: a registered venue's webhook, with the same
    answers, into the venue's own inbox (docs/interface.md, "Several venues").

    The venue's record is one Redis read; a malformed slug costs none. An unknown slug is
    answered as a wrong secret is, and neither is counted: a counter would be a Redis write
    for every forged call, and a count under the default venue would be another's data."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt)
        self._venues = Venues(rt.redis, rt.settings)
        # slug → its inbox script, made on the venue's first accepted call.
        self._intakes: dict[str, Intake] = {}

    @property
    def _unadmitted(self) -> Keys | None:
        return None

    def _admit(self, environ: dict[str, Any], secret: str) -> tuple[Intake, Keys] | None:
        venue = self._venues.get(environ["PATH_INFO"][len(VENUE_PATH) :])
        if venue is None or not self._venues.secret_matches(venue, secret):
            return None
        intake = self._intakes.get(venue.slug)
        if intake is None:
            intake = self._intakes[venue.slug] = Intake(self._redis, venue.keys)
        return intake, venue.keys


class GoogleWebhook:
    """``POST /webhooks/google``: Google's push for a blocks calendar, as ``interface.md``
    defines it. A push carries no data, only that the calendar changed, so all it does is
    queue that calendar's (coalesced) sync.

    An unknown channel (404) or a wrong token (403) costs one Redis GET and nothing else: no
    Google call, no job. ``sync`` (the channel's first message) is answered and ignored.
    """

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._channels = ChannelStore(rt.redis, rt.keys)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            status, outcome = self._answer(environ)
        except redis.RedisError as exc:
            # Google retries a failed push with backoff, and the poll is the safety net.
            log.error("google push not handled: %s", type(exc).__name__)
            status, outcome = 503, "unavailable"
        except Exception:
            log.exception("google push not handled")
            status, outcome = 500, "error"
        # Logged, not counted: a counter would be a Redis write for every forged push.
        logs.event("push.received", outcome=outcome)
        headers = [("Content-Length", "0"), ("Cache-Control", "no-store")]
        if status == 405:
            headers.append(("Allow", "POST"))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [b""]

    def _answer(self, environ: dict[str, Any]) -> tuple[int, str]:
        if environ["REQUEST_METHOD"] != "POST":
            return 405, "bad_method"
        channel_id = environ.get("HTTP_X_GOOG_CHANNEL_ID", "").strip()
        if not CHANNEL_ID.fullmatch(channel_id):
            return 404, "unknown_channel"
        channel = self._channels.get(channel_id)
        if channel is None:
            return 404, "unknown_channel"
        token = environ.get("HTTP_X_GOOG_CHANNEL_TOKEN", "").encode()
        if not hmac.compare_digest(token, channel.token.encode()):
            return 403, "forbidden"
        resource = environ.get("HTTP_X_GOOG_RESOURCE_ID", "")
        if channel.resource_id and not hmac.compare_digest(
            resource.encode(), channel.resource_id.encode()
        ):
            return 403, "forbidden"
        if environ.get("HTTP_X_GOOG_RESOURCE_STATE") == "sync":
            return 200, "sync"
        return 200, jobs.request_sync(self._rt, channel.calendar_id)


def mount(app: WSGIApp, rt: Runtime) -> WSGIApp:
    """``app`` with the webhooks' paths answered by :class:`LockmeWebhook` (a venue's by
    :class:`VenueWebhook`) and :class:`GoogleWebhook` before it."""
    receiver = LockmeWebhook(rt)
    venues = VenueWebhook(rt)
    google = GoogleWebhook(rt)

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == PATH:
            return receiver(environ, start_response)
        if path is not None and path.startswith(VENUE_PATH):
            return venues(environ, start_response)
        if path == GOOGLE_PATH:
            return google(environ, start_response)
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
