"""Several Lockme accounts in one fake Lockme, several Google users in one fake Google.

Each account sees its own rooms, reservations and messages, each user their own calendars
and those shared with them; another's answers exactly as an id that never existed does, a
404 (docs/lockme-api.md; Google's 404 ``notFound`` is "missing or no access"). The
worker's own clients get the same 404 through the real gateways.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import connected_runtime
from tests.test_fakes import _exchange, _google_code, event_body, g_api, lm_get, reason
from worker.config import Settings
from worker.domain.errors import PermanentError
from worker.sandbox import FakeGoogle, FakeLockme

NORTH = "north-rooms"
NORTH_ID = 5151
OTHER = "north@example.com"
ROOMS = "rooms@group.calendar.google.com"
DAY = "2026-03-14"


@pytest.fixture
def lockme() -> Iterator[FakeLockme]:
    with FakeLockme() as fake:
        fake.add_account(NORTH, NORTH_ID)
        yield fake


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(OTHER)
        fake.add_calendar(ROOMS, "Rooms Kraków")
        yield fake


def lm(fake: FakeLockme, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{fake.url}/v2.4{path}", headers=headers, timeout=5, **kwargs)


# -- Lockme ----------------------------------------------------------------------------------


def test_a_lockme_account_sees_its_own_rooms_reservations_and_messages(
    lockme: FakeLockme,
) -> None:
    lockme.add_room(1, "Pharaoh", "Old Town")
    lockme.add_room(2, "Bunker", "Harbour", account=NORTH)
    lockme.create_reservation(1, DAY, "18:30:00")
    own_rid, own_mid = lockme.create_reservation(2, DAY, "18:30:00")
    first = lockme.issue_token()["access_token"]
    north = lockme.issue_token(NORTH)["access_token"]

    assert lm_get(lockme, "/me", north).json() == {"userid": NORTH_ID, "nick": NORTH}
    assert lm_get(lockme, "/me", first).json()["nick"] == lockme.nick
    assert [room["roomid"] for room in lm_get(lockme, "/rooms", north).json()] == [2]
    assert [room["roomid"] for room in lm_get(lockme, "/rooms", first).json()] == [1]
    assert lm_get(lockme, f"/message/{own_mid}", north).json()["reservationid"] == own_rid
    assert lm_get(lockme, f"/room/2/reservation/{own_rid}", north).status_code == 200
    day = lm_get(lockme, f"/room/2/reservations/{DAY}", north).json()
    assert [r["reservationid"] for r in day] == [own_rid]
    assert lm_get(lockme, f"/message/{own_mid}", first).status_code == 404


@pytest.mark.parametrize(
    ("theirs", "never"),
    [
        ("/room/1", "/room/9"),
        ("/room/1/reservation/{rid}", "/room/9/reservation/{rid}"),
        ("/room/1/reservation/ext/theirs-1", "/room/9/reservation/ext/theirs-1"),
        ("/room/1/reservations/" + DAY, "/room/9/reservations/" + DAY),
        ("/room/1/day/0", "/room/9/day/0"),
        ("/room/2/reservation/{rid}", "/room/2/reservation/1"),
        ("/message/{mid}", "/message/99999"),
    ],
)
def test_another_accounts_ids_answer_as_unknown_ones(
    lockme: FakeLockme, theirs: str, never: str
) -> None:
    lockme.add_room(1, "Pharaoh")
    lockme.add_room(2, "Bunker", account=NORTH)
    rid, mid = lockme.create_reservation(1, DAY, "18:30:00", extid="theirs-1")
    north = lockme.issue_token(NORTH)["access_token"]
    answer = lm_get(lockme, theirs.format(rid=rid, mid=mid), north)
    unknown = lm_get(lockme, never.format(rid=rid, mid=mid), north)
    assert answer.status_code == unknown.status_code == 404
    assert answer.json() == unknown.json()
    assert answer.json()["message"].endswith("not found")


def test_another_accounts_reservations_and_messages_cannot_be_written_or_acked(
    lockme: FakeLockme,
) -> None:
    lockme.add_room(1, "Pharaoh")
    rid, mid = lockme.create_reservation(1, DAY, "18:30:00")
    north = lockme.issue_token(NORTH)["access_token"]
    body = {"date": DAY, "hour": "20:00:00", "name": "Block"}
    assert lm(lockme, "PUT", "/room/1/reservation", north, json=body).status_code == 404
    assert lm(lockme, "POST", f"/room/1/reservation/{rid}", north, json=body).status_code == 404
    assert lm(lockme, "DELETE", f"/room/1/reservation/{rid}", north).status_code == 404
    ack = lm(lockme, "POST", f"/message/{mid}", north)
    assert ack.status_code == 404 and ack.json() == {"message": "Message not found"}
    assert mid not in lockme.acked
    assert list(lockme.live_reservations()) == [rid]
    assert lockme.live_reservations()[rid]["hour"] == "18:30:00"


def test_a_lockme_grant_is_the_signed_in_accounts_and_revoked_alone(lockme: FakeLockme) -> None:
    first = lockme.issue_token()
    lockme.sign_in(NORTH)
    redirect = "https://sync.example.com/oauth/lockme/callback"
    params = {"response_type": "code", "client_id": "lm-client", "redirect_uri": redirect}
    back = requests.get(f"{lockme.url}/authorize", params=params, allow_redirects=False, timeout=5)
    code = back.headers["Location"].partition("code=")[2]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    token = requests.post(
        f"{lockme.url}/access_token", data=form, auth=("lm-client", "lm-secret"), timeout=5
    ).json()
    assert lm_get(lockme, "/me", token["access_token"]).json()["nick"] == NORTH
    lockme.revoke(NORTH)
    assert lm_get(lockme, "/me", token["access_token"]).status_code == 401
    assert lm_get(lockme, "/me", first["access_token"]).json()["nick"] == lockme.nick


def test_a_booking_stays_in_its_account(lockme: FakeLockme) -> None:
    lockme.add_room(1, "Pharaoh")
    lockme.add_room(2, "Bunker", account=NORTH)
    rid, _ = lockme.create_reservation(1, DAY, "18:30:00")
    with pytest.raises(ValueError, match="another account"):
        lockme.edit_reservation(rid, roomid=2)
    with pytest.raises(ValueError, match="another account"):
        lockme.add_room(2, "Bunker again")


# -- Google ----------------------------------------------------------------------------------


def test_a_google_user_lists_their_own_calendars(google: FakeGoogle) -> None:
    other = google.issue_token(OTHER)["access_token"]
    first = google.issue_token()["access_token"]
    listed = g_api(google, "GET", "users/me/calendarList", other).json()["items"]
    assert [(entry["id"], entry.get("primary")) for entry in listed] == [(OTHER, True)]
    mine = g_api(google, "GET", "users/me/calendarList", first).json()["items"]
    assert {entry["id"] for entry in mine} == {google.email, ROOMS}
    assert g_api(google, "GET", "calendars/primary", other).json()["id"] == OTHER
    inserted = g_api(google, "POST", "calendars/primary/events", other, json=event_body())
    assert inserted.status_code == 200
    assert [event["id"] for event in google.events(OTHER)] == [inserted.json()["id"]]
    assert google.events(google.email) == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "calendars/{cal}", None),
        ("GET", "users/me/calendarList/{cal}", None),
        ("GET", "calendars/{cal}/events", None),
        ("POST", "calendars/{cal}/events", event_body("lockme48211930")),
        ("GET", "calendars/{cal}/events/{eid}", None),
        ("PUT", "calendars/{cal}/events/{eid}", event_body()),
        ("DELETE", "calendars/{cal}/events/{eid}", None),
        ("POST", "calendars/{cal}/events/watch", {"id": "ch-1", "type": "web_hook"}),
    ],
)
def test_another_users_calendar_answers_not_found(
    google: FakeGoogle, method: str, path: str, body: dict[str, Any] | None
) -> None:
    first = google.issue_token()["access_token"]
    eid = g_api(google, "POST", f"calendars/{ROOMS}/events", first, json=event_body()).json()["id"]
    other = google.issue_token(OTHER)["access_token"]
    never = "nobody@group.calendar.google.com"
    for cal in (ROOMS, google.email):
        answer = g_api(google, method, path.format(cal=cal, eid=eid), other, json=body)
        unknown = g_api(google, method, path.format(cal=never, eid=eid), other, json=body)
        assert answer.status_code == unknown.status_code == 404
        assert answer.json() == unknown.json()
        assert reason(answer) == "notFound" and answer.json()["error"]["status"] == "NOT_FOUND"
    assert [event["status"] for event in google.events(ROOMS, include_cancelled=True)] == [
        "confirmed"
    ]


def test_a_shared_calendar_answers_with_the_shared_role(google: FakeGoogle) -> None:
    first = google.issue_token()["access_token"]
    g_api(google, "POST", f"calendars/{ROOMS}/events", first, json=event_body())
    other = google.issue_token(OTHER)["access_token"]
    google.share_calendar(ROOMS, OTHER, "reader")
    listed = g_api(google, "GET", "users/me/calendarList", other).json()["items"]
    assert {entry["id"]: entry["accessRole"] for entry in listed} == {
        OTHER: "owner",
        ROOMS: "reader",
    }
    events = g_api(google, "GET", f"calendars/{ROOMS}/events", other).json()
    assert events["accessRole"] == "reader" and len(events["items"]) == 1
    refused = g_api(google, "POST", f"calendars/{ROOMS}/events", other, json=event_body())
    assert refused.status_code == 403 and reason(refused) == "forbidden"
    google.share_calendar(ROOMS, OTHER, "writer")
    written = g_api(google, "POST", f"calendars/{ROOMS}/events", other, json=event_body())
    assert written.status_code == 200 and written.json()["creator"]["email"] == OTHER


def test_a_google_grant_is_the_signed_in_users(google: FakeGoogle) -> None:
    google.sign_in(OTHER)
    token = _exchange(google, _google_code(google)).json()
    listed = g_api(google, "GET", "users/me/calendarList", token["access_token"]).json()
    assert [entry["id"] for entry in listed["items"]] == [OTHER]
    google.revoke(OTHER)
    assert g_api(google, "GET", "calendars/primary", token["access_token"]).status_code == 401
    first = google.issue_token()["access_token"]
    assert g_api(google, "GET", "calendars/primary", first).status_code == 200


# -- through the worker's own clients ---------------------------------------------------------


def test_the_worker_clients_get_the_404_for_another_accounts_ids(
    settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    north = fake_lockme.add_account(NORTH, NORTH_ID)
    other = fake_google.add_user(OTHER)
    fake_lockme.add_room(1398, "Pharaoh's Tomb")
    rid, mid = fake_lockme.create_reservation(1398, DAY, "18:30:00")
    fake_google.add_calendar(ROOMS, "Rooms Kraków")
    with connected_runtime(settings, fake_lockme, fake_google, account=north, user=other) as rt:
        assert rt.lockme.me()["nick"] == NORTH
        assert rt.lockme.rooms() == []
        with pytest.raises(PermanentError) as unread:
            rt.lockme.message(mid)
        assert unread.value.status == 404
        with pytest.raises(PermanentError) as unacked:
            rt.lockme.ack(mid)
        assert unacked.value.status == 404 and mid not in fake_lockme.acked
        assert rt.lockme.reservation(1398, rid) is None

        assert rt.calendar.primary_id() == OTHER
        assert ROOMS not in {entry["id"] for entry in rt.calendar.calendars()}
        with pytest.raises(PermanentError) as unwritten:
            rt.calendar.insert(ROOMS, event_body("lockme48211930"))
        assert unwritten.value.status == 404
        with pytest.raises(PermanentError) as unlisted:
            list(rt.calendar.list_events(ROOMS))
        assert unlisted.value.status == 404
        assert fake_google.events(ROOMS) == []
