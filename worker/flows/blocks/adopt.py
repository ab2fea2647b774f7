"""Blocks survive a store loss: the product's reservations in Lockme are the truth of what
it made, and a room's ledger is checked against them.

The ledger (``worker.stores.block_ledger``) lives only in Redis. When Redis loses its data (a
failover to an empty replica, a flush), the blocks stay in Lockme, each still carrying the
product's marker (``identity.is_block_extid``), but nothing knows them any more: a slot whose
event was deleted while the store was empty would stay closed for good, and a slot another
event covers would be asked for a second time (and reported as a customer's).

So a blocks room is checked against Lockme: its reservations from now to the horizon are
read (``GET /room/{id}/reservations/{date}``, one date at a time), and each one carrying the
marker that the ledger does not hold is *adopted*: recorded as a made block of the room's
blocks calendar, its event unknown (:data:`ADOPTED`). The calendar's next plan treats it as
any block: kept and handed to an event that covers its slot (no Lockme write), freed when
no event does. A slot an adopted block holds is never asked for again.

When a room is checked:

- before its first sync in a young store, the booking sync's signal of a lost one (no
  ``Keys.since``, or one younger than Lockme's redelivery): a new or flushed store cannot
  vouch for what its ledger lacks. That is every room after a loss, once its blocks setting
  is back (and a room of a new installation, which finds nothing). An established store
  does not hold a room's first sync back for the read;
- once a day, every room (:func:`check_job`): a block whose record went missing any other
  way, or a room whose setting came back only after the store stopped being young, is
  checked within a day.

Only reservations with the marker are adopted and only what the ledger holds is ever freed,
so a customer's reservation is never touched. Each adoption holds the slot's lease and reads
the reservation again by its extid first: a block freed between the date's list and its
adoption is not brought back as the record of a reservation that no longer exists.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import redis

from worker.config import Settings
from worker.domain.block_rules import slot_start
from worker.domain.booking import MalformedMessage, parse_hour
from worker.domain.identity import is_block_extid
from worker.flows.blocks.writer import LockFactory, lock_name
from worker.gateways.lockme import LockmeClient, reservation_id_of
from worker.ops import logs
from worker.stores.block_ledger import BlockLedger
from worker.stores.block_rooms import BlockRooms
from worker.stores.keys import Keys
from worker.stores.mappings import REDELIVERY_HORIZON_S
from worker.stores.redisutil import text

# The event id of an adopted block: the store lost which event made it. Its calendar's
# next plan hands it to an event covering its slot, or frees it.
ADOPTED = ""


@dataclass(frozen=True)
class Found:
    """A reservation in Lockme carrying the product's marker, in a slot still to come."""

    extid: str
    room_id: int
    day: date
    hour: dtime
    reservation_id: int | None


@dataclass
class CheckReport:
    """What one check did: rooms read, marked reservations seen, and those adopted."""

    rooms: int = 0
    marked: int = 0
    adopted: int = 0
    calendars: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "calendars": sorted(self.calendars)}


