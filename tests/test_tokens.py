"""The one token refresh both clients share (``worker.gateways.token_refresh.refresh_once``),
against a real
Redis: reuse, renewal, and a reconnect that wins over a refresh already under way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from worker.domain.errors import AuthError
from worker.gateways.token_refresh import refresh_once
from worker.stores.keys import DEFAULT
from worker.stores.store import Store

SECRET = "test-secret-key-of-32-characters-or-more"


@pytest.fixture
def store(redis_url: str) -> Iterator[Store]:
    client = redis.Redis.from_url(redis_url)
    yield Store(client, DEFAULT, SECRET)
    client.close()


def token(access: str, expires_in: float = 3600) -> dict[str, Any]:
    return {
        "access_token": access,
        "refresh_token": f"r-{access}",
        "expires_at": time.time() + expires_in,
    }


def test_a_token_another_process_refreshed_is_reused(store: Store) -> None:
    store.tokens.save_token("lockme", token("fresh"))
    calls: list[dict[str, Any]] = []

    def renew(stored: dict[str, Any], generation: int) -> dict[str, Any]:
        calls.append(stored)
        return token("renewed")

    got = refresh_once(store, "lockme", "stale", renew)
    assert got["access_token"] == "fresh"
    assert calls == []


def test_a_stale_or_expiring_token_is_renewed_and_saved(store: Store) -> None:
    store.tokens.save_token("google", token("stale", expires_in=30))  # inside the margin
    generation = store.tokens.generation("google")
    seen: list[tuple[str, int]] = []

    def renew(stored: dict[str, Any], gen: int) -> dict[str, Any]:
        seen.append((stored["access_token"], gen))
        return token("renewed")

    got = refresh_once(store, "google", "stale", renew)
    assert got["access_token"] == "renewed"
    assert seen == [("stale", generation)]
    assert store.tokens.load_token("google")["access_token"] == "renewed"
    assert store.tokens.generation("google") == generation  # a refresh is no new grant


def test_a_reconnect_during_the_refresh_wins(store: Store) -> None:
    store.tokens.save_token("lockme", token("stale"))

    def renew(stored: dict[str, Any], generation: int) -> dict[str, Any]:
        store.tokens.save_token("lockme", token("reconnected"))  # the setup page, meanwhile
        return token("renewed")

    got = refresh_once(store, "lockme", "stale", renew)
    assert got["access_token"] == "reconnected"
    assert store.tokens.load_token("lockme")["access_token"] == "reconnected"


def test_nothing_stored_is_not_connected(store: Store) -> None:
    with pytest.raises(AuthError, match="Google is not connected"):
        refresh_once(store, "google", "stale", lambda stored, generation: stored)
