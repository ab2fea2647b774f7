"""``Store``: the small stores of ``worker.stores`` behind one object, while callers move.

Each concern lives in its own class with its own keys (see ``worker.stores``); new code asks
the one it needs (``runtime.store.tokens``, ``runtime.store.failed``, …). The methods
here are those stores' methods, bound: no logic of its own.
"""

from __future__ import annotations

import redis

from worker.stores.connections import ConnectionHealth
from worker.stores.failures import Failures
from worker.stores.history import History
from worker.stores.keys import Keys
from worker.stores.mappings import Reservations
from worker.stores.message_ledger import Ledger
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
        self.routing = Routes(client, keys)
        self.mappings = Reservations(client, keys, self.tokens)
        self.history = History(client, keys)
        self.failed = Failures(client, keys, self.tokens)
        self.ledger = Ledger(client, keys, self.failed, self.history)
        self.outage_log = Outages(client, keys)
        # The stores' methods, bound, for the callers that still ask the whole store.
        tokens = self.tokens
        self.load_token = tokens.load_token
        self.write_token = tokens.write_token
        self.generation = tokens.generation
        self.save_token = tokens.save_token
        self.reencrypt_tokens = tokens.reencrypt_tokens
        self.unreadable_token = tokens.unreadable_token
        self.delete_token = tokens.delete_token
        self.lock = tokens.lock
        self.set_connection = self.connections.set_connection
        self.connection = self.connections.connection
        self.routes = self.routing.routes
        self.route = self.routing.route
        self.set_route = self.routing.set_route
        self.calendars = self.routing.calendars
        self.mapping = self.mappings.mapping
        self.save_mapping = self.mappings.save_mapping
        self.reservation = self.mappings.reservation
        self.is_done = self.ledger.is_done
        self.finish = self.ledger.finish
        self.last_webhook = self.ledger.last_webhook
        self.record_sync = self.history.record_sync
        self.recent = self.history.recent
        self.daily_counts = self.history.daily_counts
        self.daily_latency = self.history.daily_latency
        failed = self.failed
        self.record_failure = failed.record_failure
        self.failure = failed.failure
        self.failures = failed.failures
        self.failure_count = failed.failure_count
        self.clear_failure = failed.clear_failure
        self.park = failed.park
        self.parked = failed.parked
        self.unpark = failed.unpark
        self.can_park = failed.can_park
        self.remember_unknown = failed.remember_unknown
        self.is_unknown = failed.is_unknown
        self.unknown_count = failed.unknown_count
        self.note_outage = self.outage_log.note_outage
        self.outages = self.outage_log.outages
        self.end_outage = self.outage_log.end_outage
