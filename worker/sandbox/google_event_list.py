"""``events.list`` of the fake Calendar API: a window's events with Google's filters,
ordering, paging and recurring instances, or, with a sync token, what changed since."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.google_errors import gerr, google_error_body
from worker.sandbox.google_recurrence import instances, instant, parse_rfc3339
from worker.sandbox.google_sync import ChangeLog, page, page_mark
from worker.sandbox.server import json_response, utc_now_rfc3339

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


class EventListing(ChangeLog):
    """The list endpoint over the calendars and their change log."""

    def _list_events(
        self, request: Request, cid: str, calendar: dict[str, Any], role: str
    ) -> Response:
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
                return gerr(
                    400, "invalid", f"The parameter {refused[0]} cannot be used with syncToken."
                )
            since = self._token_seq(cid, sync_token)
            if since is None:
                gone = google_error_body(410, "fullSyncRequired", _FULL_SYNC)
                gone["error"]["errors"][0]["domain"] = "calendar"
                return json_response(gone, 410)
        mark = page_mark(request)
        seen = self._change_seq if mark is None else mark
        show_deleted = args.get("showDeleted", "false").lower() == "true"
        single_events = args.get("singleEvents", "false").lower() == "true"
        order_by = args.get("orderBy")
        if order_by not in (None, "startTime", "updated"):
            return gerr(400, "invalidParameter", f"Invalid value for orderBy: {order_by}")
        if order_by == "startTime" and not single_events:
            return gerr(
                400,
                "badRequest",
                "The requested ordering is not available for the particular query.",
            )
        try:
            time_min = parse_rfc3339(args["timeMin"]) if "timeMin" in args else None
            time_max = parse_rfc3339(args["timeMax"]) if "timeMax" in args else None
        except ValueError:
            return gerr(400, "badRequest", "Bad Request")
        if time_min and time_max and time_max <= time_min:
            return gerr(400, "timeRangeEmpty", "The specified time range is empty.")
        wanted: dict[str, list[tuple[str, str]]] = {}
        for scope, param in (
            ("private", "privateExtendedProperty"),
            ("shared", "sharedExtendedProperty"),
        ):
            for constraint in args.getlist(param):
                key, sep, value = constraint.partition("=")
                if not sep:
                    return gerr(
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
            expanded = instances(event, calendar)
            for instance in expanded if single_events else [event]:
                spans = [
                    (
                        instant(one["start"], calendar, "start"),
                        instant(one["end"], calendar, "end"),
                    )
                    for one in (expanded if instance is event else [instance])
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
        paged = page(request, [e for _, e in selected], default_max=250, max_cap=2500, mark=seen)
        if isinstance(paged, Response):
            return paged
        items, next_token = paged
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": self._etag(),
            "summary": calendar["summary"],
            "updated": utc_now_rfc3339(),
            "timeZone": calendar["timeZone"],
            "accessRole": role,
            "defaultReminders": [],
            "items": items,
        }
        if next_token:
            body["nextPageToken"] = next_token
        else:
            body["nextSyncToken"] = self._sync_token(cid, seen)
        return json_response(body)
