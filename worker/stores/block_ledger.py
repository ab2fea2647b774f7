"""The ledger: every reservation the product made (or is making) in Lockme to block a slot.

It is the only licence to change or delete a Lockme reservation: the writer frees what the
ledger holds and nothing else, and the echo check in ``worker.flows.booking_sync`` asks it whether a
webhook is about the product's own write. A record is written *pending* before the create
(so an echo that overtakes the create's answer is still recognised by its slot) and *made*
once the reservation's id is known. Four hashes, written together in one transaction with a
move of ``blocks_generation`` (every write moves it, so a sync that finds the generation its
last plan saw knows the ledger is as that plan saw it, without reading it; a new way of
writing the ledger must move it too):

- ``blocks_made[extid]``: the record's JSON (format below);
- ``blocks_by_slot["{room}:{date}:{hour}"] = extid``, from the pending record on;
- ``blocks_by_reservation[rid] = extid``, once the id is known;
- ``blocks_conflicts["{room}:{date}:{hour}"]``: a slot an event covers but a customer holds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, time
from typing import Any

import redis

from worker.domain.block_rules import MADE, slot_key
from worker.stores.keys import Keys
from worker.stores.redisutil import now_iso, text

PENDING = "pending"
# Drop a record and the index entries that still point at it (a newer record of the same
# slot, or a reused id, is left alone). KEYS: made, by-slot, by-reservation, generation.
_DROP = """
local raw = redis.call('hget', KEYS[1], ARGV[1])
if not raw then return 0 end
local record = cjson.decode(raw)
local slot = record.room_id .. ':' .. record.date .. ':' .. record.hour
if redis.call('hget', KEYS[2], slot) == ARGV[1] then redis.call('hdel', KEYS[2], slot) end
local rid = record.reservation_id
if type(rid) == 'number' and redis.call('hget', KEYS[3], tostring(rid)) == ARGV[1] then
    redis.call('hdel', KEYS[3], tostring(rid))
end
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('incr', KEYS[4])
return 1
"""


@dataclass(frozen=True)
class BlockRecord:
    """One block, as ``blocks_made`` stores it (``date`` ``YYYY-MM-DD``, ``hour`` ``HH:MM``).

    It names its event, not the event's title: a title is kept once per event, in the
    feed's snapshot, not once per slot it blocks."""

    extid: str
    room_id: int
    date: str
    hour: str
    calendar_id: str
    event_id: str
    reservation_id: int | None
    state: str
    at: str

    @property
    def slot(self) -> str:
        return slot_key(self.room_id, self.date, self.hour)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> BlockRecord:
        """From the stored JSON; fields it no longer has (records written before titles
        moved to the snapshot carry one) are ignored."""
        stored = json.loads(raw)
        return cls(**{f.name: stored[f.name] for f in fields(cls)})


