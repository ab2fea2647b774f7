"""The web tier under abuse: sessions that end, headers, Host, login limit, weak secrets.

Each test reproduces a finding of issue 12 against the real app, a real Redis and the HTTP
fakes, and asserts the fixed behaviour.
"""

from __future__ import annotations

import os
import re
import runpy
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from gunicorn.config import Config as GunicornConfig
from itsdangerous import TimestampSigner

from app import create_app
from app.auth import SESSION_IDLE, SESSION_MAX
from app.hardening import HEADERS
from app.login_throttle import DEVICE_COOKIE, FIRST_WAIT_S, FREE_ATTEMPTS
from tests.conftest import ADMIN_PASSWORD, WEBHOOK_SECRET, make_settings, settings_env
from tests.test_web import csrf_from, log_in
from worker.config import ConfigError, Settings, load_settings
from worker.ops import cli, devserver
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme

ROOT = Path(__file__).resolve().parent.parent


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


def test_a_session_ends_a_day_after_login_however_busy(web_client: FlaskClient) -> None:
    """Issue 19: a session kept busy (a status screen that refreshes itself) never ended."""
    log_in(web_client)
    with web_client.session_transaction() as session:
        session["opened"] = int(time.time() - SESSION_MAX.total_seconds() + 60)
    assert web_client.get("/status").status_code == 200  # a minute before the day is up
    with web_client.session_transaction() as session:
        session["opened"] = int(time.time() - SESSION_MAX.total_seconds() - 60)
    assert web_client.get("/status").status_code == 302
    log_in(web_client)  # a new login opens a new day
    assert web_client.get("/status").status_code == 200


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
    web_runtime.store.connections.set_connection("lockme", account=fake_lockme.nick)
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
        client.environ_base.update(
            HTTP_HOST="evil.example",
            HTTP_X_FORWARDED_HOST="localhost",
            HTTP_X_FORWARDED_PROTO="https",
        )
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
def _app_with(
    redis_url: str, lockme: FakeLockme, google: FakeGoogle, **extra: str
) -> tuple[Flask, Runtime]:
    settings = make_settings(redis_url, lockme, google, **extra)
    rt = build_runtime(settings)
    return create_app(settings, rt), rt


def _wrong_logins(
    client: FlaskClient, token: str, count: int, forwarded: str | None = None
) -> list[int]:
    """``count`` distinct wrong passwords (a guesser never repeats one), each with
    ``forwarded`` as its X-Forwarded-For (``{n}`` replaced by the attempt's number)."""
    return [
        client.post(
            "/login",
            data={"password": f"guess {n}", "csrf_token": token},
            headers={"X-Forwarded-For": forwarded.format(n=n)} if forwarded else {},
        ).status_code
        for n in range(count)
    ]


def test_forged_forwarded_for_gets_no_fresh_count_without_a_proxy(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    app, rt = _app_with(redis_url, fake_lockme, fake_google, TRUSTED_PROXY_HOPS="0")
    try:
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        codes = _wrong_logins(client, token, FREE_ATTEMPTS + 3, "10.0.0.{n}")
        assert codes == [401] * FREE_ATTEMPTS + [429] * 3
    finally:
        rt.redis.close()


def test_behind_one_proxy_only_the_address_it_appended_counts(web_client: FlaskClient) -> None:
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    # The client forges the left part; the (one trusted) proxy appends the real address.
    codes = _wrong_logins(web_client, token, FREE_ATTEMPTS + 1, "10.9.9.{n}, 203.0.113.7")
    assert codes == [401] * FREE_ATTEMPTS + [429]
    other = _wrong_logins(web_client, token, 1, "203.0.113.8")
    assert other == [401]


@pytest.mark.parametrize(
    "forwarded", ["x" * 4000, "203.0.113.7%" + "e" * 4000, "1.2.3.4:80", "[::1]"]
)
def test_a_forwarded_for_that_is_no_address_counts_on_the_peer(
    web_app: Flask, web_client: FlaskClient, forwarded: str
) -> None:
    """A header of any length or form leaves one short key, the peer's."""
    rt = web_app.extensions["lockme_runtime"]
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    codes = _wrong_logins(web_client, token, FREE_ATTEMPTS + 1, forwarded.replace("{", "{{"))
    assert codes == [401] * FREE_ATTEMPTS + [429]
    login_keys = [k.decode() for k in rt.redis.scan_iter(rt.keys.login_attempts("*"))]
    assert login_keys == [rt.keys.login_attempts("ip:127.0.0.1")]


def test_ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4(web_app: Flask) -> None:
    rt = web_app.extensions["lockme_runtime"]
    # A scope id (of any length) is dropped with the host part.
    scoped = "2001:db8:1:2::99%" + "e" * 4000
    for n, peer in enumerate(("2001:db8:1:2::10", scoped, "::ffff:198.51.100.4")):
        client = web_app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login",
            data={"password": f"guess {n}", "csrf_token": token},
            headers={"X-Forwarded-For": peer},
        )
    found = sorted(k.decode() for k in rt.redis.scan_iter(rt.keys.login_attempts("*")))
    assert found == [
        rt.keys.login_attempts("ip:198.51.100.4"),
        rt.keys.login_attempts("ip:2001:db8:1:2::/64"),
    ]
    assert rt.redis.hget(rt.keys.login_attempts("ip:2001:db8:1:2::/64"), "tries") == b"2"


