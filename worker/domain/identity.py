"""Whether a Google event or a Lockme reservation is this product's, and what it carries.

One owner for the rule, because both directions of the sync depend on it and a second
spelling that drifted would be an echo loop: a booking event read back as a staff block
(blocks the slot it shows), or a block read back as a booking (an event for the product's
own reservation). Booking events are marked in ``extendedProperties.private``; blocks are
marked in Lockme by an ``extid`` that starts with ``BLOCK_EXTID_PREFIX``.
"""

from __future__ import annotations

import hashlib
from datetime import date, time
from typing import Any

RESERVATION_KEY = "lockmeReservationId"
ROOM_KEY = "lockmeRoomId"
STAMP_KEY = "lockmeStamp"
# Lockme's ``extid`` is one slot shared by every integration on a booking: the prefix is
# what tells the product's own reservations from everyone else's.
BLOCK_EXTID_PREFIX = "lcs-b-"


def private_properties(reservation_id: int, room_id: int, stamp: int) -> dict[str, str]:
    """The marks a booking event carries (ids as decimal strings, as Google stores them)."""
    return {
        RESERVATION_KEY: str(reservation_id),
        ROOM_KEY: str(room_id),
        STAMP_KEY: str(stamp),
    }


def _private(event: dict[str, Any]) -> dict[str, Any]:
    props = event.get("extendedProperties")
    private = props.get("private") if isinstance(props, dict) else None
    return private if isinstance(private, dict) else {}


def is_ours(event: dict[str, Any]) -> bool:
    """Whether the product wrote this event (a booking event): such an event never blocks.

    Any value of the mark counts, readable or not: an event that carries it was written by
    the product, and a block made from it would block the slot of the booking it shows."""
    return RESERVATION_KEY in _private(event)


def reservation_of(event: dict[str, Any]) -> int | None:
    """The Lockme reservation a booking event shows, or None (not ours, or unreadable)."""
    raw = str(_private(event).get(RESERVATION_KEY, ""))
    return int(raw) if raw.isascii() and raw.isdigit() else None


def stamp_of(event: dict[str, Any]) -> int:
    """The id of the message that last wrote an event (0 for none or an unreadable one)."""
    raw = str(_private(event).get(STAMP_KEY, "0"))
    return int(raw) if raw.isascii() and raw.isdigit() else 0


def reservation_query(reservation_id: int) -> str:
    """The ``privateExtendedProperty`` filter that finds a reservation's event."""
    return f"{RESERVATION_KEY}={reservation_id}"


def block_extid(calendar_id: str, event_id: str, room_id: int, day: date, hour: time) -> str:
    """The stable ``extid`` of the block an event puts on one slot of one room.

    Derived from the event and the slot only, so a retried or raced write looks up the
    reservation it made (``ext/{extid}``) instead of making a second one; a moved event
    keeps the blocks of the slots it still covers. The event part is hashed: Google's ids
    can be long, and the calendar's id is nobody's business in Lockme.
    """
    digest = hashlib.sha256(f"{calendar_id}\n{event_id}".encode()).hexdigest()[:16]
    return f"{BLOCK_EXTID_PREFIX}{digest}-{room_id}-{day:%Y%m%d}{hour:%H%M}"


def is_block_extid(extid: Any) -> bool:
    """Whether a Lockme reservation's ``extid`` marks it as a block the product made."""
    return isinstance(extid, str) and extid.startswith(BLOCK_EXTID_PREFIX)