class BlockLedger:
    """Typed access to the four blocks hashes of one runtime's ``keys``."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    # --- records ------------------------------------------------------------------------
    def get(self, extid: str) -> BlockRecord | None:
        raw = self.redis.hget(self.keys.blocks_made, extid)
        return BlockRecord.from_json(raw) if raw else None

    def pending(
        self,
        extid: str,
        room_id: int,
        day: date,
        hour: time,
        calendar_id: str,
        event_id: str,
    ) -> BlockRecord:
        """Record that a block is about to be made (before the create), with its slot."""
        record = BlockRecord(
            extid=extid,
            room_id=room_id,
            date=day.isoformat(),
            hour=hour.strftime("%H:%M"),
            calendar_id=calendar_id,
            event_id=event_id,
            reservation_id=None,
            state=PENDING,
            at=now_iso(),
        )
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.blocks_made, extid, record.to_json())
        pipe.hset(self.keys.blocks_by_slot, record.slot, extid)
        pipe.incr(self.keys.blocks_generation)
        pipe.execute()
        return record

    def made(self, record: BlockRecord, reservation_id: int | None) -> BlockRecord:
        """Record that the reservation exists (its id, when Lockme said it)."""
        done = replace(record, state=MADE, reservation_id=reservation_id, at=now_iso())
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.blocks_made, done.extid, done.to_json())
        pipe.hset(self.keys.blocks_by_slot, done.slot, done.extid)
        if reservation_id is not None:
            pipe.hset(self.keys.blocks_by_reservation, str(reservation_id), done.extid)
        pipe.incr(self.keys.blocks_generation)
        pipe.execute()
        return done

    def rehome(self, extid: str, event_id: str) -> None:
        """Hand a block to another event covering its slot: Lockme is not touched (the
        reservation and its extid stay), only which event the block now answers to."""
        record = self.get(extid)
        if record is not None:
            moved = replace(record, event_id=event_id)
            pipe = self.redis.pipeline(transaction=True)
            pipe.hset(self.keys.blocks_made, extid, moved.to_json())
            pipe.incr(self.keys.blocks_generation)
            pipe.execute()

    def drop(self, extid: str) -> bool:
        """Forget a block in all three hashes at once; False when it was not there."""
        keys = (
            self.keys.blocks_made,
            self.keys.blocks_by_slot,
            self.keys.blocks_by_reservation,
            self.keys.blocks_generation,
        )
        return bool(self.redis.eval(_DROP, 4, *keys, extid))

    def generation(self) -> int:
        """Where the ledger's writes have got to (``blocks_generation``; 0 for a new store)."""
        return int(self.redis.get(self.keys.blocks_generation) or 0)

    # --- lookups ------------------------------------------------------------------------
    def by_reservation(self, reservation_id: int) -> BlockRecord | None:
        return self._via(self.keys.blocks_by_reservation, str(reservation_id))

    def by_slot(self, room_id: int, day: date | str, hour: time | str) -> BlockRecord | None:
        return self._via(self.keys.blocks_by_slot, slot_key(room_id, day, hour))

    def knows(self, reservation_id: int, slot: tuple[int, date, time] | None = None) -> bool:
        """Whether the reservation is one of the product's blocks, or (with ``slot``, a
        room, date and hour) the product is blocking that slot; one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hexists(self.keys.blocks_by_reservation, str(reservation_id))
        if slot is not None:
            pipe.hexists(self.keys.blocks_by_slot, slot_key(*slot))
        return any(pipe.execute())

    def _via(self, index: str, field: str) -> BlockRecord | None:
        extid = self.redis.hget(index, field)
        return self.get(text(extid)) if extid else None

    def all(self) -> list[BlockRecord]:
        """Every record, by room, date and hour."""
        records = [BlockRecord.from_json(raw) for raw in self.redis.hvals(self.keys.blocks_made)]
        return sorted(records, key=lambda r: (r.room_id, r.date, r.hour, r.extid))

    def for_room(self, room_id: int) -> list[BlockRecord]:
        return [r for r in self.all() if r.room_id == room_id]

    def for_calendar(self, calendar_id: str) -> list[BlockRecord]:
        return [r for r in self.all() if r.calendar_id == calendar_id]

    def count(self) -> int:
        return int(self.redis.hlen(self.keys.blocks_made))

    # --- conflicts ----------------------------------------------------------------------
    def set_conflict(
        self,
        room_id: int,
        day: date,
        hour: time,
        calendar_id: str,
        event_id: str,
        reason: str,
    ) -> dict[str, Any]:
        """Note a slot an event covers that Lockme would not give the product."""
        conflict = {
            "room_id": room_id,
            "date": day.isoformat(),
            "hour": hour.strftime("%H:%M"),
            "calendar_id": calendar_id,
            "event_id": event_id,
            "reason": reason,
            "at": now_iso(),
        }
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.blocks_conflicts, slot_key(room_id, day, hour), json.dumps(conflict))
        pipe.incr(self.keys.blocks_generation)
        pipe.execute()
        return conflict

    def clear_conflict(self, room_id: int, day: date | str, hour: time | str) -> bool:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(self.keys.blocks_conflicts, slot_key(room_id, day, hour))
        pipe.incr(self.keys.blocks_generation)
        return bool(pipe.execute()[0])

    def conflicts(self) -> list[dict[str, Any]]:
        """Every conflict, by room, date and hour."""
        items = [json.loads(raw) for raw in self.redis.hvals(self.keys.blocks_conflicts)]
        return sorted(items, key=lambda c: (c["room_id"], c["date"], c["hour"]))
