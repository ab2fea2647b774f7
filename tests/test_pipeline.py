"""The sync pipeline end to end: webhook → RQ job → Google Calendar event → ack."""

from __future__ import annotations

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from rq.registry import ScheduledJobRegistry

from tests.conftest import connect_both, deliver, drain, google_record
from worker.domain.booking import Route, event_id
from worker.jobs import inbox, intake
from worker.jobs.job_names import MESSAGE_JOB
from worker.jobs.messages import replay
from worker.jobs.queue import job_id
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle

PRIMARY = "staff@example.com"


def live(google: FakeGoogle) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    return google.live_events_by_reservation()


def only_event(google: FakeGoogle, rid: int) -> tuple[str, dict[str, Any]]:
    copies = live(google).get(str(rid), [])
    assert len(copies) == 1, f"expected one live event for {rid}, got {copies}"
    return copies[0]


def sync(client: Any, runtime: Runtime, *message_ids: int) -> None:
    for mid in message_ids:
        assert deliver(client, mid).status_code == 200
    drain(runtime)


def test_add_edit_delete_round_trip(client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(1398, "2026-03-14", "18:30:00", name="Jan")
    sync(client, runtime, m_add)
    calendar_id, event = only_event(fake_google, rid)
    assert calendar_id == PRIMARY
    assert event["id"] == event_id(rid)
    assert event["start"] == {"dateTime": "2026-03-14T18:30:00+01:00", "timeZone": "Europe/Warsaw"}
    assert event["end"]["dateTime"] == "2026-03-14T19:30:00+01:00"
    assert "Jan Kowalski" in event["summary"]
    assert event["extendedProperties"]["private"]["lockmeReservationId"] == str(rid)
    assert event["extendedProperties"]["private"]["lockmeRoomId"] == "1398"
    assert "People: 4" in event["description"]
    assert m_add in fake_lockme.acked

    m_edit = fake_lockme.edit_reservation(rid, hour="19:30:00", people=5, status=1)
    sync(client, runtime, m_edit)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"] == "2026-03-14T19:30:00+01:00"
    assert "People: 5" in event["description"] and "Payment: paid" in event["description"]

    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_del)
    assert str(rid) not in live(fake_google)
    assert fake_google.event(PRIMARY, event_id(rid))["status"] == "cancelled"
    assert {m_add, m_edit, m_del} <= fake_lockme.acked


def test_common_path_costs_three_api_calls(client, runtime, fake_lockme, fake_google):
    _rid, m_add = fake_lockme.create_reservation(1398, "2026-05-02", "10:00")
    fake_lockme.clear_requests()
    fake_google.clear_requests()
    sync(client, runtime, m_add)
    lockme_calls = [(m, p) for m, p, _ in fake_lockme.requests]
    google_calls = [(m, p) for m, p, _ in fake_google.requests]
    assert lockme_calls == [("GET", f"/v2.4/message/{m_add}"), ("POST", f"/v2.4/message/{m_add}")]
    assert google_calls == [("POST", "/calendar/v3/calendars/primary/events")]


def test_room_move_changes_calendar(client, runtime, fake_lockme, fake_google):
    fake_google.add_calendar("room-b@group.calendar.google.com", "Room B")
    runtime.store.routes.set_route(Route(room_id=2, calendar_id="room-b@group.calendar.google.com"))
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    sync(client, runtime, m_add)
    assert only_event(fake_google, rid)[0] == PRIMARY
    m_move = fake_lockme.edit_reservation(rid, roomid=2)
    sync(client, runtime, m_move)
    calendar_id, event = only_event(fake_google, rid)
    assert calendar_id == "room-b@group.calendar.google.com"
    assert event["extendedProperties"]["private"]["lockmeRoomId"] == "2"
    assert fake_google.event(PRIMARY, event_id(rid))["status"] == "cancelled"


