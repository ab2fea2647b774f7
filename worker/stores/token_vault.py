"""The token vault: encrypted OAuth tokens and the connection generations that guard them.

Every connect and disconnect bumps the provider's generation in the same transaction as
its token; writes made with a token check that generation first (``write_token``), and the
other stores' generation-guarded writes go through :meth:`TokenVault.hset_if_current`, so
the generations have one owner.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from worker.stores.keys import Keys

PROVIDERS = ("lockme", "google")
# How long the API clients reuse a token this process read (``TokenVault.load_token``).
TOKEN_REUSE_S = 5.0
# Run a write only while the provider's generation (KEYS[1] field ARGV[1]) is ARGV[2].
_SAVE_IF_CURRENT = """
if tonumber(redis.call('hget', KEYS[1], ARGV[1]) or '0') ~= tonumber(ARGV[2]) then return 0 end
redis.call('set', KEYS[2], ARGV[3])
return 1
"""
_HSET_IF_CURRENT = """
if tonumber(redis.call('hget', KEYS[1], ARGV[1]) or '0') ~= tonumber(ARGV[2]) then return 0 end
redis.call('hset', KEYS[2], unpack(ARGV, 3))
return 1
"""


def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"lockme-calendar-sync tokens"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def cipher(secret_key: str, fallback_keys: tuple[str, ...] = ()) -> MultiFernet | None:
    """What the vault seals secrets with: SECRET_KEY encrypts, the fallback keys still
    decrypt. ``None`` without a key. Other secrets kept in Redis (a venue's webhook secret)
    are sealed the same way, so a dump of Redis hands none of them out."""
    secrets = [secret_key, *fallback_keys] if secret_key else []
    return MultiFernet([_fernet(k) for k in secrets]) if secrets else None


@dataclass(frozen=True)
class _CachedToken:
    read_at: float
    generation: int
    token: dict[str, Any] | None


class TokenVault:
    """The providers' tokens, encrypted under SECRET_KEY (fallback keys still decrypt)."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        secret_key: str,
        fallback_keys: tuple[str, ...] = (),
    ) -> None:
        self.redis = client
        self.keys = keys
        self._crypto = cipher(secret_key, fallback_keys)
        # provider → the token last read or written here: see load_token's max_age.
        self._tokens: dict[str, _CachedToken] = {}
        # provider → the newest connection generation seen by this process.
        self._seen: dict[str, int] = {}
        # Per thread: generations read with a reservation's lock, for the next write.
        self._local = threading.local()

    def load_token(self, provider: str, max_age: float = 0) -> dict[str, Any] | None:
        """The decrypted token, or None when absent or unreadable (e.g. SECRET_KEY changed).

        With ``max_age``, a token this process read (or wrote) less than that many seconds
        ago is returned without asking Redis, unless a newer connection generation has been
        seen since (see :meth:`write_token`): a booking makes three API calls, and reading
        and decrypting the token before each was a sizeable share of the worker's round
        trips (figures: docs/benchmarks.md). Reads
        may use such a token; writes go through :meth:`write_token`.
        """
        cached = self._tokens.get(provider)
        if (
            cached is not None
            and time.monotonic() - cached.read_at < max_age
            and cached.generation >= self._seen.get(provider, 0)
        ):
            return cached.token
        return self._read_token(provider)

    def write_token(self, provider: str) -> dict[str, Any] | None:
        """The token to make a write with, checked against the connection's generation.

        Every connect and disconnect bumps the provider's generation in the same transaction
        as its token, so a write made after "Disconnect" returned finds a newer generation
        and no token. The check costs one small read, except for the write that follows a
        reservation's lock: that round trip already read the generations
        (:meth:`vouch`), and its reading vouches for the one write that comes next in
        this thread, whichever service that is (the ack after a calendar write asks again).
        """
        vouched = getattr(self._local, "vouched", {})
        self._local.vouched = {}
        generation = vouched.get(provider)
        if generation is None:
            generation = int(self.redis.hget(self.keys.generations, provider) or 0)
            self._note_generation(provider, generation)
        cached = self._tokens.get(provider)
        if cached is not None and cached.generation == generation:
            return cached.token
        return self._read_token(provider)

    def vouch(self, generations: dict[str, int]) -> None:
        """Generations just read (with a reservation's lock): they vouch for this thread's
        next write, which then needs no read of its own (:meth:`write_token`)."""
        self._local.vouched = generations
        for provider, generation in generations.items():
            self._note_generation(provider, generation)

    def generation(self, provider: str) -> int:
        """The connection generation of the token this process last read or wrote: what a
        failure seen with that token is about (see ``Failures.park``, ``set_connection``)."""
        cached = self._tokens.get(provider)
        return cached.generation if cached is not None else self._seen.get(provider, 0)

    def forget(self, provider: str) -> None:
        """Drop the cached token: a generation-guarded write found it out of date."""
        self._tokens.pop(provider, None)

    def hset_if_current(
        self, key: str, provider: str, generation: int, *fields: str | int | float
    ) -> bool:
        """HSET ``fields`` (name, value, …) into ``key`` only while ``provider``'s grant is
        still of ``generation``; one round trip, atomic with the check."""
        return bool(
            self.redis.eval(
                _HSET_IF_CURRENT, 2, self.keys.generations, key, provider, generation, *fields
            )
        )

    def _read_token(self, provider: str) -> dict[str, Any] | None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.keys.token(provider))
        pipe.hget(self.keys.generations, provider)
        raw, generation = pipe.execute()
        token = None
        if raw is not None and self._crypto is not None:
            try:
                token = json.loads(self._crypto.decrypt(raw))
            except (InvalidToken, ValueError):
                token = None
        self._remember(provider, int(generation or 0), token)
        return token

    def _remember(self, provider: str, generation: int, token: dict[str, Any] | None) -> None:
        self._tokens[provider] = _CachedToken(time.monotonic(), generation, token)
        self._note_generation(provider, generation)

    def _note_generation(self, provider: str, generation: int) -> None:
        self._seen[provider] = max(generation, self._seen.get(provider, 0))

    def save_token(
        self, provider: str, token: dict[str, Any], *, generation: int | None = None
    ) -> bool:
        """Write the whole token in one SET, so a rotated refresh token is never half-saved.

        Without ``generation`` this is a new grant (connect): the provider's generation is
        bumped with it. A refresh passes the generation of the grant it refreshed, and is
        saved only if that grant is still the stored one: a refresh that finishes after a
        Disconnect or Reconnect must not put its token back. Returns whether it was saved.
        """
        if self._crypto is None:
            raise RuntimeError("SECRET_KEY is required to store tokens")
        key = self.keys.token(provider)
        sealed = self._crypto.encrypt(json.dumps(token).encode())
        if generation is None:
            pipe = self.redis.pipeline(transaction=True)
            pipe.set(key, sealed)
            pipe.hincrby(self.keys.generations, provider, 1)
            generation = int(pipe.execute()[1])
        elif not self.redis.eval(
            _SAVE_IF_CURRENT, 2, self.keys.generations, key, provider, generation, sealed
        ):
            return False
        self._remember(provider, generation, token)
        return True

    def reencrypt_tokens(self) -> int:
        """Re-encrypt stored tokens under the current SECRET_KEY (readable with a fallback
        key); returns how many were rewritten. After this, the fallback can be removed."""
        if self._crypto is None:
            return 0
        rewritten = 0
        for provider in PROVIDERS:
            key = self.keys.token(provider)
            raw = self.redis.get(key)
            if raw is None:
                continue
            try:
                self.redis.set(key, self._crypto.rotate(raw))
                rewritten += 1
            except InvalidToken:
                continue
        return rewritten

    def unreadable_token(self, provider: str) -> bool:
        """Whether a token is stored that no configured key decrypts (SECRET_KEY changed
        without its old value in SECRET_KEY_FALLBACKS): unlike a revoked grant, this is a
        problem of this installation's own settings."""
        raw = self.redis.get(self.keys.token(provider))
        if raw is None:
            return False
        if self._crypto is None:
            return True
        try:
            self._crypto.decrypt(raw)
        except InvalidToken:
            return True
        return False

    def delete_token(self, provider: str) -> None:
        """Disconnect: the token goes and the generation moves on, in one transaction, so
        that no write of any process uses the old grant once this returns. The health
        hash goes with it (``Keys.connection``), so a reconnect starts clean."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.token(provider), self.keys.connection(provider))
        pipe.hincrby(self.keys.generations, provider, 1)
        self._remember(provider, int(pipe.execute()[1]), None)

    def lock(self, name: str, timeout: float = 30, wait: float | None = None) -> Any:
        """A cross-process lock (token refresh must be serialised: refresh tokens rotate).

        ``timeout`` is how long a holder may keep it (a killed one keeps it that long);
        ``wait`` how long to wait for it (default: as long), then ``LockError``.
        """
        return self.redis.lock(
            self.keys.lock(name),
            timeout=timeout,
            blocking_timeout=timeout if wait is None else wait,
        )
