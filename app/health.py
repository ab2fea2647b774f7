"""Both connections' health as every page shows it: the status and setup pages' boxes,
the reconnect banner, and the setup checklist read it from here, so they say the same."""

from __future__ import annotations

from typing import Any

from app.explain import connection_state
from worker.stores import underway
from worker.stores.store import Store
from worker.stores.token_vault import PROVIDERS


def connection_health(store: Store) -> dict[str, Any]:
    """Both connections as staff should read them, the providers that need a reconnect,
    and the bookings waiting, by provider.

    A provider needs a reconnect when its token exists but was refused (an error is
    recorded), or when messages wait for it and it is not connected; a never-connected
    provider is not an alarm. Messages still parked for a healthy connection are being
    replayed (a reconnect queues that), so they raise no alarm either. A provider that
    some job gave up on for now (``Outages.outages``), or whose calls a booking is retrying,
    is ``down``: connected, but not a plain ✓.
    """
    connections = {provider: store.connections.connection(provider) for provider in PROVIDERS}
    parked: dict[str, int] = {}
    for owner in store.failures.parked().values():
        parked[owner] = parked.get(owner, 0) + 1
    retrying: dict[str, int] = {}
    for row in underway.rows(store.redis, store.keys):
        if row.get("state") == "retrying" and row.get("service"):
            retrying[row["service"]] = retrying.get(row["service"], 0) + 1
    outages = store.outages.outages()
    broken, states = [], {}
    for provider in PROVIDERS:
        conn = connections[provider]
        connected = store.tokens.load_token(provider) is not None
        refused = bool(conn["error"]) and connected
        if refused or (provider in parked and not connected):
            broken.append(provider)
        states[provider] = connection_state(
            conn,
            reconnect=provider in broken,
            outage_since=outages.get(provider),
            retrying=retrying.get(provider, 0),
        )
    return {
        "connections": connections,
        "broken": broken,
        "parked": parked,
        "retrying": retrying,
        "states": states,
    }
