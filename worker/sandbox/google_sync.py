"""What changed in the fake Calendar API, for sync tokens: every change of an event is
numbered, a sync token names the number a read saw, and an incremental read answers what
changed since, cancelled events and vanished instances included, or 410 when the token is
no longer valid. Page tokens carry the mark of a list's first page for the same reason."""

from __future__ import annotations

import base64
import json
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.faults import Faults
from worker.sandbox.google_channels import PushChannels
from worker.sandbox.google_errors import gerr
from worker.sandbox.google_recurrence import instances


class ChangeLog(PushChannels):
    """The numbered changes of each calendar (``calendar["changes"]``) and the tokens."""

    def __init__(self, faults: Faults | None, email: str, time_zone: str) -> None:
        super().__init__(faults, email, time_zone)
        self._change_seq = 0
        """Number of the latest change of any event; a sync token names the one it saw."""
        self._token_epoch = 0
        """Bumped by :meth:`invalidate_sync_tokens`: tokens of an older epoch answer 410."""

    def _touch(self, cid: str, event_id: str, before: dict[str, Any] | None) -> None:
        """Record a change of one stored event (for sync tokens) and push it to watchers.

        Instances a recurring event had before the change and no longer has (it moved, or
        it is gone) are recorded as changed too: an incremental list answers them as
        cancelled, as Google does."""
        with self.lock:
            calendar = self.calendars[cid]
            after = calendar["events"].get(event_id)
            old = {i["id"] for i in instances(before, calendar)} if before else set()
            new = {i["id"] for i in instances(after, calendar)} if after else set()
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
                found.extend(instances(event, calendar) if single_events else [event])
        return found


def page_mark(request: Request) -> int | None:
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


def page(
    request: Request,
    items: list[dict[str, Any]],
    default_max: int,
    max_cap: int,
    mark: int | None = None,
) -> tuple[list[dict[str, Any]], str | None] | Response:
    """One page of ``items`` and the token of the next (None on the last), or Google's 400
    for a bad ``maxResults`` or page token. The token carries ``mark``, the change number
    the first page saw, so a list read over pages ends with the sync token of its start."""
    raw_max = request.args.get("maxResults")
    try:
        max_results = int(raw_max) if raw_max is not None else default_max
    except ValueError:
        return gerr(400, "invalid", f"Invalid value '{raw_max}'. Values must match type integer")
    if max_results < 1:
        return gerr(400, "invalid", f"Invalid value '{raw_max}'.")
    max_results = min(max_results, max_cap)
    token = request.args.get("pageToken")
    start = 0
    if token:
        try:
            raw = base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:")
            start = int(raw.partition(":")[0])
        except (ValueError, UnicodeDecodeError):
            return gerr(400, "invalid", "Invalid page token value.")
    chunk = items[start : start + max_results]
    end = start + max_results
    suffix = f":{mark}" if mark is not None else ""
    next_token = (
        base64.urlsafe_b64encode(f"o:{end}{suffix}".encode()).decode() if end < len(items) else None
    )
    return chunk, next_token
