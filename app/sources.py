"""What the rooms pages choose from: Lockme's rooms and Google's calendars.

The rooms page routes bookings to calendars the account may write to; a room's blocks
calendar only has to be readable. One calendar list answers both (Google gives each entry's
``accessRole``), so the page costs one Google call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.explain import problem_key
from app.i18n import t
from app.runtime import runtime
from worker.domain.errors import SyncError
from worker.gateways.token_refresh import PROVIDER_NAMES

# Google's roles that may change events (a bookings calendar needs one); a blocks calendar
# needs only "reader" (``freeBusyReader`` sees no events, so it is not offered).
WRITER_ROLES = frozenset({"owner", "writer"})


@dataclass(frozen=True)
class Problem:
    """What a call to a service answered, in plain words, and its own text for a fold."""

    words: str
    raw: str = ""

    @classmethod
    def of(cls, provider: str, exc: SyncError) -> Problem:
        return cls(t(problem_key(exc), provider=PROVIDER_NAMES[provider]), str(exc))


@dataclass(frozen=True)
class Sources:
    """What the rooms pages choose from: Lockme's rooms, the calendars as select options
    (writable ones for bookings, readable ones for blocks), and what went wrong."""

    rooms: list[dict[str, Any]]
    options: list[dict[str, str]]
    readable: list[dict[str, str]]
    problems: list[Problem]


def sources() -> Sources:
    """Lockme's rooms and Google's calendars for the rooms page and the blocks pages."""
    rt = runtime()
    rooms: list[dict[str, Any]] = []
    options: list[dict[str, str]] = []
    readable: list[dict[str, str]] = []
    problems: list[Problem] = []
    if rt.store.tokens.load_token("lockme") is None:
        problems.append(Problem(t("connect_lockme_first")))
    else:
        try:
            rooms = rt.lockme.rooms()
        except SyncError as exc:
            problems.append(Problem.of("lockme", exc))
    if rt.store.tokens.load_token("google") is None:
        problems.append(Problem(t("connect_google_first")))
    else:
        try:
            calendars = rt.calendar.calendars(min_access_role="reader")
        except SyncError as exc:
            problems.append(Problem.of("google", exc))
        else:
            for entry in calendars:
                label = entry.get("summaryOverride") or entry.get("summary") or entry["id"]
                primary = "1" if entry.get("primary") else ""
                readable.append({"value": entry["id"], "label": label, "primary": primary})
                if entry.get("accessRole", "writer") in WRITER_ROLES:
                    # The primary calendar is stored as "primary", the id unrouted rooms
                    # use, so that choosing it explicitly is the same calendar to the sync.
                    value = "primary" if primary else entry["id"]
                    options.append({"value": value, "label": label, "primary": primary})
    return Sources(rooms, options, readable, problems)
