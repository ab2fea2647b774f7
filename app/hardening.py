"""HTTP hardening of the web tier: the Host check and the security headers.

Host: without ``PUBLIC_URL`` the request's Host becomes the OAuth redirect and the webhook
URL shown, so Flask checks it against ``TRUSTED_HOSTS`` (``Settings.trusted_hosts``). Flask
records an untrusted Host as the request's routing error, which the login gate would meet
first (building its redirect with no URL adapter: a 500); :func:`refuse_untrusted_host`
runs before every other hook and answers 400 with what to configure.

Headers follow OWASP's secure headers project.

The pages show secrets (the webhook URL with its secret, connection state) and run no
script of another origin, so the policy is strict: scripts and styles only from our own
``/static``, nothing inline, never framed (clickjacking), no referrer leaving the page (the
setup page's URL bar never holds a secret, but links out must not carry one either), no
caching of any page by the browser or a proxy. ``Strict-Transport-Security`` when the
request came over https or ``PUBLIC_URL`` is https; never on a laptop's plain-http
``lockme-sync dev``, where it must not pin https.

HTTPS: with an https ``PUBLIC_URL``, :func:`https_only` answers a plain-http request before
anything reads it: a page is redirected to the same path under ``PUBLIC_URL`` (never the
request's Host), the webhook is refused (403, saying why), because nothing Lockme
publishes says whether its sender follows a redirect, and one that does not would drop
the message silently while a refusal shows in Lockme's panel and our log. ``/healthz``
answers either way (a platform's probe may call the dyno over plain http).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, current_app, request
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Response

from app.webhooks import PATH as WEBHOOK_PATH
from app.webhooks import WSGIApp

bp = Blueprint("hardening", __name__)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"
UNTRUSTED_HOST = "This host name is not served here: set PUBLIC_URL or ALLOWED_HOSTS."
PLAIN_HTTP_ANYWAY = frozenset({"/healthz"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
log = logging.getLogger(__name__)


def https_wanted(public_url: str) -> bool:
    return public_url.lower().startswith("https://")


def https_only(app: WSGIApp, public_url: str) -> WSGIApp:
    """``app`` behind a gate that lets only https through (the scheme as ``ProxyFix`` has
    read it from the trusted hops); see the module docstring."""
    base = public_url.rstrip("/")

    def gate(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("wsgi.url_scheme") == "https" or path in PLAIN_HTTP_ANYWAY:
            return app(environ, start_response)
        if path == WEBHOOK_PATH:
            log.warning("webhook over plain http refused: set its URL to https in Lockme")
            body = json.dumps({"error": "https only: the webhook URL must start https://"})
            start_response(
                "403 Forbidden",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body.encode()]
        # WSGI hands the path and query over as bytes decoded as latin-1.
        query = quote(environ.get("QUERY_STRING", "").encode("latin-1"), safe="=&%+;/?:@,")
        target = base + quote(path.encode("latin-1")) + (f"?{query}" if query else "")
        # 308 keeps a POST a POST; a browser then sends it again over https.
        status = (
            "301 Moved Permanently"
            if environ.get("REQUEST_METHOD") in SAFE_METHODS
            else ("308 Permanent Redirect")
        )
        start_response(status, [("Location", target), ("Content-Length", "0")])
        return [b""]

    return gate


@bp.before_app_request
def refuse_untrusted_host() -> None:
    if isinstance(request.routing_exception, SecurityError):
        abort(400, description=UNTRUSTED_HOST)


@bp.after_app_request
def secure_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.is_secure or https_wanted(current_app.config["PUBLIC_URL"]):
        response.headers["Strict-Transport-Security"] = HSTS
    # Static files may be cached; every page and API answer may hold a secret or live state.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
