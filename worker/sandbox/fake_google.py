"""In-memory fake of Google's OAuth 2.0 server and the Calendar API v3 events/calendarList.

It copies the behaviour the sync depends on (docs/google-calendar-oauth-rq.md A-C): client
event ids, 409 on a taken id even when the event is cancelled, delete = cancel with 410 on
a second delete, update replacing the resource, patch merging extended properties, list
filters, PKCE, and Google's error body format, so that google-api-python-client and
google-auth behave against it as they do against Google.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import queue
import re
import secrets
import threading
import time
import zlib
from collections import deque
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]  # no stubs installed
from werkzeug.wrappers import Request, Response

from worker.sandbox.fake_oauth import GOOGLE_OAUTH, FakeOAuth, Grant, OAuthField
from worker.sandbox.server import FakeServer, Faults, json_response, utc_now_rfc3339

SCOPE_EVENTS = "https://www.googleapis.com/auth/calendar.events"
SCOPE_CALENDARLIST_READONLY = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
_AUTH = "https://www.googleapis.com/auth/"
_LIST_SCOPES = {
    _AUTH + "calendar",
    _AUTH + "calendar.readonly",
    _AUTH + "calendar.calendarlist",
    _AUTH + "calendar.calendarlist.readonly",
}
_EVENT_WRITE_SCOPES = {
    _AUTH + "calendar",
    _AUTH + "calendar.events",
    _AUTH + "calendar.events.owned",
}
_EVENT_READ_SCOPES = _EVENT_WRITE_SCOPES | {
    _AUTH + "calendar.readonly",
    _AUTH + "calendar.events.readonly",
    _AUTH + "calendar.events.owned.readonly",
}
_ROLE_RANK = {"freeBusyReader": 0, "reader": 1, "writer": 2, "owner": 3}
_EVENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_DEFAULT_ERRORS = {
    400: ("invalid", "Invalid Value"),
    401: ("authError", "Invalid Credentials"),
    403: ("rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    412: ("conditionNotMet", "Precondition Failed"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    502: ("backendError", "Backend Error"),
    503: ("backendError", "Backend Error"),
    504: ("backendError", "Backend Error"),
}
# Fields the server owns: kept across update/patch whatever the client sends.
_SERVER_FIELDS = ("kind", "id", "created", "htmlLink", "iCalUID", "creator", "organizer")
# events.list parameters Google refuses beside a syncToken (events.list reference).
_SYNC_EXCLUSIVE = (
    "timeMin",
    "timeMax",
    "q",
    "orderBy",
    "privateExtendedProperty",
    "sharedExtendedProperty",
    "iCalUID",
    "updatedMin",
)
_FULL_SYNC = "Sync token is no longer valid, a full sync is required."
# Recurring events are expanded this far ahead of now at most (an open-ended RRULE has no
# last instance), and into at most this many instances.
INSTANCE_HORIZON = timedelta(days=730)
MAX_INSTANCES = 2000
# A channel lives this long when the watch asks for nothing (or more): about a week, as
# observed of Calendar channels (docs two-way-prior-art.md).
CHANNEL_TTL_S = 7 * 24 * 3600
PUSH_TIMEOUT_S = 5.0
PUSH_RETRY_DELAY_S = 0.5


ERROR_FORMS = ("errors", "details", "both")


def google_error_body(
    code: int, reason: str, message: str, status: str | None = None, form: str = "errors"
) -> dict[str, Any]:
    """Google's JSON error envelope, as googleapiclient's ``HttpError`` parses it.

    ``form`` picks where the reason goes: ``errors`` is the classic ``error.errors[]``
    list; ``details`` is the newer AIP-193 form, an ``ErrorInfo`` in ``error.details[]``
    whose reason is UPPER_SNAKE (``RATE_LIMIT_EXCEEDED``); ``both`` carries the two, as
    many Google APIs now answer. googleapiclient's ``HttpError.error_details`` shows
    ``details`` whenever it exists, and ``errors`` only without it.
    """
    if form not in ERROR_FORMS:
        raise ValueError(f"unknown error form {form!r}")
    error: dict[str, Any] = {"code": code, "message": message}
    if form in ("errors", "both"):
        error["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    status = status or _STATUS_NAMES.get(code)
    if status:
        error["status"] = status
    if form in ("details", "both"):
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": re.sub(r"(?<!^)(?=[A-Z])", "_", reason).upper(),
                "domain": "googleapis.com",
                "metadata": {"service": "calendar-json.googleapis.com"},
            }
        ]
    return {"error": error}


def _gerr(code: int, reason: str, message: str, status: str | None = None) -> Response:
    return json_response(google_error_body(code, reason, message, status), code)


class _BadRequest(Exception):
    """Raised inside event validation; carries Google's reason and message for a 400."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp that must carry an offset (timeMin/timeMax rules)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("offset required")
    return parsed


