"""What a person does in Calendar's own UI, for tests and the sandbox's calendar page:
add, move or delete an event, invite the calendar and answer the invitation. Each is a
change that sync tokens and push channels see, as the API's own writes are."""

from __future__ import annotations

import copy
import secrets
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from worker.sandbox.google_events import EventStore
from worker.sandbox.server import utc_now_rfc3339


class StaffActions(EventStore):
    """Staff's actions on the stored events."""

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
