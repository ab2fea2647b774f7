"""The composition root: one set of clients per process, built from :class:`Settings`.

Building these once (not per job) matters: the Google service object parses its discovery
document, and the HTTP sessions keep connections alive between bookings.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from worker.config import Settings
from worker.gcal import GoogleCalendar
from worker.lockme import LockmeClient
from worker.store import Store, connect_redis
from worker.sync import Syncer


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
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


def build_runtime(settings: Settings, client: redis.Redis | None = None) -> Runtime:
    """Wire the engine; ``client`` lets a caller share an existing Redis connection."""
    client = client or connect_redis(settings.redis_url)
    store = Store(client, settings.secret_key, settings.secret_key_fallbacks)
    lockme = LockmeClient(settings, store)
    calendar = GoogleCalendar(settings, store)
    syncer = Syncer(settings, store, lockme, calendar)
    return Runtime(settings, client, store, lockme, calendar, syncer, make_queue(settings, client))
