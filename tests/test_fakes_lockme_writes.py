"""The fake Lockme's writes and slot settings, in every answer form it speaks: the blocks
code is only as right as this model of Lockme is."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from worker.sandbox import FakeLockme
from worker.sandbox.lockme_api import PAID_TEXT, TAKEN_TEXT
from worker.sandbox.lockme_slots import DEFAULT_SLOTS

ROOM = 5101
DAY = "2026-12-07"  # a Monday


@pytest.fixture
def lockme() -> Iterator[FakeLockme]:
    with FakeLockme() as fake:
        fake.add_room(ROOM, "Pharaoh's Tomb")
        fake.add_room(ROOM + 1, "Prison Break")
        yield fake


def api(fake: FakeLockme, method: str, path: str, body: Any = None) -> requests.Response:
    token = fake.issue_token()["access_token"]
    return requests.request(
        method,
        f"{fake.url}/v2.4{path}",
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=5,
    )


def block_body(hour: str = "17:30:00", extid: str = "lcs-b-x-5101-202612071730") -> dict:
    return {"roomid": ROOM, "date": DAY, "hour": hour, "extid": extid, "name": "Blocked"}


def test_default_slots_every_ninety_minutes_from_ten_to_ten(lockme):
    assert DEFAULT_SLOTS[0] == "10:00:00" and DEFAULT_SLOTS[-1] == "22:00:00"
    assert len(DEFAULT_SLOTS) == 9 and "11:30:00" in DEFAULT_SLOTS
    body = api(lockme, "GET", f"/room/{ROOM}/day/0").json()
    assert [item["hour"] for item in body] == list(DEFAULT_SLOTS)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("objects", [{"hour": "09:00:00", "pricers": [1]}, {"hour": "12:15:00", "pricers": [1]}]),
        ("strings", ["09:00", "12:15"]),
        ("keyed", {"09:00:00": {"pricers": [1]}, "12:15:00": {"pricers": [1]}}),
        (
            "data",
            {"data": [{"hour": "09:00:00", "pricers": [1]}, {"hour": "12:15:00", "pricers": [1]}]},
        ),
    ],
)
def test_day_settings_in_each_form(lockme, form, expected):
    lockme.set_day_slots(ROOM, 3, ["9:00", "12:15"])
    lockme.dialect.slots = form
    assert api(lockme, "GET", f"/room/{ROOM}/day/3").json() == expected
    assert lockme.weekday_slots(ROOM, 2) == list(DEFAULT_SLOTS)  # other days keep theirs


@pytest.mark.parametrize(("form", "expected"), [("[]", []), ("{}", {}), ("null", None)])
def test_closed_day_in_each_form(lockme, form, expected):
    lockme.set_day_slots(ROOM, 6, [])
    lockme.dialect.closed = form
    answer = api(lockme, "GET", f"/room/{ROOM}/day/6")
    assert answer.status_code == 200 and answer.json() == expected


@pytest.mark.parametrize("form", ["[]", "{}", "null", "404"])
def test_date_without_exception_in_each_form(lockme, form):
    lockme.dialect.no_exception = form
    answer = api(lockme, "GET", f"/room/{ROOM}/date/{DAY}")
    if form == "404":
        assert answer.status_code == 404
    else:
        assert (
            answer.status_code == 200 and answer.json() == {"[]": [], "{}": {}, "null": None}[form]
        )


def test_date_exception_replaces_the_weekday(lockme):
    lockme.set_date_slots(ROOM, DAY, ["08:00", "20:00"])
    assert [i["hour"] for i in api(lockme, "GET", f"/room/{ROOM}/date/{DAY}").json()] == [
        "08:00:00",
        "20:00:00",
    ]
    assert lockme.slot_hours(ROOM, DAY) == ["08:00:00", "20:00:00"]
    assert lockme.slot_hours(ROOM, "2026-12-08") == list(DEFAULT_SLOTS)
    lockme.set_date_slots(ROOM, DAY, [])
    assert lockme.slot_hours(ROOM, DAY) == list(DEFAULT_SLOTS)


def test_bad_settings_requests(lockme):
    assert api(lockme, "GET", f"/room/{ROOM}/day/7").status_code == 400
    assert api(lockme, "GET", f"/room/{ROOM}/date/tomorrow").status_code == 400
    assert api(lockme, "POST", f"/room/{ROOM}/day/1").status_code == 405
    assert api(lockme, "GET", "/room/999/day/1").status_code == 404
    with pytest.raises(ValueError):
        lockme.set_day_slots(ROOM, 7, [])
    with pytest.raises(ValueError):
        lockme.set_day_slots(ROOM, 1, ["25:00"])


@pytest.mark.parametrize(
    ("form", "read"),
    [
        ("int", lambda r: r.json()),
        ("string", lambda r: int(r.json())),
        ("object", lambda r: r.json()["reservationid"]),
        ("id", lambda r: r.json()["id"]),
        ("data", lambda r: r.json()["data"]["reservationid"]),
        ("text", lambda r: int(r.text)),
    ],
)
def test_create_answers_the_new_id_in_each_form(lockme, form, read):
    lockme.dialect.create = form
    answer = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body())
    assert answer.status_code == 200
    rid = read(answer)
    made = lockme.live_reservations()[rid]
    assert made["source"] == "api" and made["extid"] == "lcs-b-x-5101-202612071730"
    assert (made["date"], made["hour"], made["status"], made["people"]) == (DAY, "17:30:00", 1, 0)
    # It shows in the day's list like any other reservation.
    listed = api(lockme, "GET", f"/room/{ROOM}/reservations/{DAY}").json()
    assert [r["reservationid"] for r in listed] == [rid]


def test_create_answering_nothing_still_creates(lockme):
    lockme.dialect.create = "empty"
    answer = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body())
    assert answer.status_code == 200 and answer.content == b""
    assert [r["extid"] for r in lockme.live_reservations().values()] == [
        "lcs-b-x-5101-202612071730"
    ]


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [("409", 409, "error"), ("400", 400, "message"), ("200", 200, "error")],
)
def test_taken_slot_is_refused_in_each_form(lockme, form, status, field):
    customer, _ = lockme.create_reservation(ROOM, DAY, "17:30")
    lockme.dialect.taken = form
    before = dict(lockme.messages)
    answer = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body())
    assert answer.status_code == status and answer.json()[field] == TAKEN_TEXT
    assert list(lockme.live_reservations()) == [customer]
    assert lockme.messages == before  # no write, no echo


def test_off_slot_hour_refused_only_when_asked(lockme):
    assert (
        api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body("10:45:00")).status_code == 200
    )
    lockme.dialect.refuse_off_slot = True
    refused = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body("10:15:00", "e2"))
    assert refused.status_code == 409
    assert api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body("11:30:00", "e3")).ok


def test_create_without_date_or_hour_is_a_bad_request(lockme):
    assert api(lockme, "PUT", f"/room/{ROOM}/reservation", {"roomid": ROOM}).status_code == 400
    assert api(lockme, "PUT", f"/room/{ROOM}/reservation", [1]).status_code == 400
    assert not lockme.live_reservations()


def test_ext_lookup_is_per_room(lockme):
    rid = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body()).json()
    other, _ = lockme.create_reservation(ROOM + 1, DAY, "17:30", extid="lcs-b-x-5101-202612071730")
    assert (
        api(lockme, "GET", f"/room/{ROOM}/reservation/ext/lcs-b-x-5101-202612071730").json()[
            "reservationid"
        ]
        == rid
    )
    assert (
        api(lockme, "GET", f"/room/{ROOM + 1}/reservation/ext/lcs-b-x-5101-202612071730").json()[
            "reservationid"
        ]
        == other
    )
    assert api(lockme, "GET", f"/room/{ROOM}/reservation/ext/nobody").status_code == 404


def test_edit_by_id_and_by_ext(lockme):
    rid = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body()).json()
    assert api(lockme, "POST", f"/room/{ROOM}/reservation/{rid}", {"name": "Closed"}).json() is True
    assert lockme.live_reservations()[rid]["name"] == "Closed"
    path = f"/room/{ROOM}/reservation/ext/lcs-b-x-5101-202612071730"
    assert api(lockme, "POST", path, {"hour": "19:00"}).ok
    assert lockme.live_reservations()[rid]["hour"] == "19:00:00"
    assert api(lockme, "POST", f"/room/{ROOM}/reservation/ext/nobody", {}).status_code == 404


def test_delete_by_id_and_by_ext(lockme):
    first = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body()).json()
    second = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body("19:00:00", "e2")).json()
    assert api(lockme, "DELETE", f"/room/{ROOM}/reservation/{first}").json() is True
    assert api(lockme, "DELETE", f"/room/{ROOM}/reservation/ext/e2").json() is True
    assert first not in lockme.live_reservations() and second not in lockme.live_reservations()
    assert api(lockme, "DELETE", f"/room/{ROOM}/reservation/{first}").status_code == 404
    assert api(lockme, "DELETE", f"/room/{ROOM + 1}/reservation/{second}").status_code == 404


def test_a_reservation_paid_through_lockme_cannot_be_deleted(lockme):
    paid, _ = lockme.create_reservation(ROOM, DAY, "17:30", source="web", status=1)
    answer = api(lockme, "DELETE", f"/room/{ROOM}/reservation/{paid}")
    assert answer.status_code == 400 and answer.json()["message"] == PAID_TEXT
    assert paid in lockme.live_reservations()
    unpaid, _ = lockme.create_reservation(ROOM, DAY, "19:00", source="web", status=0)
    assert api(lockme, "DELETE", f"/room/{ROOM}/reservation/{unpaid}").ok


def _last_message(lockme: FakeLockme) -> dict[str, Any]:
    return lockme.messages[max(lockme.messages)]


@pytest.mark.parametrize("with_extid", [True, False])
def test_every_api_write_echoes_a_message(lockme, with_extid):
    lockme.dialect.echo_extid = with_extid
    rid = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body()).json()
    add = _last_message(lockme)
    assert (add["action"], add["roomid"], add["reservationid"]) == ("add", ROOM, rid)
    assert add["data"]["source"] == "api" and add["data"]["hour"] == "17:30:00"
    assert ("extid" in add["data"]) is with_extid
    if with_extid:
        assert add["data"]["extid"] == "lcs-b-x-5101-202612071730"
    api(lockme, "POST", f"/room/{ROOM}/reservation/{rid}", {"name": "Closed"})
    assert _last_message(lockme)["action"] == "edit"
    api(lockme, "DELETE", f"/room/{ROOM}/reservation/{rid}")
    delete = _last_message(lockme)
    assert (delete["action"], delete["reservationid"]) == ("delete", rid)
    assert ("extid" in delete["data"]) is with_extid


def test_echo_before_the_answer(lockme):
    """With ``echo=before`` the listener gets the echo while the create has not answered."""
    lockme.dialect.echo = "before"
    seen: list[tuple[int, bool]] = []
    answered = threading.Event()

    def listener(message_id: int) -> None:
        body = api(lockme, "GET", f"/message/{message_id}").json()  # the fake is not locked
        seen.append((body["reservationid"], answered.is_set()))

    lockme.echo_listener = listener
    rid = api(lockme, "PUT", f"/room/{ROOM}/reservation", block_body()).json()
    answered.set()
    assert seen == [(rid, False)]
    lockme.dialect.echo = "after"
    api(lockme, "DELETE", f"/room/{ROOM}/reservation/{rid}")
    assert len(seen) == 1


def test_unknown_write_forms_are_refused(lockme):
    for name in ("create", "taken", "slots", "closed", "no_exception", "echo"):
        with pytest.raises(ValueError):
            setattr(lockme.dialect, name, "nonsense")
