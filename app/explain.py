"""Failures in words staff act on: what went wrong, for which booking, and what to do.

A failure record keeps the API's own text (``reason``), which is right for a developer and
for replay but reads like "Lockme GET /message/7012: 404" to the person at the desk. Each
record is matched to one of a few known causes; each cause has a plain sentence, a next
step (``why_<cause>`` in ``worker.domain.wording``, which the terminal reads too, and
``next_<cause>``
in ``app.i18n``) and an entry
on the help page and in ``docs/troubleshooting.md`` (in Polish ``docs/pl/``) under the
same anchor. The raw text
stays available behind "details".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.domain.causes import cause_of
from worker.domain.errors import AuthError, SyncError, TransientError


@dataclass(frozen=True)
class Explained:
    """One failure as the status page shows it."""

    cause: str
    message_id: int
    reservation_id: int | None
    room_id: int | None
    date: str | None
    hour: str | None


def explain(failure: dict[str, Any]) -> Explained:
    """The cause, and the booking and room as far as the recorded payload names them."""
    payload = failure.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    data = payload.get("data")
    data = data if isinstance(data, dict) else {}
    reservation = failure.get("reservation_id") or payload.get("reservationid")
    room = payload.get("roomid")
    return Explained(
        cause=cause_of(failure),
        message_id=int(failure["message_id"]),
        reservation_id=_int(reservation),
        room_id=_int(room),
        date=_text(data.get("date"), 10),
        hour=_text(data.get("hour"), 5),
    )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _text(value: Any, length: int) -> str | None:
    return value[:length] if isinstance(value, str) and value else None


# Causes that belong to a connection rather than to one failed message; the help page lists
# them first, the status and setup pages, the banner and the checklist link them.
CONNECTION_CAUSES = ("grant_revoked", "service_down")


@dataclass(frozen=True)
class ConnectionState:
    """One connection as every page words it.

    ``state``: ``ok``; ``unset`` (never connected); ``reconnect`` (the grant was refused:
    a person must press "Reconnect"); ``down`` (connected, but calls fail: an outage some
    job gave up on since ``since``, or ``waiting`` bookings retrying). ``raw`` is the API's
    own words, shown only under a details fold.
    """

    state: str
    since: float | None = None
    waiting: int = 0
    raw: str = ""

    @property
    def cause(self) -> str:
        """The help page's entry for this state ("" when nothing is wrong)."""
        return {"reconnect": "grant_revoked", "down": "service_down"}.get(self.state, "")


def connection_state(
    conn: dict[str, Any], *, reconnect: bool, outage_since: float | None, retrying: int
) -> ConnectionState:
    """Read ``ConnectionHealth.connection``'s fields, the outage record and the retry count as one
    state."""
    error = conn.get("error") or ""
    if reconnect or (error and error != "not connected"):
        return ConnectionState("reconnect", raw=error)
    if error == "not connected":
        return ConnectionState("unset")
    if outage_since is not None or retrying:
        return ConnectionState("down", since=outage_since, waiting=retrying)
    return ConnectionState("ok")


# The guides the help page links, in the project's repository (as app.json names it).
DOCS_URL = "https://github.com/lockme-calendar-sync/lockme-calendar-sync/blob/main/docs/"
GUIDES = (
    "troubleshooting",
    "setup-lockme",
    "setup-google",
    "deploy-heroku",
    "operating",
    "blocks",
)


# The guides read in Polish too: ``docs/pl/<guide>.md``, under the English one's anchors.
POLISH_GUIDES = frozenset({"troubleshooting", "blocks"})


def guide_url(guide: str, anchor: str = "", lang: str = "en") -> str:
    """Where a guide (one of ``GUIDES``) is read in ``lang``, at ``anchor`` if given: a
    Polish page's link opens the Polish version where there is one."""
    folder = "pl/" if lang == "pl" and guide in POLISH_GUIDES else ""
    return f"{DOCS_URL}{folder}{guide}.md" + (f"#{anchor}" if anchor else "")


def guide_in(guide: str, lang: str) -> bool:
    """Whether ``guide`` is written in ``lang`` (a link to one that is not says so)."""
    return lang == "en" or (lang == "pl" and guide in POLISH_GUIDES)


def problem_key(exc: SyncError) -> str:
    """The text (``app.i18n``, with ``{provider}``) that says in plain words why a call to a
    service failed: the same words its box uses for a refused grant or an outage."""
    if isinstance(exc, AuthError):
        return "conn_reconnect"
    if isinstance(exc, TransientError):
        return "conn_down"
    return "service_refused"
