"""Short locks that live as long as the process holding them, and no longer.

A reservation's lock used to be taken for 120 s, so that no job could outlive it; a worker
SIGKILLed mid-job then held its booking back for those two minutes, and each retry that met
the lock was pushed further along the backoff. A lease is short instead (``Store``'s
reservation locks: 20 s) and renewed every quarter of its length by one thread per process
for as long as it is held: a live job keeps its lock however long its calls take, a dead
one's lapses within a lease of its death.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.exceptions import LockError

from worker.stores.keys import Keys

log = logging.getLogger(__name__)

# Extend a lock only while it still holds our token (it may have lapsed and been taken).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# Delete a lock only if it still holds our token (it may have lapsed and been taken since).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
# How often a waiting caller tries a held lease again.
POLL_S = 0.05
# A keeper with nothing to renew for this long ends its thread; the next lease starts one.
IDLE_EXIT_S = 60.0


class LeaseKeeper:
    """Renews the leases one process holds: one thread, one pipeline per round."""

    def __init__(self, client: redis.Redis, lease_s: float) -> None:
        self.client = client
        self.lease_ms = int(lease_s * 1000)
        self.every_s = lease_s / 4
        self._held: dict[str, str] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle_since = time.monotonic()

    def hold(self, key: str, token: str) -> None:
        """Keep ``key`` (locked with ``token``) alive until :meth:`drop`."""
        with self._lock:
            self._held[key] = token
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
                self._thread.start()

    def drop(self, key: str) -> None:
        with self._lock:
            self._held.pop(key, None)
            if not self._held:
                self._idle_since = time.monotonic()

    def renew(self) -> None:
        """One round of renewals (the thread's work; callable directly, e.g. by a test)."""
        with self._lock:
            held = list(self._held.items())
        if not held:
            return
        pipe = self.client.pipeline(transaction=False)
        for key, token in held:
            pipe.eval(_RENEW, 1, key, token, self.lease_ms)
        pipe.execute()

    def _run(self) -> None:
        while True:
            time.sleep(self.every_s)
            with self._lock:
                if not self._held and time.monotonic() - self._idle_since > IDLE_EXIT_S:
                    self._thread = None
                    return
            try:
                self.renew()
            except redis.RedisError as exc:
                # The next round tries again; a lease outlives three missed rounds.
                log.warning("lease renewal failed: %s", type(exc).__name__)


class Leases:
    """Named short locks of one process (``keys.lock(name)``), each a lease renewed while
    held: ``with leases("block:5101:2026-12-05:17:00"): ...``. A holder killed mid-write
    keeps the lock at most ``lease_s``; a waiter gives up after ``wait_s`` (``LockError``)."""

    def __init__(self, client: redis.Redis, keys: Keys, lease_s: float, wait_s: float) -> None:
        self.client = client
        self.keys = keys
        self.lease_s = lease_s
        self.wait_s = wait_s
        self._keeper = LeaseKeeper(client, lease_s)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        key, token = self.keys.lock(name), uuid.uuid4().hex
        deadline = time.monotonic() + self.wait_s
        while not self.client.set(key, token, nx=True, px=int(self.lease_s * 1000)):
            if time.monotonic() + POLL_S > deadline:
                raise LockError(f"{name} is locked")
            time.sleep(POLL_S)
        self._keeper.hold(key, token)
        try:
            yield
        finally:
            self._keeper.drop(key)
            self.client.eval(_RELEASE, 1, key, token)
