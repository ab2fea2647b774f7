"""The web tier under gunicorn's threads: a Google client per thread, nothing process-wide
changed by a request."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from flask import Flask, request_started
from flask.testing import FlaskClient

from app import create_app
from app.runtime import runtime
from tests.conftest import google_record, make_settings
from tests.test_web import connect, log_in
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.sandbox.fake_google import SCOPE_EVENTS

THREADS = 4


def test_concurrent_requests_each_call_google_with_their_threads_own_client(
    web_app: Flask, web_runtime: Runtime, fake_google: FakeGoogle
) -> None:
    web_runtime.calendar.connect(google_record(fake_google.issue_token()), account="")
    clients: list[FlaskClient] = [web_app.test_client() for _ in range(THREADS)]
    for client in clients:
        log_in(client)
    # Every request waits at its start until all are in flight, so they overlap.
    together = threading.Barrier(THREADS, timeout=30)
    served: list[tuple[int, int, int]] = []  # (thread, its Google client, status)

    def hold(sender: Flask, **_: Any) -> None:
        together.wait()

    def visit(client: FlaskClient) -> None:
        for _ in range(2):  # a thread keeps its client for its next request
            response = client.get("/setup/rooms")
            with web_app.app_context():
                served.append((threading.get_ident(), id(runtime().calendar), response.status_code))

    request_started.connect(hold, web_app)
    try:
        threads = [threading.Thread(target=visit, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        request_started.disconnect(hold, web_app)

    assert {status for _, _, status in served} == {200}
    assert len(served) == 2 * THREADS
    by_thread: dict[int, set[int]] = {}
    for thread_id, calendar, _ in served:
        by_thread.setdefault(thread_id, set()).add(calendar)
    assert len(by_thread) == THREADS
    assert all(len(calendars) == 1 for calendars in by_thread.values())
    assert len(set.union(*by_thread.values())) == THREADS
    assert id(web_runtime.calendar) not in set.union(*by_thread.values())
    # Each thread's client really called Google: one calendar list per request.
    assert fake_google.count("GET", r"/users/me/calendarList") >= 2 * THREADS


def test_no_request_changes_the_process_environment(
    web_app: Flask,
    web_runtime: Runtime,
    fake_google: FakeGoogle,
    fake_lockme: FakeLockme,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connecting both services (PKCE, a narrowed Google grant, a refused one) leaves
    ``os.environ`` as the app's start-up left it."""
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    client = web_app.test_client()
    log_in(client)
    before = dict(os.environ)
    every_scope = fake_google.granted_scopes
    fake_google.granted_scopes = [SCOPE_EVENTS]
    assert connect(client, "google").status_code == 400  # a scope was unticked
    fake_google.granted_scopes = every_scope
    assert connect(client, "google").status_code == 302
    assert connect(client, "lockme").status_code == 302
    assert client.get("/setup/rooms").status_code == 200
    assert dict(os.environ) == before


def test_plain_http_oauth_is_allowed_for_a_loopback_google_only(
    redis_url: str,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    web_runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    real_google = make_settings(
        redis_url,
        fake_lockme,
        fake_google,
        GOOGLE_AUTH_URI="https://accounts.google.com/o/oauth2/auth",
        GOOGLE_TOKEN_URI="https://oauth2.googleapis.com/token",
    )
    create_app(real_google, web_runtime)
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    create_app(make_settings(redis_url, fake_lockme, fake_google), web_runtime)
    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "1"