class LockmeCheck:
    """Checks blocks rooms' ledgers against their reservations in Lockme."""

    def __init__(
        self,
        lockme: LockmeClient,
        ledger: BlockLedger,
        rooms: BlockRooms,
        lock: LockFactory,
        settings: Settings,
    ) -> None:
        self.lockme = lockme
        self.ledger = ledger
        self.rooms = rooms
        self.lock = lock
        self.settings = settings

    @property
    def redis(self) -> redis.Redis:
        return self.ledger.redis

    @property
    def keys(self) -> Keys:
        return self.ledger.keys

    def unchecked(self, room_ids: list[int]) -> list[int]:
        """The rooms a young store holds no check of (all of them after a loss); none in
        an established store, where the daily check covers a room turned on since."""
        if not room_ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.keys.since)
        pipe.hmget(self.keys.blocks_checked, [str(r) for r in room_ids])
        since, raws = pipe.execute()
        if since is not None and time.time() - float(since) > REDELIVERY_HORIZON_S:
            return []
        return [room for room, raw in zip(room_ids, raws, strict=True) if not raw]

    def ensure(self, room_ids: list[int]) -> CheckReport | None:
        """Check the rooms :meth:`unchecked` names; None when there are none (one round
        trip)."""
        due = self.unchecked(room_ids)
        return self.check(due) if due else None

    def check(self, room_ids: list[int]) -> CheckReport:
        """Read each room's reservations over the horizon and adopt the product's blocks
        the ledger lacks. A room counts as checked once all its dates were read; a failed
        read propagates and leaves it unchecked, so its next sync reads it again."""
        report = CheckReport()
        for room_id in room_ids:
            calendar_id = self.rooms.calendar_of(room_id)
            if calendar_id is None:
                continue
            started = time.time()
            for found in self._marked(room_id):
                report.marked += 1
                if self._adopt(found, calendar_id):
                    report.adopted += 1
                    report.calendars.add(calendar_id)
            self.redis.hset(self.keys.blocks_checked, str(room_id), str(started))
            report.rooms += 1
        logs.event(
            "blocks.check",
            outcome="adopted" if report.adopted else "checked",
            rooms=report.rooms,
            marked=report.marked,
            adopted=report.adopted,
        )
        return report

    def _marked(self, room_id: int) -> Iterator[Found]:
        """The room's reservations carrying the marker, in slots from now to the horizon."""
        tz = self.settings.tz
        now = datetime.now(UTC)
        until = now + timedelta(days=self.settings.blocks_horizon_days)
        day, last = now.astimezone(tz).date(), until.astimezone(tz).date()
        while day <= last:
            for item in self.lockme.reservations(room_id, day):
                found = _found(item, room_id, day)
                if found and now <= slot_start(found.day, found.hour, tz) < until:
                    yield found
            day += timedelta(days=1)

    def _adopt(self, found: Found, calendar_id: str) -> bool:
        """Record ``found`` as a made block of ``calendar_id``, unless the ledger holds it
        or another block of its slot, or it is gone by now."""
        with self.lock(lock_name(found.room_id, found.day, found.hour)):
            if self.ledger.get(found.extid) is not None:
                return False
            if self.ledger.by_slot(found.room_id, found.day, found.hour) is not None:
                return False
            current = self.lockme.reservation_by_ext(found.room_id, found.extid)
            if current is None or not _same_slot(current, found):
                return False
            record = self.ledger.pending(
                found.extid, found.room_id, found.day, found.hour, calendar_id, ADOPTED
            )
            self.ledger.made(record, found.reservation_id or reservation_id_of(current))
            return True


def _found(item: dict[str, Any], room_id: int, day: date) -> Found | None:
    """A listed reservation as :class:`Found` when it carries the marker and names its hour."""
    extid = item.get("extid")
    if not is_block_extid(extid):
        return None
    try:
        hour = parse_hour(item.get("hour"))
    except MalformedMessage:
        return None
    return Found(str(extid), room_id, day, hour.replace(second=0), reservation_id_of(item))


def _same_slot(current: dict[str, Any], found: Found) -> bool:
    """Whether the reservation read by its extid is still where the date's list had it (a
    form of the answer that names no date or hour is taken as it was listed)."""
    day, hour = current.get("date"), current.get("hour")
    if day is not None and str(day) != found.day.isoformat():
        return False
    if hour is None:
        return True
    try:
        return parse_hour(hour).replace(second=0) == found.hour
    except MalformedMessage:
        return False


def last_checked(client: redis.Redis, keys: Keys, room_ids: list[int]) -> float | None:
    """Since when every one of ``room_ids`` has been checked against Lockme (epoch
    seconds), or None when one never was (or there are none)."""
    if not room_ids:
        return None
    raws = client.hmget(keys.blocks_checked, [str(r) for r in room_ids])
    if not all(raws):
        return None
    return min(float(text(raw)) for raw in raws if raw)
