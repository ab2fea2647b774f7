"""Staff login, the login gate, CSRF protection and the login rate limit.

There is one staff password (``ADMIN_PASSWORD``), so there are no user accounts: a session
is either logged in or not. Every form POST carries a per-session CSRF token. The Lockme
webhook never reaches these hooks: it is answered ahead of Flask (``app.webhooks.mount``)
and authenticated by the secret in its URL.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response as BaseResponse

from app.i18n import t
from app.metrics import bearer_allowed
from app.runtime import runtime
from worker.store import PREFIX

bp = Blueprint("auth", __name__)

LOGIN_LIMIT = 10
LOGIN_WINDOW_S = 5 * 60
# Reachable without a session: the login page itself, static files and the health probe.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "webhooks.healthz"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestSecureSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over https.

    A fixed ``SESSION_COOKIE_SECURE=True`` would break plain-http development on a laptop,
    and ``False`` would leak the cookie over http in production; behind ProxyFix the
    request's scheme is the one the browser used.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


@bp.record_once
def _install_session_interface(state: object) -> None:
    state.app.session_interface = RequestSecureSessionInterface()  # type: ignore[attr-defined]


def csrf_token() -> str:
    """The session's CSRF token, created on first use (forms embed it as ``csrf_token``)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def logged_in() -> bool:
    return session.get("staff") is True


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so that ``?next=`` cannot send a staff member elsewhere."""
    if not target:
        return url_for("setup.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("setup.index")
    return target


@bp.before_app_request
def require_login() -> BaseResponse | None:
    if request.endpoint in PUBLIC_ENDPOINTS or logged_in() or bearer_allowed():
        return None
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.before_app_request
def check_csrf() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description=t("csrf_failed"))


@bp.app_context_processor
def _auth_context() -> dict[str, object]:
    return {"csrf_token": csrf_token, "logged_in": logged_in}


def _attempts_key() -> str:
    return f"{PREFIX}login:{request.remote_addr or 'unknown'}"


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str | tuple[str, int]:
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("login.html", next_url=next_url)
    rt = runtime()
    key = _attempts_key()
    if int(rt.redis.get(key) or 0) >= LOGIN_LIMIT:
        return render_template("login.html", next_url=next_url, error=t("login_too_many")), 429
    password = request.form.get("password", "")
    if not hmac.compare_digest(password.encode(), rt.settings.admin_password.encode()):
        pipe = rt.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, LOGIN_WINDOW_S, nx=True)
        pipe.execute()
        return render_template("login.html", next_url=next_url, error=t("login_wrong")), 401
    rt.redis.delete(key)
    # A fresh session (and CSRF token) on login, so a token seen before login is useless.
    session.clear()
    session["staff"] = True
    csrf_token()
    return redirect(_safe_next(next_url))


@bp.route("/logout", methods=["POST"])
def logout() -> Response | BaseResponse:
    session.clear()
    return redirect(url_for("auth.login"))
