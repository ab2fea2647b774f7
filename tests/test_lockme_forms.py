"""Every plausible form of Lockme's answers, run through the real pipeline (webhook → job →
calendar → ack) or the real client, against the Lockme fake switched to that form."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import connect_both, deliver, drain, settings_env
from tests.test_web import log_in
from worker.domain.errors import TransientError
from worker.flows.reconcile import Reconciler
from worker.gateways.lockme_shapes import recorded
from worker.ops.cli import main
from worker.ops.status import snapshot
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme


def sync(client: Any, runtime: Runtime, *message_ids: int) -> None:
    for mid in message_ids:
        assert deliver(client, mid).status_code == 200
    drain(runtime)


def live(google: FakeGoogle) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    return google.live_events_by_reservation()


def assert_done(runtime: Runtime, lockme: FakeLockme, mid: int) -> None:
    """Acknowledged to Lockme, booked as done, and no failure recorded."""
    assert mid in lockme.acked
    assert runtime.store.messages.is_done(mid)
    assert runtime.store.failures.failure(mid) is None


def test_the_fake_refuses_a_form_it_does_not_speak(fake_lockme):
    with pytest.raises(ValueError, match="ack must be one of"):
        fake_lockme.dialect.ack = "201"
    assert fake_lockme.dialect.ack == "json"


# --- the ack --------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["json", "object", "text", "empty", "204"])
def test_any_2xx_ack_acknowledges(form, client, runtime, fake_lockme, fake_google):
    fake_lockme.dialect.ack = form
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, mid)
    assert str(rid) in live(fake_google)
    assert_done(runtime, fake_lockme, mid)
    assert fake_lockme.ack_count[mid] == 1  # acknowledged once: no job retried after the write


def test_ack_answered_200_with_an_error_is_not_an_ack(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_lockme.faults.add(
        "POST", rf"/message/{mid}$", status=200, body={"error": "Message is locked"}, times=1
    )
    sync(client, runtime, mid)
    assert str(rid) in live(fake_google)  # written, but not taken for acknowledged
    assert not runtime.store.messages.is_done(mid)
    fake_lockme.faults.add("POST", rf"/message/{mid}$", status=200, body={"error": "Locked"})
    with pytest.raises(TransientError, match="Locked"):
        runtime.lockme.ack(mid)


def test_errors_in_200_are_errors_not_messages(client, runtime, fake_lockme, fake_google):
    """A 200 ``{"error": ...}`` for a message is neither a message to record as malformed
    (and acknowledge) nor data: the job fails and is retried."""
    fake_lockme.dialect.errors_in_200 = True
    with pytest.raises(TransientError, match="Message not found"):
        runtime.lockme.message(424242)
    sync(client, runtime, 424242)
    assert runtime.store.failures.failure(424242) is None
    assert 424242 not in fake_lockme.acked
    assert not runtime.store.messages.is_done(424242)


# --- collections ----------------------------------------------------------------------------
def test_keyed_lists_read_as_lists(runtime, fake_lockme):
    fake_lockme.add_room(101, "Pharaoh's Tomb")
    fake_lockme.add_room(102, "Bank Heist")
    day = date(2026, 5, 2)
    for hour in ("10:00:00", "12:00:00"):
        fake_lockme.create_reservation(101, day.isoformat(), hour)
    as_list = (runtime.lockme.rooms(), runtime.lockme.reservations(101, day))
    fake_lockme.dialect.lists = "keyed"
    as_keyed = (runtime.lockme.rooms(), runtime.lockme.reservations(101, day))
    assert as_keyed == as_list
    assert [room["roomid"] for room in as_keyed[0]] == [101, 102]
    assert len(as_keyed[1]) == 2
    assert runtime.lockme.reservations(102, day) == []  # PHP's empty array is [] either way


def test_reconcile_with_keyed_lists(runtime, fake_lockme, fake_google):
    fake_lockme.dialect.lists = "keyed"
    day = (date.today() + timedelta(days=1)).isoformat()
    lost, _ = fake_lockme.create_reservation(5, day, "10:00:00")  # its message never came
    summary = Reconciler(runtime).run(days=3)
    assert summary.errors == 0
    assert str(lost) in live(fake_google)


def test_rooms_page_reads_keyed_rooms(web_app, web_runtime, fake_lockme, fake_google):
    fake_lockme.dialect.lists = "keyed"
    connect_both(web_runtime, fake_lockme, fake_google)
    staff = web_app.test_client()
    log_in(staff)
    html = staff.get("/setup/rooms").get_data(as_text=True)
    assert "Pharaoh" in html and "Bank Heist" in html  # the web runtime's two rooms


# --- delete data ----------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["object", "[]", "{}", "missing"])
def test_delete_keys_on_top_level_ids(form, client, runtime, fake_lockme, fake_google):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, m_add)
    assert str(rid) in live(fake_google)
    fake_lockme.dialect.delete_data = form
    m_del = fake_lockme.delete_reservation(rid)
    assert ("data" in fake_lockme.messages[m_del]) == (form != "missing")
    sync(client, runtime, m_del)
    assert str(rid) not in live(fake_google)
    assert_done(runtime, fake_lockme, m_del)


# --- /test ----------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["json", "object", "text"])
def test_test_endpoint_in_any_form(form, runtime, fake_lockme):
    fake_lockme.dialect.test = form
    assert runtime.lockme.test() is True


def test_test_endpoint_saying_something_else(runtime, fake_lockme):
    fake_lockme.faults.add("GET", r"/test$", status=200, body={"error": "maintenance"})
    with pytest.raises(TransientError, match="maintenance"):
        runtime.lockme.test()


# --- token lifetime -------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["both", "expires_in", "relative", "absolute"])
def test_token_lifetime_in_any_form(form, client, runtime, fake_lockme, fake_google):
    fake_lockme.dialect.token_expires = form
    before = time.time()
    record = runtime.lockme.connect(fake_lockme.issue_token())
    assert before + fake_lockme.access_ttl - 5 <= record["expires_at"]
    assert record["expires_at"] <= time.time() + fake_lockme.access_ttl + 1
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, mid)
    assert_done(runtime, fake_lockme, mid)
    assert fake_lockme.count("POST", r"^/access_token$") == 0  # the token was not taken as expired


# --- the confirmation read ------------------------------------------------------------------
def _young_store_add(fake_lockme: FakeLockme, runtime: Runtime) -> tuple[int, int]:
    """An add whose booking Lockme has changed since (the edit's message not delivered yet),
    in a store younger than Lockme's redelivery, so its first write is checked with Lockme."""
    runtime.redis.delete(runtime.keys.since)
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    fake_lockme.edit_reservation(rid, hour="19:00:00")
    return rid, m_add


def test_confirmation_read_keyed_by_id(client, runtime, fake_lockme, fake_google):
    fake_lockme.dialect.reservation = "keyed"
    rid, m_add = _young_store_add(fake_lockme, runtime)
    sync(client, runtime, m_add)
    assert fake_lockme.count("GET", rf"/reservation/{rid}$") >= 1
    (_, event), *_ = live(fake_google)[str(rid)]
    assert event["start"]["dateTime"].startswith("2026-04-10T19:00:00")  # Lockme's current state
    assert_done(runtime, fake_lockme, m_add)


def test_unparsable_confirmation_read_falls_back_to_the_message(
    client, runtime, fake_lockme, fake_google
):
    fake_lockme.dialect.reservation = "other"
    rid, m_add = _young_store_add(fake_lockme, runtime)
    sync(client, runtime, m_add)
    assert fake_lockme.count("GET", rf"/reservation/{rid}$") >= 1
    copies = live(fake_google)[str(rid)]
    assert len(copies) == 1
    assert copies[0][1]["start"]["dateTime"].startswith("2026-04-10T17:00:00")  # the message's
    assert_done(runtime, fake_lockme, m_add)


# --- shapes learned from the field ----------------------------------------------------------
def test_answer_shapes_are_recorded_without_values(client, runtime, fake_lockme, fake_google):
    rid, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00", surname="Wiśniewska")
    sync(client, runtime, mid)
    shapes = snapshot(runtime)["lockme_answer_shapes"]
    by_endpoint = {(s["endpoint"], s["status"], s["form"]): s for s in shapes}
    message = by_endpoint[("GET /message/{id}", 200, "json")]
    assert message["content_type"] == "application/json"
    assert message["body"]["data"]["surname"] == "str"
    assert message["body"]["reservationid"] == "int"
    assert by_endpoint[("POST /message/{id}", 200, "json")]["body"] == "bool"
    text = json.dumps(shapes)
    for value in ("Wiśniewska", "Wi\\u015bniewska", str(rid), str(mid), "17:00:00", "@example"):
        assert value not in text


def test_a_known_shape_costs_no_redis_write(client, runtime, fake_lockme, fake_google):
    _, first = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, first)
    runtime.redis.delete(runtime.keys.lockme_shapes)
    _, second = fake_lockme.create_reservation(6, "2026-04-11", "18:00:00")
    sync(client, runtime, second)
    # Every fingerprint was known to this process.
    assert recorded(runtime.redis, runtime.keys) == []
    fake_lockme.dialect.ack = "text"
    _, third = fake_lockme.create_reservation(7, "2026-04-12", "19:00:00")
    sync(client, runtime, third)
    shapes = recorded(runtime.redis, runtime.keys)
    forms = [(s["endpoint"], s["form"], s["content_type"]) for s in shapes]
    assert forms == [("POST /message/{id}", "text", "text/html")]


def test_status_json_shows_answer_shapes(
    monkeypatch, tmp_path, settings, client, runtime, fake_lockme, capsys
):
    monkeypatch.chdir(tmp_path)
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    fake_lockme.dialect.ack = "204"
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, mid)
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    forms = {(s["endpoint"], s["status"], s["form"]) for s in data["lockme_answer_shapes"]}
    assert ("POST /message/{id}", 204, "empty") in forms
    assert ("GET /message/{id}", 200, "json") in forms


def test_status_page_shows_answer_shapes_in_a_fold(web_app, web_runtime, fake_lockme, fake_google):
    connect_both(web_runtime, fake_lockme, fake_google)
    staff = web_app.test_client()
    log_in(staff)
    _, mid = fake_lockme.create_reservation(101, "2026-04-10", "17:00:00", surname="Wiśniewska")
    assert deliver(staff, mid).status_code == 200
    drain(web_runtime)
    html = staff.get("/status").get_data(as_text=True)
    fold = html[html.index('<details id="operator">') :]  # folded, for operators
    fold = fold[: fold.index("</details>")]
    assert "GET /message/{id}" in fold and "POST /message/{id}" in fold
    assert "surname" in fold and "Wiśniewska" not in fold and str(mid) not in fold
