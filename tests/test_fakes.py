"""The fakes must behave like the real services, or tests built on them prove nothing."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import google_auth_httplib2
import httplib2
import pytest
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from worker.sandbox import FakeGoogle, FakeLockme

# -- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def lockme() -> Iterator[FakeLockme]:
    with FakeLockme() as fake:
        yield fake


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake


def lm_get(fake: FakeLockme, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{fake.url}/v2.4{path}", headers=headers, timeout=5)


def g_api(fake: FakeGoogle, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    url = f"{fake.url}/calendar/v3/{path}"
    return requests.request(method, url, headers=headers, timeout=5, **kwargs)


def event_body(event_id: str | None = None, hour: int = 18, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "summary": "Jan Kowalski",
        "start": {"dateTime": f"2026-03-14T{hour:02d}:30:00", "timeZone": "Europe/Warsaw"},
        "end": {"dateTime": f"2026-03-14T{hour + 1:02d}:30:00", "timeZone": "Europe/Warsaw"},
        "extendedProperties": {"private": {"lockmeReservationId": "48211930", "lockmeRoomId": "1"}},
        **extra,
    }
    if event_id is not None:
        body["id"] = event_id
    return body


def reason(response: requests.Response) -> str:
    return response.json()["error"]["errors"][0]["reason"]


# -- Lockme --------------------------------------------------------------------------------


def test_lockme_authorization_code_flow_and_refresh_rotation(lockme: FakeLockme) -> None:
    redirect = "https://sync.example.com/oauth/lockme/callback"
    params = {
        "response_type": "code",
        "client_id": "lm-client",
        "redirect_uri": redirect,
        "state": "st4te",
        "scope": "rooms_manage",
    }
    r = requests.get(f"{lockme.url}/authorize", params=params, allow_redirects=False, timeout=5)
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
    query = parse_qs(location.query)
    assert query["state"] == ["st4te"]
    assert lockme.last_authorize_params == params

    bad = requests.get(f"{lockme.url}/authorize", params={**params, "client_id": "x"}, timeout=5)
    assert bad.status_code == 400

    form = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect}
    r = requests.post(
        f"{lockme.url}/access_token", data=form, auth=("lm-client", "lm-secret"), timeout=5
    )
    assert r.status_code == 200
    token = r.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert {"access_token", "refresh_token", "expires"} <= token.keys()
    # The code is single use.
    again = requests.post(
        f"{lockme.url}/access_token", data=form, auth=("lm-client", "lm-secret"), timeout=5
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    wrong_secret = requests.post(
        f"{lockme.url}/access_token", data=form, auth=("lm-client", "nope"), timeout=5
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"

    refresh_form = {
        "grant_type": "refresh_token",
        "refresh_token": token["refresh_token"],
        "client_id": "lm-client",
        "client_secret": "lm-secret",
    }
    rotated = requests.post(f"{lockme.url}/access_token", data=refresh_form, timeout=5)
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != token["refresh_token"]
    reused = requests.post(f"{lockme.url}/access_token", data=refresh_form, timeout=5)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert lm_get(lockme, "/test", rotated.json()["access_token"]).json() == "OK"


def test_lockme_auth_errors(lockme: FakeLockme) -> None:
    token = lockme.issue_token()
    assert lm_get(lockme, "/me", None).json() == {"message": "Unauthorized"}
    assert lm_get(lockme, "/me", token["access_token"]).json() == {
        "userid": 4242,
        "nick": "escape-owner",
    }
    lockme.expire_access_tokens()
    expired = lm_get(lockme, "/me", token["access_token"])
    assert expired.status_code == 401 and expired.json() == {"message": "Access token expired"}
    lockme.revoke()
    r = requests.post(
        f"{lockme.url}/access_token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=("lm-client", "lm-secret"),
        timeout=5,
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_lockme_reservation_lifecycle_and_messages(lockme: FakeLockme) -> None:
    token = lockme.issue_token()["access_token"]
    lockme.add_room(1, "Pharaoh", "Old Town")
    lockme.add_room(2, "Bunker", "Old Town")
    rid, add_mid = lockme.create_reservation(1, "2026-03-14", "18:30:00")
    assert (rid, add_mid) == (48211930, 7000)

    message = lm_get(lockme, f"/message/{add_mid}", token).json()
    assert message["action"] == "add" and message["roomid"] == 1
    assert message["reservationid"] == rid
    assert message["data"]["date"] == "2026-03-14" and message["data"]["hour"] == "18:30:00"

    edit_mid = lockme.edit_reservation(rid, hour="19:30:00", status=1)
    edit = lockme.messages[edit_mid]
    assert edit_mid == 7001
    assert edit["data"]["from_hour"] == "18:30:00" and edit["data"]["hour"] == "19:30:00"

    move_mid = lockme.edit_reservation(rid, roomid=2)
    move = lockme.messages[move_mid]
    assert move["roomid"] == 2 and move["data"]["roomid"] == 2
    assert "from_date" not in move["data"]
    assert lm_get(lockme, f"/room/1/reservation/{rid}", token).status_code == 404
    assert lm_get(lockme, f"/room/2/reservation/{rid}", token).json()["hour"] == "19:30:00"
    assert [
        r["reservationid"] for r in lm_get(lockme, "/room/2/reservations/2026-03-14", token).json()
    ] == [rid]

    delete_mid = lockme.delete_reservation(rid)
    delete = lockme.messages[delete_mid]
    assert delete["action"] == "delete"
    assert set(delete["data"]) == {"roomid", "date", "hour", "extid", "source", "status"}
    gone = lm_get(lockme, f"/room/2/reservation/{rid}", token)
    assert gone.status_code == 404 and gone.json() == {"message": "Reservation not found"}
    assert lm_get(lockme, "/room/2/reservations/2026-03-14", token).json() == []
    assert lockme.live_reservations() == {}

    ack = requests.post(
        f"{lockme.url}/v2.4/message/{add_mid}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert ack.json() is True and lockme.acked == {add_mid} and lockme.ack_count[add_mid] == 1
    assert lm_get(lockme, "/message/99999", token).status_code == 404
    rooms = lm_get(lockme, "/rooms", token).json()
    assert {"roomid": 1, "room": "Pharaoh", "department": "Old Town"} in rooms


def test_lockme_test_and_malformed_messages(lockme: FakeLockme) -> None:
    token = lockme.issue_token()["access_token"]
    assert lm_get(lockme, f"/message/{lockme.test_message()}", token).json() == {
        "action": "test",
        "data": {},
    }
    raw = lm_get(lockme, f"/message/{lockme.put_message('{not json')}", token)
    assert raw.status_code == 200 and raw.text == "{not json"
    assert lm_get(lockme, f"/message/{lockme.put_message(None)}", token).json() is None


# -- Google OAuth ----------------------------------------------------------------------------


def _google_code(fake: FakeGoogle, **extra: str) -> str:
    params = {
        "client_id": "g-client",
        "redirect_uri": "http://localhost/cb",
        "response_type": "code",
        "scope": "https://www.googleapis.com/auth/calendar.events",
        "state": "s1",
        "access_type": "offline",
        "prompt": "consent",
        **extra,
    }
    r = requests.get(f"{fake.url}/o/oauth2/auth", params=params, allow_redirects=False, timeout=5)
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["state"] == ["s1"]
    assert query["scope"][0].split() == fake.granted_scopes
    return query["code"][0]


def _exchange(fake: FakeGoogle, code: str, **extra: str) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://localhost/cb",
        "client_id": "g-client",
        "client_secret": "g-secret",
        **extra,
    }
    return requests.post(f"{fake.url}/token", data=form, timeout=5)


def test_google_pkce_is_enforced(google: FakeGoogle) -> None:
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}

    missing = _exchange(google, _google_code(google, **pkce))
    assert missing.status_code == 400
    assert missing.json() == {
        "error": "invalid_grant",
        "error_description": "Missing code verifier.",
    }
    wrong = _exchange(google, _google_code(google, **pkce), code_verifier="w" * 64)
    assert wrong.json()["error_description"] == "Invalid code verifier."

    ok = _exchange(google, _google_code(google, **pkce), code_verifier=verifier)
    assert ok.status_code == 200
    token = ok.json()
    assert token["token_type"] == "Bearer" and "refresh_token" in token
    assert token["scope"].split() == google.granted_scopes
    assert google.last_auth_params is not None
    assert google.last_auth_params["code_challenge"] == challenge

    online = _exchange(google, _google_code(google, access_type="online"))
    assert "refresh_token" not in online.json()


def test_google_refresh_and_revoke(google: FakeGoogle) -> None:
    token = google.issue_token()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token["refresh_token"],
        "client_id": "g-client",
        "client_secret": "g-secret",
    }
    refreshed = requests.post(f"{google.url}/token", data=form, timeout=5).json()
    assert "refresh_token" not in refreshed and refreshed["scope"]
    google.revoke()
    r = requests.post(f"{google.url}/token", data=form, timeout=5)
    assert r.status_code == 400
    assert r.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    api = g_api(google, "GET", "calendars/primary/events", refreshed["access_token"])
    assert api.status_code == 401 and reason(api) == "authError"
    assert api.json()["error"]["status"] == "UNAUTHENTICATED"


def test_google_rotating_refresh_tokens() -> None:
    with FakeGoogle(rotate_refresh_tokens=True) as google:
        token = google.issue_token()
        form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
        auth = ("g-client", "g-secret")
        first = requests.post(f"{google.url}/token", data=form, auth=auth, timeout=5).json()
        assert first["refresh_token"] != token["refresh_token"]
        reused = requests.post(f"{google.url}/token", data=form, auth=auth, timeout=5)
        assert reused.json()["error"] == "invalid_grant"


def test_google_oauthlib_flow_works_against_fake(
    google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google_auth_oauthlib.flow import Flow

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    config = {
        "web": {
            "client_id": "g-client",
            "client_secret": "g-secret",
            "auth_uri": f"{google.url}/o/oauth2/auth",
            "token_uri": f"{google.url}/token",
            "redirect_uris": ["http://localhost/cb"],
        }
    }
    flow = Flow.from_client_config(
        config, scopes=google.granted_scopes, redirect_uri="http://localhost/cb"
    )
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    callback = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    callback_flow = Flow.from_client_config(
        config,
        scopes=google.granted_scopes,
        redirect_uri="http://localhost/cb",
        state=state,
        code_verifier=flow.code_verifier,
    )
    callback_flow.fetch_token(authorization_response=callback)
    assert callback_flow.credentials.refresh_token


# -- Google Calendar ---------------------------------------------------------------------------


def test_insert_duplicate_delete_restore(google: FakeGoogle) -> None:
    token = google.issue_token()["access_token"]
    google.add_calendar("room1@group.calendar.google.com", "Room 1")
    path = "calendars/room1%40group.calendar.google.com/events"
    created = g_api(google, "POST", path, token, json=event_body("lockme48211930"))
    assert created.status_code == 200
    event = created.json()
    assert event["status"] == "confirmed" and event["organizer"]["email"].startswith("room1@")
    assert {"etag", "created", "updated", "htmlLink", "iCalUID", "sequence"} <= event.keys()

    dup = g_api(google, "POST", path, token, json=event_body("lockme48211930"))
    assert dup.status_code == 409
    assert dup.json() == {
        "error": {
            "code": 409,
            "message": "The requested identifier already exists.",
            "errors": [
                {
                    "domain": "global",
                    "reason": "duplicate",
                    "message": "The requested identifier already exists.",
                }
            ],
            "status": "ALREADY_EXISTS",
        }
    }

    assert g_api(google, "DELETE", f"{path}/lockme48211930", token).status_code == 204
    again = g_api(google, "DELETE", f"{path}/lockme48211930", token)
    assert again.status_code == 410 and reason(again) == "deleted"
    assert g_api(google, "DELETE", f"{path}/nosuchevent", token).status_code == 404
    cancelled = g_api(google, "GET", f"{path}/lockme48211930", token).json()
    assert cancelled["status"] == "cancelled" and cancelled["summary"] == "Jan Kowalski"
    # A cancelled event still holds its id.
    assert g_api(google, "POST", path, token, json=event_body("lockme48211930")).status_code == 409
    assert google.live_events_by_reservation() == {}

    restored = g_api(
        google,
        "PUT",
        f"{path}/lockme48211930",
        token,
        json=event_body(status="confirmed", summary="Back"),
    )
    assert restored.status_code == 200 and restored.json()["status"] == "confirmed"
    live = google.live_events_by_reservation()
    assert [(cid, e["summary"]) for cid, e in live["48211930"]] == [
        ("room1@group.calendar.google.com", "Back")
    ]


def test_insert_validation_and_permissions(google: FakeGoogle) -> None:
    token = google.issue_token()["access_token"]
    path = "calendars/primary/events"
    bad_id = g_api(google, "POST", path, token, json=event_body("Has-Upper-And-Dash"))
    assert bad_id.status_code == 400
    assert bad_id.json()["error"]["message"] == "Invalid resource id value."
    assert g_api(google, "POST", path, token, json=event_body("abcw1")).status_code == 400
    assert g_api(google, "POST", path, token, json=event_body("abc1")).status_code == 400

    no_end = event_body("abcdef01")
    del no_end["end"]
    r = g_api(google, "POST", path, token, json=no_end)
    assert r.status_code == 400 and r.json()["error"]["message"] == "Missing end time."

    backwards = event_body("abcdef02")
    backwards["end"] = {"dateTime": "2026-03-14T17:00:00+01:00"}
    r = g_api(google, "POST", path, token, json=backwards)
    assert r.status_code == 400 and reason(r) == "timeRangeEmpty"

    google.add_calendar("ro@example.com", "Read only", access_role="reader")
    r = g_api(google, "POST", "calendars/ro%40example.com/events", token, json=event_body())
    assert r.status_code == 403 and reason(r) == "forbidden"
    assert g_api(google, "GET", "calendars/nope%40x/events", token).status_code == 404


def test_update_replaces_patch_merges_and_if_match(google: FakeGoogle) -> None:
    token = google.issue_token()["access_token"]
    path = "calendars/primary/events/abcdef99"
    g_api(google, "POST", "calendars/primary/events", token, json=event_body("abcdef99"))

    patched = g_api(
        google,
        "PATCH",
        path,
        token,
        json={"extendedProperties": {"private": {"extra": "1", "lockmeRoomId": None}}},
    ).json()
    assert patched["extendedProperties"]["private"] == {
        "lockmeReservationId": "48211930",
        "extra": "1",
    }
    assert patched["summary"] == "Jan Kowalski"

    stale = g_api(google, "PUT", path, token, json=event_body(), headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and reason(stale) == "conditionNotMet"

    body = event_body()
    del body["extendedProperties"]
    replaced = g_api(google, "PUT", path, token, json=body, headers={"If-Match": patched["etag"]})
    assert replaced.status_code == 200
    assert "extendedProperties" not in replaced.json()
    assert google.event("primary", "abcdef99")["organizer"]["email"] == "staff@example.com"
    assert (
        g_api(google, "PUT", "calendars/primary/events/zzzzz99", token, json=body).status_code
        == 404
    )


def test_list_filters_and_paging(google: FakeGoogle) -> None:
    token = google.issue_token()["access_token"]
    path = "calendars/primary/events"
    for i, hour in enumerate((10, 12, 14)):
        body = event_body(f"evt{i}abcd", hour=hour)
        body["extendedProperties"]["private"]["lockmeReservationId"] = str(i)
        g_api(google, "POST", path, token, json=body)
    g_api(google, "DELETE", f"{path}/evt1abcd", token)

    def ids(**params: Any) -> list[str]:
        r = g_api(google, "GET", path, token, params=params)
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()["items"]]

    assert ids() == ["evt0abcd", "evt2abcd"]
    assert ids(showDeleted="true") == ["evt0abcd", "evt1abcd", "evt2abcd"]
    assert ids(privateExtendedProperty="lockmeReservationId=1") == []
    assert ids(privateExtendedProperty="lockmeReservationId=1", showDeleted="true") == ["evt1abcd"]
    both = ["lockmeReservationId=2", "lockmeRoomId=1"]
    assert ids(privateExtendedProperty=both) == ["evt2abcd"]
    assert ids(privateExtendedProperty=["lockmeReservationId=2", "lockmeRoomId=9"]) == []
    # 10:30-11:30 Warsaw (UTC+1) is 09:30-10:30Z; overlap means end > timeMin, start < timeMax.
    assert ids(timeMin="2026-03-14T10:30:00Z") == ["evt2abcd"]
    assert ids(timeMin="2026-03-14T10:29:00Z", timeMax="2026-03-14T11:30:00+01:00") == ["evt0abcd"]
    assert ids(orderBy="startTime", singleEvents="true", showDeleted="true")[0] == "evt0abcd"

    first = g_api(google, "GET", path, token, params={"maxResults": 1, "showDeleted": "true"})
    page = first.json()
    assert len(page["items"]) == 1 and page["nextPageToken"]
    seen = [page["items"][0]["id"]]
    while "nextPageToken" in page:
        page = g_api(
            google,
            "GET",
            path,
            token,
            params={"maxResults": 1, "showDeleted": "true", "pageToken": page["nextPageToken"]},
        ).json()
        seen += [e["id"] for e in page["items"]]
    assert seen == ["evt0abcd", "evt1abcd", "evt2abcd"]


def test_google_api_client_library(google: FakeGoogle) -> None:
    token = google.issue_token()
    google.add_calendar("room2@group.calendar.google.com", "Room 2", access_role="writer")
    google.add_calendar("other@example.com", "Colleague", access_role="reader")
    creds = Credentials(
        token["access_token"],
        refresh_token=token["refresh_token"],
        token_uri=f"{google.url}/token",
        client_id="g-client",
        client_secret="g-secret",
    )
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=5))
    service = build(
        "calendar",
        "v3",
        http=http,
        cache_discovery=False,
        static_discovery=True,
        client_options={"api_endpoint": f"{google.url}/calendar/v3/"},
    )
    cal = "room2@group.calendar.google.com"
    service.events().insert(
        calendarId=cal, body=event_body("lockme1"), sendUpdates="none"
    ).execute()
    with pytest.raises(HttpError) as err:
        service.events().insert(calendarId=cal, body=event_body("lockme1")).execute()
    assert err.value.status_code == 409 and err.value.error_details[0]["reason"] == "duplicate"
    assert ("POST", f"/calendar/v3/calendars/{cal}/events", 409) in google.requests

    google.expire_access_tokens()  # the library refreshes on 401 and retries
    found = (
        service.events()
        .list(calendarId=cal, privateExtendedProperty="lockmeReservationId=48211930")
        .execute()
    )
    assert [e["id"] for e in found["items"]] == ["lockme1"]
    assert google.count("POST", r"^/token$") == 1

    writable = service.calendarList().list(minAccessRole="writer").execute()["items"]
    assert {c["id"] for c in writable} == {"staff@example.com", cal}
    primary = service.calendarList().get(calendarId="primary").execute()
    assert primary["primary"] is True and primary["id"] == "staff@example.com"


def test_insufficient_scope_for_calendar_list() -> None:
    with FakeGoogle(granted_scopes=["https://www.googleapis.com/auth/calendar.events"]) as google:
        token = google.issue_token()["access_token"]
        r = g_api(google, "GET", "users/me/calendarList", token)
        assert r.status_code == 403 and reason(r) == "insufficientPermissions"


def test_rate_limit() -> None:
    with FakeGoogle(rate_limit_per_s=3) as google:
        token = google.issue_token()["access_token"]
        statuses = [
            g_api(google, "GET", "calendars/primary/events", token).status_code for _ in range(5)
        ]
        # Fast loopback requests all land in one 1 s window.
        assert statuses[:3] == [200, 200, 200] and 403 in statuses[3:]
        r = g_api(google, "GET", "calendars/primary/events", token)
        assert reason(r) == "rateLimitExceeded"
        # OAuth traffic does not count.
        requests.post(f"{google.url}/token", data={"grant_type": "x"}, timeout=5)
        assert google.count("POST", "/token") == 1


# -- fault injection -----------------------------------------------------------------------


def test_fault_times_and_default_bodies(google: FakeGoogle) -> None:
    token = google.issue_token()["access_token"]
    rule = google.faults.add("GET", r"/events$", status=500, times=2)
    first = g_api(google, "GET", "calendars/primary/events", token)
    assert first.status_code == 500 and reason(first) == "backendError"
    assert g_api(google, "GET", "calendars/primary/events", token).status_code == 500
    assert g_api(google, "GET", "calendars/primary/events", token).status_code == 200
    assert rule.hits == 2

    google.faults.add(None, r"/events$", status=429, body={"error": {"code": 429}})
    assert g_api(google, "GET", "calendars/primary/events", token).json() == {
        "error": {"code": 429}
    }
    google.faults.clear()
    google.faults.add("POST", "/token", status=400)
    assert requests.post(f"{google.url}/token", timeout=5).json()["error"] == "invalid_grant"


def test_fault_status_does_not_apply_request(lockme: FakeLockme) -> None:
    token = lockme.issue_token()["access_token"]
    mid = lockme.test_message()
    lockme.faults.add("POST", r"/message/\d+$", status=503, times=1)
    url = f"{lockme.url}/v2.4/message/{mid}"
    headers = {"Authorization": f"Bearer {token}"}
    r = requests.post(url, headers=headers, timeout=5)
    assert r.status_code == 503 and r.json() == {"message": "Service Unavailable"}
    assert lockme.acked == set()
    assert requests.post(url, headers=headers, timeout=5).json() is True
    assert lockme.requests[-2:] == [
        ("POST", f"/v2.4/message/{mid}", 503),
        ("POST", f"/v2.4/message/{mid}", 200),
    ]


def test_fault_probability_is_seeded() -> None:
    def run(seed: int) -> list[int]:
        with FakeLockme() as lockme:
            lockme.faults.seed(seed)
            lockme.faults.add("GET", "/test", status=500, probability=0.5)
            token = lockme.issue_token()["access_token"]
            return [lm_get(lockme, "/test", token).status_code for _ in range(20)]

    first = run(7)
    assert first == run(7)
    assert 0 < first.count(500) < 20


def test_drop_after_apply_changes_state_but_client_sees_connection_error(
    lockme: FakeLockme,
) -> None:
    token = lockme.issue_token()["access_token"]
    mid = lockme.test_message()
    lockme.faults.add("POST", r"/message/", drop_after_apply=True, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{lockme.url}/v2.4/message/{mid}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
    assert lockme.acked == {mid}


def test_drop_after_apply_on_insert_with_google_client(google: FakeGoogle) -> None:
    token = google.issue_token()
    creds = Credentials(token["access_token"])
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=5))
    service = build(
        "calendar",
        "v3",
        http=http,
        cache_discovery=False,
        static_discovery=True,
        client_options={"api_endpoint": f"{google.url}/calendar/v3/"},
    )
    google.faults.add("POST", r"/events$", drop_after_apply=True)
    with pytest.raises((OSError, httplib2.HttpLib2Error, ConnectionError)):
        service.events().insert(calendarId="primary", body=event_body("lost1")).execute()
    # httplib2 resends once after a dropped connection; both attempts reached the fake.
    assert google.event("primary", "lost1") is not None
    assert [s for m, _, s in google.requests if m == "POST"] == [200, 409]


def test_timeout_and_latency(lockme: FakeLockme) -> None:
    token = lockme.issue_token()["access_token"]
    lockme.faults.timeout_seconds = 1.0
    lockme.faults.add("GET", "/me", timeout=True, times=1)
    with pytest.raises(requests.Timeout):
        requests.get(
            f"{lockme.url}/v2.4/me", headers={"Authorization": f"Bearer {token}"}, timeout=0.3
        )
    lockme.latency = 0.2
    r = requests.get(
        f"{lockme.url}/v2.4/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.2


def test_concurrent_inserts_of_one_id_create_one_event(google: FakeGoogle) -> None:
    token = google.issue_token()["access_token"]

    def insert(_: int) -> int:
        body = event_body("samebooking1")
        return g_api(google, "POST", "calendars/primary/events", token, json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(insert, range(16)))
    assert sorted(statuses) == [200] + [409] * 15
    assert len(google.events("primary")) == 1
