"""The web tier: webhook receiver, login, setup pages, status, health.

``create_app`` is the application factory (gunicorn serves ``app:create_app()``); it imports
the engine from ``worker`` and never the other way round.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.runtime import install
from worker.config import Settings, load_settings
from worker.jobs import runtimes
from worker.ops import logs, sentry
from worker.runtime import Runtime, build_runtime


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app; tests pass ``settings``/``runtime``, production reads the environment."""
    settings = (settings or load_settings()).require()
    logs.configure(settings)
    sentry.init(settings)
    runtime = runtime or build_runtime(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
        # Without PUBLIC_URL the Host names the OAuth redirect and the webhook URL shown:
        # Flask answers 400 for a Host outside this list (``Settings.trusted_hosts``).
        TRUSTED_HOSTS=settings.trusted_hosts,
        PUBLIC_URL=settings.public_url,
    )
    install(app, runtime)
    # A replay (the status page's button) fails over a dead worker's job of the message it
    # re-queues, which runs that job's failure callback in this process, with its queue's
    # runtime. Reads (status, metrics) recover nothing (``worker.ops.status.queue_stats``).
    runtimes.configure(runtime)
    from app import auth, blocks, hardening, i18n, metrics, setup, status, webhooks

    setup.allow_oauth_over_loopback_http(settings)

    # Behind a PaaS router TLS ends before the dyno: trust as many hops of X-Forwarded-For
    # and -Proto as the operator configures (Heroku: 1), and no X-Forwarded-Host: the router
    # passes Host on, and a forged one must never choose our URLs. The webhook is answered
    # ahead of Flask; with an https PUBLIC_URL nothing is answered over plain http.
    hops = settings.trusted_proxy_hops
    wsgi = webhooks.mount(app.wsgi_app, runtime)
    if hardening.https_wanted(settings.public_url):
        wsgi = hardening.https_only(wsgi, settings.public_url)
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        wsgi, x_for=hops, x_proto=hops, x_host=0
    )

    # First: its Host check must run before the login gate builds any URL.
    app.register_blueprint(hardening.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(metrics.bp)
    # auth's before_app_request hooks are the login gate and the CSRF check.
    app.register_blueprint(i18n.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(setup.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(blocks.bp)
    if settings.sandbox_url:
        # Only in sandbox mode (set by ``lockme-sync dev``): its pages and its banner.
        from app import sandbox

        app.register_blueprint(sandbox.bp)
    return app
