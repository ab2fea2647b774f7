"""The Lockme API client: OAuth tokens, messages and acks, rooms and reservations.

Refresh tokens are treated as single-use (rotating), as Lockme's own SDK does: a refresh
happens under a cross-process Redis lock, re-reads the stored token first (another process
may have refreshed already), and saves the new pair in one write.

Lockme publishes no schema, so answers are read as its own PHP client reads them
(``worker.gateways.lockme_shapes``): any 2xx acknowledges whatever its body, lists may come keyed
by id,
a 2xx JSON object with an ``error`` key is an error. Every answer's shape is remembered.

Every answer is read with a cap (``ANSWER_LIMIT``, ``LIST_ANSWER_LIMIT``): past it the
answer is a :class:`~worker.domain.errors.MalformedAnswer`, recorded rather than retried, and
never held in memory or Redis whole.

A failed API call is retried in place a few times (``API_RETRY``) before the job's own
backoff, which is for outages, takes over; the token endpoint is not (``TOKEN_RETRY``),
nor is a create (``PUT``) once it may have reached Lockme (``create_reservation``).
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from datetime import date
from typing import Any, NoReturn
from urllib.parse import quote, urlencode, urlsplit

import certifi
import urllib3
from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError

from worker.config import Settings
from worker.domain.booking import MalformedMessage, positive_id
from worker.domain.errors import AuthError, MalformedAnswer, PermanentError, TransientError
from worker.gateways import token_refresh as tokens
from worker.gateways.lockme_shapes import Answer, ShapeLog, as_list, created_id, says_ok, single
from worker.gateways.token_refresh import EXPIRY_MARGIN_S
from worker.ops import logs, metrics
from worker.stores.store import Store
from worker.stores.token_vault import TOKEN_REUSE_S

SERVICE = "lockme"
TIMEOUT = urllib3.Timeout(connect=5.0, read=20.0)
SCOPE = "rooms_manage"
HEADERS = {"User-Agent": "lockme-calendar-sync"}
# Every failure to get an answer: refused, reset or dropped connections, timeouts, TLS.
NETWORK_ERRORS = (urllib3.exceptions.HTTPError, OSError)

Response = urllib3.BaseHTTPResponse

# The most of one answer read (decompressed): a message, a reservation, an ack, /me, /test
# and the token endpoint answer a few KB; a day's reservations or the rooms list a few
# hundred. Past the cap an answer is malformed, whatever it holds.
ANSWER_LIMIT = 1024 * 1024
LIST_ANSWER_LIMIT = 16 * 1024 * 1024


# league/oauth2-client's AccessToken, which Lockme's SDK uses, reads an ``expires`` above the
# OAuth 2 draft's date (2012-10-01) as a timestamp and anything else as seconds from now.
OAUTH2_INCEPTION = 1349067600
# In place, per call: up to 3 retries, 0 s, 0.5 s and 1 s apart (urllib3's backoff) plus up to
# 0.25 s of jitter; a Retry-After is honoured up to RETRY_AFTER_CAP_S. So one call waits at
# most 3 x 5 s = 15 s between attempts, and a booking's three calls at most 45 s.
RETRY_AFTER_CAP_S = 5.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class InPlaceRetry(urllib3.Retry):
    """urllib3's retry, except that a server asking to wait longer than
    ``RETRY_AFTER_CAP_S`` ends the retries at once: the answer then goes to the job's
    backoff (``TransientError.retry_after``) instead of holding the worker."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Response | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> InPlaceRetry:
        wait = _retry_after(response) if response is not None else None
        if wait is not None and wait > RETRY_AFTER_CAP_S:
            raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:g} s"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


