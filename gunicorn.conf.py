"""Gunicorn settings for the PaaS web process (``web:`` in the Procfile).

Binds ``0.0.0.0:$PORT`` (the platform's router sends traffic there); ``GUNICORN_CMD_ARGS``
still overrides anything here. The webhook only validates and enqueues, so a few sync
workers with threads answer far faster than the router's 30 s limit.
"""

import os
import sys

from worker.config import ConfigError, load_settings

try:
    settings = load_settings().require()
except ConfigError as exc:
    # One clear line instead of a traceback per worker process.
    print(f"configuration error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A slow client holds a thread for as long as it takes to send its request line and headers
# (gthread reads them blocking once the first byte is in, with no deadline), so threads are
# many: an idle one costs little memory, and it takes 2 × 32 slow sockets, not 2 × 4, before
# the webhook and /healthz wait. Behind Heroku's router (which buffers the request before it
# reaches the dyno) none arrive; figures and the bound: docs/security.md, "Slow clients".
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# What the pages and the webhook need, with room: a longer request line answers 414, more or
# longer header fields 400, before a thread is spent on the app.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
timeout = 30
graceful_timeout = 20
keepalive = 5
# Each worker listens on its own SO_REUSEPORT socket (gunicorn 23+), so the kernel spreads
# connections evenly; Heroku's Python getting-started app turns it on for the same reason.
# On one shared socket, a burst of kept-alive connections (a router's pool, or
# python -m bench's 32) often all landed on one worker, which then ran on one core at a
# fraction of the rate (figures: docs/benchmarks.md). The cost: connections still waiting
# in a worker's accept queue are reset if that worker dies; Lockme redelivers an unanswered
# webhook.
reuse_port = True
# TLS ends at the platform's router; trust its X-Forwarded-* headers (ProxyFix counts the
# hops). With TRUSTED_PROXY_HOPS=0 nothing is in front, so gunicorn itself honours none of
# them either (X-Forwarded-Proto, SCRIPT_NAME and the like would be the client's word).
forwarded_allow_ips = os.environ.get(
    "FORWARDED_ALLOW_IPS", "*" if settings.trusted_proxy_hops else ""
)
accesslog = None
errorlog = "-"
# The webhook's URL carries its secret: gunicorn's own lines (the error log's "Error handling
# request <url>", an access log an operator turns on) are written with it cut out.
logger_class = "app.serverlog.Logger"
