"""The product's stored state, behind one small API (key names: ``worker.keys``).

It holds encrypted OAuth tokens, connection health, room routes,
reservation → event mappings, finished-message markers, bounded sync history, dead letters
(failures) and parked messages. Retention is bounded everywhere so that a busy venue's
Redis stays small: history keeps the last ``HISTORY_LIMIT`` syncs, failures the last
``FAILURE_LIMIT`` for ``FAILURE_DAYS`` days, mappings ``MAPPING_DAYS`` after their last write.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.exceptions import LockError

from worker import keys
from worker.booking import Route
from worker.leases import LeaseKeeper

HISTORY_LIMIT = 1000
FAILURE_LIMIT = 1000
FAILURE_DAYS = 30
MAPPING_DAYS = 400
DONE_SECONDS = 3 * 24 * 3600
# Lockme redelivers an unacknowledged message for 24 h; two hours' margin for clocks.
REDELIVERY_HORIZON_S = 26 * 3600
DAY_COUNT_DAYS = 35
UNKNOWN_LIMIT = 10_000
UNKNOWN_TTL_S = 6 * 3600
# Parked messages (waiting for a reconnect) kept at most; see Store.can_park.
PARKED_LIMIT = 10_000
# Upper bounds (seconds) of the per-day webhook → calendar latency counts; "inf" above.
LATENCY_BOUNDS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
PROVIDERS = ("lockme", "google")
# How long the API clients reuse a token this process read (``Store.load_token``).
TOKEN_REUSE_S = 5.0
LOCK_POLL_S = 0.1
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
# Delete a lock only if it still holds our token (it may have lapsed and been taken since).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def connect_redis(url: str, **kwargs: Any) -> redis.Redis:
    """Open Redis from a URL; ``rediss://`` accepts self-signed certificates (Heroku's add-on).

    Heroku Key-Value Store serves TLS with a self-signed certificate and no way to pin it,
    so verification is off for ``rediss`` unless the URL sets ``ssl_cert_reqs`` itself.
    """
    if url.startswith("rediss://") and "ssl_cert_reqs" not in url:
        kwargs.setdefault("ssl_cert_reqs", None)
    kwargs.setdefault("socket_timeout", 10)
    kwargs.setdefault("socket_connect_timeout", 5)
    kwargs.setdefault("health_check_interval", 30)
    return redis.Redis.from_url(url, **kwargs)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"lockme-calendar-sync tokens"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass(frozen=True)
class _CachedToken:
    read_at: float
    generation: int
    token: dict[str, Any] | None


@dataclass(frozen=True)
class Mapping:
    """Where a reservation's event lives and which message last shaped it.

    ``strays`` names other calendars that may still hold a live copy: a move records its
    new calendar here *before* writing there, so if the job dies before removing the old
    copy, the next delete or move still finds both.
    """

    reservation_id: int
    room_id: int
    calendar_id: str
    event_id: str
    stamp: int
    deleted: bool = False
    strays: tuple[str, ...] = ()

    def calendars(self) -> list[str]:
        """Every calendar that may hold a live copy (none for a tombstone)."""
        return [] if self.deleted else list(dict.fromkeys([self.calendar_id, *self.strays]))


def text(value: bytes | str) -> str:
    """A value read from Redis, as text. The product's clients get bytes back (no
    ``decode_responses``), but redis-py types every reply as bytes or str."""
    return value.decode() if isinstance(value, bytes) else value


def _mapping(raw: bytes | str | None) -> Mapping | None:
    if not raw:
        return None
    fields = json.loads(raw)
    return Mapping(**{**fields, "strays": tuple(fields.get("strays", ()))})


def _route(room_id: int, raw: bytes | str | None) -> Route:
    return Route(**json.loads(raw)) if raw else Route(room_id=room_id)


def _covers(now: float, since: bytes | None) -> bool:
    """Whether ``since`` (the store's first write, None if it is new) is older than Lockme's
    redelivery horizon."""
    return now - float(since or now) > REDELIVERY_HORIZON_S


@dataclass
class HeldReservation:
    """A reservation's lock, held, and the state read when it was taken."""

    key: str
    token: str
    mapping: Mapping | None
    route: Route
    covers: bool
    released: bool = False

    def release_in(self, pipe: Any) -> None:
        """Release the lock with the other writes of ``pipe`` (saving a round trip)."""
        pipe.eval(_RELEASE, 1, self.key, self.token)
        self.released = True


class Store:
    """Typed access to the product's Redis keys."""

    def __init__(
        self, client: redis.Redis, secret_key: str, fallback_keys: tuple[str, ...] = ()
    ) -> None:
        self.redis = client
        secrets = [secret_key, *fallback_keys] if secret_key else []
        self._crypto = MultiFernet([_fernet(k) for k in secrets]) if secrets else None
        # provider → the token last read or written here: see load_token's max_age.
        self._tokens: dict[str, _CachedToken] = {}
        # provider → the newest connection generation seen by this process.
        self._seen: dict[str, int] = {}
        # Per thread: generations read with a reservation's lock, for the next write.
        self._local = threading.local()
        # Lease length → the keeper renewing this process's reservation locks.
        self._keepers: dict[float, LeaseKeeper] = {}

    # --- tokens -------------------------------------------------------------------------
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
        (:meth:`reservation`), and its reading vouches for the one write that comes next in
        this thread, whichever service that is (the ack after a calendar write asks again).
        """
        vouched = getattr(self._local, "vouched", {})
        self._local.vouched = {}
        generation = vouched.get(provider)
        if generation is None:
            generation = int(self.redis.hget(keys.GENERATIONS, provider) or 0)
            self._note_generation(provider, generation)
        cached = self._tokens.get(provider)
        if cached is not None and cached.generation == generation:
            return cached.token
        return self._read_token(provider)

    def generation(self, provider: str) -> int:
        """The connection generation of the token this process last read or wrote: what a
        failure seen with that token is about (see :meth:`park`, :meth:`set_connection`)."""
        cached = self._tokens.get(provider)
        return cached.generation if cached is not None else self._seen.get(provider, 0)

    def _read_token(self, provider: str) -> dict[str, Any] | None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(keys.token(provider))
        pipe.hget(keys.GENERATIONS, provider)
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
        key = keys.token(provider)
        sealed = self._crypto.encrypt(json.dumps(token).encode())
        if generation is None:
            pipe = self.redis.pipeline(transaction=True)
            pipe.set(key, sealed)
            pipe.hincrby(keys.GENERATIONS, provider, 1)
            generation = int(pipe.execute()[1])
        elif not self.redis.eval(
            _SAVE_IF_CURRENT, 2, keys.GENERATIONS, key, provider, generation, sealed
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
            key = keys.token(provider)
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
        raw = self.redis.get(keys.token(provider))
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
        that no write of any process uses the old grant once this returns."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(keys.token(provider), keys.connection(provider))
        pipe.hincrby(keys.GENERATIONS, provider, 1)
        self._remember(provider, int(pipe.execute()[1]), None)

    def lock(self, name: str, timeout: float = 30, wait: float | None = None) -> Any:
        """A cross-process lock (token refresh must be serialised: refresh tokens rotate).

        ``timeout`` is how long a holder may keep it (a killed one keeps it that long);
        ``wait`` how long to wait for it (default: as long), then ``LockError``.
        """
        return self.redis.lock(
            keys.lock(name),
            timeout=timeout,
            blocking_timeout=timeout if wait is None else wait,
        )

    # --- connection health --------------------------------------------------------------
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
        key = keys.connection(provider)
        flat = [item for pair in fields.items() for item in pair]
        if generation is None:
            self.redis.hset(key, items=flat)
            return
        self.redis.eval(_HSET_IF_CURRENT, 2, keys.GENERATIONS, key, provider, generation, *flat)

    def connection(self, provider: str) -> dict[str, Any]:
        """``connected``, ``account`` and ``error`` as the status page and CLI show them."""
        fields = {
            text(k): text(v) for k, v in self.redis.hgetall(keys.connection(provider)).items()
        }
        has_token = self.load_token(provider) is not None
        error = fields.get("error") or (None if has_token else "not connected")
        return {
            "connected": has_token and not fields.get("error"),
            "account": fields.get("account") or None,
            "error": error,
        }

    # --- routes -------------------------------------------------------------------------
    def routes(self) -> dict[int, Route]:
        raw = self.redis.hgetall(keys.ROUTES)
        routes = {int(k): Route(**json.loads(v)) for k, v in raw.items()}
        return dict(sorted(routes.items()))

    def route(self, room_id: int) -> Route:
        """The room's route, or the default one (``primary``) when none is set."""
        return _route(room_id, self.redis.hget(keys.ROUTES, str(room_id)))

    def set_route(self, route: Route) -> None:
        self.redis.hset(keys.ROUTES, str(route.room_id), json.dumps(asdict(route)))

    def calendars(self) -> list[str]:
        """Every calendar a booking may sit in: ``primary`` plus each routed one."""
        return list(dict.fromkeys(["primary", *(r.calendar_id for r in self.routes().values())]))

    # --- mappings -----------------------------------------------------------------------
    def mapping(self, reservation_id: int) -> Mapping | None:
        return _mapping(self.redis.get(keys.mapping(reservation_id)))

    def save_mapping(self, mapping: Mapping) -> None:
        self.redis.set(
            keys.mapping(mapping.reservation_id),
            json.dumps(asdict(mapping)),
            ex=MAPPING_DAYS * 24 * 3600,
        )

    @contextmanager
    def reservation(
        self, reservation_id: int, room_id: int, *, timeout: float, wait: float
    ) -> Iterator[HeldReservation]:
        """Hold the reservation's lock and read what every add, edit and delete needs: its
        mapping, its room's route, and whether this store has been recording for longer
        than Lockme redelivers; and the connections' generations, which vouch for the write
        that follows (:meth:`write_token`). One round trip when the lock is free.

        ``timeout`` is the lock's lease: renewed while this process lives (``LeaseKeeper``),
        so it bounds only how long a killed holder keeps it; ``wait`` how long to wait for
        it, then ``LockError``. A new or flushed store
        starts counting again; until then a redelivered message may predate it, so a
        missing mapping does not prove that no event was written.
        """
        key, token = keys.reservation_lock(reservation_id), uuid.uuid4().hex
        leases = self._leases(timeout)
        deadline = time.monotonic() + wait
        while True:
            now = time.time()
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(key, token, nx=True, px=int(timeout * 1000))
            pipe.get(keys.mapping(reservation_id))
            pipe.hget(keys.ROUTES, str(room_id))
            pipe.set(keys.SINCE, now, nx=True, get=True)
            pipe.hmget(keys.GENERATIONS, PROVIDERS)
            acquired, raw_mapping, raw_route, since, generations = pipe.execute()
            if acquired:
                self._local.vouched = {
                    provider: int(raw or 0)
                    for provider, raw in zip(PROVIDERS, generations, strict=True)
                }
                for provider, generation in self._local.vouched.items():
                    self._note_generation(provider, generation)
                break
            if time.monotonic() + LOCK_POLL_S > deadline:
                raise LockError(f"reservation {reservation_id} is locked")
            time.sleep(LOCK_POLL_S)
        held = HeldReservation(
            key, token, _mapping(raw_mapping), _route(room_id, raw_route), _covers(now, since)
        )
        leases.hold(key, token)
        try:
            yield held
        finally:
            leases.drop(key)
            if not held.released:
                self.redis.eval(_RELEASE, 1, key, token)

    def _leases(self, lease_s: float) -> LeaseKeeper:
        """The keeper of this process's reservation leases of ``lease_s`` (one per length)."""
        keeper = self._keepers.get(lease_s)
        if keeper is None:
            keeper = self._keepers.setdefault(lease_s, LeaseKeeper(self.redis, lease_s))
        return keeper

    # --- message lifecycle --------------------------------------------------------------
    def is_done(self, message_id: int) -> bool:
        return bool(self.redis.exists(keys.done(message_id)))

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
        lock (``held``) released."""
        pipe = self.redis.pipeline(transaction=False)
        if held is not None:
            held.release_in(pipe)
        pipe.set(keys.done(message_id), "1", ex=DONE_SECONDS)
        pipe.hdel(keys.PARKED, str(message_id))
        # No longer under way (``worker.underway``): its row becomes this history entry.
        pipe.hdel(keys.UNDERWAY, str(message_id))
        if clear_failure:
            self._clear_failure(pipe, message_id)
        self._add_history(pipe, entry)
        pipe.execute()

    def last_webhook(self) -> dict[str, Any] | None:
        raw = self.redis.get(keys.LAST_WEBHOOK)
        return json.loads(raw) if raw else None

    # --- history ------------------------------------------------------------------------
    def record_sync(self, entry: dict[str, Any]) -> None:
        """Append to the bounded history and count the result for today."""
        pipe = self.redis.pipeline(transaction=False)
        self._add_history(pipe, entry)
        pipe.execute()

    @staticmethod
    def _add_history(pipe: Any, entry: dict[str, Any]) -> None:
        entry = {**entry, "at": now_iso()}
        day = entry["at"][:10]
        pipe.lpush(keys.RECENT, json.dumps(entry))
        pipe.ltrim(keys.RECENT, 0, HISTORY_LIMIT - 1)
        pipe.hincrby(keys.daily_counts(day), entry.get("result", "unknown"), 1)
        pipe.expire(keys.daily_counts(day), DAY_COUNT_DAYS * 24 * 3600)
        latency = entry.get("latency_s")
        if latency is not None:
            bound = next((str(b) for b in LATENCY_BOUNDS if latency <= b), "inf")
            pipe.hincrby(keys.daily_latency(day), bound, 1)
            pipe.expire(keys.daily_latency(day), DAY_COUNT_DAYS * 24 * 3600)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.redis.lrange(keys.RECENT, 0, limit - 1)]

    def daily_counts(self, days: list[str]) -> dict[str, dict[str, int]]:
        return self._per_day(keys.daily_counts, days)

    def daily_latency(self, days: list[str]) -> dict[str, dict[str, int]]:
        """Per day, how many syncs took at most each of ``LATENCY_BOUNDS`` seconds (the
        smallest bound that fits; ``inf`` above) from the webhook to the acknowledgement."""
        return self._per_day(keys.daily_latency, days)

    def _per_day(self, key: Callable[[str], str], days: list[str]) -> dict[str, dict[str, int]]:
        """The counters kept in the hash ``key(day)`` of each day, in one round trip."""
        pipe = self.redis.pipeline()
        for day in days:
            pipe.hgetall(key(day))
        return {
            day: {text(k): int(v) for k, v in counts.items()}
            for day, counts in zip(days, pipe.execute(), strict=True)
        }

    # --- failures (dead letters) and parked messages ------------------------------------
    def record_failure(
        self,
        message_id: int,
        reason: str,
        *,
        payload: Any = None,
        reservation_id: int | None = None,
        kind: str = "permanent",
    ) -> dict[str, Any]:
        """Keep a failed message with its payload and reason; counts attempts across replays."""
        old = self.failure(message_id)
        record = {
            "message_id": message_id,
            "reservation_id": reservation_id,
            "reason": reason,
            "kind": kind,
            "attempts": (old["attempts"] if old else 0) + 1,
            "at": now_iso(),
            "payload": payload if payload is not None else (old or {}).get("payload"),
        }
        cutoff = time.time() - FAILURE_DAYS * 24 * 3600
        pipe = self.redis.pipeline()
        pipe.hset(keys.FAILURES, str(message_id), json.dumps(record))
        pipe.zadd(keys.FAILURES_AT, {str(message_id): time.time()})
        if record["payload"] is not None:
            pipe.zadd(keys.FAILURES_PAYLOAD, {str(message_id): time.time()})
        pipe.execute()
        expired = self.redis.zrangebyscore(keys.FAILURES_AT, 0, cutoff)
        for stale in {*expired, *self._overflow()}:
            self.clear_failure(int(stale))
        return record

    def _overflow(self) -> list[bytes]:
        """The records to drop past ``FAILURE_LIMIT``: the oldest without a payload first.

        A record with its payload (a malformed message, acknowledged once recorded) is the
        only copy replay can work from; one without (a transient or permanent failure) is
        read from Lockme again on replay. So a burst of the latter (made-up ids while Lockme
        answers 429, say) never pushes out the former."""
        excess = int(self.redis.zcard(keys.FAILURES_AT)) - FAILURE_LIMIT
        if excess <= 0:
            return []
        kept = set(cast(list[bytes], self.redis.zrange(keys.FAILURES_PAYLOAD, 0, -1)))
        oldest = cast(list[bytes], self.redis.zrange(keys.FAILURES_AT, 0, excess + len(kept) - 1))
        plain = [mid for mid in oldest if mid not in kept]
        return (plain + [mid for mid in oldest if mid in kept])[:excess]

    def failure(self, message_id: int) -> dict[str, Any] | None:
        raw = self.redis.hget(keys.FAILURES, str(message_id))
        return json.loads(raw) if raw else None

    def failures(self, limit: int = 100) -> list[dict[str, Any]]:
        ids = cast(list[bytes], self.redis.zrevrange(keys.FAILURES_AT, 0, limit - 1))
        if not ids:
            return []
        raws = self.redis.hmget(keys.FAILURES, ids)
        return [json.loads(raw) for raw in raws if raw]

    def failure_count(self) -> int:
        return int(self.redis.zcard(keys.FAILURES_AT))

    def clear_failure(self, message_id: int) -> None:
        pipe = self.redis.pipeline()
        self._clear_failure(pipe, message_id)
        pipe.execute()

    @staticmethod
    def _clear_failure(pipe: Any, message_id: int) -> None:
        pipe.hdel(keys.FAILURES, str(message_id))
        pipe.zrem(keys.FAILURES_AT, str(message_id))
        pipe.zrem(keys.FAILURES_PAYLOAD, str(message_id))

    def park(self, message_id: int, provider: str, generation: int | None = None) -> bool:
        """Hold a message while ``provider`` is disconnected: neither acked nor dropped.

        With ``generation`` (that of the grant the message failed with), it is parked only
        if that is still the provider's connection; returns False when a reconnect came in
        between, so the caller runs the message again instead. A reconnect bumps the
        generation before it queues the replay of parked messages, so every message is
        either parked before that replay looks, or not parked at all.
        """
        key, field = keys.PARKED, str(message_id)
        if generation is None:
            self.redis.hset(key, field, provider)
            return True
        args = (keys.GENERATIONS, key, provider, generation, field, provider)
        if self.redis.eval(_HSET_IF_CURRENT, 2, *args):
            return True
        # The token this process holds for the provider is out of date: read it again.
        self._tokens.pop(provider, None)
        return False

    def parked(self) -> dict[int, str]:
        return {int(k): text(v) for k, v in self.redis.hgetall(keys.PARKED).items()}

    # --- outages ------------------------------------------------------------------------
    def note_outage(self, service: str) -> bool:
        """Remember that a job gave up on ``service`` for now (its retry waits in the
        backoff); True only for the first job, until :meth:`end_outage`."""
        return bool(self.redis.hsetnx(keys.OUTAGES, service, time.time()))

    def outages(self) -> dict[str, float]:
        """Each service some job is waiting for, with when the first one gave up on it."""
        return {text(k): float(v) for k, v in self.redis.hgetall(keys.OUTAGES).items()}

    def end_outage(self, service: str) -> None:
        self.redis.hdel(keys.OUTAGES, service)

    def unpark(self, message_id: int) -> None:
        self.redis.hdel(keys.PARKED, str(message_id))

    # --- ids Lockme does not know -------------------------------------------------------
    def remember_unknown(self, message_id: int) -> None:
        """Note an id Lockme answered 404 for, so that its repeats cost no Lockme call.

        Anyone holding the webhook URL can send made-up ids; recorded as failures they
        pushed real ones (kept with their payload for replay) out of the capped failure list.
        So they live apart, in a set of their own, bounded twice: the newest
        ``UNKNOWN_LIMIT``, each for ``UNKNOWN_TTL_S``. Not the whole 24 h of Lockme's
        redelivery: should Lockme ever answer 404 for a real message, a redelivery after
        that time reads it again (and the daily reconcile is the net below that).
        """
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(keys.UNKNOWN_IDS, {str(message_id): now})
        pipe.zremrangebyscore(keys.UNKNOWN_IDS, 0, now - UNKNOWN_TTL_S)
        pipe.zremrangebyrank(keys.UNKNOWN_IDS, 0, -UNKNOWN_LIMIT - 1)
        pipe.expire(keys.UNKNOWN_IDS, UNKNOWN_TTL_S)
        pipe.execute()

    def is_unknown(self, message_id: int) -> bool:
        noted = self.redis.zscore(keys.UNKNOWN_IDS, str(message_id))
        return noted is not None and noted > time.time() - UNKNOWN_TTL_S

    def unknown_count(self) -> int:
        return int(self.redis.zcard(keys.UNKNOWN_IDS))

    def can_park(self, message_id: int) -> bool:
        """Room for this message among the parked ones (``PARKED_LIMIT``).

        While a connection is broken, every id a webhook names ends up parked, made-up ones
        included, so the list is bounded. A message turned away is not lost: it is left
        unacknowledged, and Lockme redelivers it for 24 h. The check and the park are two
        steps, so concurrent jobs may pass the bound by a few."""
        key = keys.PARKED
        pipe = self.redis.pipeline(transaction=False)
        pipe.hexists(key, str(message_id))
        pipe.hlen(key)
        already, count = pipe.execute()
        return bool(already) or count < PARKED_LIMIT