class FakeGoogle(FakeServer):
    """Fake of ``accounts.google.com`` / ``oauth2.googleapis.com`` and the Calendar API.

    OAuth: ``GET /o/oauth2/auth`` and ``POST /token``. API: ``/calendar/v3/...``.
    """

    client_id = OAuthField()
    client_secret = OAuthField()
    access_ttl = OAuthField()
    consent = OAuthField()
    granted_scopes = OAuthField()
    rotate_refresh_tokens = OAuthField("rotate")
    codes = OAuthField()
    access_tokens = OAuthField()
    refresh_tokens = OAuthField()
    last_auth_params = OAuthField("last_params")

    def __init__(
        self,
        client_id: str = "g-client",
        client_secret: str = "g-secret",
        access_ttl: int = 3600,
        email: str = "staff@example.com",
        granted_scopes: list[str] | None = None,
        rotate_refresh_tokens: bool = False,
        *,
        faults: Faults | None = None,
        time_zone: str = "Europe/Warsaw",
        rate_limit_per_s: float | None = None,
        consent: bool = False,
        allow_http_push: bool = False,
    ) -> None:
        super().__init__(faults)
        self.allow_http_push = allow_http_push
        """Accept a watch whose address is plain HTTP (the sandbox: loopback has no TLS);
        Google itself refuses it with 400 ``push.webhookUrlNotHttps``."""
        self.max_channel_ttl_s: int = CHANNEL_TTL_S
        """The longest life a watch is granted, whatever its ``params.ttl`` asks (Google's
        cap is about a week); a test shortens it to see channels renewed and expiring."""
        self.lock = threading.RLock()
        self.oauth = FakeOAuth(
            GOOGLE_OAUTH,
            client_id,
            client_secret,
            signed_in=email,
            access_ttl=access_ttl,
            granted_scopes=list(
                granted_scopes
                if granted_scopes is not None
                else [SCOPE_EVENTS, SCOPE_CALENDARLIST_READONLY]
            ),
            rotate=rotate_refresh_tokens,
            consent=consent,
            lock=self.lock,
        )
        self.email = email
        self.time_zone = time_zone
        self.rate_limit_per_s: float | None = rate_limit_per_s
        """Calendar API requests allowed per user in any 1 s window; ``None`` = no limit."""
        self.calendars: dict[str, dict[str, Any]] = {}
        """calendar id -> {"summary", "accessRole", "timeZone", "events": {id: event}}."""
        self._etag_counter = int(time.time() * 1000)
        self._rate_windows: dict[str, deque[float]] = {}
        self.error_form = "errors"
        """Where error bodies the fake makes up carry their reason (see ``ERROR_FORMS``)."""
        self.burned: dict[tuple[str, str], int] = {}
        """(calendar id, event id) deleted in Calendar's UI -> the status its get answers."""
        self._change_seq = 0
        """Number of the latest change of any event; a sync token names the one it saw."""
        self._token_epoch = 0
        """Bumped by :meth:`invalidate_sync_tokens`: tokens of an older epoch answer 410."""
        self.channels: dict[str, dict[str, Any]] = {}
        """channel id -> {"calendar_id", "resource_id", "token", "address", "expiration"
        (ms), "number" (the last message number), "stopped"}."""
        self.pushes: list[dict[str, Any]] = []
        """Every push delivery attempt: {"channel_id", "state", "number", "status"}."""
        self._push_queue: queue.Queue[tuple[dict[str, str], str] | None] = queue.Queue()
        self._push_thread: threading.Thread | None = None
        self.add_calendar(email, email, "owner")

    # -- tokens --------------------------------------------------------------------

    def issue_token(self) -> dict[str, Any]:
        """A valid access/refresh pair with the granted scopes, for seeding tests."""
        return self.oauth.issue()

    def expire_access_tokens(self) -> None:
        """Expire every access token; refresh tokens keep working."""
        self.oauth.expire()

    def revoke(self) -> None:
        """Invalidate all grants, like the user removing the app from their account."""
        self.oauth.revoke()

    # -- calendars and helpers -----------------------------------------------------

    def add_calendar(self, calendar_id: str, summary: str, access_role: str = "owner") -> None:
        """Add a calendar to the user's calendar list with the given role."""
        if access_role not in _ROLE_RANK:
            raise ValueError(f"unknown access role {access_role!r}")
        with self.lock:
            self.calendars[calendar_id] = {
                "summary": summary,
                "accessRole": access_role,
                "timeZone": self.time_zone,
                "events": {},
                "changes": {},
            }

    def _resolve(self, calendar_id: str) -> str:
        return self.email if calendar_id == "primary" else calendar_id

    def calendar_ids(self) -> list[str]:
        """Real ids of every calendar (the primary one is the account email)."""
        with self.lock:
            return list(self.calendars)

    def events(self, calendar_id: str, include_cancelled: bool = False) -> list[dict[str, Any]]:
        """Copies of the stored events of one calendar, in insertion order."""
        with self.lock:
            calendar = self.calendars[self._resolve(calendar_id)]
            return [
                copy.deepcopy(e)
                for e in calendar["events"].values()
                if include_cancelled or e.get("status") != "cancelled"
            ]

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """One stored event (cancelled ones included), or ``None``."""
        with self.lock:
            found = self.calendars[self._resolve(calendar_id)]["events"].get(event_id)
            return copy.deepcopy(found) if found is not None else None

    def delete_in_ui(self, calendar_id: str, event_id: str, *, get_status: int = 404) -> None:
        """A person deletes the event in Calendar's own UI, which burns its id for the API.

        As reported against Google (google-api-python-client#846,
        google-api-ruby-client#1811): the event is gone from ``list`` (even with
        ``showDeleted``), an insert with its id answers 409 "The requested identifier
        already exists", and an update answers 403 Forbidden. What ``get`` answers is not
        settled in those reports: 404 by default, or 403 with ``get_status=403``. A delete
        answers 410, as for any deleted event.
        """
        if get_status not in (403, 404):
            raise ValueError("get_status must be 403 or 404")
        with self.lock:
            cid = self._resolve(calendar_id)
            before = self.calendars[cid]["events"].get(event_id)
            if self.calendars[cid]["events"].pop(event_id, None) is None:
                raise KeyError(f"no event {event_id!r} in {cid!r}")
            self.burned[(cid, event_id)] = get_status
            self._touch(cid, event_id, before)

    def live_events_by_reservation(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """Live (confirmed or tentative) events grouped by
        ``extendedProperties.private.lockmeReservationId``.

        A correct sync has exactly one entry per live reservation.
        """
        result: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        with self.lock:
            for cid, calendar in self.calendars.items():
                for event in calendar["events"].values():
                    if event.get("status") == "cancelled":
                        continue
                    private = (event.get("extendedProperties") or {}).get("private") or {}
                    rid = private.get("lockmeReservationId")
                    if rid is not None:
                        result.setdefault(str(rid), []).append((cid, copy.deepcopy(event)))
        return result

    # -- changes: sync tokens and push -------------------------------------------------

    def _touch(self, cid: str, event_id: str, before: dict[str, Any] | None) -> None:
        """Record a change of one stored event (for sync tokens) and push it to watchers.

        Instances a recurring event had before the change and no longer has (it moved, or
        it is gone) are recorded as changed too: an incremental list answers them as
        cancelled, as Google does."""
        with self.lock:
            calendar = self.calendars[cid]
            after = calendar["events"].get(event_id)
            old = {i["id"] for i in self._instances(before, calendar)} if before else set()
            new = {i["id"] for i in self._instances(after, calendar)} if after else set()
            for gone in sorted(old - new - {event_id}):
                self._change_seq += 1
                calendar["changes"][gone] = self._change_seq
            self._change_seq += 1
            calendar["changes"][event_id] = self._change_seq
        self._notify(cid)

    def invalidate_sync_tokens(self) -> None:
        """Make every sync token given so far answer 410 ``fullSyncRequired``, as Google's
        do after an ACL change or when they are too old."""
        with self.lock:
            self._token_epoch += 1

    def _sync_token(self, cid: str, seq: int) -> str:
        raw = json.dumps({"c": cid, "s": seq, "e": self._token_epoch}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _token_seq(self, cid: str, token: str) -> int | None:
        """The change number a sync token saw, or None when it is not valid (any more)."""
        try:
            padded = token + "=" * (-len(token) % 4)
            raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if raw["c"] != cid or raw["e"] != self._token_epoch:
                return None
            return int(raw["s"])
        except (ValueError, KeyError, TypeError):
            return None

    def token_has_seen_all(self, calendar_id: str, token: str | None) -> bool:
        """Whether a read that ended with ``token`` saw every change the calendar has had
        (False for a token a 410 made stale): a test's way to know a client is up to date."""
        with self.lock:
            cid = self._resolve(calendar_id)
            seen = self._token_seq(cid, token) if token else None
            latest = max(self.calendars[cid]["changes"].values(), default=0)
            return seen is not None and seen >= latest

    def _instances(self, event: dict[str, Any], calendar: dict[str, Any]) -> list[dict[str, Any]]:
        """The event as ``singleEvents=true`` lists it: itself, or its recurring instances.

        The RRULE is evaluated in the event's own zone (instances keep their wall time
        across a DST change), up to :data:`INSTANCE_HORIZON` past now or the first start.
        Instance ids are Google's: ``{id}_{YYYYMMDDTHHMMSSZ}`` (timed, the UTC start) or
        ``{id}_{YYYYMMDD}`` (all-day), with ``recurringEventId`` and ``originalStartTime``.
        """
        lines = event.get("recurrence")
        if not lines:
            return [event]
        start, end = event["start"], event["end"]
        all_day = bool(start.get("date"))
        zone_name = start.get("timeZone") or calendar["timeZone"]
        zone = ZoneInfo(zone_name)
        if all_day:
            first_day = date.fromisoformat(start["date"])
            first = datetime.combine(first_day, datetime.min.time())
            days = date.fromisoformat(end["date"]) - first_day
        else:
            first_at = self._instant(start, calendar, "start")
            length = self._instant(end, calendar, "end") - first_at
            first = first_at.astimezone(zone).replace(tzinfo=None)
        horizon = max(datetime.now(UTC), first.replace(tzinfo=zone)) + INSTANCE_HORIZON
        rules = rrulestr("\n".join(str(line) for line in lines), dtstart=first, forceset=True)
        found: list[dict[str, Any]] = []
        for occurrence in rules:
            at = occurrence.replace(tzinfo=zone)
            if at > horizon or len(found) >= MAX_INSTANCES:
                break
            instance = {k: copy.deepcopy(v) for k, v in event.items() if k != "recurrence"}
            if all_day:
                day = occurrence.date()
                instance["start"] = {"date": day.isoformat()}
                instance["end"] = {"date": (day + days).isoformat()}
                suffix = f"{day:%Y%m%d}"
            else:
                utc = at.astimezone(UTC)
                instance["start"] = {"dateTime": at.isoformat(), "timeZone": zone_name}
                finish = (utc + length).astimezone(zone)
                instance["end"] = {"dateTime": finish.isoformat(), "timeZone": zone_name}
                suffix = f"{utc:%Y%m%dT%H%M%SZ}"
            instance["originalStartTime"] = dict(instance["start"])
            instance["id"] = f"{event.get('id', '')}_{suffix}"
            instance["recurringEventId"] = event.get("id", "")
            found.append(instance)
        return found

    def _resource_id(self, cid: str) -> str:
        """Google's opaque, stable id of a calendar's events collection."""
        return hashlib.sha1(f"events:{cid}".encode()).hexdigest()[:27]

    def live_channels(self, calendar_id: str | None = None) -> list[str]:
        """Ids of the channels that still deliver (not stopped, not expired)."""
        now_ms = time.time() * 1000
        with self.lock:
            return [
                cid
                for cid, ch in self.channels.items()
                if not ch["stopped"]
                and ch["expiration"] > now_ms
                and (calendar_id is None or ch["calendar_id"] == self._resolve(calendar_id))
            ]

    def expire_channel(self, channel_id: str) -> None:
        """End a channel's life now, as its expiration passing would: no more pushes."""
        with self.lock:
            self.channels[channel_id]["expiration"] = int(time.time() * 1000) - 1

    def _notify(self, cid: str) -> None:
        """Queue an ``exists`` push to every live channel watching the calendar."""
        now_ms = time.time() * 1000
        with self.lock:
            watching = [
                ch
                for ch in self.channels.values()
                if ch["calendar_id"] == cid and not ch["stopped"] and ch["expiration"] > now_ms
            ]
            for channel in watching:
                self._push(channel, "exists")

    def _push(self, channel: dict[str, Any], state: str) -> None:
        """Queue one message of a channel for the delivery thread (never blocks a request)."""
        with self.lock:
            channel["number"] += 1
            expiry = datetime.fromtimestamp(channel["expiration"] / 1000, UTC)
            headers = {
                "X-Goog-Channel-ID": channel["id"],
                "X-Goog-Channel-Expiration": format_datetime(expiry, usegmt=True),
                "X-Goog-Resource-ID": channel["resource_id"],
                "X-Goog-Resource-URI": channel["resource_uri"],
                "X-Goog-Resource-State": state,
                "X-Goog-Message-Number": str(channel["number"]),
            }
            if channel["token"]:
                headers["X-Goog-Channel-Token"] = channel["token"]
            if self._push_thread is None:
                self._push_thread = threading.Thread(
                    target=self._deliver_pushes, name="FakeGoogle-push", daemon=True
                )
                self._push_thread.start()
        self._push_queue.put((headers, channel["address"]))

    def _deliver_pushes(self) -> None:
        """POST each queued message, in order; a failure is retried once, then dropped."""
        session = requests.Session()
        while (item := self._push_queue.get()) is not None:
            headers, address = item
            status: int | str = "error"
            for attempt in range(2):
                try:
                    status = session.post(
                        address, headers=headers, timeout=PUSH_TIMEOUT_S
                    ).status_code
                except requests.RequestException:
                    status = "error"
                if isinstance(status, int) and status < 500:
                    break
                if attempt == 0:
                    self._stopping.wait(PUSH_RETRY_DELAY_S)
            with self.lock:
                self.pushes.append(
                    {
                        "channel_id": headers["X-Goog-Channel-ID"],
                        "state": headers["X-Goog-Resource-State"],
                        "number": int(headers["X-Goog-Message-Number"]),
                        "status": status,
                    }
                )
            self._push_queue.task_done()
        self._push_queue.task_done()
        session.close()

    def wait_for_pushes(self, timeout: float = 10.0) -> bool:
        """Wait until every queued push was delivered (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._push_queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        """Stop the push delivery thread too."""
        with self.lock:
            thread, self._push_thread = self._push_thread, None
        if thread is not None:
            self._push_queue.put(None)
            thread.join(timeout=PUSH_TIMEOUT_S * 2 + 1)
        super().stop()

    # -- staff: what a person does in Calendar's own UI --------------------------------

    def _when(
        self, value: date | datetime, all_day: bool, calendar: dict[str, Any]
    ) -> dict[str, str]:
        if all_day:
            day = value.date() if isinstance(value, datetime) else value
            return {"date": day.isoformat()}
        if not isinstance(value, datetime):
            raise TypeError("a timed event needs datetimes")
        zone = ZoneInfo(calendar["timeZone"])
        local = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
        return {"dateTime": local.isoformat(), "timeZone": calendar["timeZone"]}

    def staff_event(
        self,
        calendar_id: str,
        summary: str,
        start: date | datetime,
        end: date | datetime,
        *,
        all_day: bool = False,
        transparency: str | None = None,
        recurrence: list[str] | None = None,
        invitation: str | None = None,
    ) -> str:
        """A person adds an event in Calendar's UI; returns its id. ``invitation``: instead,
        someone else's invitation to the calendar, with the owner's answer as Google spells
        it (``needsAction`` not answered yet, ``tentative``, ``accepted``, ``declined``).
        Watchers get a push."""
        with self.lock:
            cid = self._resolve(calendar_id)
            calendar = self.calendars[cid]
            body: dict[str, Any] = {
                "summary": summary,
                "start": self._when(start, all_day, calendar),
                "end": self._when(end, all_day, calendar),
            }
            if transparency is not None:
                body["transparency"] = transparency
            if recurrence is not None:
                body["recurrence"] = list(recurrence)
            event_id = secrets.token_hex(13)
            event = self._new_event(cid, calendar, body, event_id)
            if invitation is not None:
                organizer = {"email": "organiser@example.com", "displayName": "Organiser"}
                event["creator"] = dict(organizer)
                event["organizer"] = dict(organizer)
                event["attendees"] = [
                    {"email": organizer["email"], "organizer": True, "responseStatus": "accepted"},
                    {"email": cid, "self": True, "responseStatus": invitation},
                ]
            self._touch(cid, event_id, None)
            return event_id

    def answer_invitation(self, calendar_id: str, event_id: str, response: str) -> None:
        """The calendar's owner answers an invitation (Yes: ``accepted``, Maybe:
        ``tentative``, No: ``declined``) in Calendar's UI."""
        with self.lock:
            cid = self._resolve(calendar_id)
            event = self.calendars[cid]["events"][event_id]
            before = copy.deepcopy(event)
            for attendee in event.get("attendees") or []:
                if attendee.get("self"):
                    attendee["responseStatus"] = response
            event["etag"] = self._etag()
            event["updated"] = utc_now_rfc3339()
            self._touch(cid, event_id, before)

    def move_staff_event(
        self,
        calendar_id: str,
        event_id: str,
        start: date | datetime,
        end: date | datetime,
        *,
        all_day: bool = False,
    ) -> None:
        """A person drags the event to new times in Calendar's UI."""
        with self.lock:
            cid = self._resolve(calendar_id)
            calendar = self.calendars[cid]
            event = calendar["events"][event_id]
            before = copy.deepcopy(event)
            event["start"] = self._when(start, all_day, calendar)
            event["end"] = self._when(end, all_day, calendar)
            event["sequence"] = event.get("sequence", 0) + 1
            event["etag"] = self._etag()
            event["updated"] = utc_now_rfc3339()
            self._touch(cid, event_id, before)

    def delete_staff_event(self, calendar_id: str, event_id: str) -> None:
        """A person deletes the event in Calendar's UI (see :meth:`delete_in_ui`)."""
        self.delete_in_ui(calendar_id, event_id)

    # -- HTTP entry ----------------------------------------------------------------

    def default_error_body(self, status: int, path: str) -> Any:
        if path == "/token" or path.startswith("/o/oauth2"):
            return GOOGLE_OAUTH.fault_body(status)
        reason, message = _DEFAULT_ERRORS.get(status, ("backendError", "Backend Error"))
        return google_error_body(status, reason, message, form=self.error_form)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path in ("/o/oauth2/auth", "/o/oauth2/v2/auth"):
            return self.oauth.authorize(request, self.email)
        if path == "/token":
            if request.method != "POST":
                return _gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
            return self.oauth.token(request)
        if path.startswith("/calendar/v3/"):
            return self._calendar_api(request, path[len("/calendar/v3/") :])
        return _gerr(404, "notFound", "Not Found")

    # -- Calendar API --------------------------------------------------------------

    def _authenticate(self, request: Request) -> Grant | Response:
        grant = self.oauth.bearer(request)
        if isinstance(grant, str):
            response = _gerr(401, "authError", "Invalid Credentials", "UNAUTHENTICATED")
            response.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
            return response
        return grant

    def _over_rate_limit(self, user: str) -> bool:
        limit = self.rate_limit_per_s
        if limit is None:
            return False
        now = time.monotonic()
        with self.lock:
            window = self._rate_windows.setdefault(user, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                return True
            window.append(now)
            return False

    def _calendar_api(self, request: Request, sub: str) -> Response:
        grant = self._authenticate(request)
        if isinstance(grant, Response):
            return grant
        if self._over_rate_limit(grant.account):
            body = google_error_body(
                403, "rateLimitExceeded", "Rate Limit Exceeded", form=self.error_form
            )
            return json_response(body, 403)
        scopes = set(grant.scopes)
        method = request.method
        parts = sub.split("/")
        if parts[:3] == ["users", "me", "calendarList"] and len(parts) in (3, 4):
            if not scopes & _LIST_SCOPES:
                return self._insufficient_scopes()
            if method != "GET":
                return _gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
            with self.lock:
                if len(parts) == 3:
                    return self._calendar_list(request)
                return self._calendar_list_entry(parts[3])
        if parts == ["channels", "stop"]:
            if not scopes & _EVENT_READ_SCOPES:
                return self._insufficient_scopes()
            if method != "POST":
                return _gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
            with self.lock:
                return self._stop_channel(request)
        if parts[0] == "calendars" and len(parts) >= 2:
            watch = parts[2:] == ["events", "watch"]
            write = method not in ("GET", "HEAD") and not watch
            if not scopes & (_EVENT_WRITE_SCOPES if write else _EVENT_READ_SCOPES):
                return self._insufficient_scopes()
            with self.lock:
                cid = self._resolve(parts[1])
                calendar = self.calendars.get(cid)
                if calendar is None:
                    return _gerr(404, "notFound", "Not Found")
                if len(parts) == 2 and method == "GET":
                    return json_response(
                        {
                            "kind": "calendar#calendar",
                            "etag": self._etag(),
                            "id": cid,
                            "summary": calendar["summary"],
                            "timeZone": calendar["timeZone"],
                        }
                    )
                if watch and method == "POST":
                    return self._watch(request, cid)
                if len(parts) in (3, 4) and parts[2] == "events":
                    return self._events(
                        request, cid, calendar, parts[3] if len(parts) == 4 else None
                    )
        return _gerr(404, "notFound", "Not Found")

    def _watch(self, request: Request, cid: str) -> Response:
        """``events.watch``: open a push channel on the calendar's events."""
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        channel_id, address = body.get("id"), body.get("address")
        if not isinstance(channel_id, str) or not channel_id:
            return _gerr(400, "required", "Required")
        if body.get("type") not in ("web_hook", "webhook"):
            return _gerr(400, "invalid", f"Invalid value for: {body.get('type')}")
        if not isinstance(address, str) or not urlsplit(address).hostname:
            return _gerr(400, "push.webhookUrlNoHostOrAddress", "WebHook callback has no host.")
        scheme = urlsplit(address).scheme.lower()
        if scheme != "https" and not (self.allow_http_push and scheme == "http"):
            return _gerr(
                400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}"
            )
        if channel_id in self.channels:
            return _gerr(400, "channelIdNotUnique", "Channel id not unique")
        params: dict[str, Any] = body["params"] if isinstance(body.get("params"), dict) else {}
        try:
            ttl = min(int(params.get("ttl", CHANNEL_TTL_S)), self.max_channel_ttl_s)
        except (TypeError, ValueError):
            return _gerr(400, "invalid", "Invalid value for: params.ttl")
        token = body.get("token")
        channel = {
            "id": channel_id,
            "calendar_id": cid,
            "resource_id": self._resource_id(cid),
            "resource_uri": (
                f"https://www.googleapis.com/calendar/v3/calendars/{quote(cid)}/events?alt=json"
            ),
            "token": token if isinstance(token, str) else "",
            "address": address,
            "expiration": int((time.time() + max(ttl, 1)) * 1000),
            "number": 0,
            "stopped": False,
        }
        self.channels[channel_id] = channel
        answer = {
            "kind": "api#channel",
            "id": channel_id,
            "resourceId": channel["resource_id"],
            "resourceUri": channel["resource_uri"],
            "expiration": str(channel["expiration"]),
        }
        if channel["token"]:
            answer["token"] = channel["token"]
        self._push(channel, "sync")
        return json_response(answer)

    def _stop_channel(self, request: Request) -> Response:
        """``channels.stop``: the channel delivers nothing more."""
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        channel = self.channels.get(str(body.get("id")))
        if (
            channel is None
            or channel["stopped"]
            or channel["resource_id"] != body.get("resourceId")
        ):
            return _gerr(404, "notFound", f"Channel '{body.get('id')}' not found for project")
        channel["stopped"] = True
        return Response(status=204)

    @staticmethod
    def _insufficient_scopes() -> Response:
        body = google_error_body(
            403, "insufficientPermissions", "Request had insufficient authentication scopes."
        )
        body["error"]["errors"][0]["message"] = "Insufficient Permission"
        return json_response(body, 403)

    def _etag(self) -> str:
        with self.lock:
            self._etag_counter += 1
            return f'"{self._etag_counter}"'

    def _calendar_entry(self, cid: str, calendar: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{zlib.crc32(cid.encode())}"',
            "id": cid,
            "summary": calendar["summary"],
            "timeZone": calendar["timeZone"],
            "accessRole": calendar["accessRole"],
            "defaultReminders": [],
        }
        if cid == self.email:
            entry["primary"] = True
        return entry

    def _calendar_list(self, request: Request) -> Response:
        min_role = request.args.get("minAccessRole")
        if min_role is not None and min_role not in _ROLE_RANK:
            return _gerr(400, "invalidParameter", f"Invalid value for minAccessRole: {min_role}")
        entries = [
            self._calendar_entry(cid, cal)
            for cid, cal in self.calendars.items()
            if min_role is None or _ROLE_RANK[cal["accessRole"]] >= _ROLE_RANK[min_role]
        ]
        page = self._page(request, entries, default_max=100, max_cap=250)
        if isinstance(page, Response):
            return page
        items, next_token = page
        body: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "etag": self._etag(),
            "items": items,
        }
        if next_token:
            body["nextPageToken"] = next_token
        return json_response(body)

    def _calendar_list_entry(self, raw_id: str) -> Response:
        cid = self._resolve(raw_id)
        calendar = self.calendars.get(cid)
        if calendar is None:
            return _gerr(404, "notFound", "Not Found")
        return json_response(self._calendar_entry(cid, calendar))

    @staticmethod
    def _page_mark(request: Request) -> int | None:
        """The change number a list's first page saw, carried by its page tokens."""
        token = request.args.get("pageToken")
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:")
            mark = raw.partition(":")[2]
            return int(mark) if mark else None
        except (ValueError, UnicodeDecodeError):
            return None

    @staticmethod
    def _page(
        request: Request,
        items: list[dict[str, Any]],
        default_max: int,
        max_cap: int,
        mark: int | None = None,
    ) -> tuple[list[dict[str, Any]], str | None] | Response:
        raw_max = request.args.get("maxResults")
        try:
            max_results = int(raw_max) if raw_max is not None else default_max
        except ValueError:
            return _gerr(
                400, "invalid", f"Invalid value '{raw_max}'. Values must match type integer"
            )
        if max_results < 1:
            return _gerr(400, "invalid", f"Invalid value '{raw_max}'.")
        max_results = min(max_results, max_cap)
        token = request.args.get("pageToken")
        start = 0
        if token:
            try:
                raw = base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:")
                start = int(raw.partition(":")[0])
            except (ValueError, UnicodeDecodeError):
                return _gerr(400, "invalid", "Invalid page token value.")
        chunk = items[start : start + max_results]
        end = start + max_results
        suffix = f":{mark}" if mark is not None else ""
        next_token = (
            base64.urlsafe_b64encode(f"o:{end}{suffix}".encode()).decode()
            if end < len(items)
            else None
        )
        return chunk, next_token

    # -- events --------------------------------------------------------------------

    def _events(
        self, request: Request, cid: str, calendar: dict[str, Any], event_id: str | None
    ) -> Response:
        method = request.method
        writable = _ROLE_RANK[calendar["accessRole"]] >= _ROLE_RANK["writer"]
        if method != "GET" and not writable:
            return _gerr(403, "forbidden", "You need to have writer access to this calendar.")
        if event_id is None:
            if method == "GET":
                return self._list_events(request, cid, calendar)
            if method == "POST":
                return self._insert(request, cid, calendar)
            return _gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
        events = calendar["events"]
        existing = events.get(event_id)
        burned = self.burned.get((cid, event_id))
        if existing is None and burned is not None:
            return self._burned(method, burned)
        if existing is None:
            return _gerr(404, "notFound", "Not Found")
        if method == "GET":
            return json_response(existing)
        if_match = request.headers.get("If-Match")
        if if_match and if_match not in ("*", existing["etag"]):
            return _gerr(412, "conditionNotMet", "Precondition Failed")
        if method == "DELETE":
            if existing.get("status") == "cancelled":
                return _gerr(410, "deleted", "Resource has been deleted")
            existing["status"] = "cancelled"
            existing["etag"] = self._etag()
            existing["updated"] = utc_now_rfc3339()
            self._touch(cid, event_id, existing)
            return Response(status=204)
        if method in ("PUT", "PATCH"):
            body = self._json_body(request)
            if isinstance(body, Response):
                return body
            if method == "PUT":
                updated = {k: v for k, v in body.items() if k not in _SERVER_FIELDS}
                if "status" not in updated:
                    # Omitting status does not undelete: restoring needs status "confirmed".
                    cancelled = existing.get("status") == "cancelled"
                    updated["status"] = "cancelled" if cancelled else "confirmed"
            else:
                updated = self._merge_patch(existing, body)
            for key in _SERVER_FIELDS:
                if key in existing:
                    updated[key] = existing[key]
            try:
                self._validate_times(updated, calendar)
                self._validate_status(updated)
                self._validate_recurrence(updated, calendar)
            except _BadRequest as exc:
                return _gerr(400, exc.reason, exc.message)
            timing_changed = any(
                updated.get(k) != existing.get(k) for k in ("start", "end", "status")
            )
            updated["sequence"] = existing.get("sequence", 0) + (1 if timing_changed else 0)
            updated.setdefault("reminders", {"useDefault": True})
            updated.setdefault("eventType", "default")
            updated["etag"] = self._etag()
            updated["updated"] = utc_now_rfc3339()
            events[event_id] = updated
            self._touch(cid, event_id, existing)
            return json_response(updated)
        return _gerr(405, "httpMethodNotAllowed", "Method Not Allowed")

    @staticmethod
    def _burned(method: str, get_status: int) -> Response:
        """The answers for an id whose event was deleted in Calendar's UI."""
        if method == "DELETE":
            return _gerr(410, "deleted", "Resource has been deleted")
        if method == "GET" and get_status == 404:
            return _gerr(404, "notFound", "Not Found")
        return _gerr(403, "forbidden", "Forbidden")

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any] | Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            return _gerr(400, "parseError", "Parse Error")
        if not isinstance(body, dict):
            return _gerr(400, "parseError", "Parse Error")
        return body

    @staticmethod
    def _merge_patch(existing: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        merged = copy.deepcopy(existing)
        for key, value in body.items():
            if key == "extendedProperties" and isinstance(value, dict):
                props = merged.setdefault("extendedProperties", {})
                for scope in ("private", "shared"):
                    if scope not in value:
                        continue
                    if value[scope] is None:
                        props.pop(scope, None)
                        continue
                    target = props.setdefault(scope, {})
                    for prop, prop_value in value[scope].items():
                        if prop_value is None:
                            target.pop(prop, None)
                        else:
                            target[prop] = prop_value
            elif value is None:
                merged.pop(key, None)
            else:
                merged[key] = copy.deepcopy(value)
        return merged

    def _insert(self, request: Request, cid: str, calendar: dict[str, Any]) -> Response:
        body = self._json_body(request)
        if isinstance(body, Response):
            return body
        event = {k: v for k, v in body.items() if k not in _SERVER_FIELDS}
        if body.get("iCalUID"):
            event["iCalUID"] = body["iCalUID"]
        event_id = body.get("id")
        if event_id is not None:
            if not isinstance(event_id, str) or not _EVENT_ID_RE.match(event_id):
                return _gerr(400, "invalid", "Invalid resource id value.")
            if event_id in calendar["events"] or (cid, event_id) in self.burned:
                return _gerr(409, "duplicate", "The requested identifier already exists.")
        else:
            event_id = secrets.token_hex(13)
        try:
            stored = self._new_event(cid, calendar, event, event_id)
        except _BadRequest as exc:
            return _gerr(400, exc.reason, exc.message)
        self._touch(cid, event_id, None)
        return json_response(stored)

    def _new_event(
        self, cid: str, calendar: dict[str, Any], event: dict[str, Any], event_id: str
    ) -> dict[str, Any]:
        """Validate and store a new event with the fields the server owns; raises
        :class:`_BadRequest`."""
        self._validate_times(event, calendar)
        self._validate_status(event)
        self._validate_recurrence(event, calendar)
        now = utc_now_rfc3339()
        eid = base64.b64encode(f"{event_id} {cid}".encode()).decode().rstrip("=")
        event.update(
            {
                "kind": "calendar#event",
                "etag": self._etag(),
                "id": event_id,
                "status": event.get("status", "confirmed"),
                "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
                "created": now,
                "updated": now,
                "creator": {"email": self.email, "self": True},
                "organizer": {"email": cid, "self": True},
                "iCalUID": event.get("iCalUID") or f"{event_id}@google.com",
                "sequence": 0,
            }
        )
        if cid != self.email:
            event["organizer"]["displayName"] = calendar["summary"]
        event.setdefault("reminders", {"useDefault": True})
        event.setdefault("eventType", "default")
        calendar["events"][event_id] = event
        return event

    def _validate_recurrence(self, event: dict[str, Any], calendar: dict[str, Any]) -> None:
        lines = event.get("recurrence")
        if lines is None:
            return
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise _BadRequest("invalid", "Invalid recurrence rule.")
        if event["start"].get("dateTime") and not event["start"].get("timeZone"):
            raise _BadRequest("required", "Missing time zone definition for start time.")
        try:
            self._instances(event, calendar)
        except (ValueError, TypeError) as exc:
            raise _BadRequest("invalid", "Invalid recurrence rule.") from exc

    @staticmethod
    def _validate_status(event: dict[str, Any]) -> None:
        if event.get("status", "confirmed") not in ("confirmed", "tentative", "cancelled"):
            raise _BadRequest("invalid", "Invalid Value")

    def _validate_times(self, event: dict[str, Any], calendar: dict[str, Any]) -> None:
        start, end = event.get("start"), event.get("end")
        if not isinstance(start, dict) or not (start.get("dateTime") or start.get("date")):
            raise _BadRequest("required", "Missing start time.")
        if not isinstance(end, dict) or not (end.get("dateTime") or end.get("date")):
            raise _BadRequest("required", "Missing end time.")
        if bool(start.get("date")) != bool(end.get("date")):
            raise _BadRequest(
                "invalid", "Start and end times must either both be date or both be dateTime."
            )
        start_at = self._instant(start, calendar, "start")
        end_at = self._instant(end, calendar, "end")
        if end_at < start_at:
            raise _BadRequest("timeRangeEmpty", "The specified time range is empty.")

    @staticmethod
    def _instant(value: dict[str, Any], calendar: dict[str, Any], which: str) -> datetime:
        """Absolute time of an EventDateTime: its offset, else its timeZone, else the calendar."""
        zone_name = value.get("timeZone") or calendar["timeZone"]
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _BadRequest("invalid", f"Invalid time zone definition for {which} time.") from exc
        try:
            if value.get("dateTime"):
                raw = str(value["dateTime"]).replace("Z", "+00:00")
                parsed = datetime.fromisoformat(raw)
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=zone)
                return parsed.astimezone(UTC)
            day = date.fromisoformat(str(value["date"]))
            return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        except ValueError as exc:
            raise _BadRequest("invalid", f"Invalid {which} time.") from exc

    def _list_events(self, request: Request, cid: str, calendar: dict[str, Any]) -> Response:
        """``events.list``: a window's events, or with ``syncToken`` what changed since.

        The last page carries ``nextSyncToken``, naming the change the first page saw (the
        page tokens carry it), so a change made while pages are read comes back next time.
        """
        args = request.args
        sync_token = args.get("syncToken")
        since: int | None = None
        if sync_token is not None:
            refused = [name for name in _SYNC_EXCLUSIVE if name in args]
            if refused:
                return _gerr(
                    400, "invalid", f"The parameter {refused[0]} cannot be used with syncToken."
                )
            since = self._token_seq(cid, sync_token)
            if since is None:
                gone = google_error_body(410, "fullSyncRequired", _FULL_SYNC)
                gone["error"]["errors"][0]["domain"] = "calendar"
                return json_response(gone, 410)
        mark = self._page_mark(request)
        seen = self._change_seq if mark is None else mark
        show_deleted = args.get("showDeleted", "false").lower() == "true"
        single_events = args.get("singleEvents", "false").lower() == "true"
        order_by = args.get("orderBy")
        if order_by not in (None, "startTime", "updated"):
            return _gerr(400, "invalidParameter", f"Invalid value for orderBy: {order_by}")
        if order_by == "startTime" and not single_events:
            return _gerr(
                400,
                "badRequest",
                "The requested ordering is not available for the particular query.",
            )
        try:
            time_min = _parse_rfc3339(args["timeMin"]) if "timeMin" in args else None
            time_max = _parse_rfc3339(args["timeMax"]) if "timeMax" in args else None
        except ValueError:
            return _gerr(400, "badRequest", "Bad Request")
        if time_min and time_max and time_max <= time_min:
            return _gerr(400, "timeRangeEmpty", "The specified time range is empty.")
        wanted: dict[str, list[tuple[str, str]]] = {}
        for scope, param in (
            ("private", "privateExtendedProperty"),
            ("shared", "sharedExtendedProperty"),
        ):
            for constraint in args.getlist(param):
                key, sep, value = constraint.partition("=")
                if not sep:
                    return _gerr(
                        400, "invalid", f"Invalid extended property constraint: {constraint}"
                    )
                wanted.setdefault(scope, []).append((key, value))
        ical_uid = args.get("iCalUID")
        selected: list[tuple[datetime, dict[str, Any]]] = []
        if since is not None:
            selected = [
                (datetime.min.replace(tzinfo=UTC), e)
                for e in self._changed(calendar, since, seen, single_events)
            ]
        for event in calendar["events"].values() if since is None else ():
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            if ical_uid is not None and event.get("iCalUID") != ical_uid:
                continue
            props = event.get("extendedProperties") or {}
            if any(
                (props.get(scope) or {}).get(key) != value
                for scope, constraints in wanted.items()
                for key, value in constraints
            ):
                continue
            instances = self._instances(event, calendar)
            for instance in instances if single_events else [event]:
                spans = [
                    (
                        self._instant(one["start"], calendar, "start"),
                        self._instant(one["end"], calendar, "end"),
                    )
                    for one in (instances if instance is event else [instance])
                ]
                inside = [
                    start_at
                    for start_at, end_at in spans
                    if (time_min is None or end_at > time_min)
                    and (time_max is None or start_at < time_max)
                ]
                if inside:
                    selected.append((inside[0], instance))
        if order_by == "startTime":
            selected.sort(key=lambda pair: pair[0])
        elif order_by == "updated":
            selected.sort(key=lambda pair: pair[1].get("updated", ""))
        page = self._page(
            request, [e for _, e in selected], default_max=250, max_cap=2500, mark=seen
        )
        if isinstance(page, Response):
            return page
        items, next_token = page
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": self._etag(),
            "summary": calendar["summary"],
            "updated": utc_now_rfc3339(),
            "timeZone": calendar["timeZone"],
            "accessRole": calendar["accessRole"],
            "defaultReminders": [],
            "items": items,
        }
        if next_token:
            body["nextPageToken"] = next_token
        else:
            body["nextSyncToken"] = self._sync_token(cid, seen)
        return json_response(body)

    def _changed(
        self, calendar: dict[str, Any], since: int, seen: int, single_events: bool
    ) -> list[dict[str, Any]]:
        """What changed after change ``since`` up to ``seen``, oldest first, cancelled ones
        included; an event no longer stored answers with its id and status only."""
        changed = sorted(
            (seq, eid) for eid, seq in calendar["changes"].items() if since < seq <= seen
        )
        found: list[dict[str, Any]] = []
        for _, eid in changed:
            event = calendar["events"].get(eid)
            if event is None:
                found.append(
                    {
                        "kind": "calendar#event",
                        "etag": self._etag(),
                        "id": eid,
                        "status": "cancelled",
                    }
                )
            else:
                found.extend(self._instances(event, calendar) if single_events else [event])
        return found
