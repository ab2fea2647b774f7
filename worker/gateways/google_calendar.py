"""The Google Calendar gateway: credentials from the store, typed errors, idempotent writes.

The service object is built once per process (building it parses the discovery document,
which costs milliseconds that a per-job build would pay on every booking).

A call that fails in a way worth retrying (5xx, 429, a 403 rate limit, a dropped
connection) is retried here, in place, a few times within seconds (see
:meth:`GoogleCalendar._execute`); only what outlasts that reaches the job's backoff, which
is meant for outages.

Every answer is read with a cap (``ANSWER_LIMIT``, ``LIST_ANSWER_LIMIT`` for a page of
events or the calendar list), compressed and decompressed alike (:class:`CappedHttp`):
past it, or nested too deep to parse, an answer is a
:class:`~worker.domain.errors.MalformedAnswer`, a failure recorded rather than retried.
"""

from __future__ import annotations

import functools
import http.client
import json
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from httplib2.decode import DecodeLimitError, DecodeRatioError

from worker.config import Settings
from worker.domain.errors import AuthError, MalformedAnswer, PermanentError, TransientError
from worker.domain.identity import reservation_query
from worker.gateways import token_refresh as tokens
from worker.ops import logs, metrics
from worker.stores.store import Store
from worker.stores.token_vault import TOKEN_REUSE_S

SERVICE = "google"
SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
)
HTTP_TIMEOUT_S = 20
# The most of one answer read: an event, a calendar or a watch channel is a few KB; a page
# of events (up to 2,500 of them) or the calendar list a few MB.
ANSWER_LIMIT = 1024 * 1024
LIST_ANSWER_LIMIT = 16 * 1024 * 1024
_LIST_PATH = re.compile(r"/(events|calendarList)$")
# One read of a calendar (``changes``) stops past this many pages or items: an answer that
# always carries a ``nextPageToken`` would otherwise grow the process until it dies. At
# 250 a page the item limit is 100 full pages; the page limit leaves room for the short and
# empty pages Google may send. docs/blocks.md states both.
READ_PAGE_SIZE = 250
READ_PAGE_LIMIT = 200
READ_ITEM_LIMIT = 25_000
# The fields the product reads of an event and of a calendar list entry, with the type each
# must have when present: anything else is a malformed answer, not an error deep in a caller.
EVENT_FIELDS: dict[str, type] = {
    "status": str,
    "summary": str,
    "transparency": str,
    "htmlLink": str,
    "updated": str,
    "start": dict,
    "end": dict,
    "attendees": list,
    "extendedProperties": dict,
}
CALENDAR_FIELDS: dict[str, type] = {
    "summary": str,
    "summaryOverride": str,
    "accessRole": str,
    "primary": bool,
}
# Reasons compared in lower case without underscores, so that the classic camelCase of
# ``error.errors[].reason`` and the UPPER_SNAKE of an ``error.details[]`` ErrorInfo match.
RATE_REASONS = frozenset({"ratelimitexceeded", "userratelimitexceeded"})
QUOTA_REASON = "quotaexceeded"
DAILY_REASON = "dailylimitexceeded"
# Google's refusals of a push address (``push.webhookUrlNotHttps``, ``…Unauthorized`` …).
PUSH_REASON_PREFIX = "push."
# Google resets daily quotas at midnight Pacific time.
QUOTA_RESET_ZONE = ZoneInfo("America/Los_Angeles")
QUOTA_RESET_SPREAD_S = 300
QUOTA_EXCEEDED_WAIT_S = 600
# In-place retries: at most this many attempts of one call, spaced by jittered exponential
# backoff from RETRY_BASE_S, and no retry that would start later than RETRY_BUDGET_S after
# the first attempt began (so a job stays bounded: a timed-out attempt is not repeated).
RETRY_ATTEMPTS = 4
RETRY_BASE_S = 0.5
RETRY_BUDGET_S = 8.0
WRITES = frozenset({"insert", "update", "delete"})
NETWORK_ERRORS = (
    httplib2.HttpLib2Error,
    TransportError,
    ConnectionError,
    TimeoutError,
    socket.timeout,
    ssl.SSLError,
    OSError,
)


