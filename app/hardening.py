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
caching of any page by the browser or a proxy. ``Strict-Transport-Security`` only when the
request came over https: sent over http it would be ignored, and on a laptop's plain-http
``lockme-sync dev`` it must not pin https.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Response

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


@bp.before_app_request
def refuse_untrusted_host() -> None:
    if isinstance(request.routing_exception, SecurityError):
        abort(400, description=UNTRUSTED_HOST)


@bp.after_app_request
def secure_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    # Static files may be cached; every page and API answer may hold a secret or live state.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
