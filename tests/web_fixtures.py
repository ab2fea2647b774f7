"""Fixtures of the web tests, loaded with ``pytest_plugins = ("tests.web_fixtures",)``.

They reuse the fakes and helpers of ``tests/conftest.py`` but keep their own Redis database
(13) and a runtime that starts disconnected, because the web tests exercise connecting.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from app import create_app
from tests.conftest import make_settings
from tests.fakes import FakeGoogle, FakeLockme
from worker import jobs
from worker.config import Settings
from worker.runtime import Runtime, build_runtime

WEB_REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def web_redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(WEB_REDIS_URL)
    client.flushdb()
    yield WEB_REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def web_settings(web_redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> Settings:
    return make_settings(web_redis_url, fake_lockme, fake_google)


@pytest.fixture
def web_runtime(
    web_settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> Iterator[Runtime]:
    """The engine wired to the fakes, with nothing connected yet, in a small venue:
    two rooms, a writable calendar beside the primary one and a read-only calendar."""
    fake_lockme.add_room(101, "Pharaoh's Tomb", "Kraków")
    fake_lockme.add_room(102, "Bank Heist", "Kraków")
    fake_google.add_calendar("rooms-krakow@group.calendar.google.com", "Rooms Kraków", "writer")
    fake_google.add_calendar("holidays@group.calendar.google.com", "Holidays", "reader")
    rt = build_runtime(web_settings)
    jobs.configure(rt)
    yield rt
    jobs.configure(None)
    rt.redis.close()


@pytest.fixture
def web_app(web_settings: Settings, web_runtime: Runtime) -> Flask:
    app = create_app(web_settings, web_runtime)
    app.config["TESTING"] = True
    return app
