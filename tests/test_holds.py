"""Unpaid lock.me holds through the real pipeline: webhook → job → Google event → ack."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time
from typing import Any

from tests.conftest import deliver, drain
from worker.domain.booking import Booking, Route, event_body, event_id
from worker.domain.wording import VENUE_WORDS
from worker.flows.reconcile import Reconciler
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle

HOLD_MARKER = VENUE_WORDS["en"].hold_marker

DAY = "2026-05-02"
ROOM = 5


def sync(client: Any, runtime: Runtime, *message_ids: int) -> None:
    for mid in message_ids:
        assert deliver(client, mid).status_code == 200
    drain(runtime)


def live_event(google: FakeGoogle, rid: int) -> dict[str, Any] | None:
    copies = google.live_events_by_reservation().get(str(rid), [])
    assert len(copies) <= 1, copies
    return copies[0][1] if copies else None


def hide_holds(runtime: Runtime) -> None:
    runtime.store.routes.set_route(replace(runtime.store.routes.route(ROOM), holds="hide"))


def test_a_hold_is_tentative_and_marked_until_paid(client, runtime, fake_lockme, fake_google):
    runtime.store.routes.set_route(
        Route(ROOM, title_template="{room} · {name}", room_name="Bunker")
    )
    rid, m_add = fake_lockme.create_reservation(ROOM, DAY, "18:00:00", name="Anna", status=0)
    sync(client, runtime, m_add)
    event = live_event(fake_google, rid)
    assert event is not None
    assert event["status"] == "tentative"
    assert event["summary"] == f"{HOLD_MARKER}Bunker · Anna"
    assert "Payment: unpaid" in event["description"]

    m_pay = fake_lockme.edit_reservation(rid, status=1)
    sync(client, runtime, m_pay)
    event = live_event(fake_google, rid)
    assert event is not None
    assert event["status"] == "confirmed"
    assert event["summary"] == "Bunker · Anna"
    assert "Payment: paid" in event["description"]


def test_a_released_hold_is_cancelled(client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(ROOM, DAY, "18:00:00", status=0)
    sync(client, runtime, m_add)
    assert live_event(fake_google, rid) is not None
    sync(client, runtime, fake_lockme.delete_reservation(rid))
    assert live_event(fake_google, rid) is None
    assert fake_google.event(fake_google.email, event_id(rid))["status"] == "cancelled"


def test_the_marker_is_the_same_at_every_privacy_level(client, runtime, fake_lockme, fake_google):
    summaries = {}
    levels = (("10:00:00", "full"), ("12:00:00", "no_contact"), ("14:00:00", "time_only"))
    for hour, privacy in levels:
        runtime.store.routes.set_route(Route(ROOM, privacy=privacy, room_name="Bunker"))
        rid, mid = fake_lockme.create_reservation(ROOM, DAY, hour, status=0)
        sync(client, runtime, mid)
        event = live_event(fake_google, rid)
        assert event is not None and event["status"] == "tentative"
        summaries[privacy] = event["summary"]
    assert all(s.startswith(HOLD_MARKER) for s in summaries.values())
    assert summaries["time_only"] == f"{HOLD_MARKER}Bunker"


def test_unpaid_bookings_from_other_sources_are_not_holds(
    client, runtime, fake_lockme, fake_google
):
    for hour, source in (("10:00:00", "panel"), ("12:00:00", "widget"), ("14:00:00", "api")):
        rid, mid = fake_lockme.create_reservation(ROOM, DAY, hour, status=0, source=source)
        sync(client, runtime, mid)
        event = live_event(fake_google, rid)
        assert event is not None
        assert event["status"] == "confirmed", source
        assert not event["summary"].startswith(HOLD_MARKER)
        assert "Payment: unpaid" in event["description"]


def test_a_room_that_hides_holds_writes_the_event_once_paid(
    client, runtime, fake_lockme, fake_google
):
    hide_holds(runtime)
    rid, m_add = fake_lockme.create_reservation(ROOM, DAY, "18:00:00", status=0)
    sync(client, runtime, m_add)
    assert live_event(fake_google, rid) is None
    assert m_add in fake_lockme.acked
    assert json.loads(runtime.redis.lindex(runtime.keys.recent, 0))["result"] == "hidden"

    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="19:00:00"))
    assert live_event(fake_google, rid) is None  # still unpaid

    sync(client, runtime, fake_lockme.edit_reservation(rid, status=1))
    event = live_event(fake_google, rid)
    assert event is not None
    assert event["status"] == "confirmed" and not event["summary"].startswith(HOLD_MARKER)
    assert event["start"]["dateTime"].startswith(f"{DAY}T19:00:00")


def test_hiding_holds_removes_the_event_a_hold_already_has(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(ROOM, DAY, "18:00:00", status=0)
    sync(client, runtime, m_add)
    assert live_event(fake_google, rid) is not None
    hide_holds(runtime)
    sync(client, runtime, fake_lockme.edit_reservation(rid, people=6))
    assert live_event(fake_google, rid) is None
    sync(client, runtime, fake_lockme.edit_reservation(rid, status=1))
    event = live_event(fake_google, rid)
    assert event is not None and event["status"] == "confirmed"
    assert "People: 6" in event["description"]


def test_reconcile_leaves_a_correct_hold_alone_and_fixes_a_wrong_one(
    client, runtime, fake_lockme, fake_google
):
    right, m_right = fake_lockme.create_reservation(ROOM, DAY, "10:00:00", status=0)
    wrong, m_wrong = fake_lockme.create_reservation(ROOM, DAY, "12:00:00", status=0)
    paid, m_paid = fake_lockme.create_reservation(ROOM, DAY, "14:00:00", status=0)
    sync(client, runtime, m_right, m_wrong, m_paid)
    # By hand in Calendar: the hold confirmed and its marker dropped.
    event = fake_google.event(fake_google.email, event_id(wrong))
    fixed_by_hand = {**event, "status": "confirmed", "summary": "Room 5: Jan Kowalski"}
    runtime.calendar.update("primary", event_id(wrong), fixed_by_hand)
    fake_lockme.reservations[paid]["status"] = 1  # paid; the edit message was lost

    summary = Reconciler(runtime).run(days=0, today=date.fromisoformat(DAY))
    assert (summary.checked, summary.updated, summary.errors) == (1, 2, 0)
    assert live_event(fake_google, right)["status"] == "tentative"
    repaired = live_event(fake_google, wrong)
    assert repaired["status"] == "tentative" and repaired["summary"].startswith(HOLD_MARKER)
    confirmed = live_event(fake_google, paid)
    assert confirmed["status"] == "confirmed"
    assert not confirmed["summary"].startswith(HOLD_MARKER)

    again = Reconciler(runtime).run(days=0, today=date.fromisoformat(DAY))
    assert (again.checked, again.updated, again.created) == (3, 0, 0)


def test_reconcile_removes_a_hold_from_a_room_that_hides_them(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(ROOM, DAY, "10:00:00", status=0)
    sync(client, runtime, m_add)
    hide_holds(runtime)
    dry = Reconciler(runtime, dry_run=True).run(days=0, today=date.fromisoformat(DAY))
    assert (dry.deleted, dry.created, dry.updated) == (1, 0, 0)
    assert live_event(fake_google, rid) is not None

    summary = Reconciler(runtime).run(days=0, today=date.fromisoformat(DAY))
    assert (summary.deleted, summary.created, summary.errors) == (1, 0, 0)
    assert live_event(fake_google, rid) is None
    again = Reconciler(runtime).run(days=0, today=date.fromisoformat(DAY))
    assert (again.checked, again.deleted, again.created) == (1, 0, 0)

    fake_lockme.reservations[rid]["status"] = 1  # paid; the edit message was lost
    paid = Reconciler(runtime).run(days=0, today=date.fromisoformat(DAY))
    assert paid.created + paid.updated == 1
    assert live_event(fake_google, rid)["status"] == "confirmed"


def test_a_route_saved_before_the_setting_shows_holds(runtime):
    old = {"room_id": ROOM, "calendar_id": "primary", "privacy": "full", "room_name": "Bunker"}
    runtime.redis.hset(runtime.keys.routes, str(ROOM), json.dumps(old))
    route = runtime.store.routes.route(ROOM)
    assert route.holds == "show" and route.privacy == "full"
    hold = Booking(7, ROOM, date(2026, 5, 2), time(18), source="web")
    assert route.shows(hold)
    assert not replace(route, holds="hide").shows(hold)
    body = event_body(hold, route, runtime.settings.tz, 60, 1)
    assert body["status"] == "tentative" and body["summary"].startswith(HOLD_MARKER)


def test_a_cancelled_event_stays_cancelled_when_lockme_says_it_is_a_hidden_hold(
    client, runtime, fake_lockme, fake_google
):
    """The store lost the booking's mapping; its event is cancelled, so the write asks Lockme,
    which has it as an unpaid hold in a room that leaves holds out: nothing to restore."""
    hide_holds(runtime)
    rid, m_add = fake_lockme.create_reservation(ROOM, DAY, "18:00:00", status=1)
    paid = Booking(rid, ROOM, date.fromisoformat(DAY), time(18), paid=True, source="web")
    runtime.calendar.insert("primary", event_body(paid, Route(ROOM), runtime.settings.tz, 60, 1))
    runtime.calendar.delete("primary", event_id(rid))
    fake_lockme.reservations[rid]["status"] = 0  # Lockme's answer now: unpaid
    sync(client, runtime, m_add)
    assert live_event(fake_google, rid) is None
    assert json.loads(runtime.redis.lindex(runtime.keys.recent, 0))["result"] == "hidden"
