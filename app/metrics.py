"""``GET /metrics``: Prometheus text exposition for a scraper or a logged-in staff member.

A scraper cannot log in, so it sends ``Authorization: Bearer <METRICS_TOKEN>``; the login
gate in ``app.auth`` lets such a request through (:func:`bearer_allowed`). The counters come
from Redis (``worker.ops.metrics``); queue depth, dead letters, parked messages and connection
health are read at scrape time, so they are exact whichever process answers.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST

from app.login_throttle import LoginThrottle, client_address
from app.runtime import runtime
from worker.ops import metrics
from worker.ops.redis_memory import redis_memory
from worker.ops.status import queue_stats
from worker.runtime import Runtime
from worker.stores.token_vault import PROVIDERS

bp = Blueprint("metrics", __name__)
ENDPOINT = "metrics.scrape"
QUEUE_STATES = ("queued", "started", "scheduled", "failed")


def bearer_allowed() -> bool:
    """True for ``/metrics`` carrying the valid ``METRICS_TOKEN``.

    A wrong or unexpected token answers 401 at once rather than the login page, so a
    misconfigured scraper reports an authentication error instead of unparsable HTML.
    Guesses are throttled like passwords (``app.login_throttle``, per client address):
    after 5 wrong tokens each try waits longer (429 meanwhile), and the same wrong token
    again (a scraper left with an old one) costs no try.
    """
    header = request.headers.get("Authorization", "")
    if request.endpoint != ENDPOINT or not header:
        return False
    scheme, _, sent = header.partition(" ")
    rt = runtime()
    token = rt.settings.metrics_token
    if not token or scheme.lower() != "bearer":
        abort(401)
    key = hmac.new(rt.settings.secret_key.encode(), token.encode(), "sha256").hexdigest()[:32]
    throttle = LoginThrottle(rt.redis, rt.keys, rt.settings.secret_key, key)
    subject = f"metrics:{client_address(request)}"
    sent = sent.strip()
    verdict = throttle.claim(subject, sent)
    if verdict.action == "wait":
        abort(Response("too many wrong tokens", 429, {"Retry-After": str(verdict.wait_s)}))
    if verdict.action == "known" or not hmac.compare_digest(sent.encode(), token.encode()):
        if verdict.action == "check":
            throttle.wrong(subject, sent)
        abort(401)
    throttle.passed(subject)
    return True


def gauges(rt: Runtime) -> list[metrics.Gauge]:
    """The values that are states, not counts: read now rather than accumulated."""
    queue = queue_stats(rt)
    store = rt.store
    memory = redis_memory(rt.redis)
    depth = [
        metrics.Gauge("queue_depth", "RQ jobs by state.", {"state": state}, queue[state])
        for state in QUEUE_STATES
    ]
    connections = [
        metrics.Gauge(
            "connection_up",
            "1 when the connection works, 0 when it is broken or not made.",
            {"service": provider},
            1.0 if store.connections.connection(provider)["connected"] else 0.0,
        )
        for provider in PROVIDERS
    ]
    return [
        *depth,
        metrics.Gauge(
            "oldest_queued_age_seconds",
            "Age of the oldest message waiting in the queue (0 when empty).",
            {},
            queue["oldest_queued_age_s"] or 0.0,
        ),
        metrics.Gauge(
            "dead_letters", "Failed messages kept for replay.", {}, store.failures.failure_count()
        ),
        metrics.Gauge(
            "parked", "Messages waiting for a reconnect.", {}, len(store.failures.parked())
        ),
        metrics.Gauge(
            "unknown_message_ids",
            "Message ids Lockme answered 404 for, remembered so that repeats cost no call.",
            {},
            store.failures.unknown_count(),
        ),
        metrics.Gauge("redis_memory_used_bytes", "Redis used_memory.", {}, memory.used_bytes),
        metrics.Gauge(
            "redis_memory_max_bytes", "Redis maxmemory (0: no limit set).", {}, memory.max_bytes
        ),
        *connections,
    ]


@bp.route("/metrics")
def scrape() -> Response:
    rt = runtime()
    return Response(metrics.render(rt.redis, rt.keys, gauges(rt)), content_type=CONTENT_TYPE_LATEST)