def test_edit_before_add_and_stale_add(client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    m_edit = fake_lockme.edit_reservation(rid, hour="18:00:00")
    sync(client, runtime, m_edit)
    sync(client, runtime, m_add)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"].startswith("2026-04-10T18:00:00")
    assert {m_add, m_edit} <= fake_lockme.acked


def test_stale_edit_after_newer_edit(client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    m_first = fake_lockme.edit_reservation(rid, hour="18:00:00")
    m_second = fake_lockme.edit_reservation(rid, hour="20:00:00")
    sync(client, runtime, m_add, m_second)
    sync(client, runtime, m_first)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"].startswith("2026-04-10T20:00:00")
    assert m_first in fake_lockme.acked


def test_add_redelivered_after_delete_does_not_resurrect(client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_add, m_del)
    runtime.redis.delete(runtime.keys.done(m_add))  # as if the ack had been lost
    sync(client, runtime, m_add)
    assert str(rid) not in live(fake_google)


def test_delete_before_add(client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_del)
    sync(client, runtime, m_add)
    assert str(rid) not in live(fake_google)
    assert {m_add, m_del} <= fake_lockme.acked


def test_same_message_three_times_makes_one_job(client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    answers = [deliver(client, m_add).get_json()["status"] for _ in range(3)]
    assert answers == ["queued", "known", "known"]
    assert intake.pending(runtime.redis, runtime.keys)[0] == 1
    assert inbox.dispatch(runtime) == 1
    assert runtime.queue.job_ids == [job_id(m_add)]
    assert deliver(client, m_add).get_json()["status"] == "queued"  # job exists: no new one
    inbox.dispatch(runtime)
    assert runtime.queue.job_ids == [job_id(m_add)]
    drain(runtime)
    only_event(fake_google, rid)
    assert fake_lockme.ack_count[m_add] == 1
    assert deliver(client, m_add).get_json()["status"] == "known"
    assert intake.pending(runtime.redis, runtime.keys)[0] == 0 and runtime.queue.count == 0


def test_same_message_processed_concurrently_is_idempotent(runtime, fake_lockme, fake_google):
    """Three runs of one message (e.g. a replay racing a redelivery) leave one event."""

    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    runtimes = [build_runtime(runtime.settings) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda rt: rt.syncer.handle(m_add).result, runtimes))
    assert sorted(results)[0] == "created"
    only_event(fake_google, rid)


def test_dst_spring_forward_gap_moves_forward(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-03-29", "02:30:00")
    sync(client, runtime, mid)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"] == "2026-03-29T03:30:00+02:00"
    assert event["end"]["dateTime"] == "2026-03-29T04:30:00+02:00"


def test_dst_fall_back_uses_elapsed_minutes(client, runtime, fake_lockme, fake_google):
    runtime.store.routes.set_route(Route(room_id=5, duration_minutes=120))
    rid, mid = fake_lockme.create_reservation(5, "2026-10-25", "01:30:00")
    sync(client, runtime, mid)
    _, event = only_event(fake_google, rid)
    start = datetime.fromisoformat(event["start"]["dateTime"])
    end = datetime.fromisoformat(event["end"]["dateTime"])
    assert (end - start).total_seconds() == 120 * 60
    assert event["end"]["dateTime"] == "2026-10-25T02:30:00+01:00"


def test_dst_repeated_hour_takes_first_occurrence(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-10-25", "02:30:00")
    sync(client, runtime, mid)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"] == "2026-10-25T02:30:00+02:00"


def test_test_message_is_acked_and_writes_nothing(client, runtime, fake_lockme, fake_google):
    mid = fake_lockme.test_message()
    sync(client, runtime, mid)
    assert mid in fake_lockme.acked
    assert fake_google.count("POST", "/events") == 0
    assert runtime.store.history.recent(1)[0]["result"] == "tested"


def test_malformed_message_is_recorded_and_replayable(client, runtime, fake_lockme, fake_google):
    mid = fake_lockme.put_message(
        {
            "action": "add",
            "roomid": 5,
            "reservationid": 990001,
            "data": {"date": "2026-01-01", "hour": "25:99"},
        }
    )
    sync(client, runtime, mid)
    failure = runtime.store.failures.failure(mid)
    assert failure["reason"] == "hour '25:99' is not a time"
    assert failure["reservation_id"] == 990001
    assert failure["payload"]["data"]["hour"] == "25:99"
    assert mid in fake_lockme.acked
    assert "990001" not in live(fake_google)

    replay(runtime, [mid])
    drain(runtime)
    assert runtime.store.failures.failure(mid)["attempts"] == 2


def test_message_shapes_that_are_failures(client, runtime, fake_lockme):
    bodies = {
        "unknown action 'cancel'": {
            "action": "cancel",
            "roomid": 1,
            "reservationid": 2,
            "data": {},
        },
        "data is None, not an object": {
            "action": "edit",
            "roomid": 1,
            "reservationid": 2,
            "data": None,
        },
        "date '2026-02-30' is not a date (YYYY-MM-DD)": {
            "action": "add",
            "roomid": 1,
            "reservationid": 2,
            "data": {"date": "2026-02-30", "hour": "10:00"},
        },
        "reservationid 'abc' is not an id": {
            "action": "delete",
            "roomid": 1,
            "reservationid": "abc",
            "data": {},
        },
    }
    ids = {reason: fake_lockme.put_message(body) for reason, body in bodies.items()}
    sync(client, runtime, *ids.values())
    for reason, mid in ids.items():
        assert runtime.store.failures.failure(mid)["reason"] == reason


def test_numeric_strings_and_short_hours_are_accepted(client, runtime, fake_lockme, fake_google):
    mid = fake_lockme.put_message(
        {
            "action": "add",
            "roomid": "7",
            "reservationid": "555001",
            "data": {"date": "2026-07-01", "hour": "9:05", "people": "3"},
        }
    )
    sync(client, runtime, mid)
    _, event = only_event(fake_google, 555001)
    assert event["start"]["dateTime"] == "2026-07-01T09:05:00+02:00"
    assert "People: 3" in event["description"]


def test_lost_store_edit_and_delete_find_the_event(client, runtime, fake_lockme, fake_google):

    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, m_add)
    runtime.redis.flushdb()
    status = runtime.store.connections.connection("google")
    assert status["connected"] is False and status["error"] == "not connected"
    connect_both(runtime, fake_lockme, fake_google)
    m_edit = fake_lockme.edit_reservation(rid, hour="19:00:00")
    sync(client, runtime, m_edit)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"].startswith("2026-04-10T19:00:00")
    runtime.redis.flushdb()
    connect_both(runtime, fake_lockme, fake_google)
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_del)
    assert str(rid) not in live(fake_google)
    runtime.redis.flushdb()
    connect_both(runtime, fake_lockme, fake_google)
    sync(client, runtime, m_add)  # a late redelivery of the add must not resurrect it
    assert str(rid) not in live(fake_google)


def test_lost_store_stale_redelivery_does_not_overwrite(client, runtime, fake_lockme, fake_google):

    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    m_edit = fake_lockme.edit_reservation(rid, hour="21:00:00")
    sync(client, runtime, m_add, m_edit)
    runtime.redis.flushdb()
    connect_both(runtime, fake_lockme, fake_google)
    sync(client, runtime, m_add)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"].startswith("2026-04-10T21:00:00")


def test_lost_store_then_room_move_leaves_one_event(client, runtime, fake_lockme, fake_google):

    fake_google.add_calendar("room-b@group.calendar.google.com", "Room B")
    runtime.store.routes.set_route(Route(room_id=2, calendar_id="room-b@group.calendar.google.com"))
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    sync(client, runtime, m_add)
    routes = runtime.store.routes.routes()
    runtime.redis.flushdb()
    connect_both(runtime, fake_lockme, fake_google)
    for route in routes.values():
        runtime.store.routes.set_route(route)
    sync(client, runtime, fake_lockme.edit_reservation(rid, roomid=2))
    assert only_event(fake_google, rid)[0] == "room-b@group.calendar.google.com"


def test_ack_only_after_calendar_write(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    # Longer than the in-place retries (worker/gateways/google_calendar.py): the job's backoff
    # takes over.
    fake_google.faults.add("POST", r"/events$", status=500)
    sync(client, runtime, mid)
    assert mid not in fake_lockme.acked
    assert str(rid) not in live(fake_google)

    waiting = ScheduledJobRegistry(queue=runtime.queue).get_job_ids()
    assert [jid for jid in waiting if jid.startswith(MESSAGE_JOB)] == [job_id(mid)]


def test_lost_insert_response_does_not_duplicate(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_google.faults.add("POST", r"/events$", drop_after_apply=True, times=2)
    sync(client, runtime, mid)
    # Retried in place: the third insert meets the event the first two left (409).
    assert fake_google.count("POST", r"/events$") == 3
    only_event(fake_google, rid)
    assert mid in fake_lockme.acked


def test_revoked_google_parks_then_replays(client, runtime, fake_lockme, fake_google):

    fake_google.revoke()
    fake_google.expire_access_tokens()
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, mid)
    assert mid not in fake_lockme.acked
    assert runtime.store.failures.parked() == {mid: "google"}
    assert runtime.store.connections.connection("google")["connected"] is False
    assert "reconnect" in runtime.store.connections.connection("google")["error"]
    runtime.calendar.connect(google_record(fake_google.issue_token()), account=fake_google.email)
    replay(runtime)
    drain(runtime)
    only_event(fake_google, rid)
    assert mid in fake_lockme.acked
    assert runtime.store.failures.parked() == {}


def test_lockme_refresh_rotates_and_is_serialised(runtime, fake_lockme):

    fake_lockme.expire_access_tokens()
    runtime.store.tokens.save_token(
        "lockme", {**runtime.store.tokens.load_token("lockme"), "expires_at": 0}
    )
    clients = [build_runtime(runtime.settings).lockme for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(lambda c: c.test(), clients))
    assert fake_lockme.count("POST", "/access_token") == 1


def test_lockme_401_triggers_one_refresh(runtime, fake_lockme):
    fake_lockme.expire_access_tokens()  # the stored expiry still looks valid
    assert runtime.lockme.me()["nick"] == fake_lockme.nick
    assert fake_lockme.count("POST", "/access_token") == 1


class _ForwardProxy(BaseHTTPRequestHandler):
    """A plain HTTP forward proxy that notes every request it forwards."""

    protocol_version = "HTTP/1.1"
    server: Any

    def _forward(self) -> None:
        target = urlsplit(self.path)  # a proxy receives the absolute URL
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        skip = {"host", "connection", "proxy-connection", "content-length"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
        upstream.request(self.command, target.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        self.server.forwarded.append(f"{self.command} {self.path}")
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.getheader("Content-Type", "text/plain"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def test_lockme_calls_take_the_proxy_the_environment_names(
    runtime, fake_lockme, monkeypatch: pytest.MonkeyPatch
):
    """``HTTP(S)_PROXY`` and ``NO_PROXY`` are honoured, as they are by requests."""
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _ForwardProxy)
    proxy.forwarded = []  # type: ignore[attr-defined]
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        proxied = build_runtime(runtime.settings)
        assert proxied.lockme.test()
        assert proxy.forwarded == [f"GET {fake_lockme.url}/v2.4/test"]  # type: ignore[attr-defined]

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        direct = build_runtime(runtime.settings)
        assert direct.lockme.test()
        assert len(proxy.forwarded) == 1  # type: ignore[attr-defined]
        assert fake_lockme.count("GET", "/test$") == 2
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_reconnect_in_another_process_reaches_a_worker_that_reuses_its_token(
    client, runtime, fake_lockme, fake_google
):
    """The worker reuses a token it read a moment ago; a reconnect made by the web process
    (which revoked the old grant) costs it one 401, after which it reads the new token."""
    sync(client, runtime, fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")[1])
    fake_lockme.revoke()
    web = build_runtime(runtime.settings)
    web.lockme.connect(fake_lockme.issue_token())
    _, mid = fake_lockme.create_reservation(5, "2026-04-11", "17:00:00")
    sync(client, runtime, mid)
    assert mid in fake_lockme.acked
    assert runtime.store.failures.parked() == {}
    assert fake_lockme.count("POST", "/access_token") == 0  # the new token, not a refresh
    statuses = [s for _, p, s in fake_lockme.requests if p.endswith(f"/message/{mid}")]
    assert statuses[-2:] == [200, 200] and statuses.count(401) <= 1
    web.redis.close()


def test_revoked_lockme_parks(client, runtime, fake_lockme):
    _rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_lockme.revoke()
    sync(client, runtime, mid)
    assert runtime.store.failures.parked() == {mid: "lockme"}
    assert runtime.store.connections.connection("lockme")["connected"] is False


def test_tokens_are_encrypted_at_rest(runtime):
    token = runtime.store.tokens.load_token("lockme")
    raw = runtime.redis.get(runtime.keys.token("lockme"))
    assert token["access_token"].encode() not in raw
    assert token["refresh_token"].encode() not in raw


def test_lost_store_newer_edit_after_delete_asks_lockme(client, runtime, fake_lockme, fake_google):
    """An edit that never landed, redelivered after the delete and a store loss, must not
    revive the booking: the event's stamp predates it, so only Lockme can tell."""
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    m_edit = fake_lockme.edit_reservation(rid, hour="18:00:00")
    m_del = fake_lockme.delete_reservation(rid)
    sync(client, runtime, m_add, m_del)
    runtime.redis.flushdb()
    connect_both(runtime, fake_lockme, fake_google)
    sync(client, runtime, m_edit)
    assert str(rid) not in live(fake_google)
    assert m_edit in fake_lockme.acked
    assert fake_lockme.count("GET", rf"/reservation/{rid}$") == 1


def test_move_there_and_back_restores_the_first_event(client, runtime, fake_lockme, fake_google):
    fake_google.add_calendar("room-b@group.calendar.google.com", "Room B")
    runtime.store.routes.set_route(Route(room_id=2, calendar_id="room-b@group.calendar.google.com"))
    rid, m_add = fake_lockme.create_reservation(1, "2026-06-01", "12:00:00")
    sync(client, runtime, m_add, fake_lockme.edit_reservation(rid, roomid=2))
    sync(client, runtime, fake_lockme.edit_reservation(rid, roomid=1, hour="13:00:00"))
    calendar_id, event = only_event(fake_google, rid)
    assert calendar_id == PRIMARY
    assert event["start"]["dateTime"].startswith("2026-06-01T13:00:00")
    assert runtime.store.history.recent(1)[0]["result"] == "moved"


def test_google_401_after_refresh_marks_connection_broken(
    client, runtime, fake_lockme, fake_google
):
    _rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_google.faults.add("POST", r"/events$", status=401)
    sync(client, runtime, mid)
    assert runtime.store.failures.parked() == {mid: "google"}
    state = runtime.store.connections.connection("google")
    assert state["connected"] is False and "reconnect" in state["error"]
    assert mid not in fake_lockme.acked
