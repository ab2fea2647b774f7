"""What staff and operators see of the blocks: the ``blocks`` key of ``status --json``, the
status page's section and the alerts. Reads only: nothing here writes to Redis.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from worker.domain.block_rules import GUARD_MAX_CREATES, MADE, TITLED_PRIVACY
from worker.flows.blocks.adopt import last_checked
from worker.flows.blocks.channels import ChannelStore
from worker.flows.blocks.feed import FeedStore
from worker.ops.alert import Alert
from worker.runtime import Runtime
from worker.stores.block_ledger import BlockLedger, BlockRecord
from worker.stores.block_rooms import BlockRooms

# How a blocks calendar's changes reach the product (``changes_via``; the status page words
# each), and the same in the CLI's words (``changes_by``).
PUSH, POLLING, PUSH_REFUSED = "push", "polling", "push_refused"
CHANGES_BY = {
    PUSH: "push",
    POLLING: "polling",
    PUSH_REFUSED: "polling (Google refused the push address)",
}


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
    if channel is not None and channel.seconds_left() > 0:
        via = PUSH
    elif state.get("push_refused"):
        via = PUSH_REFUSED
    else:
        via = POLLING
    return {
        "calendar_id": calendar_id,
        "synced_at": _iso(state.get("synced_at")),
        "full_at": _iso(state.get("full_at")),
        "changes_by": CHANGES_BY[via],
        "changes_via": via,
        "error": state.get("error") or None,
    }


def _listed(
    titled: Callable[[int], bool],
    record: BlockRecord,
    events: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, Any]:
    """One block as staff see it; the event's title and link only where privacy allows,
    both from the event's one entry in the feed's snapshot."""
    shown = titled(record.room_id)
    event = events.get((record.calendar_id, record.event_id), {})
    return {
        "room_id": record.room_id,
        "date": record.date,
        "hour": record.hour,
        "title": event.get("summary") or None if shown else None,
        "link": event.get("link") or None if shown else None,
        "calendar_id": record.calendar_id,
        "reservation_id": record.reservation_id,
        "state": record.state,
    }


def snapshot(runtime: Runtime) -> dict[str, Any]:
    """The ``blocks`` object of ``status --json`` (interface.md fixes ``rooms``, ``active``,
    ``conflicts`` and ``last_sync_at``; the rest is added)."""
    rooms = BlockRooms(runtime.redis, runtime.keys)
    ledger = BlockLedger(runtime.redis, runtime.keys)
    settings = rooms.all()
    records = ledger.all()
    calendars = [calendar_state(runtime, cid) for cid in sorted(set(settings.values()))]
    synced = [c["synced_at"] for c in calendars if c["synced_at"]]
    checked = last_checked(runtime.redis, runtime.keys, list(settings))
    feed = FeedStore(runtime.redis, runtime.keys)
    events = {
        (cid, eid): entry
        for cid in set(settings.values())
        for eid, entry in feed.snapshot(cid).items()
    }
    # Whether a room's privacy level shows an event's title and link (the same rule as the
    # block's label in Lockme), read once per room: a snapshot may list thousands of blocks.
    titled = functools.cache(
        lambda room: runtime.store.routes.route(room).privacy in TITLED_PRIVACY
    )
    return {
        "rooms": {str(room): cid for room, cid in settings.items()},
        "active": sum(1 for r in records if r.state == MADE),
        "pending": sum(1 for r in records if r.state != MADE),
        "conflicts": [_conflict(titled, c, events) for c in ledger.conflicts()],
        "held": rooms.held(),
        "last_sync_at": max(synced) if synced else None,
        # Since when every blocks room's blocks have been checked against Lockme (None:
        # one has not been yet, as after a store loss until its next sync).
        "last_checked_at": _iso(str(checked)) if checked is not None else None,
        "calendars": calendars,
        "list": [_listed(titled, r, events) for r in records],
    }


def _conflict(
    titled: Callable[[int], bool],
    conflict: dict[str, Any],
    events: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, Any]:
    """One conflict, with the covering event's title and link where privacy allows."""
    fields = ("room_id", "date", "hour", "event_id", "reason", "calendar_id")
    shown = titled(int(conflict["room_id"]))
    event = events.get((str(conflict.get("calendar_id")), str(conflict.get("event_id"))), {})
    return {
        **{k: conflict.get(k) for k in fields},
        "title": event.get("summary") or None if shown else None,
        "link": event.get("link") or None if shown else None,
    }


def alerts(runtime: Runtime, where: str) -> list[Alert]:
    """The blocks conditions that need a person: removals or creates held by the guards,
    and slots a staff event covers that a customer's booking holds (named by count, never by
    customer)."""
    found: list[Alert] = []
    rooms = BlockRooms(runtime.redis, runtime.keys)
    confirm = "then confirm on the status page or with lockme-sync blocks ROOM_ID --confirm."
    for held in rooms.held():
        if held.get("frees"):
            found.append(
                Alert(
                    "blocks_held",
                    f"Blocks: {held['frees']} blocks would be removed at once, after a read of "
                    f"the calendar that did not show those events going. Nothing was removed; "
                    f"see {where}, {confirm}",
                )
            )
        if held.get("creates"):
            found.append(
                Alert(
                    "blocks_held_creates",
                    f"Blocks: {held['creates']} slots would be blocked at once (an event "
                    f"closing more than {GUARD_MAX_CREATES}, or a week or more of one room). "
                    f"Nothing was blocked yet; see {where}, {confirm}",
                )
            )
    conflicts = BlockLedger(runtime.redis, runtime.keys).conflicts()
    if conflicts:
        found.append(
            Alert(
                "blocks_conflicts",
                f"{len(conflicts)} slot(s) covered by a staff event in Google Calendar are "
                f"held by customers' bookings, so they were not blocked; see {where}.",
            )
        )
    return found
