"""The composition root: one set of clients per process, built from :class:`Settings`.

Building these once (not per job) matters: the Google service object parses its discovery
document, and the HTTP sessions keep connections alive between bookings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import redis
from rq import Queue
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from worker.config import Settings
from worker.flows.booking_sync import Syncer
from worker.gateways.google_calendar import GoogleCalendar
from worker.gateways.lockme import LockmeClient
from worker.gateways.ratelimit import RateLimiter
from worker.stores.keys import Keys
from worker.stores.redisutil import connect_redis
from worker.stores.store import Store


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    keys: Keys
    store: Store
    lockme: LockmeClient
    calendar: GoogleCalendar
    syncer: Syncer
    queue: Queue


JOB_TIMEOUT_S = 120


def make_queue(settings: Settings, client: redis.Redis) -> Queue:
    """The one queue; JSON serialisation keeps job payloads inspectable and pickle-free."""
    return Queue(
        settings.queue_name,
        connection=client,
        serializer=JSONSerializer,
        default_timeout=JOB_TIMEOUT_S,
    )


def started_registry(queue: Queue) -> StartedJobRegistry:
    """The queue's running jobs. Reading it fails over the jobs of dead workers and runs
    their failure callbacks, under a thread timer: web requests and the worker's dispatcher
    run in threads, where RQ's default SIGALRM timeout cannot be set."""
    return StartedJobRegistry(queue=queue, death_penalty_class=TimerDeathPenalty)


def build_runtime(settings: Settings, client: redis.Redis | None = None) -> Runtime:
    """Wire the engine; ``client`` lets a caller share an existing Redis connection."""
    client = client or connect_redis(settings.redis_url)
    names = Keys(settings.key_prefix)
    store = Store(client, names, settings.secret_key, settings.secret_key_fallbacks)
    lockme = LockmeClient(settings, store)
    # Google's quota is per user, so every process paces itself through one Redis key.
    throttle = RateLimiter(client, names.rate_limit("google"), settings.google_rate_limit_per_s)
    calendar = GoogleCalendar(settings, store, throttle=throttle)
    syncer = Syncer(settings, store, lockme, calendar)
    return Runtime(
        settings, client, names, store, lockme, calendar, syncer, make_queue(settings, client)
    )


def for_thread(runtime: Runtime) -> Runtime:
    """A copy of ``runtime`` with a Google client of its own, for one thread of a process
    that serves requests from several (gunicorn's threads in the web process).

    The Google client library sends its requests through one ``httplib2.Http``, which is not
    thread-safe. The rest is shared: redis-py's connection pool and urllib3's pool (the
    Lockme client) are made for threads, and the rate limiter lives in Redis. The client is
    built lazily, so a thread that never calls Google pays nothing for it.
    """
    calendar = GoogleCalendar(runtime.settings, runtime.store, throttle=runtime.calendar.throttle)
    syncer = Syncer(runtime.settings, runtime.store, runtime.lockme, calendar)
    return replace(runtime, calendar=calendar, syncer=syncer)
