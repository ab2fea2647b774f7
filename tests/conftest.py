"""Shared fixtures: a real Redis database, the HTTP fakes on loopback, a wired runtime.

Each test process uses a Redis database of its own, claimed for the run, and flushes it
before and after each test (``tests/databases.py`` has the mapping and the claim):
``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/14``) names the server and the
preferred database. pytest-xdist worker ``gwN`` starts at the N-th of 14, 13, 10, 9, …, 1 and
takes the first one no other process on the host holds: with the default, a lone run or
``gw0`` uses 14, ``gw1`` 13, ``gw2`` 10. Databases 0 (a developer's instance), 11 (bench),
12 (chaos) and 15 (the sandbox) are never used. Subprocesses get the claimed URL through
the settings, and the sandbox tests set ``SANDBOX_REDIS_URL`` to it too, so no two
processes ever share the sandbox's database 15.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from flask import Flask

from app import create_app
from tests.databases import TEST_REDIS_URL, claim, worker_index
from worker.config import Settings, load_settings
from worker.jobs import inbox, intake, rqseam, runtimes
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.sandbox.endpoints import service_environment


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Kill any RQ scheduler a test's in-process worker forked and left running.

    Python's exit joins such children, so a left-over one would keep the run from ever
    ending (a CI run would wait out its time limit) instead of failing the test."""
    for child in multiprocessing.active_children():
        child.kill()
        child.join(5)


WEBHOOK_SECRET = "hook-secret-123"
ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def own_runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A folder of this test process's own for ``$XDG_RUNTIME_DIR``.

    ``lockme-sync dev`` records its sandbox there for other terminals to find
    (``worker.sandbox.address``), and every command run meanwhile notes it. Test processes
    run side by side: sharing the user's folder, a sandbox one test started made another
    test's command print that note, and a test of the command's exact output failed."""
    before = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(tmp_path_factory.mktemp("runtime"))
    yield
    if before is None:
        os.environ.pop("XDG_RUNTIME_DIR", None)
    else:
        os.environ["XDG_RUNTIME_DIR"] = before


@pytest.fixture(scope="session")
def test_database() -> str:
    """This process's database, claimed on first use (the xdist controller runs no tests)."""
    return claim(TEST_REDIS_URL, worker_index())


@pytest.fixture
def redis_url(test_database: str) -> Iterator[str]:
    client = redis.Redis.from_url(test_database)
    client.flushdb()
    yield test_database
    client.flushdb()
    client.close()


@pytest.fixture
def fake_lockme() -> Iterator[FakeLockme]:
    with FakeLockme() as fake:
        yield fake


@pytest.fixture
def fake_google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake


def make_settings(redis_url: str, lockme: FakeLockme, google: FakeGoogle, **extra: str) -> Settings:
    env = {
        "REDIS_URL": redis_url,
        # A sandbox started from these settings stays in the test's database: the default,
        # database 15, would be shared by every test process on the server.
        "SANDBOX_REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key-of-32-characters-or-more",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        # The tests read the texts that leave the app in English; the Polish ones are
        # tested where a test chooses them.
        "VENUE_LANGUAGE": "en",
        **service_environment(lockme, google),
        **extra,
    }
    return load_settings(env=env)


