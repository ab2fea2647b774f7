"""The web tier under abuse: sessions that end, headers, Host, login limit, weak secrets.

Each test reproduces a finding of issue 12 against the real app, a real Redis and the HTTP
fakes, and asserts the fixed behaviour.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from app import create_app
from app.auth import LOGIN_LIMIT, SESSION_IDLE
from app.hardening import HEADERS
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.test_web import csrf_from, log_in
from worker import cli
from worker.config import ConfigError, Settings, load_settings
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme


@pytest.fixture
def web_client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser that replays a saved session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


# --- sessions end ----------------------------------------------------------------------------
def test_a_cookie_saved_before_logout_no_longer_opens_pages(
    web_app: Flask, web_client: FlaskClient
) -> None:
    token = log_in(web_client)
    saved = session_cookie(web_client)
    second = web_app.test_client()
    log_in(second)  # another staff member's browser
    assert with_cookie(web_app, saved).get("/status").status_code == 200
    assert web_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert with_cookie(web_app, saved).get("/status").status_code == 302
    # Logout ends every session, not only the one that asked.
    assert second.get("/status").status_code == 302
    # Logging in again works, and the new session is good until the next logout.
    log_in(web_client)
    assert web_client.get("/status").status_code == 200


def test_changing_admin_password_ends_earlier_sessions(
    settings: Settings, web_app: Flask, web_client: FlaskClient
) -> None:
    log_in(web_client)
    saved = session_cookie(web_client)
    changed = replace(settings, admin_password="another long password")
    rt = build_runtime(changed)
    try:
        restarted = create_app(changed, rt)
        assert with_cookie(restarted, saved).get("/status").status_code == 302
        fresh = restarted.test_client()
        log_in(fresh, "another long password")
        assert fresh.get("/status").status_code == 200
    finally:
        rt.redis.close()


def test_sessions_expire_after_the_idle_time(web_app: Flask, web_client: FlaskClient) -> None:
    log_in(web_client)
    assert web_client.get("/status").status_code == 200
    # The cookie asks the browser to forget it after the idle time, renewed on each request.
    set_cookie = web_client.get("/status").headers["Set-Cookie"]
    assert "Expires=" in set_cookie
    # A copy kept beyond the idle time is refused by the server, whatever the browser does:
    # the same session, signed as it would have been SESSION_IDLE + 1 minute ago.
    interface = web_app.session_interface
    serializer = interface.get_signing_serializer(web_app)  # type: ignore[attr-defined]
    payload = serializer.loads(session_cookie(web_client))
    stale_at = int(time.time() - SESSION_IDLE.total_seconds() - 60)

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return stale_at

    signer = Then(web_app.secret_key, salt="cookie-session", key_derivation="hmac")
    fresh_signer = TimestampSigner(web_app.secret_key, salt="cookie-session", key_derivation="hmac")
    body = serializer.dump_payload(payload)
    stale = signer.sign(body).decode()
    recent = fresh_signer.sign(body).decode()
    assert with_cookie(web_app, recent).get("/status").status_code == 200
    assert with_cookie(web_app, stale).get("/status").status_code == 302


# --- security headers ------------------------------------------------------------------------
def _paths(app: Flask) -> list[str]:
    """One concrete GET path per route of the app."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        values = {arg: "lockme" if arg == "provider" else "style.css" for arg in rule.arguments}
        paths.append(rule.build(values, append_unknown=False)[1])
    return paths


def test_every_route_carries_the_security_headers(web_app: Flask, web_client: FlaskClient) -> None:
    log_in(web_client)
    paths = _paths(web_app)
    assert {"/setup", "/status", "/login", "/healthz", "/static/style.css"} <= set(paths)
    for path in paths:
        response = web_client.get(path)
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        if not path.startswith("/static/"):
            assert response.headers["Cache-Control"] == "no-store", path
        # HSTS only over https: a laptop's plain-http dev server must not pin https.
        assert "Strict-Transport-Security" not in response.headers, path
    for path in ("/setup", "/status", "/login", "/static/style.css"):
        over_tls = web_client.get(path, headers={"X-Forwarded-Proto": "https"})
        assert over_tls.headers["Strict-Transport-Security"].startswith("max-age="), path


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+=|\sstyle=", re.I)


def test_pages_carry_no_inline_script_or_style(
    web_client: FlaskClient, web_runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    anonymous = web_client.application.test_client()
    assert not INLINE_SCRIPT.search(anonymous.get("/login").get_data(as_text=True))
    log_in(web_client)
    web_runtime.store.set_connection("lockme", account=fake_lockme.nick)
    for path in ("/setup", "/status", "/setup/rooms"):
        html = web_client.get(path).get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html))
    assert web_client.get("/static/setup.js").status_code == 200


# --- Host header -----------------------------------------------------------------------------
def test_without_public_url_a_foreign_host_is_refused(web_client: FlaskClient) -> None:
    log_in(web_client)
    for path in ("/setup", "/setup/lockme/connect", "/login"):
        answer = web_client.get(path, headers={"Host": "evil.example"})
        assert answer.status_code == 400, path
        assert "evil.example" not in answer.headers.get("Location", "")
    assert web_client.get("/setup").status_code == 200  # localhost is a laptop's own name


