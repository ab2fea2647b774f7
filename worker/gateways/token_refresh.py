"""One OAuth token refresh across every process, for both services.

Lockme rotates its refresh token on every refresh (a second refresh with the old one is
refused), and Google may, so two processes must never refresh at once; and a disconnect or
reconnect made meanwhile on the setup page must win over a refresh that started before it.
The clients differ only in how they ask for a new token (``renew``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from worker.domain.errors import AuthError
from worker.ops import logs
from worker.stores.store import Store

Token = dict[str, Any]
# How each provider is named to people (messages, flashes).
PROVIDER_NAMES = {"lockme": "Lockme", "google": "Google"}
# A token this close to its expiry counts as expired.
EXPIRY_MARGIN_S = 60


def refresh_once(
    store: Store,
    service: str,
    stale_access: str | None,
    renew: Callable[[Token, int], Token],
) -> Token:
    """The token to use instead of the one whose access token is ``stale_access``.

    Under the service's refresh lock: re-read the stored token; when another process has
    refreshed it already (another access token, not about to expire), that one;
    otherwise ``renew(stored, generation)`` (which raises :class:`AuthError` when the grant
    is gone), saved unless the connection's generation moved on meanwhile, in which case
    the newer grant wins. Logged as ``token.refresh`` with the outcome.
    """
    with (
        logs.timed("token.refresh", service=service) as event,
        store.tokens.lock(f"refresh:{service}"),
    ):
        stored = store.tokens.load_token(service)
        if stored is None:
            raise AuthError(f"{PROVIDER_NAMES[service]} is not connected", service=service)
        generation = store.tokens.generation(service)
        access = stored.get("access_token")
        expires_at = stored.get("expires_at", 0)
        if access and access != stale_access and expires_at - EXPIRY_MARGIN_S > time.time():
            event["outcome"] = "reused"
            return stored
        token = renew(stored, generation)
        if not store.tokens.save_token(service, token, generation=generation):
            event["outcome"] = "superseded"
            current = store.tokens.load_token(service)
            if current is None:
                raise AuthError(f"{PROVIDER_NAMES[service]} is not connected", service=service)
            return current
        event["outcome"] = "refreshed"
        return token
