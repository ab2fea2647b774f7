"""The setup pages: connecting Lockme and Google, the webhook address, rooms → calendars.

Both OAuth flows keep their ``state`` in the session (it ties the callback to the browser
that started the flow). Google's PKCE verifier is kept in Redis under the state for ten
minutes instead: the session is a cookie the browser can read, and the verifier must stay
secret until the code is exchanged.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import time
from dataclasses import asdict
from datetime import UTC, date
from datetime import time as dt_time
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2 import OAuth2Error
from werkzeug.wrappers import Response

from app import blocks, checklist
from app.i18n import language, t
from app.runtime import runtime
from app.sources import Problem, sources
from worker.config import Settings
from worker.domain.booking import (
    DEFAULT_TITLE,
    HOLDS_SETTINGS,
    PRIVACY_LEVELS,
    TEMPLATE_FIELDS,
    Booking,
    Route,
    render_title,
    template_values,
    unknown_placeholders,
)
from worker.domain.errors import PermanentError, SyncError
from worker.domain.wording import VENUE_WORDS
from worker.flows.blocks import control as blocks_control
from worker.gateways.google_calendar import SCOPES
from worker.gateways.token_refresh import PROVIDER_NAMES
from worker.jobs.queue import enqueue_reconcile, enqueue_replay
from worker.ops import names
from worker.ops.calendar_check import CheckResult, check_all
from worker.ops.names import calendar_names
from worker.stores.redisutil import text
from worker.stores.token_vault import PROVIDERS

bp = Blueprint("setup", __name__)

VERIFIER_TTL_S = 10 * 60
# Host names of a URL (``urlsplit(...).hostname``, brackets stripped) that mean this machine;
# not worker.config's TRUSTED_LOCAL_HOSTS, which are Host header values.
LOOPBACK_HOSTNAMES = frozenset({"localhost", "127.0.0.1", "::1"})
COLOURS = tuple(str(n) for n in range(1, 12))
MAX_DURATION = 24 * 60
# RFC 6750's token characters, and more: any visible ASCII, at most 4 KB.
TOKEN_TEXT = re.compile(r"[\x21-\x7e]{1,4096}")


# --- helpers ------------------------------------------------------------------------------
def redirect_uri(provider: str) -> str:
    """The callback URL registered with the provider; PUBLIC_URL pins it behind proxies."""
    base = runtime().settings.public_url
    if base:
        return f"{base}/oauth/{provider}/callback"
    return url_for(f"setup.{provider}_callback", _external=True)


def webhook_url() -> str:
    settings = runtime().settings
    base = settings.public_url or request.url_root.rstrip("/")
    return f"{base}/webhooks/lockme?secret={quote(settings.webhook_secret, safe='')}"


def _state_matches(session_key: str) -> bool:
    """The callback's ``state`` equals the one this browser's session started with."""
    expected = session.pop(session_key, None)
    sent = request.args.get("state", "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def _failed(message: str, status: int = 400) -> tuple[str, int]:
    return render_template("oauth_error.html", message=message), status


def _connected(provider: str, account: str) -> Response:
    """After a (re)connect: release the messages that waited for it, then back to setup.

    The replay is a job, never run here: thousands of parked messages would otherwise
    hold this request for as many Lockme calls. The cached room and calendar names are
    dropped: the account connected now may have other ones."""
    rt = runtime()
    names.forget(rt)
    waiting = sum(owner == provider for owner in rt.store.failures.parked().values())
    if waiting:
        enqueue_replay(rt, provider)
        flash(t("replayed", count=waiting), "ok")
    flash(t("connected_flash", provider=PROVIDER_NAMES[provider], account=account), "ok")
    return redirect(url_for("setup.index"))


def _lockme_account() -> str:
    """The nick of the connected Lockme account (``/me``), to show who is connected."""
    me = runtime().lockme.me()
    return str(me.get("nick") or me.get("userid") or "") if isinstance(me, dict) else ""


# The calendar test's results, kept in the session from the POST to the page it redirects to.
TESTED_KEY = "calendar_test"
TESTED_ERROR_CHARS = 300  # the session is a cookie: an API's long error text is cut


# --- pages --------------------------------------------------------------------------------
@bp.route("/")
def index() -> Response:
    return redirect(url_for("setup.page"))


@bp.route("/setup")
def page() -> str:
    tested = session.pop(TESTED_KEY, None)
    return _render_setup(tested=[CheckResult(**r) for r in tested] if tested else None)


def _render_setup(
    check: dict[str, Problem] | None = None, tested: list[CheckResult] | None = None
) -> str:
    rt = runtime()
    url = webhook_url()
    uris = {provider: redirect_uri(provider) for provider in PROVIDERS}
    client_ids = {
        "lockme": bool(rt.settings.lockme_client_id),
        "google": bool(rt.settings.google_client_id),
    }
    return render_template(
        "setup.html",
        webhook_url=url,
        last_webhook=rt.store.messages.last_webhook(),
        routes=rt.store.routes.routes(),
        check=check,
        checklist=checklist.steps(rt, url, uris),
        redirect_uris=uris,
        client_ids=client_ids,
        tested=tested,
        calendar_names=calendar_names(rt),
    )


@bp.route("/setup/test-calendars", methods=["POST"])
def test_calendars() -> Response:
    """Write and remove a test event in every calendar bookings may go to; the results
    are shown by the setup page the browser is sent to, so that reloading it does not
    write the test events again (nor ask to re-send the form)."""
    rt = runtime()
    if rt.store.tokens.load_token("google") is None:
        flash(t("test_needs_google"), "error")
    else:
        session[TESTED_KEY] = [
            {**asdict(result), "error": result.error[:TESTED_ERROR_CHARS]}
            for result in check_all(rt)
        ]
    return redirect(url_for("setup.page") + "#calendar-test")


@bp.route("/setup/check", methods=["POST"])
def check() -> str:
    rt = runtime()
    results: dict[str, Problem] = {}
    try:
        answer = t("check_ok_lockme") if rt.lockme.test() else t("check_bad_answer")
        results["lockme"] = Problem(answer)
    except SyncError as exc:
        results["lockme"] = Problem.of("lockme", exc)
    try:
        results["google"] = Problem(t("check_ok_google", count=len(rt.calendar.calendars())))
    except SyncError as exc:
        results["google"] = Problem.of("google", exc)
    return _render_setup(check=results)


@bp.route("/setup/<provider>/disconnect", methods=["POST"])
def disconnect(provider: str) -> Response:
    if provider not in PROVIDERS:
        abort(404)
    if provider == "google":
        blocks_control.stop_push(runtime())
    runtime().store.tokens.delete_token(provider)
    flash(t("disconnected", provider=PROVIDER_NAMES[provider]), "ok")
    return redirect(url_for("setup.page"))


# --- Lockme -------------------------------------------------------------------------------
@bp.route("/setup/lockme/connect")
def lockme_connect() -> Response:
    state = secrets.token_urlsafe(24)
    session["oauth_lockme"] = state
    url = runtime().lockme.authorize_url(redirect_uri("lockme"), state)
    if runtime().settings.sandbox_url:  # the sandbox's consent screen speaks the page's language
        url += "&" + urlencode({"hl": language()})
    return redirect(url)


@bp.route("/oauth/lockme/callback")
def lockme_callback() -> Response | tuple[str, int]:
    if not _state_matches("oauth_lockme"):
        return _failed(t("oauth_state"))
    if "error" in request.args or not request.args.get("code"):
        error = request.args.get("error_description") or request.args.get("error", "no code")
        return _failed(t("oauth_denied", provider="Lockme", error=error))
    try:
        runtime().lockme.exchange_code(request.args["code"], redirect_uri("lockme"))
        account = _lockme_account()
    except SyncError as exc:
        return _failed(t("oauth_exchange", provider="Lockme", error=exc), 502)
    runtime().store.connections.set_connection("lockme", account=account)
    return _connected("lockme", account)


@bp.route("/setup/lockme/token", methods=["POST"])
def lockme_token() -> Response | tuple[str, int]:
    """Accept a pasted token JSON, for accounts whose OAuth app cannot redirect here."""
    rt = runtime()
    try:
        rt.lockme.connect(pasted_token(request.form.get("token", "")))
    except (ValueError, PermanentError) as exc:
        return _failed(t("token_invalid", reason=exc))
    try:
        account = _lockme_account()
    except SyncError as exc:
        # Stored only to be tried: a token Lockme refuses must not stay behind.
        rt.store.tokens.delete_token("lockme")
        return _failed(t("token_invalid", reason=exc))
    rt.store.connections.set_connection("lockme", account=account)
    return _connected("lockme", account)


def pasted_token(raw: str) -> dict[str, Any]:
    """The pasted token JSON, checked before anything is stored.

    The tokens go into an ``Authorization`` header on every Lockme call: one carrying CR/LF
    or a space would break every call (or inject a header) until a reconnect, so only
    visible ASCII is accepted. A lifetime must be a finite number of seconds.
    """
    try:
        token = json.loads(raw)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    if not isinstance(token, dict):
        raise ValueError("a JSON object is expected")
    for field in ("access_token", "refresh_token"):
        value = token.get(field)
        if (field == "access_token" or value is not None) and not (
            isinstance(value, str) and TOKEN_TEXT.fullmatch(value)
        ):
            raise ValueError(f"{field} must be text of visible ASCII characters")
    for field in ("expires_in", "expires"):
        value = token.get(field)
        if value is None:
            continue
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e12:
            raise ValueError(f"{field} must be a number of seconds")
    return token


# --- Google -------------------------------------------------------------------------------
def _google_flow(
    callback: str, code_verifier: str | None = None, scopes: tuple[str, ...] | None = SCOPES
) -> Flow:
    settings = runtime().settings
    config = {
        "web": {
            "client_id": settings.google_client_id,
            "client_secret": settings.google_client_secret,
            "auth_uri": settings.google_auth_uri,
            "token_uri": settings.google_token_uri,
            "redirect_uris": [callback],
        }
    }
    # Explicit, because from_client_config's PKCE default changed between releases.
    return Flow.from_client_config(
        config,
        scopes=list(scopes) if scopes else None,
        redirect_uri=callback,
        code_verifier=code_verifier,
        autogenerate_code_verifier=True,
    )


def allow_oauth_over_loopback_http(settings: Settings) -> None:
    """oauthlib refuses a plain-http authorization or token endpoint, and only an environment
    variable, read on every call, relaxes that. The sandbox's Google (``lockme-sync dev``,
    the tests) is plain http on loopback: set it once at start-up for that case alone,
    never from a request and never for a real (https) Google."""
    endpoints = [urlsplit(settings.google_auth_uri), urlsplit(settings.google_token_uri)]
    if all(e.scheme == "http" and e.hostname in LOOPBACK_HOSTNAMES for e in endpoints):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


@bp.route("/setup/google/connect")
def google_connect() -> Response:
    flow = _google_flow(redirect_uri("google"))
    # ``hl``: Google's consent screen (and the sandbox's) in the language of the page.
    url, state = flow.authorization_url(access_type="offline", prompt="consent", hl=language())
    runtime().redis.set(runtime().keys.oauth_verifier(state), flow.code_verifier, ex=VERIFIER_TTL_S)
    session["oauth_google"] = state
    return redirect(url)


@bp.route("/oauth/google/callback")
def google_callback() -> Response | tuple[str, int]:
    rt = runtime()
    state = request.args.get("state", "")
    verifier = rt.redis.getdel(rt.keys.oauth_verifier(state)) if state else None
    if not _state_matches("oauth_google") or verifier is None:
        return _failed(t("oauth_state"))
    if "error" in request.args or not request.args.get("code"):
        return _failed(t("oauth_denied", provider="Google", error=request.args.get("error", "")))
    # Users may untick a scope on the consent screen: the exchange asks for none (so
    # oauthlib has nothing to compare, where it would raise on a narrower grant unless a
    # process-wide variable relaxed it), and the grant is checked below.
    flow = _google_flow(redirect_uri("google"), code_verifier=text(verifier), scopes=None)
    try:
        flow.fetch_token(code=request.args["code"])
    except (OAuth2Error, requests.RequestException) as exc:
        return _failed(t("oauth_exchange", provider="Google", error=exc), 502)
    credentials = flow.credentials
    granted = set(credentials.granted_scopes or [])
    missing = [scope for scope in SCOPES if scope not in granted]
    if missing:
        return _failed(t("missing_scopes", scopes=", ".join(missing)))
    if not credentials.refresh_token:
        return _failed(t("no_refresh_token"))
    expiry = credentials.expiry
    record = {
        "access_token": credentials.token,
        "refresh_token": credentials.refresh_token,
        "expires_at": expiry.replace(tzinfo=UTC).timestamp() if expiry else time.time() + 3600,
        "scopes": sorted(granted),
    }
    # The account is the primary calendar's id, which can only be read with the new grant.
    rt.calendar.connect(record, account="")
    try:
        account = rt.calendar.primary_id()
    except SyncError as exc:
        return _failed(t("google_error", error=exc), 502)
    rt.store.connections.set_connection("google", account=account)
    return _connected("google", account)


# --- rooms → calendars ----------------------------------------------------------------------
def _row(room: dict[str, Any], route: Route) -> dict[str, str]:
    return {
        "room_id": str(room["roomid"]),
        "room": str(room.get("room") or room["roomid"]),
        "department": str(room.get("department") or ""),
        "calendar_id": route.calendar_id,
        "duration": str(route.duration_minutes or ""),
        "color_id": route.color_id,
        "title_template": route.title_template,
        "privacy": route.privacy,
        "holds": route.holds,
    }


def _parse_row(
    row: dict[str, str], calendars: set[str]
) -> tuple[Route | None, list[tuple[str, str]]]:
    """A Route from one room's form fields, or the reasons it cannot be one, each with the
    field it is about (so that the page can mark that field invalid)."""
    room = row["room"]
    errors: list[tuple[str, str]] = []
    if row["calendar_id"] not in calendars:
        errors.append(("calendar", t("bad_calendar", room=room)))
    duration = row["duration"].strip()
    # ASCII digits only: "²".isdigit() is true, yet int() refuses it.
    digits = duration.isascii() and duration.isdigit() and len(duration) <= 4
    if duration and not (digits and 1 <= int(duration) <= MAX_DURATION):
        errors.append(("duration", t("bad_duration", room=room)))
    if row["color_id"] and row["color_id"] not in COLOURS:
        errors.append(("color", t("bad_colour", room=room)))
    if row["privacy"] not in PRIVACY_LEVELS:
        errors.append(("privacy", t("bad_privacy", room=room)))
    if row["holds"] not in HOLDS_SETTINGS:
        errors.append(("holds", t("bad_holds", room=room)))
    errors += [
        ("title", t("bad_template", room=room, field=f))
        for f in unknown_placeholders(row["title_template"])
    ]
    if errors:
        return None, errors
    route = Route(
        room_id=int(row["room_id"]),
        calendar_id=row["calendar_id"],
        duration_minutes=int(duration) if duration else None,
        color_id=row["color_id"],
        title_template=row["title_template"].strip(),
        privacy=row["privacy"],
        room_name=room,
        holds=row["holds"],
    )
    return route, []


@bp.route("/setup/rooms", methods=["GET", "POST"])
def rooms() -> str | tuple[str, int] | Response:
    rt = runtime()
    found = sources()
    options, problems = found.options, found.problems
    rows = [_row(room, rt.store.routes.route(int(room["roomid"]))) for room in found.rooms]
    errors: list[str] = []
    invalid: set[str] = set()
    if request.method == "POST" and not problems:
        form = request.form
        for row in rows:
            rid = row["room_id"]
            row.update(
                calendar_id=form.get(f"calendar-{rid}", ""),
                duration=form.get(f"duration-{rid}", ""),
                color_id=form.get(f"color-{rid}", ""),
                title_template=form.get(f"title-{rid}", ""),
                privacy=form.get(f"privacy-{rid}", ""),
                # A form from before the setting keeps the room's choice.
                holds=form.get(f"holds-{rid}", row["holds"]),
            )
        parsed = [_parse_row(row, {o["value"] for o in options}) for row in rows]
        errors = [error for _, row_errors in parsed for _, error in row_errors]
        invalid = {
            f"{field}-{row['room_id']}"
            for row, (_, row_errors) in zip(rows, parsed, strict=True)
            for field, _ in row_errors
        }
        if not errors:
            moved = []
            for route, _ in parsed:
                assert route is not None
                if route.calendar_id != rt.store.routes.route(route.room_id).calendar_id:
                    moved.append(str(route.room_id))
                rt.store.routes.set_route(route)
            flash(t("routes_saved", count=len(parsed)), "ok")
            return redirect(url_for("setup.rooms", moved=",".join(moved) or None))
    samples = _samples(rt.settings.venue_language)
    html = render_template(
        "rooms.html",
        rows=rows,
        options=options,
        problems=problems,
        errors=errors,
        invalid=invalid,
        moved=_moved_rooms(rows),
        samples=samples,
        previews={row["room_id"]: _preview(row, samples) for row in rows},
        colours=COLOURS,
        privacy_levels=PRIVACY_LEVELS,
        holds_settings=HOLDS_SETTINGS,
        fields=", ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS),
        default_title=DEFAULT_TITLE,
        default_duration=rt.settings.default_duration_minutes,
        blocks_rooms=blocks.rooms_section(rt, found),
        blocks_options=found.readable,
        hold_marker=VENUE_WORDS[rt.settings.venue_language].hold_marker,
    )
    return (html, 400) if errors else html


# The booking the rooms page previews titles with (no real customer's data on screen).
SAMPLE_BOOKING = Booking(
    reservation_id=48211930,
    room_id=0,
    date=date(2026, 5, 2),
    hour=dt_time(18, 0),
    name="Anna",
    surname="Nowak",
    email="anna.nowak@example.com",
    phone="+48 600 100 200",
    people=4,
    price="240.00",
    source="web",
)


def _samples(language: str) -> dict[str, dict[str, str]]:
    """The sample booking's title fields at each privacy level (``{room}`` left for the
    page to fill per room), so the preview shows exactly what the sync would write."""
    return {
        level: template_values(
            SAMPLE_BOOKING, Route(0, privacy=level, room_name="{room}"), language
        )
        for level in PRIVACY_LEVELS
    }


def _preview(row: dict[str, str], samples: dict[str, dict[str, str]]) -> str:
    values = {**samples.get(row["privacy"], samples["time_only"]), "room": row["room"]}
    return render_title(row["title_template"], values)


def _moved_rooms(rows: list[dict[str, str]]) -> list[str]:
    """Names of the rooms whose calendar the last save changed (``?moved=`` ids)."""
    ids = set(request.args.get("moved", "").split(","))
    return [row["room"] for row in rows if row["room_id"] in ids]


@bp.route("/setup/resync", methods=["POST"])
def resync() -> Response:
    """Queue a reconcile of upcoming bookings, e.g. after changing rooms' calendars."""
    enqueue_reconcile(runtime())
    flash(t("resync_queued"), "ok")
    return redirect(url_for("setup.rooms"))
