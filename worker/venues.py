"""The venues of a deployment beside the default one: who they are, and each one's settings.

A venue is one Lockme account and one Google account with everything set for them. The
default venue is the deployment as it always was (its settings from the environment, its
keys under the default prefix, its queue ``LOCKME_QUEUE``); every other one is registered here, by
slug, and keeps its data under its own key prefix (``worker.stores.keys.venue_prefix``) and its
jobs in its own queue. A venue's settings are the deployment's with its prefix, queue,
time zone and webhook secret (:meth:`Venues.settings`), so every part of the engine that
takes a :class:`Settings` serves a venue unchanged.

Why a queue per venue: a job's runtime is its queue's (``worker.jobs.runtimes``), and the queue's
counts and registries (what waits, runs, failed; the inbox's admission bound; the periodic
jobs' schedule) are then the venue's own, with no venue reading or bounding another's. RQ's
round-robin dequeue takes the venues' queues in turn.

What the registry holds of a venue: its name and time zone, its webhook secret sealed as
the token vault seals tokens (under SECRET_KEY: a dump of Redis does not hand it out), and
its staff password as a werkzeug password hash.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, replace
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from cryptography.fernet import InvalidToken
from rq.job import Job
from rq.registry import (
    BaseRegistry,
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from werkzeug.security import generate_password_hash

from worker.config import Settings
from worker.jobs import runtimes
from worker.runtime import Runtime, build_runtime, make_queue
from worker.stores.keys import VENUES, Keys, venue_prefix
from worker.stores.redisutil import text
from worker.stores.token_vault import TokenVault, cipher

DEFAULT = "default"
SLUG = re.compile(r"[a-z][a-z0-9-]{0,31}")
# Staff passwords are typed; webhook secrets are pasted into Lockme once.
PASSWORD_BYTES = 12
SECRET_BYTES = 24


class VenueError(ValueError):
    """A slug, name or time zone that cannot be used; the message says why, in one line."""


@dataclass(frozen=True)
class Venue:
    """One registered venue, as the registry holds it (its secret still sealed)."""

    slug: str
    name: str
    timezone: str
    sealed_secret: str
    password_hash: str

    @property
    def keys(self) -> Keys:
        return Keys(venue_prefix(self.slug))

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "timezone": self.timezone,
                "secret": self.sealed_secret,
                "password": self.password_hash,
            }
        )

    @classmethod
    def from_json(cls, slug: str, raw: str | bytes) -> Venue:
        data = json.loads(raw)
        return cls(slug, data["name"], data["timezone"], data["secret"], data["password"])


def check_slug(slug: str) -> None:
    """Raise :class:`VenueError` for a slug outside the rules (docs: interface, "Slugs")."""
    if slug == DEFAULT:
        raise VenueError("the slug 'default' is taken: it names the deployment's own venue")
    if not SLUG.fullmatch(slug):
        raise VenueError(
            f"bad slug {slug!r}: 1 to 32 characters of a-z, 0-9 and -, starting with a letter"
        )


def check_timezone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise VenueError(f"{zone!r} is not an IANA time zone (e.g. Europe/Warsaw)") from None


@dataclass(frozen=True)
class Created:
    """What adding a venue (or renewing its password) shows once and never again."""

    venue: Venue
    webhook_secret: str
    password: str


class Venues:
    """The deployment's registry of venues, one hash at ``worker.stores.keys.VENUES``."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.redis = client
        self.base = settings
        self._crypto = cipher(settings.secret_key, settings.secret_key_fallbacks)

    def all(self) -> list[Venue]:
        raw = cast(dict[bytes, bytes], self.redis.hgetall(VENUES))
        return sorted(
            (Venue.from_json(text(slug), value) for slug, value in raw.items()),
            key=lambda v: v.slug,
        )

    def get(self, slug: str) -> Venue | None:
        """The venue ``slug``, in one read; ``None`` for an unknown or malformed slug (a
        malformed one costs no read: the webhook asks with whatever a caller sent)."""
        if not SLUG.fullmatch(slug):
            return None
        raw = self.redis.hget(VENUES, slug)
        return None if raw is None else Venue.from_json(slug, cast(bytes, raw))

    def add(self, slug: str, name: str = "", timezone: str = "") -> Created:
        check_slug(slug)
        zone = timezone or self.base.venue_timezone
        check_timezone(zone)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        venue = Venue(slug, name or slug, zone, self._seal(secret), _hash(password))
        if not self.redis.hsetnx(VENUES, slug, venue.to_json()):
            raise VenueError(f"a venue {slug!r} exists already")
        return Created(venue, secret, password)

    def renew_password(self, slug: str) -> Created:
        """A new staff password for ``slug``; its open staff sessions end (the staff epoch
        moves on, as "log out everywhere" does)."""
        venue = self._existing(slug)
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        venue = replace(venue, password_hash=_hash(password))
        pipe = self.redis.pipeline()
        pipe.hset(VENUES, slug, venue.to_json())
        pipe.incr(venue.keys.staff_epoch)
        pipe.execute()
        return Created(venue, self.webhook_secret(venue), password)

    def webhook_secret(self, venue: Venue) -> str:
        """The venue's webhook secret, unsealed; empty when SECRET_KEY cannot open it (then
        no call is accepted, as for a wrong secret)."""
        if self._crypto is None:
            return ""
        try:
            return self._crypto.decrypt(venue.sealed_secret.encode()).decode()
        except InvalidToken:
            return ""

    def secret_matches(self, venue: Venue, given: str) -> bool:
        """Constant-time comparison with the venue's webhook secret."""
        secret = self.webhook_secret(venue)
        return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())

    def settings(self, venue: Venue) -> Settings:
        """The venue's settings: the deployment's, with its keys, queue, zone and secret."""
        return replace(
            self.base,
            key_prefix=venue_prefix(venue.slug),
            queue_name=f"{self.base.queue_name}:{venue.slug}",
            venue_timezone=venue.timezone,
            webhook_secret=self.webhook_secret(venue),
        )

    def settings_for(self, slug: str) -> Settings:
        """``default``'s settings (the deployment's) or a registered venue's; raises
        :class:`VenueError` for any other slug."""
        return self.base if slug == DEFAULT else self.settings(self._existing(slug))

    def blocks_in_lockme(self, venue: Venue) -> int:
        """How many rooms of the venue have blocks on, or reservations the product made in
        its Lockme and still holds (a room turned off may still be removing them)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hlen(venue.keys.blocks_rooms)
        pipe.hlen(venue.keys.blocks_made)
        return max(int(n) for n in pipe.execute())

    def remove(self, slug: str) -> int:
        """Forget the venue and delete every key of it; returns how many were deleted.

        Refused while a room of the venue has blocks on or the product still holds blocks it
        made in the venue's Lockme: they would stay there (and the calendars' push channels
        at Google), with nothing left that knows to remove them. The registry entry
        goes first, so the webhook answers 403 and each worker drops the venue's runtime
        at its next maintenance pass; then its queued, scheduled and finished jobs (its
        periodic work among them) and its queue, then its own keys."""
        venue = self._existing(slug)
        if self.blocks_in_lockme(venue):
            raise VenueError(
                f"venue {slug!r} still has blocks in Lockme: turn them off first "
                f"(lockme-sync --venue {slug} blocks ROOM --off for each room it lists)"
            )
        self.redis.hdel(VENUES, slug)
        deleted = _delete_queue(self.redis, self.settings(venue))
        own = list(self.redis.scan_iter(match=f"{venue.keys.prefix}*", count=500))
        for start in range(0, len(own), 500):
            deleted += int(self.redis.unlink(*own[start : start + 500]))
        return deleted

    def reencrypt(self) -> int:
        """Seal every venue's webhook secret and tokens under the current SECRET_KEY (they
        were readable with a fallback key); returns how many were rewritten. ``check``
        does it with the default venue's tokens, so the fallback can then be removed."""
        rewritten = 0
        for venue in self.all():
            if self._crypto is not None:
                with contextlib.suppress(InvalidToken):
                    sealed = self._crypto.rotate(venue.sealed_secret.encode()).decode()
                    resealed = replace(venue, sealed_secret=sealed)
                    self.redis.hset(VENUES, venue.slug, resealed.to_json())
                    rewritten += 1
            vault = TokenVault(
                self.redis, venue.keys, self.base.secret_key, self.base.secret_key_fallbacks
            )
            rewritten += vault.reencrypt_tokens()
        return rewritten

    def _existing(self, slug: str) -> Venue:
        venue = self.get(slug)
        if venue is None:
            raise VenueError(f"no venue {slug!r} (see lockme-sync venues)")
        return venue

    def _seal(self, secret: str) -> str:
        if self._crypto is None:
            raise VenueError("SECRET_KEY is not set: it seals the venues' webhook secrets")
        return self._crypto.encrypt(secret.encode()).decode()


