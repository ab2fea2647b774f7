"""The staff pages' language, and their texts in it.

Venue staff in Poland often prefer Polish, while the people who deploy the app read
English. The texts live beside their pages (``app.texts``); this module decides the
request's language: ``?lang=``, then the ``lang`` cookie, then the browser's
Accept-Language; ``?lang=`` is remembered in the cookie.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, SecurityError
from werkzeug.wrappers import Response

from app.texts import PAGES, SANDBOX
from worker.texts import LANGUAGES

COOKIE = "lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600


def language() -> str:
    """The request's language, decided once per request."""
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE)
        g.lang = (
            asked if asked in LANGUAGES else request.accept_languages.best_match(LANGUAGES, "en")
        )
    return g.lang


def t(key: str, **values: object) -> str:
    """The text for ``key`` in the request's language, with ``{name}`` values filled in."""
    return PAGES.text(key, language(), **values)


def t_known(key: str, fallback: str) -> str:
    """``t(key)`` for a key built from data (an action, a result), else ``fallback``."""
    return t(key) if key in PAGES else fallback


def st(key: str, **values: object) -> str:
    """The sandbox pages' text for ``key`` in the request's language."""
    return SANDBOX.text(key, language(), **values)


bp = Blueprint("i18n", __name__)


@bp.app_context_processor
def _i18n_context() -> dict[str, object]:
    return {"t": t, "lang": language(), "switch_language_url": switch_language_url}


def switch_language_url() -> str:
    """This page in the other language, as a GET that exists.

    A page shown in answer to a POST (a form with errors, the connection check) has a URL
    that only takes POST; a plain link to it would meet 405. Then the link goes to the page
    a GET of the same path shows, or to the setup page when the path has no GET at all.
    """
    other = "en" if language() == "pl" else "pl"
    path = request.path
    if request.method != "GET":
        try:
            current_app.create_url_adapter(request).match(path, method="GET")  # type: ignore[union-attr]
        except (MethodNotAllowed, NotFound):
            path = url_for("setup.page")
    return f"{path}?lang={other}"


@bp.app_errorhandler(HTTPException)
def _error_page(error: HTTPException) -> Response | tuple[str, int]:
    """Error pages in the page's language; redirects, machine endpoints and a request with
    no URL adapter (an untrusted Host: no URL can be built) keep werkzeug's answer."""
    machine = request.path.startswith(("/webhooks", "/healthz", "/metrics"))
    untrusted_host = isinstance(request.routing_exception, SecurityError)
    if error.code is None or error.code < 400 or machine or untrusted_host:
        return error.get_response()
    key = f"error_{error.code}"
    if error.description != type(error).description:
        text = str(error.description)  # a message written for staff, already translated
    else:
        text = t(key) if key in PAGES else t("error_other")
    return render_template("error.html", code=error.code, text=text), error.code


@bp.after_app_request
def _remember_choice(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE_S, samesite="Lax", httponly=True)
    return response