# API calls: connection failures, dropped connections and timeouts, 429 and 5xx. The ack is
# a POST, and safe to repeat: acknowledging a message twice is still one acknowledgement; so
# is an edit (the same fields again) and a delete (a second one finds the reservation gone,
# 404). A create (PUT) is not: a timeout or a 5xx may come after Lockme made the reservation,
# and a blind repeat would make a second one. urllib3 retries it only when the connection
# was refused (the request never left); the blocks writer looks it up by extid instead.
API_RETRY = InPlaceRetry(
    total=3,
    connect=3,
    read=2,
    status=3,
    other=0,
    redirect=False,
    backoff_factor=0.25,
    backoff_jitter=0.25,
    status_forcelist=RETRY_STATUSES,
    allowed_methods=frozenset({"GET", "POST", "DELETE"}),
    respect_retry_after_header=True,
    raise_on_status=False,
)
# The token endpoint only when the request never left (no connection): refresh tokens rotate,
# so a refresh whose answer was lost has already spent the stored one, and a blind retry
# would only trade a lost answer for "invalid_grant".
TOKEN_RETRY = urllib3.Retry(
    total=2,
    connect=2,
    read=False,
    status=0,
    other=0,
    redirect=False,
    backoff_factor=0.25,
    respect_retry_after_header=False,
    raise_on_status=False,
)


def _retry_after(response: Response) -> float | None:
    """A ``Retry-After`` in seconds (as a number or an HTTP date), if the answer has one."""
    try:
        return API_RETRY.get_retry_after(response)
    except InvalidHeader:
        return None


def _error_text(answer: Answer, reason: str | None) -> str:
    """Lockme's error text lives in ``message`` (OAuth errors use ``error``)."""
    if isinstance(answer.body, dict):
        parts = [answer.body.get(k) for k in ("error", "error_description", "message")]
        text = ": ".join(str(p) for p in parts if p)
        if text:
            return text[:300]
    return reason or f"HTTP {answer.status}"


def _unreachable(exc: Exception) -> str:
    """What kept an answer away, e.g. ``ProtocolError`` (after urllib3 gave up retrying)."""
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    return type(reason).__name__


def _discard(response: Response) -> None:
    """Give up on a body not read to its end: its connection is closed, not reused."""
    response.close()
    response.release_conn()


def connection_pool(base_url: str) -> urllib3.PoolManager:
    """Kept-alive connections to Lockme, with the proxy and CA settings the environment
    gives (``HTTPS_PROXY``/``NO_PROXY``, ``REQUESTS_CA_BUNDLE``), read once at start-up.

    urllib3 rather than ``requests`` (which runs on it) for the three calls every booking
    makes: requests' own work on every call (cookies, hooks, redirects, settings merged)
    was a sizeable share of the worker's overhead (figures: docs/benchmarks.md).
    No redirects; a few retries in place (``API_RETRY``), then a failure is classified and
    retried by the job's policy.
    """
    parts = urlsplit(base_url)
    options: dict[str, Any] = {
        "timeout": TIMEOUT,
        "retries": API_RETRY,
        "ca_certs": (
            os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or certifi.where()
        ),
    }
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


