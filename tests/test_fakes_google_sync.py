"""The Google fake's sync tokens, recurring instances and push channels behave as Google's.

The blocks feed is built on them, so a fake that answered more kindly than Google (a token
that never goes stale, a push to plain HTTP) would hide the failures the product must
survive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from worker.sandbox import FakeGoogle

CAL = "blocks@group.calendar.google.com"
WARSAW = "Europe/Warsaw"


class Receiver:
    """A loopback HTTP endpoint that records the headers of every POST it gets."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(self.rfile.read(length))
                receiver.calls.append(dict(self.headers.items()))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/webhooks/google"

    def states(self) -> list[str]:
        return [c["X-Goog-Resource-State"] for c in self.calls]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle(allow_http_push=True) as fake:
        fake.add_calendar(CAL, "Blocks", "owner")
        yield fake


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


def api(fake: FakeGoogle, method: str, path: str, **kwargs: Any) -> requests.Response:
    token = fake.issue_token()["access_token"]
    url = f"{fake.url}/calendar/v3/{path}"
    return requests.request(
        method, url, headers={"Authorization": f"Bearer {token}"}, timeout=5, **kwargs
    )


def list_all(fake: FakeGoogle, **params: Any) -> tuple[list[dict[str, Any]], str]:
    """Every page of an events.list; returns the items and the last page's nextSyncToken."""
    items: list[dict[str, Any]] = []
    page_token = None
    while True:
        query = {**params, **({"pageToken": page_token} if page_token else {})}
        body = api(fake, "GET", f"calendars/{CAL}/events", params=query).json()
        items.extend(body["items"])
        page_token = body.get("nextPageToken")
        if not page_token:
            return items, body["nextSyncToken"]
        assert "nextSyncToken" not in body


def reason(response: requests.Response) -> str:
    return str(response.json()["error"]["errors"][0]["reason"])


