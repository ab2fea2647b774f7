"""Lockme's webhooks about the product's own blocks come back through the real pipeline
(webhook → inbox → job → Syncer): each is acknowledged, recorded as ``own_block`` and
never becomes a calendar event, even when it overtakes the create's answer."""

from __future__ import annotations

import queue
import threading
from datetime import date, time

import pytest

from tests.conftest import deliver, drain
from worker.domain.block_rules import SlotPlan
from worker.domain.identity import block_extid
from worker.flows.blocks.writer import Writer, WriteResult
from worker.stores.block_ledger import BlockLedger
from worker.stores.leases import Leases

ROOM = 5101
DAY = date(2026, 12, 7)
CAL = "c_blocks@group.calendar.google.com"


def plan(hour: str = "17:30") -> SlotPlan:
    at = time.fromisoformat(hour)
    return SlotPlan(block_extid(CAL, "evt1", ROOM, DAY, at), ROOM, DAY, at, CAL, "evt1", "Blocked")


def writer_for(runtime) -> Writer:
    leases = Leases(runtime.redis, runtime.keys, lease_s=8, wait_s=10)
    return Writer(
        runtime.lockme,
        BlockLedger(runtime.redis, runtime.keys),
        runtime.store.history.record_sync,
        leases,
    )


def handled(client, runtime, message_id: int) -> dict:
    assert deliver(client, message_id).status_code == 200
    drain(runtime)
    return next(e for e in runtime.store.history.recent() if e.get("message_id") == message_id)


def assert_no_calendar_write(fake_google) -> None:
    assert fake_google.live_events_by_reservation() == {}
    assert not [r for r in fake_google.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE")]


@pytest.mark.parametrize("with_extid", [True, False])
def test_an_echo_before_the_create_answers(client, runtime, fake_lockme, fake_google, with_extid):
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    fake_lockme.dialect.echo = "before"
    fake_lockme.dialect.echo_extid = with_extid
    echoes: queue.Queue[int] = queue.Queue()
    answered = threading.Event()

    def listener(message_id: int) -> None:  # Lockme's webhook overtakes its own answer
        echoes.put(message_id)
        answered.wait(10)

    fake_lockme.echo_listener = listener
    writer, p, results = writer_for(runtime), plan(), []
    thread = threading.Thread(target=lambda: results.append(writer.block(p)))
    thread.start()
    try:
        echo = echoes.get(timeout=10)
        # The create has not answered: the ledger knows the slot, not the reservation.
        assert writer.ledger.get(p.extid).reservation_id is None
        entry = handled(client, runtime, echo)
    finally:
        answered.set()
        thread.join(10)
    assert entry["result"] == "own_block" and entry["room_id"] == ROOM
    assert echo in fake_lockme.acked
    assert results == [WriteResult.BLOCKED]
    assert_no_calendar_write(fake_google)


def test_echoes_after_the_answer_without_extid(client, runtime, fake_lockme, fake_google):
    """Known by the ledger's reservation id: the add, and an edit staff made in the panel."""
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    fake_lockme.dialect.echo_extid = False
    writer, p = writer_for(runtime), plan()
    writer.block(p)
    add = max(fake_lockme.messages)
    rid = writer.ledger.get(p.extid).reservation_id
    edit = fake_lockme.edit_reservation(rid, comment="staff note")
    assert handled(client, runtime, add)["result"] == "own_block"
    assert handled(client, runtime, edit)["result"] == "own_block"
    assert {add, edit} <= fake_lockme.acked
    assert_no_calendar_write(fake_google)


def test_the_echo_of_a_free_is_own_by_its_extid(client, runtime, fake_lockme, fake_google):
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    writer, p = writer_for(runtime), plan()
    writer.block(p)
    add = max(fake_lockme.messages)
    writer.free(writer.ledger.get(p.extid))
    delete = max(fake_lockme.messages)
    assert fake_lockme.messages[delete]["action"] == "delete"
    assert handled(client, runtime, delete)["result"] == "own_block"
    assert handled(client, runtime, add)["result"] == "own_block"
    assert_no_calendar_write(fake_google)


def test_a_customers_booking_beside_blocks_is_still_a_booking(
    client, runtime, fake_lockme, fake_google
):
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    writer_for(runtime).block(plan())
    rid, add = fake_lockme.create_reservation(ROOM, DAY.isoformat(), "19:00:00", source="web")
    assert handled(client, runtime, add)["result"] == "created"
    assert str(rid) in fake_google.live_events_by_reservation()