def token_record(body: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Normalise a token response to what we store: access, refresh and an absolute expiry."""
    if not isinstance(body, dict) or not body.get("access_token"):
        raise PermanentError("token response has no access_token", service=SERVICE)
    expires_at = time.time() + 3600
    try:
        if body.get("expires_in"):
            expires_at = time.time() + float(body["expires_in"])
        elif body.get("expires"):
            expires = float(body["expires"])
            expires_at = expires if expires > OAUTH2_INCEPTION else time.time() + expires
    except (TypeError, ValueError):
        pass  # an unreadable lifetime: assume an hour; a 401 refreshes it sooner if need be
    refresh = body.get("refresh_token") or (previous or {}).get("refresh_token")
    return {
        "access_token": body["access_token"],
        "refresh_token": refresh,
        "expires_at": expires_at,
    }


class SlotTaken(PermanentError):
    """Lockme refused a create because the slot is not free (a customer holds it, or the
    hour is not one of the room's slots): a conflict to show staff, never a retry."""


def reservation_id_of(reservation: dict[str, Any]) -> int | None:
    """The id of a reservation as read from the API, in whichever field it came."""
    return created_id({k: reservation[k] for k in ("reservationid", "id") if k in reservation})


class LockmeClient:
    """One per process: it holds the connection pool and the current access token."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.http = connection_pool(settings.lockme_base)
        self.shapes = ShapeLog(store.redis, store.keys.lockme_shapes)

    # --- OAuth --------------------------------------------------------------------------
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.settings.lockme_client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": SCOPE,
        }
        return f"{self.settings.lockme_base}/authorize?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """Trade an authorization code for tokens and store them."""
        token = self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        return self.connect(token)

    def connect(self, token: dict[str, Any]) -> dict[str, Any]:
        """Store a token pair (from the OAuth callback or pasted JSON) and mark it healthy."""
        record = token_record(token)
        self.store.tokens.save_token(SERVICE, record)
        self.store.connections.set_connection(SERVICE, error="")
        return record

    def _token_call(
        self, form: dict[str, str], previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        form = {
            **form,
            "client_id": self.settings.lockme_client_id,
            "client_secret": self.settings.lockme_client_secret,
        }
        try:
            response = self._send(
                "POST",
                f"{self.settings.lockme_base}/access_token",
                body=urlencode(form),
                headers={**HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
                retries=TOKEN_RETRY,
            )
        except NETWORK_ERRORS as exc:
            raise TransientError(
                f"token endpoint unreachable: {_unreachable(exc)}", service=SERVICE
            ) from exc
        answer = self._answer("POST", "/access_token", response, ANSWER_LIMIT)
        if response.status >= 500 or response.status == 429:
            raise TransientError(
                f"token endpoint: {_error_text(answer, response.reason)}",
                service=SERVICE,
                status=response.status,
                retry_after=_retry_after(response),
            )
        if response.status >= 400 or answer.carries_error:
            # An OAuth error, in a 4xx or (as Lockme's PHP provider also reads it) a 2xx.
            raise AuthError(
                _error_text(answer, response.reason), service=SERVICE, status=response.status
            )
        if not isinstance(answer.body, dict):
            raise TransientError(f"token endpoint: the body is {answer.form}", service=SERVICE)
        return token_record(answer.body, previous)

    def _current_token(self, *, write: bool = False) -> dict[str, Any]:
        """The stored token. A read may reuse it for a few seconds (``TOKEN_REUSE_S``); a
        write (the ack) checks the connection's generation first, so that nothing is
        acknowledged with a grant the staff disconnected or replaced."""
        if write:
            token = self.store.tokens.write_token(SERVICE)
        else:
            token = self.store.tokens.load_token(SERVICE, max_age=TOKEN_REUSE_S)
        if token is None:
            raise AuthError("Lockme is not connected", service=SERVICE)
        if token.get("expires_at", 0) - EXPIRY_MARGIN_S < time.time():
            return self._refresh(token["access_token"])
        return token

    def _refresh(self, stale_access: str) -> dict[str, Any]:
        """Refresh once across all processes; whoever holds the lock second reuses the result."""
        return tokens.refresh_once(self.store, SERVICE, stale_access, self._renew)

    def _renew(self, stored: dict[str, Any], generation: int) -> dict[str, Any]:
        """A new token from Lockme for ``stored``; a refused refresh breaks the connection."""
        if not stored.get("refresh_token"):
            self._mark_broken("token expired and no refresh token: reconnect needed", generation)
        try:
            return self._token_call(
                {"grant_type": "refresh_token", "refresh_token": stored["refresh_token"]}, stored
            )
        except AuthError as exc:
            self._mark_broken(f"{exc}: reconnect needed", generation)

    def _send(self, method: str, url: str, **kwargs: Any) -> Response:
        """Every HTTP request to Lockme, counted by status for ``/metrics``, the attempts
        retried in place included."""
        try:
            # The body is read by ``_answer``, with its cap.
            response = self.http.request(method, url, preload_content=False, **kwargs)
        except NETWORK_ERRORS:
            metrics.api_call(self.store.redis, self.store.keys, SERVICE, "network")
            raise
        retried = response.retries.history if response.retries else ()
        for attempt in retried:
            metrics.api_call(
                self.store.redis, self.store.keys, SERVICE, attempt.status or "network"
            )
        if retried:
            logs.event(
                "lockme.retried",
                outcome=str(response.status),
                attempts=len(retried) + 1,
                failures=[a.status or type(a.error).__name__ for a in retried],
            )
        metrics.api_call(self.store.redis, self.store.keys, SERVICE, response.status)
        return response

    def _answer(self, method: str, path: str, response: Response, limit: int) -> Answer:
        """Read a body of at most ``limit`` bytes the way Lockme's PHP client does, and
        remember its shape."""
        what = f"Lockme {method} {path}"
        try:
            data = response.read(limit + 1, decode_content=True)
        except NETWORK_ERRORS as exc:
            _discard(response)
            raise TransientError(f"{what}: {_unreachable(exc)}", service=SERVICE) from exc
        if len(data) > limit:
            _discard(response)
            raise MalformedAnswer(
                f"{what}: the answer is larger than {limit // 1024} KB",
                service=SERVICE,
                status=response.status,
            )
        response.release_conn()
        try:
            answer = Answer.read(response.status, response.headers.get("Content-Type", ""), data)
        except MalformedAnswer as exc:
            raise MalformedAnswer(f"{what}: {exc}", service=SERVICE, status=exc.status) from None
        self.shapes.note(method, path, answer)
        return answer

    def _mark_broken(self, reason: str, generation: int | None = None) -> NoReturn:
        """Record ``reason`` on the connection of ``generation`` (default: the current one),
        so that a grant made meanwhile is not marked, and raise it."""
        if generation is None:
            generation = self.store.tokens.generation(SERVICE)
        self.store.connections.set_connection(SERVICE, error=reason, generation=generation)
        raise AuthError(reason, service=SERVICE)

    # --- API ----------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        allow_404: bool = False,
        body: Any = None,
        limit: int = ANSWER_LIMIT,
    ) -> Answer | None:
        """Call ``/{version}{path}``; refresh once on 401; classify failures by type.

        Any 2xx is an answer, whatever its body; None is a 404 when ``allow_404``. A 2xx JSON
        object carrying ``error`` is an error, as Lockme's own PHP provider has it
        (``checkResponse``); whether a retry helps is unknown, so it is a transient one.
        ``body``, when given, is sent as JSON (the SDK's writes).
        """
        token = self._current_token(write=method != "GET")
        headers = {**HEADERS}
        extra: dict[str, Any] = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
            extra["body"] = json.dumps(body)
        for attempt in (1, 2):
            try:
                response = self._send(
                    method,
                    f"{self.settings.lockme_api_base}{path}",
                    headers={**headers, "Authorization": f"Bearer {token['access_token']}"},
                    **extra,
                )
            except NETWORK_ERRORS as exc:
                raise TransientError(
                    f"Lockme {method} {path}: {_unreachable(exc)}", service=SERVICE
                ) from exc
            if response.status == 401 and attempt == 1:
                _discard(response)
                token = self._refresh(token["access_token"])
                continue
            break
        answer = self._answer(method, path, response, limit)
        status = response.status
        if status == 404 and allow_404:
            return None
        text = _error_text(answer, response.reason)
        if status == 401:
            self._mark_broken(f"Lockme refused the token: {text}")
        if status >= 500 or status == 429 or (200 <= status < 300 and answer.carries_error):
            raise TransientError(
                f"Lockme {method} {path}: {status} {text}",
                service=SERVICE,
                status=status,
                retry_after=_retry_after(response),
            )
        if not 200 <= status < 300:
            raise PermanentError(
                f"Lockme {method} {path}: {status} {text}", service=SERVICE, status=status
            )
        return answer

    def _json(self, method: str, path: str) -> Any:
        """A body that must be JSON: a message read as text or nothing is not a message."""
        answer = self.call(method, path)
        assert answer is not None
        if answer.form != "json":
            raise TransientError(
                f"Lockme {method} {path}: {answer.status}, the body is {answer.form}, not JSON",
                service=SERVICE,
                status=answer.status,
            )
        return answer.body

    def _list(self, path: str, id_key: str) -> list[dict[str, Any]]:
        """A collection, sent as a JSON list or as an object keyed by id: always a list."""
        answer = self.call("GET", path, limit=LIST_ANSWER_LIMIT)
        assert answer is not None
        items = as_list(answer.body, id_key)
        if items is None:
            raise TransientError(
                f"Lockme GET {path}: neither a list nor an object keyed by id", service=SERVICE
            )
        return items

    def message(self, message_id: int) -> Any:
        return self._json("GET", f"/message/{message_id}")

    def ack(self, message_id: int) -> None:
        """Any 2xx acknowledges, whatever its body: JSON, text, empty or a 204."""
        self.call("POST", f"/message/{message_id}")

    def reservation(self, room_id: int, reservation_id: int) -> dict[str, Any] | None:
        """The current reservation, or None only when Lockme answered 404 (deleted, or moved
        to another room). Its fields are not promised to match a message's ``data``: an
        answer of any other shape comes back as ``{}``, which callers cannot parse and so
        fall back on what they know (``booking.confirmed_booking``)."""
        answer = self.call("GET", f"/room/{room_id}/reservation/{reservation_id}", allow_404=True)
        if answer is None:
            return None
        return single(answer.body) or {}

    def reservations(self, room_id: int, day: date) -> list[dict[str, Any]]:
        return self._list(f"/room/{room_id}/reservations/{day.isoformat()}", "reservationid")

    def rooms(self) -> list[dict[str, Any]]:
        """Lockme's rooms, each ``roomid`` a positive integer (the pages and routes key on
        it); a room without one makes the whole answer malformed, not a 500 later."""
        rooms = self._list("/rooms", "roomid")
        for room in rooms:
            try:
                room["roomid"] = positive_id(room.get("roomid"), "roomid")
            except MalformedMessage as exc:
                raise MalformedAnswer(f"Lockme GET /rooms: {exc}", service=SERVICE) from None
        return rooms

    def me(self) -> dict[str, Any]:
        me = self._json("GET", "/me")
        return me if isinstance(me, dict) else {}

    def test(self) -> bool:
        """Whether ``/test`` says OK (as JSON or text; an object or an empty body does too)."""
        answer = self.call("GET", "/test")
        return answer is not None and says_ok(answer.body)

    # --- writes (calendar → Lockme blocks) -----------------------------------------------
    def create_reservation(self, room_id: int, body: dict[str, Any]) -> int | None:
        """``PUT /room/{r}/reservation``: the new reservation's id, or None when the answer
        does not say it in any known form (the caller then finds it by ``extid``).

        Not retried in place once the request may have reached Lockme (``API_RETRY`` leaves
        PUT out): a create is not idempotent by itself, and a timeout or a 5xx may follow a
        reservation already made. The caller's lookup by ``extid`` before and after the
        create is what makes it safe to repeat, so the repeat belongs there, where that
        lookup is. A refusal (400 or 409, or a 2xx carrying ``error``) is :class:`SlotTaken`.
        """
        try:
            answer = self.call("PUT", f"/room/{room_id}/reservation", body=body)
        except PermanentError as exc:
            if exc.status in (400, 409):
                raise SlotTaken(str(exc), service=SERVICE, status=exc.status) from exc
            raise
        except TransientError as exc:
            if exc.status is not None and 200 <= exc.status < 300:
                raise SlotTaken(str(exc), service=SERVICE, status=exc.status) from exc
            raise
        assert answer is not None
        return created_id(answer.body)

    def reservation_by_ext(self, room_id: int, extid: str) -> dict[str, Any] | None:
        """The room's live reservation carrying ``extid`` (``{}`` when its fields are in no
        known form), or None when Lockme answers 404."""
        path = f"/room/{room_id}/reservation/ext/{quote(extid, safe='')}"
        answer = self.call("GET", path, allow_404=True)
        if answer is None:
            return None
        return single(answer.body) or (answer.body if isinstance(answer.body, dict) else {})

    def delete_reservation(self, room_id: int, ident: int | str) -> None:
        """``DELETE /room/{r}/reservation/{ident}``, ``ident`` an id or ``ext/{extid}``; a
        404 means it is gone already. Only ever called for reservations the product made."""
        if isinstance(ident, str):
            kind, _, extid = ident.partition("/")
            if kind != "ext" or not extid:
                raise ValueError(f"{ident!r} is neither an id nor ext/{{extid}}")
            ident = f"ext/{quote(extid, safe='')}"
        self.call("DELETE", f"/room/{room_id}/reservation/{ident}", allow_404=True)

    def day_settings(self, room_id: int, weekday: int) -> Any:
        """The raw slot settings of a weekday (0 = Monday); None for a 404."""
        answer = self.call("GET", f"/room/{room_id}/day/{weekday}", allow_404=True)
        return None if answer is None else answer.body

    def date_settings(self, room_id: int, day: date) -> Any:
        """The raw exception of one date; None for a 404 (no exception, in one dialect)."""
        answer = self.call("GET", f"/room/{room_id}/date/{day.isoformat()}", allow_404=True)
        return None if answer is None else answer.body
