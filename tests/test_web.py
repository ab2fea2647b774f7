"""The staff pages through Flask's test client, against real Redis and the HTTP fakes."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.auth import PUBLIC_ENDPOINTS
from app.login_throttle import FREE_ATTEMPTS
from tests.conftest import ADMIN_PASSWORD, connect_both, deliver, drain
from worker.domain.booking import Route
from worker.gateways.google_calendar import SCOPES
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.sandbox.fake_google import SCOPE_EVENTS

Staff = tuple[FlaskClient, str]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web_client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


def csrf_from(html: str) -> str:
    """The CSRF token a rendered page carries, as a browser would submit it."""
    match = CSRF_FIELD.search(html)
    assert match, "page carries no CSRF token"
    return match.group(1)


def log_in(client: FlaskClient, password: str = ADMIN_PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token for later POSTs."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_from(client.get("/setup").get_data(as_text=True))


@pytest.fixture
def staff(web_client: FlaskClient) -> Staff:
    """A logged-in client and its session's CSRF token."""
    return web_client, log_in(web_client)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def authorize(client: FlaskClient, connect_path: str) -> str:
    """Start a connect flow and let the fake provider approve it; returns the callback URL."""
    start = client.get(connect_path)
    assert start.status_code == 302
    approved = requests.get(start.headers["Location"], allow_redirects=False, timeout=5)
    assert approved.status_code == 302, approved.text
    return approved.headers["Location"]


def connect(client: FlaskClient, provider: str) -> TestResponse:
    return client.get(authorize(client, f"/setup/{provider}/connect"))


# --- login gate, login, CSRF, rate limit, cookie ------------------------------------------
def test_every_page_requires_login(web_app: Flask, web_client: FlaskClient) -> None:
    gated = [rule for rule in web_app.url_map.iter_rules() if rule.endpoint not in PUBLIC_ENDPOINTS]
    assert len(gated) >= 12
    for rule in gated:
        path = rule.build({"provider": "google"} if "provider" in rule.arguments else {})[1]
        method = "POST" if "POST" in rule.methods else "GET"
        response = web_client.open(path, method=method)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path
    assert web_client.get("/healthz").status_code == 200
    assert web_client.get("/login").status_code == 200


def test_login_with_wrong_then_right_password(web_client: FlaskClient) -> None:
    token = csrf_from(web_client.get("/login?next=/status").get_data(as_text=True))
    wrong = web_client.post("/login", data={"password": "guess", "csrf_token": token})
    assert wrong.status_code == 401
    assert "Wrong password" in wrong.get_data(as_text=True)
    assert web_client.get("/status").status_code == 302
    right = web_client.post(
        "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token, "next": "/status"}
    )
    assert right.status_code == 302
    assert right.headers["Location"] == "/status"
    assert web_client.get("/status").status_code == 200


