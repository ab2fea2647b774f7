"""Reconcile writes as a message's job does: same rules, same reservation lock.

Reconcile reads Lockme's list first and writes afterwards. A message processed in between
must win: reconcile may not write the content it read before the edit, stamped as current.
The interleaving is made with the run's own ``progress`` hook, called after the last read.
"""

from __future__ import annotations

from datetime import date

from tests.conftest import deliver, drain
from worker.domain.booking import event_id
from worker.flows.reconcile import ReadStep, Reconciler
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

DAY = "2026-05-02"
ROOM = 5


def only_event(google: FakeGoogle, rid: int) -> dict:
    copies = google.live_events_by_reservation()[str(rid)]
    assert len(copies) == 1, copies
    return copies[0][1]


def after_the_reads(action) -> object:
    """A progress hook that runs ``action`` once Lockme's list has been read in full."""

    def hook(step: ReadStep) -> None:
        if step.done == step.total:
            action()

    return hook


def test_an_edit_processed_after_reconcile_read_the_list_is_not_undone(
    client, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    """The booking's message was lost, so reconcile has it to create; the staff move it to
    19:00 and that message is processed after reconcile read 18:00 from the list."""
    rid, _lost = fake_lockme.create_reservation(ROOM, DAY, "18:00:00")

    def edit_now() -> None:
        deliver(client, fake_lockme.edit_reservation(rid, hour="19:00:00"))
        drain(runtime)

    summary = Reconciler(runtime, progress=after_the_reads(edit_now)).run(
        days=0, today=date.fromisoformat(DAY)
    )

    event = only_event(fake_google, rid)
    assert event["start"]["dateTime"].startswith(f"{DAY}T19:00:00"), event["start"]
    assert summary.errors == 0
    # And the message that comes next still applies on top.
    deliver(client, fake_lockme.edit_reservation(rid, hour="20:00:00"))
    drain(runtime)
    assert only_event(fake_google, rid)["start"]["dateTime"].startswith(f"{DAY}T20:00:00")


def test_a_delete_processed_after_reconcile_read_the_list_is_final(
    client, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    rid, m_add = fake_lockme.create_reservation(ROOM, DAY, "18:00:00")
    deliver(client, m_add)
    drain(runtime)
    fake_google.delete_in_ui("primary", event_id(rid))  # a reason for reconcile to write

    def delete_now() -> None:
        deliver(client, fake_lockme.delete_reservation(rid))
        drain(runtime)

    summary = Reconciler(runtime, progress=after_the_reads(delete_now)).run(
        days=0, today=date.fromisoformat(DAY)
    )

    assert str(rid) not in fake_google.live_events_by_reservation()
    assert runtime.store.mappings.mapping(rid).deleted
    assert summary.skipped == 1 and summary.created == 0
