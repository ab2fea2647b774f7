"""Fake of Google's OAuth 2.0 server and the Calendar API v3 (events, calendarList, push
channels), so that google-api-python-client and google-auth behave against it as they do
against Google (docs/google-calendar-oauth-rq.md).

:class:`FakeGoogle` composes one module per concern: the OAuth server (``fake_oauth``,
:data:`GOOGLE_OAUTH`), the calendars (``google_world``, ``google_calendars``), events
(``google_events``, ``google_event_list``), recurrence (``google_recurrence``), sync tokens
(``google_sync``), push channels (``google_channels``), staff's actions in Calendar's UI
(``google_staff``) and Google's error bodies (``google_errors``). This module routes a
request to them after the checks every call meets: the token, its scopes, the rate limit.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.fake_oauth import GOOGLE_OAUTH, FakeOAuth, Grant, OAuthField
from worker.sandbox.faults import Faults
from worker.sandbox.google_calendars import CalendarList
from worker.sandbox.google_errors import fault_body, gerr, google_error_body, insufficient_scopes
from worker.sandbox.google_event_list import EventListing
from worker.sandbox.google_staff import StaffActions
from worker.sandbox.google_world import ROLE_RANK
from worker.sandbox.server import json_response

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


class FakeGoogle(StaffActions, EventListing, CalendarList):
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
        super().__init__(faults, email, time_zone)
        self.allow_http_push = allow_http_push
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
        self.rate_limit_per_s: float | None = rate_limit_per_s
        """Calendar API requests allowed per user in any 1 s window; ``None`` = no limit."""
        self._rate_windows: dict[str, deque[float]] = {}
        self.add_calendar(email, email, "owner")

    def issue_token(self, user: str | None = None) -> dict[str, Any]:
        """A valid access/refresh pair of a user (the first by default) with the granted
        scopes, for seeding tests."""
        return self.oauth.issue(self._user(user))

    def sign_in(self, user: str) -> None:
        """The browser signs in to Google as this user: the consent screen names them, and
        the codes issued from now on grant their calendars."""
        self.oauth.signed_in = self._user(user)

    def expire_access_tokens(self, user: str | None = None) -> None:
        """Expire the access tokens (of one user, or all); refresh tokens keep working."""
        self.oauth.expire(user)

    def revoke(self, user: str | None = None) -> None:
        """Invalidate the grants (of one user, or all), like removing the app from the
        account."""
        self.oauth.revoke(user)

    def default_error_body(self, status: int, path: str) -> Any:
        if path == "/token" or path.startswith("/o/oauth2"):
            return GOOGLE_OAUTH.fault_body(status)
        return fault_body(status, self.error_form)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path in ("/o/oauth2/auth", "/o/oauth2/v2/auth"):
            return self.oauth.authorize(request, self.oauth.signed_in)
        if path == "/token":
            if request.method != "POST":
                return gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
            return self.oauth.token(request)
        if path.startswith("/calendar/v3/"):
            return self._calendar_api(request, path[len("/calendar/v3/") :])
        return gerr(404, "notFound", "Not Found")

    def _authenticate(self, request: Request) -> Grant | Response:
        grant = self.oauth.bearer(request)
        if isinstance(grant, str):
            response = gerr(401, "authError", "Invalid Credentials", "UNAUTHENTICATED")
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
                return insufficient_scopes()
            if method != "GET":
                return gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
            with self.lock:
                if len(parts) == 3:
                    return self._calendar_list(request, grant.account)
                return self._calendar_list_entry(parts[3], grant.account)
        if parts == ["channels", "stop"]:
            if not scopes & _EVENT_READ_SCOPES:
                return insufficient_scopes()
            if method != "POST":
                return gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
            with self.lock:
                return self._stop_channel(request, grant.account)
        if parts[0] == "calendars" and len(parts) >= 2:
            watch = parts[2:] == ["events", "watch"]
            write = method not in ("GET", "HEAD") and not watch
            if not scopes & (_EVENT_WRITE_SCOPES if write else _EVENT_READ_SCOPES):
                return insufficient_scopes()
            with self.lock:
                cid = self._resolve(parts[1], grant.account)
                calendar = self.calendars.get(cid)
                role = None if calendar is None else calendar["acl"].get(grant.account)
                if calendar is None or role is None:
                    return gerr(404, "notFound", "Not Found")  # no access answers as none
                if len(parts) == 2 and method == "GET":
                    return self._calendar_answer(cid, calendar)
                if watch and method == "POST":
                    return self._watch(request, cid, grant.account)
                if len(parts) in (3, 4) and parts[2] == "events":
                    return self._events(request, cid, calendar, parts[3:], grant.account)
        return gerr(404, "notFound", "Not Found")

    def _events(
        self, request: Request, cid: str, calendar: dict[str, Any], rest: list[str], user: str
    ) -> Response:
        """The events collection (list, insert) or one event, for a user who may write
        the calendar or only read it."""
        method = request.method
        role = calendar["acl"][user]
        writable = ROLE_RANK[role] >= ROLE_RANK["writer"]
        if method != "GET" and not writable:
            return gerr(403, "forbidden", "You need to have writer access to this calendar.")
        if rest:
            return self._event(request, cid, calendar, rest[0])
        if method == "GET":
            return self._list_events(request, cid, calendar, role)
        if method == "POST":
            return self._insert(request, cid, calendar, user)
        return gerr(405, "httpMethodNotAllowed", "Method Not Allowed")