class _CappedResponse(http.client.HTTPResponse):
    """http.client's response, whose whole-body read (httplib2's) stops past ``limit``."""

    def __init__(self, sock: socket.socket, *args: Any, limit: int, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.limit = limit

    def read(self, amt: int | None = None) -> bytes:
        if amt is not None:
            return super().read(amt)
        data = super().read(self.limit + 1)
        if len(data) > self.limit:
            self.close()
            raise MalformedAnswer(
                f"Google's answer is larger than {self.limit // 1024} KB", service=SERVICE
            )
        return data


class CappedHttp(httplib2.Http):  # type: ignore[misc]  # httplib2 has no types
    """httplib2's client reading each answer with its cap: ``LIST_ANSWER_LIMIT`` for a list
    (a path ending ``/events`` or ``/calendarList``), else ``ANSWER_LIMIT``; and
    decompressing at most ``LIST_ANSWER_LIMIT`` (httplib2's own decode limit)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout, decode_limit_hard=LIST_ANSWER_LIMIT)

    def _conn_request(
        self, conn: Any, request_uri: str, method: str, body: Any, headers: Any
    ) -> Any:
        path = request_uri.split("?", 1)[0]
        limit = LIST_ANSWER_LIMIT if _LIST_PATH.search(path) else ANSWER_LIMIT
        conn.response_class = functools.partial(_CappedResponse, limit=limit)
        try:
            return super()._conn_request(conn, request_uri, method, body, headers)
        except MalformedAnswer:
            conn.close()  # the rest of that body is still on the socket: never reuse it
            raise


def fallback_id(event_id: str, generation: int) -> str:
    """The ``generation``-th replacement for an event id that can no longer be used.

    An event deleted in Calendar's own UI keeps its id taken for the API for good. The
    replacement stays deterministic (so a retried insert meets 409, not a duplicate) and
    valid (base32hex, ``a``-``v`` and digits); ``f`` plus the generation after an id that
    ends in digits never equals another booking's deterministic id.
    """
    return f"{event_id}f{generation}"


class Conflict(PermanentError):
    """409: the event id is taken (an earlier insert landed, maybe with a lost response)."""


class SyncTokenGone(PermanentError):
    """410 on a list with a sync token (``fullSyncRequired``): only a full read helps."""


class ReadTooLarge(MalformedAnswer):
    """A read of a calendar ran past ``READ_PAGE_LIMIT`` pages or ``READ_ITEM_LIMIT`` items;
    nothing of it is used."""


class PushRefused(PermanentError):
    """Google will not push to the address (a ``push.*`` reason: not HTTPS, a domain not
    verified): the calendar has to be polled instead. Never an auth failure, whatever the
    status, so it does not mark the connection broken."""


def _expiry(record: dict[str, Any]) -> datetime | None:
    # google-auth compares expiry against a naive UTC "now".
    at = record.get("expires_at")
    return datetime.fromtimestamp(at, UTC).replace(tzinfo=None) if at else None


class StoredCredentials(Credentials):
    """Google credentials whose refresh is serialised across processes and saved to the store.

    Google does not rotate refresh tokens by default, but it may, and a reconnect through the
    setup page replaces them; so a refresh first re-reads the store and adopts a newer token.
    """

    def __init__(self, store: Store, settings: Settings, record: dict[str, Any]) -> None:
        super().__init__(  # type: ignore[no-untyped-call]  # google-auth has no annotations
            token=record.get("access_token"),
            refresh_token=record.get("refresh_token"),
            token_uri=settings.google_token_uri,
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret,
            expiry=_expiry(record),
        )
        self._store = store
        self._record = record

    @property
    def record(self) -> dict[str, Any]:
        """The stored token these credentials were last given (or refreshed into)."""
        return self._record

    def adopt(self, record: dict[str, Any]) -> None:
        self.token = record.get("access_token")
        self._refresh_token = record.get("refresh_token")
        self.expiry = _expiry(record)
        self._record = record

    def refresh(self, request: Any) -> None:
        """Refresh once across all processes, then use whichever token won."""

        def renew(stored: dict[str, Any], generation: int) -> dict[str, Any]:
            self.adopt(stored)
            try:
                super(StoredCredentials, self).refresh(request)  # type: ignore[no-untyped-call]
            except RefreshError as exc:
                if exc.retryable:
                    raise TransientError(f"Google token refresh: {exc}", service=SERVICE) from exc
                detail = str(exc.args[0] if exc.args else exc).rstrip(". ")
                reason = f"{detail}: reconnect needed"
                self._store.connections.set_connection(SERVICE, error=reason, generation=generation)
                raise AuthError(reason, service=SERVICE) from exc
            return {
                **stored,
                "access_token": self.token,
                "refresh_token": self.refresh_token or stored.get("refresh_token"),
                "expires_at": self.expiry.replace(tzinfo=UTC).timestamp() if self.expiry else 0,
            }

        self.adopt(tokens.refresh_once(self._store, SERVICE, self.token, renew))


class GoogleCalendar:
    """Calendar operations used by the sync; each raises only the classes in ``errors``."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        throttle: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.throttle = throttle
        self._credentials: StoredCredentials | None = None
        self._service: Any = None
        self._events_resource: Any = None

    def _events(self, *, write: bool = False) -> Any:
        """The events resource, built once: building it creates every method from the
        discovery document, milliseconds of CPU that a per-call build paid on every request."""
        service = self._api(write=write)
        if self._events_resource is None:
            self._events_resource = service.events()
        return self._events_resource

    def _api(self, *, write: bool = False) -> Any:
        """The service object, built on first use. The token is re-read so that a reconnect
        made in another process applies here too: for a read at most every
        ``TOKEN_REUSE_S``, for a write whenever the connection's generation moved on (so
        nothing is written with a grant the staff disconnected or replaced)."""
        if write:
            record = self.store.tokens.write_token(SERVICE)
        else:
            record = self.store.tokens.load_token(SERVICE, max_age=TOKEN_REUSE_S)
        if record is None or not record.get("refresh_token"):
            raise AuthError("Google is not connected", service=SERVICE)
        if self._credentials is None:
            self._credentials = StoredCredentials(self.store, self.settings, record)
            http = google_auth_httplib2.AuthorizedHttp(
                self._credentials, http=CappedHttp(timeout=HTTP_TIMEOUT_S)
            )
            self._service = build(
                "calendar",
                "v3",
                http=http,
                cache_discovery=False,
                static_discovery=True,
                client_options={"api_endpoint": self.settings.google_calendar_api_url},
            )
        elif record is not self._credentials.record:
            self._credentials.adopt(record)
        return self._service

    def connect(self, record: dict[str, Any], account: str) -> None:
        """Store a new grant (from the OAuth callback) and mark the connection healthy."""
        self.store.tokens.save_token(SERVICE, record)
        self.store.connections.set_connection(SERVICE, account=account, error="")
        if self._credentials is not None:
            self._credentials.adopt(record)

    def _execute(self, request: Any, what: str) -> Any:
        """Run one API call, retrying transient failures in place within seconds.

        google-api-python-client's own ``execute(num_retries=n)`` is not used for this: its
        retries happen inside one ``execute``, so the shared rate limiter (``throttle``)
        could not pace them; it sleeps ``random() * 2**n`` s with no bound on the total and
        ignores ``Retry-After``; and it finds a 403 rate limit only in ``error.errors``,
        not in the newer ``error.details``. A retried write is safe: an insert whose first
        attempt landed comes back 409 (the caller's conflict path), an update is idempotent.

        A server's ``Retry-After`` is honoured when it fits in the budget; a longer one (or
        a daily or anti-abuse quota) ends the call with :class:`TransientError` carrying
        ``retry_after`` for the job's backoff.
        """
        first = time.monotonic()
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return self._attempt(request, what)
            except TransientError as exc:
                wait = _retry_wait(exc, attempt)
                late = time.monotonic() + wait - first > RETRY_BUDGET_S
                if attempt == RETRY_ATTEMPTS or late:
                    raise
                logs.event(
                    "calendar.retry",
                    outcome=str(exc.status or "network"),
                    op=what,
                    attempt=attempt,
                    wait_ms=round(wait * 1000),
                )
                time.sleep(wait)
                # The grant is checked again, as for a new call: a disconnect made during
                # the pause stops the retry (AuthError), a reconnect is adopted.
                self._api(write=what in WRITES)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _object(self, request: Any, what: str) -> dict[str, Any]:
        """:meth:`_execute` for a call whose answer is a JSON object (an event, a calendar);
        anything else is a :class:`MalformedAnswer`, not an error deep in a caller."""
        answer = self._execute(request, what)
        if not isinstance(answer, dict):
            raise MalformedAnswer(f"Google {what}: the answer is no object", service=SERVICE)
        return answer

    def _page(self, request: Any, what: str, fields: dict[str, type]) -> Page:
        """One page of a list call: its items (objects, each with a string ``id`` and each
        of ``fields`` of its type where present), the next page's token and the sync token."""
        page = self._object(request, what)
        items = page.get("items", [])
        tokens = page.get("nextPageToken"), page.get("nextSyncToken")
        if not (
            isinstance(items, list)
            and all(_typed(item, fields) for item in items)
            and all(isinstance(token, str | None) for token in tokens)
        ):
            raise MalformedAnswer(
                f"Google {what}: the page is not a list of objects with ids", service=SERVICE
            )
        return Page(items, *tokens)

    def _attempt(self, request: Any, what: str) -> Any:
        """One attempt of a call, paced by the shared rate limiter and counted."""
        if self.throttle is not None:
            self.throttle()
        started = time.monotonic()
        # The client library hides 200 vs 204; "auth" is a refresh that failed before the call.
        status: int | str = "network"
        try:
            result = request.execute(num_retries=0)
            status = 200
            return result
        except HttpError as exc:
            status = exc.resp.status
            error = _classify(exc, what)
            if isinstance(error, AuthError):
                # A 401 that survived the client's own refresh: the grant is unusable.
                self.store.connections.set_connection(
                    SERVICE, error=str(error), generation=self.store.tokens.generation(SERVICE)
                )
            raise error from exc
        except (MalformedAnswer, DecodeLimitError, DecodeRatioError, RecursionError) as exc:
            # The same bytes again on a retry: a recorded failure, not a transient one.
            status = "malformed"
            if isinstance(exc, MalformedAnswer):
                raise
            raise MalformedAnswer(
                f"Google {what}: the answer is too large or nested too deep to read",
                service=SERVICE,
            ) from exc
        except (AuthError, TransientError, PermanentError):
            status = "auth"
            raise
        except NETWORK_ERRORS as exc:
            raise TransientError(f"Google {what}: {type(exc).__name__}", service=SERVICE) from exc
        finally:
            self._observe(what, status, started)

    def _observe(self, what: str, status: int | str, started: float) -> None:
        """Count the call for ``/metrics``; log calendar writes (reads are too many to log)."""
        metrics.api_call(self.store.redis, self.store.keys, SERVICE, status)
        if what in WRITES:
            outcome = "ok" if status == 200 else str(status)
            logs.event(
                "calendar.write", outcome=outcome, op=what, duration_ms=logs.elapsed_ms(started)
            )

    # --- events -------------------------------------------------------------------------
    def get(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """The event, cancelled ones included (Google's get returns them); None if absent.

        Also None for a 403: an event a person deleted in Calendar's own UI keeps its id
        (insert answers 409) but answers get with 404 or 403; either way it cannot be read.
        """
        try:
            return self._object(self._events().get(calendarId=calendar_id, eventId=event_id), "get")
        except PermanentError as exc:
            if exc.status in (403, 404, 410):
                return None
            raise

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._object(
            self._events(write=True).insert(calendarId=calendar_id, body=body), "insert"
        )

    def update(
        self, calendar_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Replace the event (restores a cancelled one); None when it cannot be updated.

        That is a 404 (no such event) or a 403: an event deleted in Calendar's own UI
        answers update with 403 Forbidden. A 403 that means the calendar itself is not
        writable is not lost: the insert that follows answers 403 too, and fails.
        """
        request = self._events(write=True).update(
            calendarId=calendar_id, eventId=event_id, body=body
        )
        try:
            return self._object(request, "update")
        except PermanentError as exc:
            if exc.status in (403, 404):
                return None
            raise

    def delete(self, calendar_id: str, event_id: str) -> bool:
        """Cancel the event; False when it was already gone (404/410 mean done)."""
        try:
            self._execute(
                self._events(write=True).delete(calendarId=calendar_id, eventId=event_id), "delete"
            )
        except PermanentError as exc:
            if exc.status in (404, 410):
                return False
            raise
        return True

    def list_events(
        self,
        calendar_id: str,
        *,
        time_min: datetime | None = None,
        time_max: datetime | None = None,
        reservation_id: int | None = None,
        show_deleted: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every event of the calendar in the window, following pages (with
        ``reservation_id``, only that booking's). Staff events come back too: which are the
        product's is for ``worker.domain.identity`` to say, not for the gateway."""
        params: dict[str, Any] = {
            "calendarId": calendar_id,
            "showDeleted": show_deleted,
            "singleEvents": True,
            "maxResults": 250,
        }
        params["privateExtendedProperty"] = (
            reservation_query(reservation_id) if reservation_id else None
        )
        if time_min:
            params["timeMin"] = time_min.isoformat()
        if time_max:
            params["timeMax"] = time_max.isoformat()
        params = {k: v for k, v in params.items() if v is not None}
        page_token = None
        while True:
            page = self._page(
                self._events().list(pageToken=page_token, **params), "list", EVENT_FIELDS
            )
            yield from page.items
            page_token = page.next_page
            if not page_token:
                return

    def changes(
        self,
        calendar_id: str,
        sync_token: str | None,
        time_min: datetime | None = None,
        time_max: datetime | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """What changed since ``sync_token`` (cancelled events included), or without one a
        full read of [time_min, time_max) (live events only); recurring events come as their
        instances. Returns the items of every page and the last page's ``nextSyncToken``.

        Google refuses ``timeMin``/``timeMax`` beside a token, so they are only sent
        without one. A 410 raises :class:`SyncTokenGone`: the token is stale, read in full.
        Past ``READ_PAGE_LIMIT`` pages or ``READ_ITEM_LIMIT`` items the read stops with
        :class:`ReadTooLarge`: the rooms page's preview runs this read in the web process,
        and the worker's memory is the venue's only one.
        """
        params: dict[str, Any] = {"calendarId": calendar_id, "singleEvents": True}
        if sync_token:
            params["syncToken"] = sync_token
        else:
            params["showDeleted"] = False
            if time_min:
                params["timeMin"] = time_min.isoformat()
            if time_max:
                params["timeMax"] = time_max.isoformat()
        items: list[dict[str, Any]] = []
        page_token = None
        for _ in range(READ_PAGE_LIMIT):
            request = self._events().list(pageToken=page_token, maxResults=READ_PAGE_SIZE, **params)
            try:
                page = self._page(request, "list", EVENT_FIELDS)
            except PermanentError as exc:
                if sync_token and exc.status == 410:
                    raise SyncTokenGone(str(exc), service=SERVICE, status=410) from exc
                raise
            items.extend(page.items)
            if len(items) > READ_ITEM_LIMIT:
                raise ReadTooLarge(
                    f"Google list: the calendar answered more than {READ_ITEM_LIMIT:,} events "
                    "in one read, the most read at once; nothing of it was used",
                    service=SERVICE,
                )
            page_token = page.next_page
            if not page_token:
                return items, page.sync_token or None
        raise ReadTooLarge(
            f"Google list: the calendar's answer ran past {READ_PAGE_LIMIT} pages, the most "
            "read at once; nothing of it was used",
            service=SERVICE,
        )

    def watch(
        self, calendar_id: str, channel_id: str, token: str, address: str, ttl_s: int
    ) -> dict[str, Any]:
        """Open a push channel on the calendar's events (``events.watch``); returns
        ``resourceId`` and ``expiration`` (ms since the epoch, a string as Google sends it).
        A refused address raises :class:`PushRefused`."""
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(ttl_s)},
        }
        answer = self._object(self._events().watch(calendarId=calendar_id, body=body), "watch")
        resource, expiration = answer.get("resourceId"), answer.get("expiration")
        if not (isinstance(resource, str) and resource and _milliseconds(expiration)):
            raise MalformedAnswer(
                "Google watch: the answer has no channel resource id and expiration",
                service=SERVICE,
            )
        return {"resourceId": resource, "expiration": str(expiration)}

    def stop_channel(self, channel_id: str, resource_id: str) -> bool:
        """Stop a push channel (``channels.stop``); False when Google no longer knows it.
        Google answers 204: nothing of the answer is read."""
        request = self._api().channels().stop(body={"id": channel_id, "resourceId": resource_id})
        try:
            self._execute(request, "stopChannel")
        except PermanentError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # --- calendars ----------------------------------------------------------------------
    def calendars(self, min_access_role: str = "writer") -> list[dict[str, Any]]:
        """Calendars the account can write to, for the room picker; with ``"reader"`` also
        those it may only read (a blocks calendar need not be writable), each entry with
        its ``accessRole``."""
        items: list[dict[str, Any]] = []
        page_token = None
        while True:
            request = (
                self._api()
                .calendarList()
                .list(minAccessRole=min_access_role, pageToken=page_token, maxResults=250)
            )
            page = self._page(request, "calendarList", CALENDAR_FIELDS)
            items.extend(page.items)
            page_token = page.next_page
            if not page_token:
                return items

    def primary_id(self) -> str:
        """The primary calendar's id, which is the account's email address."""
        entry = self._object(self._api().calendarList().get(calendarId="primary"), "calendarList")
        if not _typed(entry, CALENDAR_FIELDS):
            raise MalformedAnswer(
                "Google calendarList: the primary calendar has no id", service=SERVICE
            )
        return str(entry["id"])


@dataclass(frozen=True)
class Page:
    """One page of a list answer, its types checked (``GoogleCalendar._page``)."""

    items: list[dict[str, Any]]
    next_page: str | None
    sync_token: str | None


def _typed(item: Any, fields: dict[str, type]) -> bool:
    """Whether a list item is an object with a string ``id`` and each of ``fields`` of its
    type where present (null counts as absent, as Google's clients read it)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return False
    return all(
        item.get(name) is None or isinstance(item[name], kind) for name, kind in fields.items()
    )


def _milliseconds(value: Any) -> bool:
    """Whether a channel's ``expiration`` is ms since the epoch: digits (Google sends a
    string) or an integer."""
    if isinstance(value, str):
        return value.isascii() and value.isdigit()
    return isinstance(value, int) and not isinstance(value, bool)


def _classify(exc: HttpError, what: str) -> Exception:
    status = exc.resp.status
    reasons = _reasons(exc)
    text = f"Google {what}: {status} {exc.reason or ''}".strip()
    hint = _retry_after(exc.resp.get("retry-after"))
    if any(reason.startswith(PUSH_REASON_PREFIX) for reason in reasons):
        return PushRefused(text, service=SERVICE, status=status)
    if status == 403 and DAILY_REASON in reasons:
        wait = until_quota_reset()
        return TransientError(text, service=SERVICE, status=status, retry_after=wait)
    if status == 403 and QUOTA_REASON in reasons:
        wait = max(hint or 0, QUOTA_EXCEEDED_WAIT_S)
        return TransientError(text, service=SERVICE, status=status, retry_after=wait)
    if status >= 500 or status == 429 or (status == 403 and reasons & RATE_REASONS):
        return TransientError(text, service=SERVICE, status=status, retry_after=hint)
    if status == 401:
        return AuthError(f"{text}: reconnect needed", service=SERVICE, status=status)
    if status == 409:
        return Conflict(text, service=SERVICE, status=status)
    return PermanentError(text, service=SERVICE, status=status)


def _reasons(exc: HttpError) -> set[str]:
    """Every reason in the error body, from ``error.errors[]`` and ``error.details[]``.

    Read from the body rather than ``HttpError.error_details``, which holds only one of
    the two lists (``details`` whenever present), while Google may put a rate limit in
    either: the classic ``errors`` (camelCase) or an ``ErrorInfo`` in ``details``
    (UPPER_SNAKE). Reasons come back lower case without underscores.
    """
    try:
        error = json.loads(exc.content.decode("utf-8")).get("error")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found: set[str] = set()
    for key in ("errors", "details"):
        items = error.get(key)
        for item in items if isinstance(items, list) else []:
            reason = item.get("reason") if isinstance(item, dict) else None
            if isinstance(reason, str):
                found.add(reason.replace("_", "").lower())
    return found


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def until_quota_reset(now: datetime | None = None) -> float:
    """Seconds until Google's daily quotas reset (midnight Pacific), plus a random spread.

    A 403 ``dailyLimitExceeded`` is not permanent, but no retry can succeed before the
    reset, so the message waits for it (``retry_after``) instead of being dead-lettered or
    spending its retries against the limit. The spread keeps the waiting messages from
    all hitting the fresh quota in the same second.
    """
    local = (now or datetime.now(UTC)).astimezone(QUOTA_RESET_ZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
    reset = midnight.replace(tzinfo=QUOTA_RESET_ZONE)
    # Timestamps, not ``reset - local``: aware datetimes of one zone subtract as wall
    # times, which is an hour off across a DST change.
    return reset.timestamp() - local.timestamp() + random.uniform(0, QUOTA_RESET_SPREAD_S)


def _retry_wait(exc: TransientError, attempt: int) -> float:
    """The pause after failed attempt ``attempt``: the server's hint, else backoff.

    Equal jitter (half fixed, half random) keeps the retries of a burst of failed calls
    apart while still waiting: 0.25-0.5 s, then 0.5-1 s, then 1-2 s.
    """
    if exc.retry_after is not None:
        return exc.retry_after
    step = RETRY_BASE_S * 2.0 ** (attempt - 1)
    return step / 2 + random.uniform(0, step / 2)