@pytest.fixture
def settings(redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> Settings:
    return make_settings(redis_url, fake_lockme, fake_google)


def google_record(token: dict[str, Any]) -> dict[str, Any]:
    """What the OAuth callback stores for a Google grant."""
    return {
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "expires_at": time.time() + float(token.get("expires_in", 3600)),
    }


def connect_both(
    rt: Runtime,
    lockme: FakeLockme,
    google: FakeGoogle,
    *,
    account: str | None = None,
    user: str | None = None,
) -> None:
    """Connect the runtime's venue to a Lockme account and a Google user of the fakes (the
    first of each unless named: ``lockme.add_account``, ``google.add_user``)."""
    rt.lockme.connect(lockme.issue_token(account))
    rt.store.connections.set_connection("lockme", account=account or lockme.nick)
    user = user or google.email
    rt.calendar.connect(google_record(google.issue_token(user)), account=user)


def establish(rt: Runtime) -> None:
    """Make the store as old as a running installation's: a new or flushed one checks each
    booking's first write with Lockme until it has outlived Lockme's 24 h of redelivery."""
    rt.redis.set(rt.keys.since, time.time() - 2 * 24 * 3600)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a deployed process would need for ``settings`` (CLI and subprocesses)."""
    return {
        "REDIS_URL": settings.redis_url,
        "SANDBOX_REDIS_URL": settings.sandbox_redis_url,
        "SECRET_KEY": settings.secret_key,
        "SECRET_KEY_FALLBACKS": ",".join(settings.secret_key_fallbacks),
        "ADMIN_PASSWORD": settings.admin_password,
        "WEBHOOK_SECRET": settings.webhook_secret,
        "LOCKME_CLIENT_ID": settings.lockme_client_id,
        "LOCKME_CLIENT_SECRET": settings.lockme_client_secret,
        "LOCKME_API_URL": settings.lockme_api_url,
        "GOOGLE_CLIENT_ID": settings.google_client_id,
        "GOOGLE_CLIENT_SECRET": settings.google_client_secret,
        "GOOGLE_AUTH_URI": settings.google_auth_uri,
        "GOOGLE_TOKEN_URI": settings.google_token_uri,
        "GOOGLE_CALENDAR_API_URL": settings.google_calendar_api_url,
        "RETRY_BACKOFF_SCALE": str(settings.retry_backoff_scale),
        "VENUE_LANGUAGE": settings.venue_language,
        "GOOGLE_RATE_LIMIT_PER_S": str(settings.google_rate_limit_per_s),
        "PUBLIC_URL": settings.public_url,
    }


@contextmanager
def connected_runtime(
    settings: Settings,
    lockme: FakeLockme,
    google: FakeGoogle,
    *,
    account: str | None = None,
    user: str | None = None,
) -> Iterator[Runtime]:
    """A runtime of an established installation with both services connected (to the
    named Lockme account and Google user, else the fakes' first)."""
    rt = build_runtime(settings)
    runtimes.configure(rt)
    connect_both(rt, lockme, google, account=account, user=user)
    establish(rt)
    yield rt
    runtimes.configure(None)
    rt.redis.close()


@pytest.fixture
def runtime(
    settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> Iterator[Runtime]:
    with connected_runtime(settings, fake_lockme, fake_google) as rt:
        yield rt


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Any:
    return create_app(settings, runtime).test_client()


@pytest.fixture
def web_runtime(
    settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> Iterator[Runtime]:
    """The engine wired to the fakes with nothing connected yet (the web tests connect), in
    a small venue: two rooms, a writable calendar beside the primary one, a read-only one."""
    fake_lockme.add_room(101, "Pharaoh's Tomb", "Kraków")
    fake_lockme.add_room(102, "Bank Heist", "Kraków")
    fake_google.add_calendar("rooms-krakow@group.calendar.google.com", "Rooms Kraków", "writer")
    fake_google.add_calendar("holidays@group.calendar.google.com", "Holidays", "reader")
    rt = build_runtime(settings)
    runtimes.configure(rt)
    yield rt
    runtimes.configure(None)
    rt.redis.close()


@pytest.fixture
def web_app(settings: Settings, web_runtime: Runtime) -> Flask:
    app = create_app(settings, web_runtime)
    app.config["TESTING"] = True
    return app


def drain(rt: Runtime) -> None:
    """Turn the webhook inbox into jobs and run every queued job in this process, as the
    worker's dispatcher and work loop would (with the product's worker class), until the
    inbox is empty: the dispatcher admits jobs in batches, and a job may put ids back (a
    replay of parked messages). A bounded number of rounds, so a test never hangs."""
    for _ in range(100):
        inbox.dispatch(rt)
        rqseam.SyncWorker(
            [rt.queue],
            connection=rt.redis,
            serializer=rt.queue.serializer,
            job_monitoring_interval=5,
        ).work(burst=True, with_scheduler=False)
        if not intake.pending(rt.redis, rt.keys)[0]:
            return


def deliver(client: Any, message_id: int | str) -> Any:
    """Call the webhook the way Lockme does: POST, empty body, X-MessageId header."""
    return client.post(
        f"/webhooks/lockme?secret={WEBHOOK_SECRET}",
        headers={"X-MessageId": str(message_id), "User-Agent": "LockMe/1.0"},
    )
