"""What staff and operators see of the blocks: the ``blocks`` key of ``status --json``, the
status page's section and the alerts. Reads only: nothing here writes to Redis.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from worker.blocks.channels import ChannelStore
from worker.blocks.feed import FeedStore
from worker.blocks.ledger import BlockRecord, Ledger
from worker.blocks.rooms import BlockRooms
from worker.blocks.rules import MADE, TITLED_PRIVACY
from worker.booking import Route
from worker.runtime import Runtime

if TYPE_CHECKING:
    from worker.alerts import Alert


def _iso(epoch: str | None) -> str | None:
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def calendar_state(runtime: Runtime, calendar_id: str) -> dict[str, Any]:
    """One blocks calendar: when it was last read, how changes reach the product, its error."""
    state = FeedStore(runtime.redis, runtime.keys).state(calendar_id)
    channel = ChannelStore(runtime.redis, runtime.keys).current(calendar_id)
    refused = state.get("push_refused")
    if channel is not None and channel.seconds_left() > 0:
        push = "push"
    elif refused:
        push = "polling (Google refused the push address)"
    else:
        push = "polling"
    return {
        "calendar_id": calendar_id,
        "synced_at": _iso(state.get("synced_at")),
        "full_at": _iso(state.get("full_at")),
        "changes_by": push,
        "error": state.get("error") or None,
    }


def _listed(
    record: BlockRecord, titled: set[int], links: dict[tuple[str, str], str]
) -> dict[str, Any]:
    """One block as staff see it; the event's title and link only in ``titled`` rooms,
    whose privacy level shows names (the same rule as the block's label in Lockme)."""
    shown = record.room_id in titled
    return {
        "room_id": record.room_id,
        "date": record.date,
        "hour": record.hour,
        "title": record.title if shown else None,
        "link": (links.get((record.calendar_id, record.event_id)) or None) if shown else None,
        "calendar_id": record.calendar_id,
        "reservation_id": record.reservation_id,
        "state": record.state,
    }


def snapshot(runtime: Runtime) -> dict[str, Any]:
    """The ``blocks`` object of ``status --json`` (interface.md fixes ``rooms``, ``active``,
    ``conflicts`` and ``last_sync_at``; the rest is added)."""
    rooms = BlockRooms(runtime.redis, runtime.keys)
    ledger = Ledger(runtime.redis, runtime.keys)
    settings = rooms.all()
    records = ledger.all()
    calendars = [calendar_state(runtime, cid) for cid in sorted(set(settings.values()))]
    synced = [c["synced_at"] for c in calendars if c["synced_at"]]
    routes = runtime.store.routes()
    titled = {
        room
        for room in {r.room_id for r in records}
        if (routes[room].privacy if room in routes else Route(room).privacy) in TITLED_PRIVACY
    }
    feed = FeedStore(runtime.redis, runtime.keys)
    links = {
        (cid, eid): str(entry.get("link") or "")
        for cid in set(settings.values())
        for eid, entry in feed.snapshot(cid).items()
    }
    return {
        "rooms": {str(room): cid for room, cid in settings.items()},
        "active": sum(1 for r in records if r.state == MADE),
        "pending": sum(1 for r in records if r.state != MADE),
        "conflicts": [
            {k: c.get(k) for k in ("room_id", "date", "hour", "event_id", "reason", "calendar_id")}
            for c in ledger.conflicts()
        ],
        "held": rooms.held(),
        "last_sync_at": max(synced) if synced else None,
        "calendars": calendars,
        "list": [_listed(r, titled, links) for r in records],
    }


def alerts(runtime: Runtime, where: str) -> list[Alert]:
    """The blocks conditions that need a person: removals held by the guard, and slots a
    staff event covers that a customer's booking holds (named by count, never by customer)."""
    from worker.alerts import Alert

    found: list[Alert] = []
    rooms = BlockRooms(runtime.redis, runtime.keys)
    for held in rooms.held():
        found.append(
            Alert(
                "blocks_held",
                f"Blocks: {held['reason']}, after a read of the calendar that did not show "
                f"those events going. Nothing was removed; see {where}, then confirm on the "
                "status page or with lockme-sync blocks ROOM_ID --confirm.",
            )
        )
    conflicts = Ledger(runtime.redis, runtime.keys).conflicts()
    if conflicts:
        found.append(
            Alert(
                "blocks_conflicts",
                f"{len(conflicts)} slot(s) covered by a staff event in Google Calendar are "
                f"held by customers' bookings, so they were not blocked; see {where}.",
            )
        )
    return found
