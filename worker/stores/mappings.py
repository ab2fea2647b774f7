"""Reservation → event mappings, and the lock a job holds on a reservation while it writes.

:meth:`Reservations.reservation` takes the lock and reads, in the same round trip, all an
add, edit or delete needs: the mapping (this store's), the room's route, whether the store
has recorded for longer than Lockme redelivers, and the connections' generations. The
route and the generations belong to ``Routes`` and ``TokenVault``; their keys are read here
through the shared ``Keys`` (and parsed by their owners' helpers) because one pipeline is
one round trip per booking, where asking each store would be three.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import redis
from redis.exceptions import LockError

from worker.domain.booking import Route
from worker.stores.keys import Keys
from worker.stores.leases import LeaseKeeper
from worker.stores.routes import parse_route
from worker.stores.token_vault import PROVIDERS, TokenVault

MAPPING_DAYS = 400
# Lockme redelivers an unacknowledged message for 24 h; two hours' margin for clocks.
REDELIVERY_HORIZON_S = 26 * 3600
LOCK_POLL_S = 0.1
# Delete a lock only if it still holds our token (it may have lapsed and been taken since).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


@dataclass(frozen=True)
class Mapping:
    """Where a reservation's event lives and which message last shaped it.

    ``strays`` names other calendars that may still hold a live copy: a move records its
    new calendar here *before* writing there, so if the job dies before removing the old
    copy, the next delete or move still finds both.
    """

    reservation_id: int
    room_id: int
    calendar_id: str
    event_id: str
    stamp: int
    deleted: bool = False
    strays: tuple[str, ...] = ()

    def calendars(self) -> list[str]:
        """Every calendar that may hold a live copy (none for a tombstone)."""
        return [] if self.deleted else list(dict.fromkeys([self.calendar_id, *self.strays]))


def _mapping(raw: bytes | str | None) -> Mapping | None:
    if not raw:
        return None
    fields = json.loads(raw)
    return Mapping(**{**fields, "strays": tuple(fields.get("strays", ()))})


def _covers(now: float, since: bytes | None) -> bool:
    """Whether ``since`` (the store's first write, None if it is new) is older than Lockme's
    redelivery horizon."""
    return now - float(since or now) > REDELIVERY_HORIZON_S


@dataclass
class HeldReservation:
    """A reservation's lock, held, and the state read when it was taken."""

    key: str
    token: str
    mapping: Mapping | None
    route: Route
    covers: bool
    released: bool = False

    def release_in(self, pipe: Any) -> None:
        """Release the lock with the other writes of ``pipe`` (saving a round trip)."""
        pipe.eval(_RELEASE, 1, self.key, self.token)
        self.released = True


class Reservations:
    """The mappings, and the reservation locks that serialise writes to one event."""

    def __init__(self, client: redis.Redis, keys: Keys, tokens: TokenVault) -> None:
        self.redis = client
        self.keys = keys
        self.tokens = tokens
        # Lease length → the keeper renewing this process's reservation locks.
        self._keepers: dict[float, LeaseKeeper] = {}

    def mapping(self, reservation_id: int) -> Mapping | None:
        return _mapping(self.redis.get(self.keys.mapping(reservation_id)))

    def save_mapping(self, mapping: Mapping) -> None:
        self.redis.set(
            self.keys.mapping(mapping.reservation_id),
            json.dumps(asdict(mapping)),
            ex=MAPPING_DAYS * 24 * 3600,
        )

    @contextmanager
    def reservation(
        self, reservation_id: int, room_id: int, *, timeout: float, wait: float
    ) -> Iterator[HeldReservation]:
        """Hold the reservation's lock and read what every add, edit and delete needs: its
        mapping, its room's route, and whether this store has been recording for longer
        than Lockme redelivers; and the connections' generations, which vouch for the write
        that follows (``TokenVault.write_token``). One round trip when the lock is free.

        ``timeout`` is the lock's lease: renewed while this process lives (``LeaseKeeper``),
        so it bounds only how long a killed holder keeps it; ``wait`` how long to wait for
        it, then ``LockError``. A new or flushed store
        starts counting again; until then a redelivered message may predate it, so a
        missing mapping does not prove that no event was written.
        """
        key, token = self.keys.reservation_lock(reservation_id), uuid.uuid4().hex
        leases = self._leases(timeout)
        deadline = time.monotonic() + wait
        while True:
            now = time.time()
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(key, token, nx=True, px=int(timeout * 1000))
            pipe.get(self.keys.mapping(reservation_id))
            pipe.hget(self.keys.routes, str(room_id))
            pipe.set(self.keys.since, now, nx=True, get=True)
            pipe.hmget(self.keys.generations, PROVIDERS)
            acquired, raw_mapping, raw_route, since, generations = pipe.execute()
            if acquired:
                self.tokens.vouch(
                    {
                        provider: int(raw or 0)
                        for provider, raw in zip(PROVIDERS, generations, strict=True)
                    }
                )
                break
            if time.monotonic() + LOCK_POLL_S > deadline:
                raise LockError(f"reservation {reservation_id} is locked")
            time.sleep(LOCK_POLL_S)
        held = HeldReservation(
            key, token, _mapping(raw_mapping), parse_route(room_id, raw_route), _covers(now, since)
        )
        leases.hold(key, token)
        try:
            yield held
        finally:
            leases.drop(key)
            if not held.released:
                self.redis.eval(_RELEASE, 1, key, token)

    def _leases(self, lease_s: float) -> LeaseKeeper:
        """The keeper of this process's reservation leases of ``lease_s`` (one per length)."""
        keeper = self._keepers.get(lease_s)
        if keeper is None:
            keeper = self._keepers.setdefault(lease_s, LeaseKeeper(self.redis, lease_s))
        return keeper
