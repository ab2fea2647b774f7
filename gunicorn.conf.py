"""Gunicorn settings for the PaaS web process (``web:`` in the Procfile).

Binds ``0.0.0.0:$PORT`` (the platform's router sends traffic there); ``GUNICORN_CMD_ARGS``
still overrides anything here. The webhook only validates and enqueues, so two gevent
workers answer far faster than the router's 30 s limit, and a client that sends its request
slowly holds a greenlet, not a thread (docs/security.md, "Slow clients").
"""

if __name__ == "__config__":
    # gunicorn reads this file as module ``__config__``, before it imports the app (the
    # logger class below imports it, urllib3 and its ssl with it, in the master). The gevent
    # worker patches the standard library only after the fork, too late for a module that
    # took ``ssl.SSLContext`` at import: urllib3's HTTPS calls to Lockme and Google would then
    # block the worker's every greenlet while they wait. Patched here, everything is patched
    # before anything imports it, and the workers inherit it. (A test that reads this file
    # with runpy is left unpatched. A worker class chosen with GUNICORN_CMD_ARGS, such as
    # "-k gthread", still serves, in a patched process: its threads are greenlets.)
    from gevent import monkey

    monkey.patch_all()

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
# gthread (2 × 32 threads until then) read a request's line and headers blocking, with no
# deadline, once the first byte was in: 60 sockets trickling header lines took every thread
# and /healthz timed out. A gevent worker reads each connection in a greenlet of its own (a
# few KB), so slow sockets cost memory, not the webhook's turn; up to worker_connections
# at once per worker, past which it stops accepting until one closes. Figures and the
# choice: docs/security.md, "Slow clients". Behind Heroku's router (which buffers the
# request before it reaches the dyno) none arrive.
worker_class = "gevent"
worker_connections = 1000
# What the pages and the webhook need, with room: a longer request line answers 414, more or
# longer header fields 400, before the app is called.
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
# gunicorn 25+ opens a control socket for gunicornc at $XDG_RUNTIME_DIR/gunicorn.ctl or
# $HOME/.gunicorn/gunicorn.ctl: one path per user, so a second server on the host (another
# checkout, a test run, `lockme-sync dev`) took it over and gunicornc reached the wrong one.
# Nothing here uses it; the platform's signals (SIGTERM, SIGHUP) manage the process.
control_socket_disable = True