def _hash(password: str) -> str:
    return generate_password_hash(password)


def _delete_queue(client: redis.Redis, settings: Settings) -> int:
    """Delete the venue's queue, every job in it or in one of its registries, and the
    registries; returns how many keys went (jobs counted once each)."""
    queue = make_queue(settings, client)
    registries: list[BaseRegistry] = [
        cls(queue=queue)
        for cls in (
            ScheduledJobRegistry,
            StartedJobRegistry,
            FailedJobRegistry,
            FinishedJobRegistry,
            DeferredJobRegistry,
            CanceledJobRegistry,
        )
    ]
    job_ids = set(queue.get_job_ids())
    for registry in registries:
        job_ids.update(registry.get_job_ids(cleanup=False))
    for job in Job.fetch_many(sorted(job_ids), connection=client, serializer=queue.serializer):
        if job is not None:
            job.delete(remove_from_queue=False)
    # RQ's other keys of the queue (its intermediate list, its scheduler's lock, …) end
    # in ``:<queue name>`` or hold ``:<queue name>:``; a slug holds no ``:``, so no other
    # venue's queue name is matched.
    name = re.sub(r"([*?\[\]\\])", r"\\\1", queue.name)
    names = {queue.key, *(r.key for r in registries)}
    for pattern in (f"rq:*:{name}", f"rq:*:{name}:*"):
        names.update(text(k) for k in client.scan_iter(match=pattern, count=500))
    gone = int(client.delete(*names))
    client.srem(queue.redis_queues_keys, queue.key)
    return gone + len(job_ids)


def serve(base: Runtime) -> list[Runtime]:
    """Make sure this process serves every registered venue beside ``base`` (the default),
    and no venue removed since; returns every runtime served (``worker.jobs.runtimes.served``).

    The worker's maintenance pass and its dispatcher ask at each round, so a venue added
    while workers run is served within one pass. Venue runtimes share ``base``'s Redis
    connection pool; their Google clients are built on first use, so an idle venue costs
    a process a few small objects."""
    registry = Venues(base.redis, base.settings)
    wanted = {base.queue.name}
    for venue in registry.all():
        settings = registry.settings(venue)
        wanted.add(settings.queue_name)
        if not runtimes.serves(settings.queue_name):
            runtimes.configure(build_runtime(settings, base.redis))
    runtimes.keep_only(wanted)
    return runtimes.served()
