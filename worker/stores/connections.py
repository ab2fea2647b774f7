"""Each connection's health: its account, the last error a job saw with it, when."""

from __future__ import annotations

from typing import Any

import redis

from worker.stores.keys import Keys
from worker.stores.redisutil import now_iso, text
from worker.stores.token_vault import TokenVault


class ConnectionHealth:
    """What the status page and CLI show per provider (the token itself: ``TokenVault``)."""

    def __init__(self, client: redis.Redis, keys: Keys, tokens: TokenVault) -> None:
        self.redis = client
        self.keys = keys
        self.tokens = tokens

    def set_connection(
        self,
        provider: str,
        *,
        account: str | None = None,
        error: str = "",
        generation: int | None = None,
    ) -> None:
        """Record the connection's health. With ``generation``, the error of a grant that
        has since been replaced or removed is dropped: a job that failed with the old token
        must not mark a fresh reconnect as broken."""
        fields = {"error": error, "checked_at": now_iso()}
        if account is not None:
            fields["account"] = account
        key = self.keys.connection(provider)
        flat = [item for pair in fields.items() for item in pair]
        if generation is None:
            self.redis.hset(key, items=flat)
            return
        self.tokens.hset_if_current(key, provider, generation, *flat)

    def connection(self, provider: str) -> dict[str, Any]:
        """``connected``, ``account`` and ``error`` as the status page and CLI show them."""
        fields = {
            text(k): text(v) for k, v in self.redis.hgetall(self.keys.connection(provider)).items()
        }
        has_token = self.tokens.load_token(provider) is not None
        error = fields.get("error") or (None if has_token else "not connected")
        return {
            "connected": has_token and not fields.get("error"),
            "account": fields.get("account") or None,
            "error": error,
        }
