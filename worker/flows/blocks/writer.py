"""Block and free one slot in Lockme, exactly once, whatever retries, crashes and races do.

Exactness rests on three things:

- **A stable extid per slot** (``identity.block_extid``): the reservation a write made can
  always be found again by ``ext/{extid}``, so a create whose answer was lost (a timeout, a
  dropped connection, a crash before the ledger write) is found instead of repeated.
- **The ledger first**: the pending record (and its slot) is written before the create,
  so an echo webhook that overtakes the create's answer is recognised, and a crash leaves
  a record that the next attempt completes.
- **One writer per slot**: every write holds the slot's lease (``block:{room}:{date}:{hour}``),
  so two syncs of one calendar, or two calendars covering one slot, never both create.

Only what the ledger holds is ever deleted: ``free`` takes a record, re-reads it under the
lock, and deletes the reservation id it names (or, when the create's answer never named
one, the room's reservation with its extid).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, time
from enum import StrEnum
from time import sleep
from typing import Any

from worker.domain.block_rules import MADE, SlotPlan, slot_key
from worker.domain.errors import TransientError
from worker.gateways.lockme import (
    RETRY_AFTER_CAP_S,
    SERVICE,
    LockmeClient,
    SlotTaken,
    reservation_id_of,
)
from worker.stores.block_ledger import BlockLedger, BlockRecord

TAKEN_REASON = "a customer's booking holds the slot"
# Pauses before a create found not to have landed is made again (the client's own in-place
# retries of its other calls wait about as long).
CREATE_PAUSES_S = (0.5, 1.0)


class WriteResult(StrEnum):
    """What one block or free did; the first three are history results."""

    BLOCKED = "blocked"
    FREED = "freed"
    CONFLICT = "conflict"
    UNCHANGED = "unchanged"  # made already (or freed already): nothing written
    COVERED = "covered"  # another of the product's blocks holds the slot


LockFactory = Callable[[str], AbstractContextManager[Any]]
HistoryRecorder = Callable[[dict[str, Any]], None]


def lock_name(room_id: int, day: date | str, hour: time | str) -> str:
    return f"block:{slot_key(room_id, day, hour)}"


class Writer:
    """Idempotent create and delete of the product's blocks, one slot at a time."""

    def __init__(
        self,
        lockme: LockmeClient,
        ledger: BlockLedger,
        history_recorder: HistoryRecorder,
        lock_factory: LockFactory,
    ) -> None:
        self.lockme = lockme
        self.ledger = ledger
        self.record_history = history_recorder
        self.lock = lock_factory

    def block(self, plan: SlotPlan) -> WriteResult:
        """Make sure ``plan``'s slot carries its block: one reservation, whatever happened
        to earlier attempts. A slot Lockme will not give becomes a conflict."""
        with self.lock(lock_name(plan.room_id, plan.day, plan.hour)):
            known = self.ledger.get(plan.extid)
            if known is not None and known.state == MADE:
                return WriteResult.UNCHANGED
            other = self.ledger.by_slot(plan.room_id, plan.day, plan.hour)
            if other is not None and other.extid != plan.extid:
                return WriteResult.COVERED
            record = self.ledger.pending(
                plan.extid,
                plan.room_id,
                plan.day,
                plan.hour,
                plan.calendar_id,
                plan.event_id,
            )
            found = self.lockme.reservation_by_ext(plan.room_id, plan.extid)
            if found is None:
                found = self._create(plan)
            if found is None:
                self.ledger.drop(plan.extid)
                self.ledger.set_conflict(
                    plan.room_id, plan.day, plan.hour, plan.calendar_id, plan.event_id, TAKEN_REASON
                )
                self._history("block", record, WriteResult.CONFLICT)
                return WriteResult.CONFLICT
            made = self.ledger.made(record, reservation_id_of(found))
            self.ledger.clear_conflict(plan.room_id, plan.day, plan.hour)
            self._history("block", made, WriteResult.BLOCKED)
            return WriteResult.BLOCKED

    def _create(self, plan: SlotPlan) -> dict[str, Any] | None:
        """Create the block; returns the reservation (as far as known), or None when Lockme
        refuses the slot. A create whose answer was lost, or said no id, is looked up.

        A failed create that the lookup shows did not land is repeated here, a few times
        (``CREATE_PAUSES_S``), as the client repeats its other calls in place: failing the
        sync instead would leave every later slot of the run to the job's backoff, which
        grows to minutes, so one 503 in ten creates kept a calendar stale for minutes."""
        for pause in (*CREATE_PAUSES_S, None):
            try:
                rid = self.lockme.create_reservation(plan.room_id, plan.body())
                break
            except SlotTaken:
                # Ours after all, if an earlier attempt's create landed meanwhile.
                return self.lockme.reservation_by_ext(plan.room_id, plan.extid)
            except TransientError as exc:
                # The create may have been made before its answer was lost: look.
                found = self.lockme.reservation_by_ext(plan.room_id, plan.extid)
                if found is not None:
                    return found
                if pause is None or (exc.retry_after or 0) > RETRY_AFTER_CAP_S:
                    raise
                sleep(pause)
        if rid is not None:
            return {"reservationid": rid}
        found = self.lockme.reservation_by_ext(plan.room_id, plan.extid)
        if found is None:
            raise TransientError(
                f"room {plan.room_id}: the create answered without an id and no "
                "reservation carries its extid yet",
                service=SERVICE,
            )
        return found

    def free(self, record: BlockRecord) -> WriteResult:
        """Delete the block ``record`` names, if the ledger still holds it, and forget it."""
        with self.lock(lock_name(record.room_id, record.date, record.hour)):
            current = self.ledger.get(record.extid)
            if current is None:
                return WriteResult.UNCHANGED
            ident: int | str | None = current.reservation_id
            if ident is None:
                # The create's answer never named it: it exists only if it has our extid.
                found = self.lockme.reservation_by_ext(current.room_id, current.extid)
                if found is not None:
                    ident = reservation_id_of(found) or f"ext/{current.extid}"
            if ident is not None:
                self.lockme.delete_reservation(current.room_id, ident)
            self.ledger.drop(current.extid)
            self._history("unblock", current, WriteResult.FREED)
            return WriteResult.FREED

    def _history(self, action: str, record: BlockRecord, result: WriteResult) -> None:
        self.record_history(
            {
                "action": action,
                "room_id": record.room_id,
                "date": record.date,
                "hour": record.hour,
                "result": result.value,
                "calendar_id": record.calendar_id,
                "event_id": record.event_id,
                "reservation_id": record.reservation_id,
            }
        )
