"""Blocks in the demo venue: its "Closed" calendar switched on at once, and the Lockme
side of every room's slots (free, booked by a customer, blocked by the product).

The demo's calendar is set before any service is connected, so its first sync (which opens
its push channel, then reads) waits for the next poll once they are (``worker.jobs.blocks_sync``,
every 30 s); a newcomer who connects both services and adds a staff event at once should not
wait for it, so the sandbox asks for it as soon as it sees the services connected, and again
after each reconnect.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis

from worker.config import Settings
from worker.domain.errors import SyncError
from worker.domain.identity import is_block_extid
from worker.flows.blocks.calendar_sync import BlocksSync
from worker.jobs.blocks_runs import due_calendars
from worker.jobs.blocks_sync import request_sync
from worker.runtime import build_runtime
from worker.sandbox.demo import DEMO_ROOMS
from worker.sandbox.fake_lockme import FakeLockme

log = logging.getLogger(__name__)

CHECK_S = 0.5
FREE, BOOKED, BLOCKED = "free", "booked", "blocked"
HELD = "held"  # an unpaid lock.me hold: the customer has not paid yet


class BlocksSwitch(threading.Thread):
    """Watches the sandbox's connections; each time both become connected it does what the
    blocks poll would do next (``due_calendars``: the syncs that open channels and read)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="sandbox-blocks", daemon=True)
        self.settings = settings
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    def run(self) -> None:
        runtime = build_runtime(self.settings)
        sync, connected = BlocksSync(runtime), False
        try:
            while not self._stop_event.wait(CHECK_S):
                try:
                    now_connected = not sync.waiting_for()
                    if now_connected and not connected:
                        for calendar_id in due_calendars(runtime):
                            request_sync(runtime, calendar_id)
                    connected = now_connected
                except (SyncError, redis.RedisError) as exc:
                    # The poll is the safety net; this is only the head start.
                    log.info("sandbox blocks: %s", type(exc).__name__)
        finally:
            runtime.redis.close()


def _customers(reservation: dict[str, Any]) -> str:
    """A customer's reservation: booked, or held while unpaid (Lockme's status 0)."""
    return HELD if str(reservation.get("status")) == "0" else BOOKED


def slot_board(lockme: FakeLockme, day: str) -> list[dict[str, Any]]:
    """Per demo room, its slots on ``day`` as Lockme holds them; a reservation at an hour
    that is not a slot is listed too (Lockme's panel allows one)."""
    live = lockme.live_reservations().values()
    board = []
    for demo in DEMO_ROOMS:
        held = {r["hour"]: r for r in live if r["roomid"] == demo.room_id and r["date"] == day}
        slots = []
        for hour in sorted(set(lockme.slot_hours(demo.room_id, day)) | set(held)):
            reservation = held.get(hour)
            if reservation is None:
                slots.append({"hour": hour[:5], "state": FREE, "reservationId": None, "name": ""})
                continue
            block = is_block_extid(reservation.get("extid"))
            name = f"{reservation['name']} {reservation['surname']}".strip()
            slots.append(
                {
                    "hour": hour[:5],
                    "state": BLOCKED if block else _customers(reservation),
                    "reservationId": reservation["reservationid"],
                    "name": "" if block else name,
                }
            )
        board.append({"room": demo.room_id, "roomName": demo.name, "slots": slots})
    return board
