"""The calendar list of the fake Calendar API (``calendarList.list`` and ``.get``, paged and
filtered by ``minAccessRole``), and ``calendars.get``."""

from __future__ import annotations

import zlib
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.google_errors import gerr
from worker.sandbox.google_sync import page
from worker.sandbox.google_world import ROLE_RANK, GoogleWorld
from worker.sandbox.server import json_response


class CalendarList(GoogleWorld):
    """The calendars as each user's list shows them: their own and those shared with them."""

    def _calendar_entry(self, cid: str, calendar: dict[str, Any], user: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{zlib.crc32(cid.encode())}"',
            "id": cid,
            "summary": calendar["summary"],
            "timeZone": calendar["timeZone"],
            "accessRole": calendar["acl"][user],
            "defaultReminders": [],
        }
        if cid == user:
            entry["primary"] = True
        return entry

    def _calendar_list(self, request: Request, user: str) -> Response:
        min_role = request.args.get("minAccessRole")
        if min_role is not None and min_role not in ROLE_RANK:
            return gerr(400, "invalidParameter", f"Invalid value for minAccessRole: {min_role}")
        entries = [
            self._calendar_entry(cid, cal, user)
            for cid, cal in self.calendars.items()
            if user in cal["acl"]
            and (min_role is None or ROLE_RANK[cal["acl"][user]] >= ROLE_RANK[min_role])
        ]
        paged = page(request, entries, default_max=100, max_cap=250)
        if isinstance(paged, Response):
            return paged
        items, next_token = paged
        body: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "etag": self._etag(),
            "items": items,
        }
        if next_token:
            body["nextPageToken"] = next_token
        return json_response(body)

    def _calendar_list_entry(self, raw_id: str, user: str) -> Response:
        cid = self._resolve(raw_id, user)
        calendar = self.calendars.get(cid)
        if calendar is None or user not in calendar["acl"]:
            return gerr(404, "notFound", "Not Found")
        return json_response(self._calendar_entry(cid, calendar, user))

    def _calendar_answer(self, cid: str, calendar: dict[str, Any]) -> Response:
        """``calendars.get``: the calendar's own metadata."""
        return json_response(
            {
                "kind": "calendar#calendar",
                "etag": self._etag(),
                "id": cid,
                "summary": calendar["summary"],
                "timeZone": calendar["timeZone"],
            }
        )
