"""The message ledger: which messages were acknowledged (the receiver's dedupe reads the
same done markers, ``worker.jobs.intake``), and the last webhook received."""

from __future__ import annotations

import json
from typing import Any

import redis

from worker.stores.failures import Failures
from worker.stores.history import History
from worker.stores.keys import Keys
from worker.stores.mappings import HeldReservation

DONE_SECONDS = 3 * 24 * 3600


class MessageLedger:
    """Done markers, and the one write that books an acknowledged message everywhere."""

    def __init__(
        self, client: redis.Redis, keys: Keys, failures: Failures, history: History
    ) -> None:
        self.redis = client
        self.keys = keys
        self.failures = failures
        self.history = history

    def is_done(self, message_id: int) -> bool:
        return bool(self.redis.exists(self.keys.done(message_id)))

    def finish(
        self,
        message_id: int,
        entry: dict[str, Any],
        *,
        clear_failure: bool = True,
        held: HeldReservation | None = None,
    ) -> None:
        """Book an acknowledged message in one round trip: remembered as done (long enough
        to cover Lockme's 24 h redelivery), no longer parked, no longer a failure (unless
        its record is what replay works from), added to the history, and its reservation's
        lock (``held``) released. The other stores queue their writes on the same pipeline."""
        pipe = self.redis.pipeline(transaction=False)
        if held is not None:
            held.release_in(pipe)
        pipe.set(self.keys.done(message_id), "1", ex=DONE_SECONDS)
        self.failures.unpark_in(pipe, message_id)
        # No longer under way (``worker.stores.underway``): its row becomes this history entry.
        pipe.hdel(self.keys.underway, str(message_id))
        if clear_failure:
            self.failures.clear_in(pipe, message_id)
        self.history.add_in(pipe, entry)
        pipe.execute()

    def last_webhook(self) -> dict[str, Any] | None:
        raw = self.redis.get(self.keys.last_webhook)
        return json.loads(raw) if raw else None
