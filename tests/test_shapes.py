"""Answer shapes: types and key names only, bounded, whatever Lockme sends."""

from __future__ import annotations

import json

import redis

from worker.gateways.lockme_shapes import (
    MAX_DEPTH,
    MAX_KEYS,
    MAX_STORED,
    Answer,
    ShapeLog,
    as_list,
    endpoint,
    recorded,
    says_ok,
    shape,
    single,
)
from worker.stores.keys import DEFAULT


def test_shape_keeps_types_and_names_never_values():
    body = {"name": "Jan", "people": 4, "price": "240.00", "paid": True, "extra": None, "f": 1.5}
    assert shape(body) == {
        "name": "str",
        "people": "int",
        "price": "str",
        "paid": "bool",
        "extra": "null",
        "f": "float",
    }


def test_keys_that_are_data_are_folded():
    keyed = {"48211930": {"hour": "18:30:00"}, "48211931": {"hour": "19:30:00", "x": 1}}
    assert shape(keyed) == {"{id}": {"hour": "str", "x": "int"}}
    by_email = {"jan@example.com": 1, "ola@example.com": "2"}
    assert shape(by_email) == {"{key}": "int|str"}
    assert "example" not in json.dumps(shape(by_email))


def test_lists_merge_their_items():
    assert shape([{"a": 1}, {"a": None, "b": "x"}]) == [{"a": "int|null", "b": "str"}]
    assert shape([]) == []


def test_shape_is_bounded():
    deep: object = "leaf"
    for _ in range(MAX_DEPTH + 5):
        deep = {"k": deep}
    text = json.dumps(shape(deep))
    assert text.count("{") == MAX_DEPTH
    wide = {f"k{n:03d}": n for n in range(MAX_KEYS * 3)}
    assert len(shape(wide)) == MAX_KEYS


def test_endpoint_takes_ids_and_dates_out():
    assert (
        endpoint("get", "/room/1398/reservations/2026-03-14")
        == "GET /room/{id}/reservations/{date}"
    )
    assert endpoint("POST", "/message/7012") == "POST /message/{id}"
    assert endpoint("GET", "/room/1/reservation/ext/abc@x") == "GET /room/{id}/reservation/ext/{x}"


def test_answers_are_read_as_lockmes_php_client_reads_them():
    assert Answer.read(200, "text/html", b"OK").body == "OK"
    assert Answer.read(200, "text/html", b'{"a": 1}').form == "json"  # JSON whatever the type
    assert Answer.read(204, "", b"").form == "empty"
    token = Answer.read(200, "application/x-www-form-urlencoded", b"access_token=a&expires=9")
    assert (token.form, token.body) == ("form", {"access_token": "a", "expires": "9"})
    assert Answer.read(200, "application/json", b'{"error": "x"}').carries_error
    assert not Answer.read(200, "application/json", b'{"error": null}').carries_error


def test_collections_as_lists():
    assert as_list([{"roomid": 1}], "roomid") == [{"roomid": 1}]
    assert as_list({"7": {"room": "A"}}, "roomid") == [{"roomid": 7, "room": "A"}]
    assert as_list([], "roomid") == as_list({}, "roomid") == as_list(None, "roomid") == []
    assert as_list({"rooms": []}, "roomid") is None
    assert as_list("OK", "roomid") is None


def test_single_and_says_ok():
    flat = {"date": "2026-03-14", "hour": "18:30:00"}
    assert single(flat) is flat
    assert single({"48211930": flat}) == {"reservationid": 48211930, **flat}
    assert single({"id": 1, "start": "x"}) is None
    assert single([]) is None
    assert [says_ok(b) for b in ("OK", "ok\n", True, {"status": "OK"}, None)] == [True] * 5
    assert [says_ok(b) for b in ("maintenance", False, 0)] == [False] * 3


def test_stored_shapes_are_bounded(redis_url):
    client = redis.Redis.from_url(redis_url)
    log = ShapeLog(client, DEFAULT.lockme_shapes)
    for n in range(MAX_STORED + 50):
        log.note(
            "GET", "/rooms", Answer.read(200, "application/json", json.dumps({f"k{n}": 1}).encode())
        )
    assert client.hlen(DEFAULT.lockme_shapes) == MAX_STORED
    assert len(recorded(client, DEFAULT)) == MAX_STORED
