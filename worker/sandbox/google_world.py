"""The state every part of the fake Calendar API shares: its users, their calendars and
the events in them, under one lock, with the few reads that tests and the sandbox make of it.

Each Google user has a primary calendar (its id is the user's address) and the calendars
shared with them, each with the user's role in its access list. A calendar that is not the
user's answers 404 ``notFound``, as Google answers for no access. The first user exists
from the start, and every helper that names no user acts for it.

:class:`FakeGoogle` is this state with each concern beside it (``google_channels``,
``google_sync``, ``google_events``, ``google_event_list``, ``google_staff``,
``google_calendars``): each of those modules adds the endpoints and actions of its concern.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from worker.sandbox.faults import Faults
from worker.sandbox.server import FakeServer

ROLE_RANK = {"freeBusyReader": 0, "reader": 1, "writer": 2, "owner": 3}


class GoogleWorld(FakeServer):
    """Users, calendars, events and the ids Calendar's UI burned."""

    def __init__(self, faults: Faults | None, email: str, time_zone: str) -> None:
        super().__init__(faults)
        self.lock = threading.RLock()
        self.email = email
        """The first user: the one every helper that names no user acts for."""
        self.users: list[str] = [email]
        self.time_zone = time_zone
        self.calendars: dict[str, dict[str, Any]] = {}
        """calendar id -> {"summary", "acl": {user: role}, "timeZone", "events": {id: event},
        "changes": {event id: change number}}."""
        self._etag_counter = int(time.time() * 1000)
        self.error_form = "errors"
        """Where error bodies the fake makes up carry their reason (see ``ERROR_FORMS``)."""
        self.burned: dict[tuple[str, str], int] = {}
        """(calendar id, event id) deleted in Calendar's UI -> the status its get answers."""

    def add_user(self, email: str) -> str:
        """Another Google user, with a primary calendar of their own; returns the address,
        which names the user to the other helpers and to :meth:`issue_token`."""
        with self.lock:
            if email in self.users:
                raise ValueError(f"user {email!r} exists already")
            self.users.append(email)
        self.add_calendar(email, email, "owner", user=email)
        return email

    def add_calendar(
        self,
        calendar_id: str,
        summary: str,
        access_role: str = "owner",
        *,
        user: str | None = None,
    ) -> None:
        """Add a calendar to a user's calendar list (the first user's by default) with the
        given role; no other user sees it until it is shared (:meth:`share_calendar`)."""
        if access_role not in ROLE_RANK:
            raise ValueError(f"unknown access role {access_role!r}")
        with self.lock:
            self.calendars[calendar_id] = {
                "summary": summary,
                "acl": {self._user(user): access_role},
                "timeZone": self.time_zone,
                "events": {},
                "changes": {},
            }

    def share_calendar(self, calendar_id: str, user: str, access_role: str = "writer") -> None:
        """The calendar's owner shares it with another user, who then sees it in their list
        and reaches it through the API with that role."""
        if access_role not in ROLE_RANK:
            raise ValueError(f"unknown access role {access_role!r}")
        with self.lock:
            self.calendars[self._resolve(calendar_id)]["acl"][self._user(user)] = access_role

    def _user(self, user: str | None) -> str:
        """The named user, or the first one; an address the fake does not know is a mistake
        in the test."""
        if user is None:
            return self.email
        if user not in self.users:
            raise KeyError(f"no Google user {user!r}")
        return user

    def _resolve(self, calendar_id: str, user: str | None = None) -> str:
        """A calendar id as the API takes it: ``primary`` is the user's own address."""
        return (user or self.email) if calendar_id == "primary" else calendar_id

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

    def _etag(self) -> str:
        with self.lock:
            self._etag_counter += 1
            return f'"{self._etag_counter}"'
