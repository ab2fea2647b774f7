"""Names people read instead of ids: Lockme's room names and Google's calendar names.

The history and the failures keep ids (names change, ids do not); the status page and the
CLI show names. Both lists come from an API call, so they are kept in Redis for a few
minutes: the status page then costs no API call on most loads, and a service that is not
connected or not answering leaves the ids showing instead of failing the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from worker.domain.errors import SyncError
from worker.runtime import Runtime

CACHE_S = 10 * 60
# After a failed read, ids show for a minute before the next try, so that a service that is
# down or slow does not hold up every load of the status page.
RETRY_S = 60


def _cached(
    runtime: Runtime, key: str, provider: str, fetch: Callable[[], dict[str, str]]
) -> dict[str, str]:
    raw = runtime.redis.get(key)
    if raw is not None:
        return dict(json.loads(raw))
    if runtime.store.tokens.load_token(provider) is None:
        return {}
    try:
        names = fetch()
    except SyncError:
        runtime.redis.set(key, "{}", ex=RETRY_S)
        return {}
    runtime.redis.set(key, json.dumps(names), ex=CACHE_S)
    return names


def _lockme_rooms(runtime: Runtime) -> dict[str, str]:
    return {
        str(room["roomid"]): str(room.get("room") or room["roomid"])
        for room in runtime.lockme.rooms()
        if isinstance(room, dict) and room.get("roomid") is not None
    }


def _google_calendars(runtime: Runtime) -> dict[str, str]:
    names: dict[str, str] = {}
    # Readable ones too: a room's blocks calendar may be one the account only reads.
    for entry in runtime.calendar.calendars(min_access_role="reader"):
        name = entry.get("summaryOverride") or entry.get("summary") or entry["id"]
        names[entry["id"]] = name
        if entry.get("primary"):
            # Routes and history name the primary calendar "primary".
            names["primary"] = name
    return names


def room_names(runtime: Runtime) -> dict[int, str]:
    """Room id → name: Lockme's list (cached), overridden by names saved with a route."""
    names = {
        int(k): v
        for k, v in _cached(
            runtime, runtime.keys.names_rooms, "lockme", lambda: _lockme_rooms(runtime)
        ).items()
    }
    for room_id, route in runtime.store.routes.routes().items():
        if route.room_name:
            names[room_id] = route.room_name
    return names


def calendar_names(runtime: Runtime) -> dict[str, str]:
    """Calendar id → name as the account sees it (cached); ``primary`` included."""
    return _cached(
        runtime, runtime.keys.names_calendars, "google", lambda: _google_calendars(runtime)
    )


def forget(runtime: Runtime) -> None:
    """Drop both cached lists, e.g. after a (re)connect to another account."""
    runtime.redis.delete(runtime.keys.names_rooms, runtime.keys.names_calendars)


def room_label(names: dict[int, str], room_id: Any) -> str:
    """``Name (#id)`` when the name is known, ``#id`` otherwise."""
    if room_id is None:
        return ""
    name = names.get(int(room_id)) if str(room_id).isdigit() else None
    return f"{name} (#{room_id})" if name else f"#{room_id}"