def test_the_wait_grows_and_is_shown(web_client: FlaskClient) -> None:
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    _wrong_logins(web_client, token, FREE_ATTEMPTS - 1)
    last = web_client.post("/login", data={"password": "last guess", "csrf_token": token})
    assert last.status_code == 401
    assert last.headers["Retry-After"] == str(FIRST_WAIT_S)
    assert f"try again in {FIRST_WAIT_S} s" in last.get_data(as_text=True)
    refused = web_client.post("/login", data={"password": ADMIN_PASSWORD, "csrf_token": token})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= FIRST_WAIT_S
    time.sleep(FIRST_WAIT_S + 0.2)  # the wait ends; the next wrong one doubles it
    again = web_client.post("/login", data={"password": "another", "csrf_token": token})
    assert again.status_code == 401
    assert again.headers["Retry-After"] == str(2 * FIRST_WAIT_S)
    time.sleep(2 * FIRST_WAIT_S + 0.2)
    assert (
        web_client.post(
            "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )


def test_a_browser_that_logged_in_before_is_not_held_up_by_guesses_from_its_address(
    web_app: Flask,
) -> None:
    staff = web_app.test_client()
    log_in(staff)
    assert staff.get_cookie(DEVICE_COOKIE, path="/login") is not None
    attacker = web_app.test_client()
    token = csrf_from(attacker.get("/login").get_data(as_text=True))
    codes = _wrong_logins(attacker, token, FREE_ATTEMPTS + 2)
    assert codes[-2:] == [429, 429]
    # Same address; the staff member's browser counts on its own and gets in at once.
    log_in(staff)
    # A new browser at that address waits like the attacker (the trade-off).
    newcomer = web_app.test_client()
    newcomer_token = csrf_from(newcomer.get("/login").get_data(as_text=True))
    right = {"password": ADMIN_PASSWORD, "csrf_token": newcomer_token}
    blocked = newcomer.post("/login", data=right)
    assert blocked.status_code == 429


def test_a_forged_or_stale_device_cookie_counts_as_no_device(
    settings: Settings, web_app: Flask
) -> None:
    staff = web_app.test_client()
    log_in(staff)
    cookie = staff.get_cookie(DEVICE_COOKIE, path="/login")
    assert cookie is not None
    forged = web_app.test_client()
    forged.set_cookie(DEVICE_COOKIE, cookie.value[:-2] + "xx", path="/login")
    token = csrf_from(forged.get("/login").get_data(as_text=True))
    assert _wrong_logins(forged, token, FREE_ATTEMPTS + 1)[-1] == 429
    # The same cookie after ADMIN_PASSWORD changed: no device either.
    changed = replace(settings, admin_password="another long password")
    rt = build_runtime(changed)
    try:
        restarted = create_app(changed, rt).test_client()
        restarted.set_cookie(DEVICE_COOKIE, cookie.value, path="/login")
        new_token = csrf_from(restarted.get("/login").get_data(as_text=True))
        answer = restarted.post(
            "/login", data={"password": "another long password", "csrf_token": new_token}
        )
        assert answer.status_code == 429
    finally:
        rt.redis.close()


def test_the_same_wrong_password_again_costs_no_try(web_client: FlaskClient) -> None:
    """A browser retrying a stale saved password is answered "wrong" and keeps its tries."""
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    stale = {"password": "the old password", "csrf_token": token}
    codes = [web_client.post("/login", data=stale).status_code for _ in range(3 * FREE_ATTEMPTS)]
    assert codes == [401] * (3 * FREE_ATTEMPTS)
    assert (
        web_client.post(
            "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )


def test_concurrent_attempts_are_each_counted_before_any_is_checked(web_app: Flask) -> None:
    rt = web_app.extensions["lockme_runtime"]
    clients = [web_app.test_client() for _ in range(8 * FREE_ATTEMPTS)]
    tokens = [csrf_from(c.get("/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def attempt(n: int, client: FlaskClient, token: str) -> None:
        start.wait()
        data = {"password": f"guess {n}", "csrf_token": token}
        codes.append(client.post("/login", data=data).status_code)

    threads = [
        threading.Thread(target=attempt, args=(n, client, token))
        for n, (client, token) in enumerate(zip(clients, tokens, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checked = int(rt.redis.hget(rt.keys.login_attempts("ip:127.0.0.1"), "tries"))
    # Every checked attempt was counted first; past the free ones, each waits its turn.
    assert codes.count(401) == checked
    assert FREE_ATTEMPTS <= checked < len(clients)
    assert codes.count(429) == len(clients) - checked


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


# --- forwarded headers without a proxy ----------------------------------------------------
def test_lockme_sync_dev_trusts_no_proxy_hops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTED_PROXY_HOPS", raising=False)
    assert devserver.process_environment(5000)["TRUSTED_PROXY_HOPS"] == "0"


@pytest.mark.parametrize(("hops", "allowed"), [("0", []), ("1", ["*"])])
def test_gunicorn_honours_forwarded_headers_only_behind_a_proxy(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, hops: str, allowed: list[str]
) -> None:
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", hops)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = GunicornConfig()
    cfg.set("forwarded_allow_ips", conf["forwarded_allow_ips"])
    assert cfg.forwarded_allow_ips == allowed


# --- https enforced --------------------------------------------------------------------------
PUBLIC = "https://sync.example.com"
PLAIN = {"X-Forwarded-Proto": "http"}
TLS = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def https_app(redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> Iterator[Flask]:
    app, rt = _app_with(redis_url, fake_lockme, fake_google, PUBLIC_URL=PUBLIC)
    yield app
    rt.redis.close()


def test_plain_http_pages_are_redirected_to_public_url(https_app: Flask) -> None:
    client = https_app.test_client()
    page = client.get("/status?x=1", headers={**PLAIN, "Host": "evil.example"})
    assert page.status_code == 301
    assert page.headers["Location"] == f"{PUBLIC}/status?x=1"
    login = client.post("/login", data={"password": ADMIN_PASSWORD}, headers=PLAIN)
    assert login.status_code == 308 and login.headers["Location"] == f"{PUBLIC}/login"
    assert "Set-Cookie" not in login.headers
    assert client.get("/healthz", headers=PLAIN).status_code == 200
    odd = client.get("/statuś?q=a b", headers=PLAIN)
    assert odd.headers["Location"] == f"{PUBLIC}/statu%C5%9B?q=a%20b"


def test_the_webhook_over_plain_http_is_refused_and_queues_nothing(
    https_app: Flask, redis_url: str
) -> None:
    client = https_app.test_client()
    answer = client.post(
        f"/webhooks/lockme?secret={WEBHOOK_SECRET}", headers={**PLAIN, "X-MessageId": "77"}
    )
    assert answer.status_code == 403
    assert "https" in answer.get_json()["error"]
    rt = https_app.extensions["lockme_runtime"]
    assert rt.redis.zcard(rt.keys.inbox_pending) == 0
    ok = client.post(
        f"/webhooks/lockme?secret={WEBHOOK_SECRET}", headers={**TLS, "X-MessageId": "77"}
    )
    assert ok.status_code == 200


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(https_app: Flask) -> None:
    client = https_app.test_client()
    page = client.get("/login", headers=TLS)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    token = csrf_from(page.get_data(as_text=True))
    login = client.post(
        "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token}, headers=TLS
    )
    assert login.status_code == 302
    cookies = login.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)


def test_with_no_proxy_trusted_a_forged_https_header_gets_a_redirect(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    app, rt = _app_with(
        redis_url, fake_lockme, fake_google, PUBLIC_URL=PUBLIC, TRUSTED_PROXY_HOPS="0"
    )
    try:
        assert app.test_client().get("/login", headers=TLS).status_code == 301
    finally:
        rt.redis.close()


# --- next= ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "lands"),
    [
        ("//[", "/"),
        ("/[::1", "/%5B::1"),  # odd, but a path of this site
        ("/status\r\nX-Evil: 1", "/"),
        ("/\\evil.example", "/"),
        ("/\\/evil.example", "/"),
        ("https://x", "/"),
    ],
)
def test_a_crafted_next_after_login_goes_to_setup_never_a_500(
    web_client: FlaskClient, target: str, lands: str
) -> None:
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    answer = web_client.post(
        "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token, "next": target}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == lands


def test_a_plain_next_is_still_followed(web_client: FlaskClient) -> None:
    token = csrf_from(web_client.get("/login").get_data(as_text=True))
    data = {"password": ADMIN_PASSWORD, "csrf_token": token, "next": "/status?q=12"}
    assert web_client.post("/login", data=data).headers["Location"] == "/status?q=12"