def test_next_cannot_leave_the_site(web_client: FlaskClient) -> None:
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    response = web_client.post(
        "/login",
        data={"password": ADMIN_PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
    )
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(staff: Staff) -> None:
    client, token = staff
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/setup").status_code == 302


def test_post_without_or_with_wrong_csrf_token_is_400(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    client, token = staff
    assert client.post("/setup/check").status_code == 400
    assert client.post("/setup/check", data={"csrf_token": token + "x"}).status_code == 400
    assert client.post("/setup/check", data={"csrf_token": token}).status_code == 200
    anonymous = client.application.test_client()
    assert anonymous.post("/login", data={"password": ADMIN_PASSWORD}).status_code == 400
    # The webhook is posted by Lockme's servers: no session, no CSRF token.
    _, mid = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00")
    assert deliver(anonymous, mid).status_code == 200


def test_login_attempts_are_rate_limited_per_address(web_client: FlaskClient) -> None:
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    for n in range(FREE_ATTEMPTS):
        wrong = {"password": f"x{n}", "csrf_token": token}
        assert web_client.post("/login", data=wrong).status_code == 401
    blocked = web_client.post("/login", data={"password": ADMIN_PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    other = web_client.application.test_client()
    other_token = csrf_from(other.get("/login").get_data(as_text=True))
    elsewhere = other.post(
        "/login",
        data={"password": ADMIN_PASSWORD, "csrf_token": other_token},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert elsewhere.status_code == 302


def test_session_cookie_flags(web_client: FlaskClient) -> None:
    plain = web_client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    behind_tls = web_client.application.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https"}
    )
    assert "Secure" in behind_tls.headers["Set-Cookie"]


# --- Lockme connect ------------------------------------------------------------------------
def test_lockme_connect_redirects_to_authorize(staff: Staff, fake_lockme: FakeLockme) -> None:
    client, _ = staff
    response = client.get("/setup/lockme/connect")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{fake_lockme.url}/authorize?")
    params = query(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == fake_lockme.client_id
    assert params["redirect_uri"] == "http://localhost/oauth/lockme/callback"
    assert params["scope"] == "rooms_manage"
    assert len(params["state"]) >= 20


def test_lockme_callback_stores_token_and_account(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    client, _ = staff
    response = connect(client, "lockme")
    assert response.status_code == 302
    assert web_runtime.store.connections.connection("lockme") == {
        "connected": True,
        "account": fake_lockme.nick,
        "error": None,
    }
    assert f"Connected as {fake_lockme.nick}" in client.get("/setup").get_data(as_text=True)


def test_lockme_state_mismatch_is_rejected_and_nothing_stored(
    staff: Staff, web_runtime: Runtime
) -> None:
    client, _ = staff
    callback = authorize(client, "/setup/lockme/connect")
    forged = callback.replace(f"state={query(callback)['state']}", "state=forged")
    response = client.get(forged)
    assert response.status_code == 400
    assert "not valid any more" in response.get_data(as_text=True)
    assert web_runtime.store.tokens.load_token("lockme") is None
    # The state is single-use: the genuine callback cannot be replayed afterwards either.
    assert client.get(callback).status_code == 400


def test_pasted_lockme_token(staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme) -> None:
    client, token = staff
    bad = client.post("/setup/lockme/token", data={"csrf_token": token, "token": "[1, 2"})
    assert bad.status_code == 400
    refused = client.post(
        "/setup/lockme/token",
        data={"csrf_token": token, "token": '{"access_token": "nope", "refresh_token": "no"}'},
    )
    assert refused.status_code == 400
    assert web_runtime.store.tokens.load_token("lockme") is None
    # A token issued in the Lockme panel, as its WordPress plugin is given one.
    pasted = client.post(
        "/setup/lockme/token",
        data={"csrf_token": token, "token": json.dumps(fake_lockme.issue_token())},
    )
    assert pasted.status_code == 302
    assert web_runtime.store.connections.connection("lockme")["account"] == fake_lockme.nick


# --- Google connect ------------------------------------------------------------------------
def test_google_connect_url_has_offline_consent_state_and_pkce(
    staff: Staff, web_runtime: Runtime, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    response = client.get("/setup/google/connect")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{fake_google.url}/o/oauth2/auth?")
    params = query(location)
    assert params["access_type"] == "offline"
    assert params["prompt"] == "consent"
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"]
    assert params["redirect_uri"] == "http://localhost/oauth/google/callback"
    assert set(params["scope"].split()) == set(SCOPES)
    # The verifier stays server-side, never in the (client-readable) session cookie.
    verifier = web_runtime.redis.get(web_runtime.keys.oauth_verifier(params["state"]))
    assert verifier and len(verifier) >= 43
    assert verifier.decode() not in client.get_cookie("session").value


def test_google_callback_stores_encrypted_grant_and_account(
    staff: Staff, web_runtime: Runtime, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    assert connect(client, "google").status_code == 302
    store = web_runtime.store
    assert store.connections.connection("google") == {
        "connected": True,
        "account": fake_google.email,
        "error": None,
    }
    record = store.tokens.load_token("google")
    assert record is not None
    assert set(record) >= {"access_token", "refresh_token", "expires_at", "scopes"}
    assert record["refresh_token"] in fake_google.refresh_tokens
    raw = web_runtime.redis.get(web_runtime.keys.token("google"))
    assert record["refresh_token"].encode() not in raw
    assert record["access_token"].encode() not in raw


def test_google_token_exchange_needs_the_stored_verifier(
    staff: Staff, web_runtime: Runtime
) -> None:
    client, _ = staff
    callback = authorize(client, "/setup/google/connect")
    key = web_runtime.keys.oauth_verifier(query(callback)["state"])
    web_runtime.redis.set(key, "x" * 64)  # not the verifier whose challenge Google holds
    response = client.get(callback)
    assert response.status_code == 502
    assert "Invalid code verifier" in response.get_data(as_text=True)
    assert web_runtime.store.tokens.load_token("google") is None


def test_google_callback_names_a_missing_scope_and_stores_nothing(
    staff: Staff, web_runtime: Runtime, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    fake_google.granted_scopes = [SCOPE_EVENTS]
    response = connect(client, "google")
    assert response.status_code == 400
    assert "calendar.calendarlist.readonly" in response.get_data(as_text=True)
    assert web_runtime.store.tokens.load_token("google") is None


def test_google_state_mismatch_is_rejected(staff: Staff, web_runtime: Runtime) -> None:
    client, _ = staff
    callback = authorize(client, "/setup/google/connect")
    other = client.application.test_client()
    log_in(other)
    assert other.get(callback).status_code == 400  # another browser's session
    assert web_runtime.store.tokens.load_token("google") is None


def test_disconnect_deletes_the_token(staff: Staff, web_runtime: Runtime) -> None:
    client, token = staff
    connect(client, "google")
    assert client.post("/setup/google/disconnect", data={"csrf_token": token}).status_code == 302
    assert web_runtime.store.tokens.load_token("google") is None
    assert client.post("/setup/nope/disconnect", data={"csrf_token": token}).status_code == 404


# --- setup page, rooms, check --------------------------------------------------------------
def test_setup_page_shows_webhook_url_and_last_message(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    client, _ = staff
    html = client.get("/setup").get_data(as_text=True)
    assert 'value="http://localhost/webhooks/lockme?secret=hook-secret-123"' in html
    assert "No message received yet" in html
    _, mid = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00")
    deliver(client, mid)
    assert f"#{mid}" in client.get("/setup").get_data(as_text=True)


def test_rooms_page_without_connections_says_what_to_do(staff: Staff) -> None:
    client, _ = staff
    html = client.get("/setup/rooms").get_data(as_text=True)
    assert "Connect Lockme first" in html and "Connect Google first" in html


def test_saving_routes(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    routed = next(c for c, cal in fake_google.calendars.items() if cal["summary"] == "Rooms Kraków")
    html = client.get("/setup/rooms").get_data(as_text=True)
    assert "Pharaoh&#39;s Tomb" in html and "Bank Heist" in html
    bookings, blocks = html.split('id="blocks"')
    assert "Rooms Kraków" in bookings and "Holidays" not in bookings  # only writable ones
    assert "Holidays" in blocks  # a blocks calendar need only be readable
    form = {
        "csrf_token": token,
        "calendar-101": routed,
        "duration-101": "90",
        "color-101": "11",
        "title-101": "{room}: {name} ({people})",
        "privacy-101": "no_contact",
        "calendar-102": "primary",
        "duration-102": "",
        "color-102": "",
        "title-102": "",
        "privacy-102": "time_only",
    }
    assert client.post("/setup/rooms", data=form).status_code == 302
    assert web_runtime.store.routes.route(101) == Route(
        room_id=101,
        calendar_id=routed,
        duration_minutes=90,
        color_id="11",
        title_template="{room}: {name} ({people})",
        privacy="no_contact",
        room_name="Pharaoh's Tomb",
    )
    assert web_runtime.store.routes.route(102).privacy == "time_only"
    bad = {**form, "duration-101": "0", "title-102": "{nope}", "calendar-102": "holidays"}
    response = client.post("/setup/rooms", data=bad)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "from 1 to 1440" in text and "{nope}" in text and "listed calendars" in text
    assert web_runtime.store.routes.route(101).duration_minutes == 90  # nothing saved


def test_resync_queues_a_reconcile(staff: Staff, web_runtime: Runtime) -> None:
    client, token = staff
    assert client.post("/setup/resync", data={"csrf_token": token}).status_code == 302
    assert web_runtime.queue.count == 1


def test_connection_check(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    html = client.post("/setup/check", data={"csrf_token": token}).get_data(as_text=True)
    assert "✓ Lockme answers." in html and "✓ Google answers: 2 writable calendar(s)." in html
    fake_google.revoke()
    html = client.post("/setup/check", data={"csrf_token": token}).get_data(as_text=True)
    assert "Google no longer accepts the app&#39;s access" in html  # the box's own words
    assert re.search(
        r"<details[^>]*><summary>[^<]*</summary><pre class=\"raw\">[^<]*invalid_grant", html
    )


# --- status page and banner ----------------------------------------------------------------
def test_status_shows_history_failures_and_retry_requeues(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    rid, good = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00")
    bad = fake_lockme.put_message(
        {"action": "add", "roomid": 101, "reservationid": 9, "data": None}
    )
    deliver(client, good)
    deliver(client, bad)
    drain(web_runtime)
    html = client.get("/status").get_data(as_text=True)
    assert str(rid) in html and "created" in html
    assert f"#{bad}" in html and "Retry" in html
    response = client.post("/status/replay", data={"csrf_token": token, "message_id": str(bad)})
    assert response.status_code == 302
    assert web_runtime.queue.count == 1
    assert f"#{bad}" in client.get("/status").get_data(as_text=True)  # the flash names it
    unknown = client.post("/status/replay", data={"csrf_token": token, "message_id": "123"})
    assert unknown.status_code == 302
    assert web_runtime.queue.count == 1


def test_status_page_reads_only_bounded_history(staff: Staff, web_runtime: Runtime) -> None:
    client, _ = staff
    for n in range(1, 1201):
        web_runtime.store.history.record_sync(
            {"message_id": n, "action": "add", "result": "created"}
        )
    html = client.get("/status").get_data(as_text=True)
    assert html.count('class="result-created"') == 50
    assert ": written 1200</title>" in html  # the per-day counter, not a scan of the history


def test_revoked_grant_banner_on_every_page(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    for path in ("/setup", "/status"):
        assert "reconnect-banner" not in client.get(path).get_data(as_text=True)
    fake_google.revoke()
    _, mid = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00")
    deliver(client, mid)
    drain(web_runtime)
    assert web_runtime.store.failures.parked() == {mid: "google"}
    for path in ("/setup", "/setup/rooms", "/status"):
        html = client.get(path).get_data(as_text=True)
        assert 'id="reconnect-banner"' in html, path
        assert 'href="/setup/google/connect"' in html
    # Reconnecting releases the parked booking (through a replay job it queues).
    assert connect(client, "google").status_code == 302
    drain(web_runtime)
    assert web_runtime.store.failures.parked() == {}
    assert mid in fake_lockme.acked
    assert "reconnect-banner" not in client.get("/status").get_data(as_text=True)


def test_banner_after_a_recorded_error(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    web_runtime.store.connections.set_connection(
        "lockme", error="Lockme refused the token: reconnect needed"
    )
    html = client.get("/status").get_data(as_text=True)
    assert "Lockme refused the token" in html and 'href="/setup/lockme/connect"' in html
    assert "reconnect-banner" not in client.application.test_client().get("/login").get_data(
        as_text=True
    )


# --- language ------------------------------------------------------------------------------
def test_polish_from_query_cookie_or_browser(web_client: FlaskClient) -> None:
    chosen = web_client.get("/login?lang=pl")
    assert "Logowanie obsługi" in chosen.get_data(as_text=True)
    assert "lang=pl" in chosen.headers["Set-Cookie"]
    assert "Logowanie obsługi" in web_client.get("/login").get_data(as_text=True)
    browser = web_client.application.test_client()
    polish = browser.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})
    assert "Hasło" in polish.get_data(as_text=True)
    assert "Password" in browser.get("/login").get_data(as_text=True)
