"""Hostile answers from Lockme and Google: too large, nested too deep, mistyped (issue 19).

Each answer below is read with its cap and becomes a recorded *malformed* failure that is
acknowledged, not a transient error retried for a day; what is kept of it is bounded and
reduced to what replay needs at the room's privacy level.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.test_web import log_in
from worker.domain.booking import Route
from worker.domain.errors import MalformedAnswer
from worker.gateways import google_calendar as gcal
from worker.gateways import lockme
from worker.jobs import messages as message_jobs
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.failures import REASON_LIMIT

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def _record_size(rt: Runtime, message_id: int) -> int:
    raw = rt.redis.hget(rt.keys.failures, str(message_id))
    assert raw is not None
    return len(raw)


def test_an_oversized_message_is_a_bounded_malformed_failure_and_acknowledged(
    runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    huge = json.dumps("x" * (lockme.ANSWER_LIMIT + 10))
    mid = fake_lockme.put_message(huge)
    assert message_jobs.handle_message(runtime, mid, False, None) == "failed"
    failure = runtime.store.failures.failure(mid)
    assert failure is not None and failure["kind"] == "malformed"
    assert "larger than 1024 KB" in failure["reason"]
    assert failure["payload"] is None  # replay reads it from Lockme again
    assert _record_size(runtime, mid) < 1000
    assert mid in fake_lockme.acked


def test_a_message_nested_too_deep_is_malformed_not_transient(
    runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    mid = fake_lockme.put_message(DEEP_JSON)
    assert message_jobs.handle_message(runtime, mid, False, None) == "failed"
    failure = runtime.store.failures.failure(mid)
    assert failure is not None and failure["kind"] == "malformed"
    assert failure["reason"].startswith(f"Lockme GET /message/{mid}: ")
    assert "nested too deep" in failure["reason"]
    assert mid in fake_lockme.acked


def test_a_non_object_message_under_the_cap_keeps_no_payload(
    runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    mid = fake_lockme.put_message(json.dumps("y" * 500_000))
    assert message_jobs.handle_message(runtime, mid, False, None) == "failed"
    assert _record_size(runtime, mid) < 1000


def test_people_written_in_superscript_digits_still_syncs(
    runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    mid = fake_lockme.put_message(
        {
            "action": "add",
            "roomid": 5,
            "reservationid": 770001,
            "data": {"date": "2026-06-01", "hour": "18:00", "name": "Ann", "people": "²"},
        }
    )
    assert message_jobs.handle_message(runtime, mid, False, None) == "created"
    assert "770001" in fake_google.live_events_by_reservation()


@pytest.mark.parametrize(
    ("privacy", "kept", "dropped"),
    [
        ("no_contact", {"name", "date"}, {"phone", "email", "comment", "price"}),
        ("time_only", {"date", "hour"}, {"name", "surname", "phone", "email", "comment"}),
        ("full", {"name", "phone", "email", "comment"}, set()),
    ],
)
def test_a_failure_keeps_only_what_the_rooms_privacy_level_shows(
    runtime: Runtime, fake_lockme: FakeLockme, privacy: str, kept: set[str], dropped: set[str]
) -> None:
    runtime.store.routes.set_route(Route(room_id=5, privacy=privacy))
    mid = fake_lockme.put_message(
        {
            "action": "add",
            "roomid": 5,
            "reservationid": 770002,
            "extra": "x" * 100_000,
            "data": {
                "date": "2026-06-01",
                "hour": "25:99",
                "name": "Ann",
                "surname": "Nowak",
                "phone": "+48 600 000 000",
                "email": "ann@example.com",
                "comment": "z" * 50_000,
                "price": "100",
                "nested": {"deep": ["x" * 10_000]},
            },
        }
    )
    assert message_jobs.handle_message(runtime, mid, False, None) == "failed"
    failure = runtime.store.failures.failure(mid)
    assert failure is not None
    data = failure["payload"]["data"]
    assert kept <= set(data) and not dropped & set(data)
    assert "extra" not in failure["payload"] and "nested" not in data
    assert _record_size(runtime, mid) < 4000


def test_a_failure_reason_is_bounded(runtime: Runtime) -> None:
    record = runtime.store.failures.record_failure(1, "r" * 60_000, kind="transient")
    assert len(record["reason"]) == REASON_LIMIT


@pytest.fixture
def web_client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


def _rooms_page(client: FlaskClient) -> tuple[int, str]:
    answer = client.get("/setup/rooms")
    return answer.status_code, answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "rooms",
    [
        [{"roomid": "²", "room": "Broken"}],
        [{"roomid": 101, "room": "x" * (lockme.LIST_ANSWER_LIMIT + 10)}],
    ],
    ids=["mistyped id", "oversized"],
)
def test_the_rooms_page_shows_a_malformed_rooms_answer_instead_of_a_500(
    web_client: FlaskClient, fake_lockme: FakeLockme, fake_google: FakeGoogle, rooms: Any
) -> None:
    log_in(web_client)
    web_client.application.extensions["lockme_runtime"].lockme.connect(fake_lockme.issue_token())
    fake_lockme.faults.add("GET", r"/rooms$", status=200, body=rooms)
    status, html = _rooms_page(web_client)
    assert status == 200
    assert "Lockme" in html and ("not an id" in html or "larger than" in html)


def test_an_oversized_google_answer_is_malformed(runtime: Runtime, fake_google: FakeGoogle) -> None:
    fake_google.faults.add(
        "GET", r"/events/", status=200, body={"id": "x", "pad": "p" * (gcal.ANSWER_LIMIT + 10)}
    )
    with pytest.raises(MalformedAnswer, match="larger than 1024 KB"):
        runtime.calendar.get("primary", "lockme770003")
    fake_google.faults.clear()
    # The next call on the same client gets a clean connection, not the rest of that body.
    assert runtime.calendar.get("primary", "lockme770003") is None


def test_a_google_list_page_may_be_larger_than_one_answer(
    runtime: Runtime, fake_google: FakeGoogle
) -> None:
    page = {"items": [], "pad": "p" * (2 * gcal.ANSWER_LIMIT)}
    fake_google.faults.add("GET", r"/events$", status=200, body=page)
    start = datetime.now(UTC)
    events = runtime.calendar.list_events("primary", time_min=start, time_max=start + timedelta(1))
    assert list(events) == []


@pytest.mark.parametrize(
    "page",
    [{"items": "²"}, {"items": [["not an object"]]}, {"items": [{"summary": "no id"}]}, ["x"]],
    ids=["items a string", "an item a list", "an item without id", "a list"],
)
def test_a_mistyped_google_page_is_malformed_not_transient(
    runtime: Runtime, fake_google: FakeGoogle, page: Any
) -> None:
    fake_google.faults.add("GET", r"/events$", status=200, body=page)
    start = datetime.now(UTC)
    with pytest.raises(MalformedAnswer, match="Google list"):
        list(runtime.calendar.list_events("primary", time_min=start, time_max=start))


def test_the_rooms_page_names_a_mistyped_calendar_list(
    web_client: FlaskClient, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    log_in(web_client)
    rt = web_client.application.extensions["lockme_runtime"]
    rt.lockme.connect(fake_lockme.issue_token())
    token = fake_google.issue_token()
    rt.calendar.connect(
        {"access_token": token["access_token"], "refresh_token": token["refresh_token"]},
        account=fake_google.email,
    )
    fake_google.faults.add("GET", r"/calendarList$", status=200, body={"items": [{"x": 1}]})
    status, html = _rooms_page(web_client)
    assert status == 200 and "objects with ids" in html