def test_with_public_url_the_host_never_chooses_our_urls(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    settings = make_settings(
        redis_url, fake_lockme, fake_google, PUBLIC_URL="https://sync.venue.example"
    )
    rt = build_runtime(settings)
    try:
        client = create_app(settings, rt).test_client()
        # Every request of this browser names a foreign Host and forges X-Forwarded-Host.
        client.environ_base.update(HTTP_HOST="evil.example", HTTP_X_FORWARDED_HOST="localhost")
        environ_before = dict(os.environ)
        log_in(client)
        page = client.get("/setup").get_data(as_text=True)
        assert "https://sync.venue.example/webhooks/lockme?secret=" in page
        assert "evil.example" not in page and "localhost" not in page
        start = client.get("/setup/lockme/connect")
        assert "redirect_uri=https%3A%2F%2Fsync.venue.example%2Foauth" in start.headers["Location"]
        assert "evil.example" not in start.headers["Location"]
        assert dict(os.environ) == environ_before  # nothing process-wide set from a request
    finally:
        rt.redis.close()


def test_allowed_hosts_lists_the_names_answered(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    settings = make_settings(redis_url, fake_lockme, fake_google, ALLOWED_HOSTS="sync.example")
    rt = build_runtime(settings)
    try:
        client = create_app(settings, rt).test_client()
        assert client.get("/login", headers={"Host": "sync.example"}).status_code == 200
        assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    finally:
        rt.redis.close()


# --- login throttle --------------------------------------------------------------------------
def _wrong_login(client: FlaskClient, token: str, **headers: str) -> int:
    data = {"password": "guess", "csrf_token": token}
    return client.post("/login", data=data, headers=headers).status_code


def _app_with(
    redis_url: str, lockme: FakeLockme, google: FakeGoogle, **extra: str
) -> tuple[Flask, Runtime]:
    settings = make_settings(redis_url, lockme, google, **extra)
    rt = build_runtime(settings)
    return create_app(settings, rt), rt


def test_forged_forwarded_for_gets_no_fresh_count_without_a_proxy(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    app, rt = _app_with(redis_url, fake_lockme, fake_google, TRUSTED_PROXY_HOPS="0")
    try:
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        codes = [
            _wrong_login(client, token, **{"X-Forwarded-For": f"10.0.0.{n}"})
            for n in range(LOGIN_LIMIT + 3)
        ]
        assert codes == [401] * LOGIN_LIMIT + [429] * 3
    finally:
        rt.redis.close()


def test_behind_one_proxy_only_the_address_it_appended_counts(web_client: FlaskClient) -> None:
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    # The client forges the left part; the (one trusted) proxy appends the real address.
    codes = [
        _wrong_login(web_client, token, **{"X-Forwarded-For": f"10.9.9.{n}, 203.0.113.7"})
        for n in range(LOGIN_LIMIT + 1)
    ]
    assert codes == [401] * LOGIN_LIMIT + [429]
    other = _wrong_login(web_client, token, **{"X-Forwarded-For": "203.0.113.8"})
    assert other == 401


def test_concurrent_attempts_get_exactly_the_limit_evaluated(web_app: Flask) -> None:
    clients = [web_app.test_client() for _ in range(4 * LOGIN_LIMIT)]
    tokens = [csrf_from(c.get("/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def attempt(client: FlaskClient, token: str) -> None:
        start.wait()
        codes.append(_wrong_login(client, token))

    pairs = zip(clients, tokens, strict=True)
    threads = [threading.Thread(target=attempt, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [401] * LOGIN_LIMIT + [429] * (3 * LOGIN_LIMIT)


# --- weak secrets ----------------------------------------------------------------------------
def _env(**overrides: str) -> dict[str, str]:
    env = {
        "SECRET_KEY": "k" * 32,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WEBHOOK_SECRET": "hook",
    }
    return {**env, **overrides}


@pytest.mark.parametrize(
    ("name", "value"), [("SECRET_KEY", "x"), ("SECRET_KEY", "k" * 31), ("ADMIN_PASSWORD", "y")]
)
def test_short_secrets_stop_start_up_with_one_line(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{name} is too short") as caught:
        load_settings(env=_env(**{name: value})).require()
    assert "\n" not in str(caught.value)
    load_settings(env=_env()).require()  # the minimum lengths themselves pass


def test_check_notes_a_missing_public_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: Any, settings: Settings
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in _env(REDIS_URL=settings.redis_url).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    assert cli.main(["check"]) == 0
    assert "PUBLIC_URL is not set" in capsys.readouterr().out
    monkeypatch.setenv("PUBLIC_URL", "https://sync.venue.example")
    assert cli.main(["check"]) == 0
    assert "PUBLIC_URL is not set" not in capsys.readouterr().out


def test_check_reports_a_short_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: Any, settings: Settings
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in _env(SECRET_KEY="short", REDIS_URL=settings.redis_url).items():
        monkeypatch.setenv(key, value)
    assert cli.main(["check"]) != 0
    assert "SECRET_KEY is too short" in capsys.readouterr().out
