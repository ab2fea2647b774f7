"""Staff login, the login gate, CSRF protection and the login rate limit.

There is one staff password (``ADMIN_PASSWORD``), so there are no user accounts: a session
is either logged in or not. Every form POST carries a per-session CSRF token. The Lockme
webhook never reaches these hooks: it is answered ahead of Flask (``app.webhooks.mount``)
and authenticated by the secret in its URL.

Sessions live in a signed cookie, which the server cannot delete from a browser (or from a
copy someone saved). So a session also carries the staff epoch, a counter in Redis that
logout raises, and a fingerprint of the password it was opened with: logging out, or
changing ``ADMIN_PASSWORD``, ends every session opened before. The cookie's signature is
timestamped and re-signed on every request, and Flask refuses one older than
``SESSION_IDLE``: that is the idle timeout, checked by the server, not only by the browser.
The session also carries when it was opened, and ends ``SESSION_MAX`` after it however
busy it is.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response as BaseResponse

from app.hardening import https_wanted
from app.i18n import t
from app.login_throttle import DEVICE_COOKIE, DEVICE_DAYS, LoginThrottle
from app.metrics import bearer_allowed
from app.runtime import runtime
from worker.stores.redisutil import text

bp = Blueprint("auth", __name__)

# A staff session ends after this long without a request, and this long after its login
# whatever the activity (a status screen left open refreshes itself all day): both in
# docs/security.md.
SESSION_IDLE = timedelta(hours=12)
SESSION_MAX = timedelta(hours=24)
# Reachable without a session: the login page itself, static files and the health probe.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "webhooks.healthz"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def cookie_secure() -> bool:
    """Cookies are Secure whenever ``PUBLIC_URL`` is https, or the request came over https.

    A fixed ``SESSION_COOKIE_SECURE=True`` would break plain-http development on a laptop,
    and the request's scheme alone would let a plain-http request (which an https
    deployment redirects, ``hardening.https_only``) set one without it."""
    return request.is_secure or https_wanted(runtime().settings.public_url)


class RequestSecureSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure as :func:`cookie_secure` says."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return cookie_secure()


@bp.record_once
def _install_session_interface(state: object) -> None:
    app = state.app  # type: ignore[attr-defined]
    app.session_interface = RequestSecureSessionInterface()
    # Flask checks the signature's age against this on every request, and re-signs a
    # permanent session on every request: together an idle timeout enforced server-side.
    app.config.update(PERMANENT_SESSION_LIFETIME=SESSION_IDLE, SESSION_REFRESH_EACH_REQUEST=True)


def csrf_token() -> str:
    """The session's CSRF token, created on first use (forms embed it as ``csrf_token``)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _password_fingerprint() -> str:
    """A keyed hash of ``ADMIN_PASSWORD``: changes with the password, reveals nothing of it."""
    settings = runtime().settings
    digest = hmac.new(settings.secret_key.encode(), settings.admin_password.encode(), "sha256")
    return digest.hexdigest()[:32]


def _staff_epoch() -> str:
    """The current staff epoch (read once per request); logout raises it."""
    if "staff_epoch" not in g:
        g.staff_epoch = text(runtime().redis.get(runtime().keys.staff_epoch) or b"0")
    return g.staff_epoch


def logged_in() -> bool:
    """A session opened by login less than ``SESSION_MAX`` ago, since the last logout,
    with the current password."""
    if session.get("staff") is not True:
        return False
    opened = session.get("opened")
    if not isinstance(opened, int) or time.time() - opened > SESSION_MAX.total_seconds():
        return False
    return hmac.compare_digest(
        str(session.get("epoch", "")), _staff_epoch()
    ) and hmac.compare_digest(str(session.get("pw", "")), _password_fingerprint())


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so that ``?next=`` cannot send a staff member elsewhere, and
    only what can stand in a ``Location`` header: anything else goes to the setup page. A
    backslash is refused too (browsers read ``/\\host`` as ``//host``), as are control
    characters (a CRLF made the redirect a 500) and what ``urlsplit`` cannot parse
    (``//[``)."""
    home = url_for("setup.index")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return home
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return home
    try:
        parts = urlsplit(target)
    except ValueError:
        return home
    return home if parts.scheme or parts.netloc else target


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


def _throttle() -> LoginThrottle:
    rt = runtime()
    return LoginThrottle(rt.redis, rt.keys, rt.settings.secret_key, _password_fingerprint())


def _refused(next_url: str, error: str, status: int, wait_s: int) -> BaseResponse:
    response = make_response(render_template("login.html", next_url=next_url, error=error))
    response.status_code = status
    if wait_s:
        response.headers["Retry-After"] = str(wait_s)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | str:
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("login.html", next_url=next_url)
    throttle = _throttle()
    subject = throttle.subject(request)
    password = request.form.get("password", "")
    verdict = throttle.claim(subject, password)
    if verdict.action == "wait":
        return _refused(next_url, t("login_wait", seconds=verdict.wait_s), 429, verdict.wait_s)
    right = runtime().settings.admin_password
    if verdict.action == "known" or not hmac.compare_digest(password.encode(), right.encode()):
        if verdict.action == "check":
            throttle.wrong(subject, password)
        error = t("login_wrong")
        if verdict.wait_s:
            error = f"{error} {t('login_wait', seconds=verdict.wait_s)}"
        return _refused(next_url, error, 401, verdict.wait_s)
    throttle.passed(subject)
    # A fresh session (and CSRF token) on login, so a token seen before login is useless.
    session.clear()
    session.permanent = True
    session.update(
        staff=True, epoch=_staff_epoch(), pw=_password_fingerprint(), opened=int(time.time())
    )
    csrf_token()
    response = redirect(_safe_next(next_url))
    # This browser's own login count from now on (app.login_throttle).
    response.set_cookie(
        DEVICE_COOKIE,
        throttle.device_cookie(),
        max_age=DEVICE_DAYS * 24 * 3600,
        path=url_for("auth.login"),
        secure=cookie_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/logout", methods=["POST"])
def logout() -> Response | BaseResponse:
    """End this session and every other one: with one shared password, a staff member who
    logs out (say, on leaving a shared computer) means every copy of the cookie too."""
    runtime().redis.incr(runtime().keys.staff_epoch)
    session.clear()
    return redirect(url_for("auth.login"))
