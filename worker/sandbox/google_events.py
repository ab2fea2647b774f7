"""Events of the fake Calendar API: insert, get, update, patch and delete, as Google
answers them (docs/google-calendar-oauth-rq.md A-C): client event ids, 409 on a taken id even
when the event is cancelled, delete = cancel with 410 on a second delete, update replacing
the resource, patch merging extended properties, and the answers for an id that Calendar's
own UI burned."""

from __future__ import annotations

import base64
import copy
import re
import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.google_errors import BadRequest, gerr, json_body
from worker.sandbox.google_recurrence import validate
from worker.sandbox.google_sync import ChangeLog
from worker.sandbox.server import json_response, utc_now_rfc3339

_EVENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
# Fields the server owns: kept across update/patch whatever the client sends.
_SERVER_FIELDS = ("kind", "id", "created", "htmlLink", "iCalUID", "creator", "organizer")


class EventStore(ChangeLog):
    """One event's endpoints, and the making of a new event (the API's and the UI's)."""

    def _event(
        self, request: Request, cid: str, calendar: dict[str, Any], event_id: str
    ) -> Response:
        """``events.get``, ``update``, ``patch`` and ``delete`` of one event."""
        method = request.method
        events = calendar["events"]
        existing = events.get(event_id)
        burned = self.burned.get((cid, event_id))
        if existing is None and burned is not None:
            return self._burned(method, burned)
        if existing is None:
            return gerr(404, "notFound", "Not Found")
        if method == "GET":
            return json_response(existing)
        if_match = request.headers.get("If-Match")
        if if_match and if_match not in ("*", existing["etag"]):
            return gerr(412, "conditionNotMet", "Precondition Failed")
        if method == "DELETE":
            if existing.get("status") == "cancelled":
                return gerr(410, "deleted", "Resource has been deleted")
            existing["status"] = "cancelled"
            existing["etag"] = self._etag()
            existing["updated"] = utc_now_rfc3339()
            self._touch(cid, event_id, existing)
            return Response(status=204)
        if method in ("PUT", "PATCH"):
            body = json_body(request)
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
                validate(updated, calendar)
            except BadRequest as exc:
                return gerr(400, exc.reason, exc.message)
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
        return gerr(405, "httpMethodNotAllowed", "Method Not Allowed")

    @staticmethod
    def _burned(method: str, get_status: int) -> Response:
        """The answers for an id whose event was deleted in Calendar's UI."""
        if method == "DELETE":
            return gerr(410, "deleted", "Resource has been deleted")
        if method == "GET" and get_status == 404:
            return gerr(404, "notFound", "Not Found")
        return gerr(403, "forbidden", "Forbidden")

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

    def _insert(self, request: Request, cid: str, calendar: dict[str, Any], user: str) -> Response:
        body = json_body(request)
        if isinstance(body, Response):
            return body
        event = {k: v for k, v in body.items() if k not in _SERVER_FIELDS}
        if body.get("iCalUID"):
            event["iCalUID"] = body["iCalUID"]
        event_id = body.get("id")
        if event_id is not None:
            if not isinstance(event_id, str) or not _EVENT_ID_RE.match(event_id):
                return gerr(400, "invalid", "Invalid resource id value.")
            if event_id in calendar["events"] or (cid, event_id) in self.burned:
                return gerr(409, "duplicate", "The requested identifier already exists.")
        else:
            event_id = secrets.token_hex(13)
        try:
            stored = self._new_event(cid, calendar, event, event_id, creator=user)
        except BadRequest as exc:
            return gerr(400, exc.reason, exc.message)
        self._touch(cid, event_id, None)
        return json_response(stored)

    def _new_event(
        self,
        cid: str,
        calendar: dict[str, Any],
        event: dict[str, Any],
        event_id: str,
        *,
        creator: str | None = None,
    ) -> dict[str, Any]:
        """Validate and store a new event with the fields the server owns; raises
        :class:`BadRequest`."""
        validate(event, calendar)
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
                "creator": {"email": creator or self.email, "self": True},
                "organizer": {"email": cid, "self": True},
                "iCalUID": event.get("iCalUID") or f"{event_id}@google.com",
                "sequence": 0,
            }
        )
        if cid not in self.users:
            event["organizer"]["displayName"] = calendar["summary"]
        event.setdefault("reminders", {"useDefault": True})
        event.setdefault("eventType", "default")
        calendar["events"][event_id] = event
        return event
