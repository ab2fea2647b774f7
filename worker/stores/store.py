"""``Store``: the small stores of one runtime, held together and nothing more.

Each concern lives in its own class with its own keys (see ``worker.stores``), and a
caller names the store it uses (``runtime.store.tokens.lock``, ``runtime.store.failures``):
no shortcut hides who owns a fact. One holder rather than loose attributes of the runtime
because several stores share others (the failures and the mappings guard their writes with
the token vault's generations), and this is the one place that wires them.
"""

from __future__ import annotations

import redis

from worker.stores.connections import ConnectionHealth
from worker.stores.failures import Failures
from worker.stores.history import History
from worker.stores.keys import Keys
from worker.stores.mappings import Reservations
from worker.stores.message_ledger import MessageLedger
from worker.stores.outages import Outages
from worker.stores.routes import Routes
from worker.stores.token_vault import TokenVault


class Store:
    """Every store of one runtime, over one client and one set of key names."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        secret_key: str,
        fallback_keys: tuple[str, ...] = (),
    ) -> None:
        self.redis = client
        self.keys = keys
        self.tokens = TokenVault(client, keys, secret_key, fallback_keys)
        self.connections = ConnectionHealth(client, keys, self.tokens)
        self.routes = Routes(client, keys)
        self.mappings = Reservations(client, keys, self.tokens)
        self.history = History(client, keys)
        self.failures = Failures(client, keys, self.tokens)
        self.messages = MessageLedger(client, keys, self.failures, self.history)
        self.outages = Outages(client, keys)
