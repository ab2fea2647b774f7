"""Events deleted by staff in Google Calendar's own UI, whose ids the API then refuses.

After such a delete, Google answers an insert with that id 409 "The requested identifier
already exists", an update 403 Forbidden, and get 404 or 403 (google-api-python-client#846,
google-api-ruby-client#1811); ``FakeGoogle.delete_in_ui`` copies that. The booking must
still end up in its calendar exactly once, and later edits and deletes must find it.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.test_faults import ROOM_B, route_room_2_to_b
from tests.test_google_errors import event_body
from tests.test_pipeline import PRIMARY, live, only_event, sync
from worker.domain.booking import event_id
from worker.flows.reconcile import Reconciler
from worker.gateways.google_calendar import Conflict, fallback_id
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle

DAY = "2026-04-10"


def lose_mappings(runtime: Runtime) -> None:
    """The store loses what it knew of events, keeping the connections and its age."""
    for key in runtime.redis.scan_iter(runtime.keys.mapping("*")):
        runtime.redis.delete(key)


def google_writes(google: FakeGoogle) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in google.requests if m != "GET"]


@pytest.mark.parametrize("get_status", [404, 403])
def test_the_fake_refuses_a_burned_id_as_google_does(runtime, fake_google, get_status):
    calendar = runtime.calendar
    body = event_body("lockme42", rid=42)
    calendar.insert(PRIMARY, body)
    fake_google.delete_in_ui(PRIMARY, "lockme42", get_status=get_status)

    with pytest.raises(Conflict):
        calendar.insert(PRIMARY, body)
    assert calendar.get(PRIMARY, "lockme42") is None
    assert calendar.update(PRIMARY, "lockme42", body) is None
    assert calendar.delete(PRIMARY, "lockme42") is False
    assert list(calendar.list_events(PRIMARY, reservation_id=42, show_deleted=True)) == []
    statuses = [s for m, _, s in fake_google.requests if m != "POST"]
    assert statuses == [get_status, 403, 410, 200]


@pytest.mark.parametrize("get_status", [404, 403])
def test_edit_after_a_delete_in_the_ui_writes_one_event_under_a_fallback_id(
    client, runtime, fake_lockme, fake_google, get_status
):
    rid, m_add = fake_lockme.create_reservation(5, DAY, "17:00:00")
    sync(client, runtime, m_add)
    fake_google.delete_in_ui(PRIMARY, event_id(rid), get_status=get_status)

    m_edit = fake_lockme.edit_reservation(rid, hour="19:00:00")
    sync(client, runtime, m_edit)
    calendar_id, event = only_event(fake_google, rid)
    assert calendar_id == PRIMARY
    assert event["id"] == fallback_id(event_id(rid), 1)
    assert event["start"]["dateTime"].startswith(f"{DAY}T19:00:00")
    assert runtime.store.mappings.mapping(rid).event_id == event["id"]
    assert m_edit in fake_lockme.acked

    # The next edit goes straight to the fallback id: one call, as on the common path.
    fake_google.clear_requests()
    m_again = fake_lockme.edit_reservation(rid, hour="20:00:00")
    sync(client, runtime, m_again)
    assert google_writes(fake_google) == [
        ("PUT", f"/calendar/v3/calendars/primary/events/{event['id']}")
    ]
    assert only_event(fake_google, rid)[1]["start"]["dateTime"].startswith(f"{DAY}T20:00:00")

    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_del)
    assert str(rid) not in live(fake_google)
    assert fake_google.event(PRIMARY, event["id"])["status"] == "cancelled"
    assert m_del in fake_lockme.acked


def test_lost_store_after_a_fallback_edits_and_deletes_the_one_event(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, DAY, "17:00:00")
    sync(client, runtime, m_add)
    fake_google.delete_in_ui(PRIMARY, event_id(rid))
    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="18:00:00"))
    fallback = only_event(fake_google, rid)[1]["id"]

    lose_mappings(runtime)
    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="21:00:00", people=7))
    _, event = only_event(fake_google, rid)
    assert event["id"] == fallback  # found by its lockmeReservationId, not duplicated
    assert event["start"]["dateTime"].startswith(f"{DAY}T21:00:00")
    assert "People: 7" in event["description"]
    assert runtime.store.mappings.mapping(rid).event_id == fallback

    lose_mappings(runtime)
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_del)
    assert str(rid) not in live(fake_google)
    assert m_del in fake_lockme.acked


def test_lost_store_right_after_a_delete_in_the_ui_recreates_the_event_once(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, DAY, "17:00:00")
    sync(client, runtime, m_add)
    fake_google.delete_in_ui(PRIMARY, event_id(rid))
    lose_mappings(runtime)

    m_edit = fake_lockme.edit_reservation(rid, hour="19:30:00")
    sync(client, runtime, m_edit)
    _, event = only_event(fake_google, rid)
    assert event["id"] == fallback_id(event_id(rid), 1)
    assert event["start"]["dateTime"].startswith(f"{DAY}T19:30:00")
    assert m_edit in fake_lockme.acked


def test_the_fallback_deleted_in_the_ui_too_moves_on_to_the_next_id(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, DAY, "17:00:00")
    sync(client, runtime, m_add)
    fake_google.delete_in_ui(PRIMARY, event_id(rid))
    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="18:00:00"))
    fake_google.delete_in_ui(PRIMARY, fallback_id(event_id(rid), 1), get_status=403)

    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="19:00:00"))
    _, event = only_event(fake_google, rid)
    assert event["id"] == fallback_id(event_id(rid), 2)
    assert event["start"]["dateTime"].startswith(f"{DAY}T19:00:00")


def test_a_room_move_after_a_fallback_leaves_no_copy_behind(
    client, runtime, fake_lockme, fake_google
):
    route_room_2_to_b(runtime, fake_google)
    rid, m_add = fake_lockme.create_reservation(1, DAY, "12:00:00")
    sync(client, runtime, m_add)
    fake_google.delete_in_ui(PRIMARY, event_id(rid))
    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="13:00:00"))

    sync(client, runtime, fake_lockme.edit_reservation(rid, roomid=2))
    calendar_id, event = only_event(fake_google, rid)
    assert calendar_id == ROOM_B and event["id"] == event_id(rid)


def test_common_path_edit_and_delete_cost_one_google_call_each(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, DAY, "17:00:00")
    sync(client, runtime, m_add)
    fake_google.clear_requests()
    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="18:00:00"))
    sync(client, runtime, fake_lockme.delete_reservation(rid))
    path = f"/calendar/v3/calendars/primary/events/{event_id(rid)}"
    calls = [(m, p) for m, p, _ in fake_google.requests]
    assert calls == [("PUT", path), ("DELETE", path)]


def test_reconcile_after_a_delete_in_the_ui_recreates_the_event_once(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, DAY, "17:00:00")
    sync(client, runtime, m_add)
    fake_google.delete_in_ui(PRIMARY, event_id(rid))

    today = date.fromisoformat(DAY)
    summary = Reconciler(runtime).run(days=1, today=today)
    assert summary.errors == 0 and summary.created == 1
    _, event = only_event(fake_google, rid)
    assert event["id"] == fallback_id(event_id(rid), 1)
    assert runtime.store.mappings.mapping(rid).event_id == event["id"]

    again = Reconciler(runtime).run(days=1, today=today)
    assert (again.created, again.updated, again.checked) == (0, 0, 1)
    only_event(fake_google, rid)

    # A later edit message finds it through the mapping reconcile wrote.
    sync(client, runtime, fake_lockme.edit_reservation(rid, hour="20:00:00"))
    assert only_event(fake_google, rid)[1]["start"]["dateTime"].startswith(f"{DAY}T20:00:00")


def test_a_delete_after_a_delete_in_the_ui_is_acknowledged(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, DAY, "17:00:00")
    sync(client, runtime, m_add)
    fake_google.delete_in_ui(PRIMARY, event_id(rid))
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_del)
    assert str(rid) not in live(fake_google)
    assert m_del in fake_lockme.acked
    assert runtime.store.mappings.mapping(rid).deleted