def at(day: int, hour: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(2030, 3, day, hour, tzinfo=ZoneInfo(WARSAW))


def watch(fake: FakeGoogle, address: str, channel_id: str = "ch1", **extra: Any) -> Any:
    body = {"id": channel_id, "type": "web_hook", "address": address, "token": "t0k", **extra}
    return api(fake, "POST", f"calendars/{CAL}/events/watch", json=body)


# -- events: transparency, attendees, all-day, recurrence ---------------------------------


def test_staff_events_carry_what_a_person_sets(google: FakeGoogle) -> None:
    free = google.staff_event(CAL, "Lunch", at(2, 12), at(2, 13), transparency="transparent")
    declined = google.staff_event(CAL, "Offsite", at(3, 9), at(3, 17), invitation="declined")
    holiday = google.staff_event(CAL, "Closed", date(2030, 3, 4), date(2030, 3, 6), all_day=True)
    events = {e["id"]: e for e in list_all(google, singleEvents="true")[0]}
    assert events[free]["transparency"] == "transparent"
    mine = [a for a in events[declined]["attendees"] if a.get("self")]
    assert mine == [{"email": CAL, "self": True, "responseStatus": "declined"}]
    assert events[declined]["organizer"]["email"] != CAL
    assert events[holiday]["start"] == {"date": "2030-03-04"}
    assert events[holiday]["end"] == {"date": "2030-03-06"}
    assert all(e["updated"].endswith("Z") for e in events.values())


def test_recurring_events_expand_into_instances_with_google_ids(google: FakeGoogle) -> None:
    weekly = google.staff_event(
        CAL, "Cleaning", at(4, 18), at(4, 19), recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"]
    )
    # 2030-03-31 is the day Poland moves to summer time: the wall time stays 18:00.
    items, _ = list_all(google, singleEvents="true")
    ids = [e["id"] for e in items]
    assert ids == [
        f"{weekly}_20300304T170000Z",
        f"{weekly}_20300311T170000Z",
        f"{weekly}_20300318T170000Z",
        f"{weekly}_20300325T170000Z",
    ]
    first = items[0]
    assert first["recurringEventId"] == weekly
    assert first["originalStartTime"] == first["start"]
    assert "recurrence" not in first
    masters, _ = list_all(google)
    assert [m["id"] for m in masters] == [weekly]
    assert masters[0]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4"]


def test_recurring_instances_keep_wall_time_across_dst(google: FakeGoogle) -> None:
    daily = google.staff_event(
        CAL, "Briefing", at(30, 9), at(30, 10), recurrence=["RRULE:FREQ=DAILY;COUNT=2"]
    )
    items, _ = list_all(google, singleEvents="true")
    assert [e["id"] for e in items] == [f"{daily}_20300330T080000Z", f"{daily}_20300331T070000Z"]
    assert items[1]["start"]["dateTime"] == "2030-03-31T09:00:00+02:00"


def test_all_day_recurring_instances_and_time_window(google: FakeGoogle) -> None:
    event = google.staff_event(
        CAL,
        "Closed Mondays",
        date(2030, 3, 4),
        date(2030, 3, 5),
        all_day=True,
        recurrence=["RRULE:FREQ=WEEKLY"],
    )
    items, _ = list_all(
        google,
        singleEvents="true",
        timeMin="2030-03-10T00:00:00Z",
        timeMax="2030-03-20T00:00:00Z",
    )
    assert [e["id"] for e in items] == [f"{event}_20300311", f"{event}_20300318"]
    assert items[0]["start"] == {"date": "2030-03-11"}
    assert items[0]["originalStartTime"] == {"date": "2030-03-11"}


def test_a_bad_recurrence_or_one_without_a_zone_is_refused(google: FakeGoogle) -> None:
    body = {
        "summary": "x",
        "start": {"dateTime": "2030-03-04T18:00:00+01:00"},
        "end": {"dateTime": "2030-03-04T19:00:00+01:00"},
        "recurrence": ["RRULE:FREQ=WEEKLY"],
    }
    no_zone = api(google, "POST", f"calendars/{CAL}/events", json=body)
    assert no_zone.status_code == 400 and reason(no_zone) == "required"
    body["start"]["timeZone"] = body["end"]["timeZone"] = WARSAW
    body["recurrence"] = ["RRULE:FREQ=SOMETIMES"]
    bad = api(google, "POST", f"calendars/{CAL}/events", json=body)
    assert bad.status_code == 400 and reason(bad) == "invalid"


# -- sync tokens -------------------------------------------------------------------------


def test_incremental_sync_returns_what_changed_cancelled_included(google: FakeGoogle) -> None:
    kept = google.staff_event(CAL, "Kept", at(5, 10), at(5, 11))
    moved = google.staff_event(CAL, "Moved", at(6, 10), at(6, 11))
    gone = google.staff_event(CAL, "Gone", at(7, 10), at(7, 11))
    _, token = list_all(google, singleEvents="true")

    nothing, token2 = list_all(google, singleEvents="true", syncToken=token)
    assert nothing == []

    google.move_staff_event(CAL, moved, at(6, 14), at(6, 15))
    google.delete_staff_event(CAL, gone)
    added = google.staff_event(CAL, "Added", at(8, 10), at(8, 11))
    changes, token3 = list_all(google, singleEvents="true", syncToken=token2)
    by_id = {e["id"]: e for e in changes}
    assert set(by_id) == {moved, gone, added}
    assert kept not in by_id
    assert by_id[moved]["start"]["dateTime"] == "2030-03-06T14:00:00+01:00"
    assert by_id[gone]["status"] == "cancelled"
    assert set(by_id[gone]) <= {"kind", "etag", "id", "status"}
    assert list_all(google, singleEvents="true", syncToken=token3)[0] == []


def test_api_delete_comes_back_cancelled_and_a_moved_series_cancels_old_instances(
    google: FakeGoogle,
) -> None:
    single = google.staff_event(CAL, "One", at(5, 10), at(5, 11))
    series = google.staff_event(
        CAL, "Series", at(4, 18), at(4, 19), recurrence=["RRULE:FREQ=DAILY;COUNT=2"]
    )
    _, token = list_all(google, singleEvents="true")
    assert api(google, "DELETE", f"calendars/{CAL}/events/{single}").status_code == 204
    google.move_staff_event(CAL, series, at(4, 20), at(4, 21))
    changes, _ = list_all(google, singleEvents="true", syncToken=token)
    status = {e["id"]: e["status"] for e in changes}
    assert status[single] == "cancelled"
    assert status[f"{series}_20300304T170000Z"] == "cancelled"
    assert status[f"{series}_20300304T190000Z"] == "confirmed"
    assert status[f"{series}_20300305T190000Z"] == "confirmed"


def test_sync_token_comes_only_on_the_last_page_and_pages_share_it(google: FakeGoogle) -> None:
    for day in range(1, 6):
        google.staff_event(CAL, f"E{day}", at(day, 10), at(day, 11))
    items, token = list_all(google, singleEvents="true", maxResults="2")
    assert len(items) == 5
    # A change made after the first page was read comes back with the next sync.
    first = api(
        google, "GET", f"calendars/{CAL}/events", params={"maxResults": "2", "singleEvents": "true"}
    ).json()
    late = google.staff_event(CAL, "Late", at(9, 10), at(9, 11))
    rest = api(
        google,
        "GET",
        f"calendars/{CAL}/events",
        params={"maxResults": "10", "singleEvents": "true", "pageToken": first["nextPageToken"]},
    ).json()
    changes, _ = list_all(google, singleEvents="true", syncToken=rest["nextSyncToken"])
    assert late in {e["id"] for e in changes}
    assert token


@pytest.mark.parametrize(
    "param",
    [
        ("timeMin", "2030-01-01T00:00:00Z"),
        ("timeMax", "2030-01-01T00:00:00Z"),
        ("q", "x"),
        ("orderBy", "updated"),
        ("privateExtendedProperty", "a=b"),
    ],
)
def test_a_sync_token_refuses_filters(google: FakeGoogle, param: tuple[str, str]) -> None:
    _, token = list_all(google, singleEvents="true")
    response = api(
        google, "GET", f"calendars/{CAL}/events", params={"syncToken": token, param[0]: param[1]}
    )
    assert response.status_code == 400


def test_invalidated_tokens_answer_410_full_sync_required(google: FakeGoogle) -> None:
    _, token = list_all(google, singleEvents="true")
    google.invalidate_sync_tokens()
    response = api(
        google,
        "GET",
        f"calendars/{CAL}/events",
        params={"syncToken": token, "singleEvents": "true"},
    )
    assert response.status_code == 410
    assert reason(response) == "fullSyncRequired"
    _, fresh = list_all(google, singleEvents="true")
    assert list_all(google, singleEvents="true", syncToken=fresh)[0] == []


def test_faults_reach_the_list_and_the_watch(google: FakeGoogle, receiver: Receiver) -> None:
    google.faults.add("GET", r"/events$", status=503, times=1)
    google.faults.add("POST", r"/events/watch$", status=500, times=1)
    assert api(google, "GET", f"calendars/{CAL}/events").status_code == 503
    assert watch(google, receiver.url).status_code == 500
    assert api(google, "GET", f"calendars/{CAL}/events").status_code == 200


# -- push channels -----------------------------------------------------------------------


def test_watch_refuses_plain_http_as_google_does(receiver: Receiver) -> None:
    with FakeGoogle() as strict:
        strict.add_calendar(CAL, "Blocks", "owner")
        refused = watch(strict, receiver.url)
        assert refused.status_code == 400
        assert reason(refused) == "push.webhookUrlNotHttps"
        assert strict.live_channels() == []


def test_watch_answers_a_channel_and_pushes_sync_then_exists(
    google: FakeGoogle, receiver: Receiver
) -> None:
    answer = watch(google, receiver.url, params={"ttl": "3600"})
    assert answer.status_code == 200
    channel = answer.json()
    assert channel["kind"] == "api#channel" and channel["id"] == "ch1"
    assert channel["token"] == "t0k" and channel["resourceId"]
    expires = int(channel["expiration"]) / 1000
    assert 3500 < expires - datetime.now(UTC).timestamp() <= 3600
    assert google.wait_for_pushes()
    event = google.staff_event(CAL, "Party", at(5, 18), at(5, 22))
    google.move_staff_event(CAL, event, at(5, 19), at(5, 23))
    assert api(google, "DELETE", f"calendars/{CAL}/events/{event}").status_code == 204
    assert google.wait_for_pushes()
    assert receiver.states() == ["sync", "exists", "exists", "exists"]
    first = receiver.calls[0]
    assert first["X-Goog-Channel-ID"] == "ch1"
    assert first["X-Goog-Channel-Token"] == "t0k"
    assert first["X-Goog-Resource-ID"] == channel["resourceId"]
    assert first["X-Goog-Channel-Expiration"].endswith("GMT")
    assert [c["X-Goog-Message-Number"] for c in receiver.calls] == ["1", "2", "3", "4"]
    assert receiver.bodies == [b""] * 4


def test_stopped_and_expired_channels_push_nothing(google: FakeGoogle, receiver: Receiver) -> None:
    resource = watch(google, receiver.url, "a").json()["resourceId"]
    watch(google, receiver.url, "b")
    assert google.wait_for_pushes()
    stop = api(google, "POST", "channels/stop", json={"id": "a", "resourceId": resource})
    assert stop.status_code == 204
    again = api(google, "POST", "channels/stop", json={"id": "a", "resourceId": resource})
    assert again.status_code == 404
    google.expire_channel("b")
    assert google.live_channels(CAL) == []
    google.staff_event(CAL, "Party", at(5, 18), at(5, 22))
    assert google.wait_for_pushes()
    assert receiver.states() == ["sync", "sync"]


def test_a_failing_receiver_is_retried_once_and_never_blocks_the_api(
    google: FakeGoogle,
) -> None:
    failing = Receiver(status=503)
    try:
        watch(google, failing.url)
        google.staff_event(CAL, "Party", at(5, 18), at(5, 22))
        assert google.wait_for_pushes()
        assert len(failing.calls) == 4  # sync and exists, each tried twice
        assert [p["status"] for p in google.pushes] == [503, 503]
    finally:
        failing.close()


def test_push_to_an_address_nobody_serves_is_dropped(google: FakeGoogle) -> None:
    watch(google, "http://127.0.0.1:9/nothing-here")
    event = google.staff_event(CAL, "Party", at(5, 18), at(5, 22))
    assert google.wait_for_pushes()
    assert [p["status"] for p in google.pushes] == ["error", "error"]
    assert google.event(CAL, event) is not None


def test_a_channel_id_is_unique(google: FakeGoogle, receiver: Receiver) -> None:
    assert watch(google, receiver.url).status_code == 200
    assert watch(google, receiver.url).status_code == 400


def test_only_the_watched_calendar_pushes(google: FakeGoogle, receiver: Receiver) -> None:
    watch(google, receiver.url)
    google.staff_event(google.email, "Elsewhere", at(5, 18), at(5, 22))
    assert google.wait_for_pushes()
    assert receiver.states() == ["sync"]


def test_expiry_is_capped(google: FakeGoogle, receiver: Receiver) -> None:
    channel = watch(google, receiver.url, params={"ttl": str(90 * 24 * 3600)}).json()
    left = int(channel["expiration"]) / 1000 - datetime.now(UTC).timestamp()
    assert left <= timedelta(days=7).total_seconds()
