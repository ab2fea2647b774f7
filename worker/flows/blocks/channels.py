"""Google push channels of the blocks calendars: open, renew, stop, and their records.

A push only says "something changed" (the sync job then reads the feed); it is a trigger,
never the data, and polling stays the safety net. Channels expire and Google never renews
them, so a new one is opened while the old still runs (under a day left), and only then is
the old one stopped: the overlap loses no change.

The record is saved *before* ``events.watch`` is called: Google's first message (``sync``)
can arrive before its answer does, and the receiver must know the channel by then.

Google refuses any address but HTTPS (and unverified domains): the refusal is recorded on
the calendar's state so the status page can say "push refused: polling", and it is not
asked again for an hour.

A channel covers only the changes made after it opened, so a calendar counts as pushed
(read only as a safety net) once a read has *started* under its current channel
(``mark_read``, ``pushed``): the sync job opens or renews the channel right before it reads,
as Google's sync guide advises, and a change made before the channel opened is in that read.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
import uuid
from dataclasses import asdict, dataclass

import redis

from worker.config import Settings
from worker.domain.errors import PermanentError, SyncError, TransientError
from worker.gateways.google_calendar import GoogleCalendar, PushRefused
from worker.ops import logs
from worker.stores.keys import Keys

WEBHOOK_PATH = "/webhooks/google"
# What a channel is asked to live (Google gives about a week at most).
CHANNEL_TTL_S = 7 * 24 * 3600
# A channel with less than this left is replaced.
RENEW_BEFORE_S = 24 * 3600
# After Google refuses the address, it is asked again at most this often.
REFUSED_RETRY_S = 3600
# Fields of ``blocks_calendar[cid]`` this module owns.
CURRENT_FIELD = "channel_id"
REFUSED_AT_FIELD = "push_refused_at"
REFUSED_FIELD = "push_refused"
READ_WITH_FIELD = "read_with_channel"


@dataclass(frozen=True)
class Channel:
    """One push channel as stored: ``expiration`` in ms since the epoch (0: not known yet)."""

    id: str
    calendar_id: str
    token: str
    resource_id: str
    expiration: int

    def seconds_left(self, now: float | None = None) -> float:
        return self.expiration / 1000 - (time.time() if now is None else now)


class ChannelStore:
    """Channel records (``blocks_channel[id]``) and each calendar's current channel id."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def get(self, channel_id: str) -> Channel | None:
        """One GET: all the push receiver may spend on a channel it is told of."""
        raw = self.redis.get(self.keys.blocks_channel(channel_id))
        if raw is None:
            return None
        try:
            return Channel(id=channel_id, **json.loads(raw))
        except (ValueError, TypeError):
            return None

    def save(self, channel: Channel) -> None:
        """Store the record, expiring with the channel (a day after, for late messages)."""
        record = {k: v for k, v in asdict(channel).items() if k != "id"}
        ttl = max(int(channel.seconds_left()), 0) + RENEW_BEFORE_S if channel.expiration else None
        self.redis.set(self.keys.blocks_channel(channel.id), json.dumps(record), ex=ttl)

    def delete(self, channel_id: str) -> None:
        self.redis.delete(self.keys.blocks_channel(channel_id))

    def current(self, calendar_id: str) -> Channel | None:
        raw = self.redis.hget(self.keys.blocks_calendar(calendar_id), CURRENT_FIELD)
        if not raw:
            return None
        return self.get(_text(raw))

    def set_current(self, calendar_id: str, channel_id: str | None) -> None:
        key = self.keys.blocks_calendar(calendar_id)
        if channel_id:
            self.redis.hset(key, CURRENT_FIELD, channel_id)
        else:
            self.redis.hdel(key, CURRENT_FIELD)

    def refused(self, calendar_id: str) -> tuple[float, str] | None:
        """When Google last refused to push for this calendar, and why; None if it did not."""
        at, why = self.redis.hmget(
            self.keys.blocks_calendar(calendar_id), REFUSED_AT_FIELD, REFUSED_FIELD
        )
        if not at:
            return None
        return float(at), _text(why or "")

    def record_refused(self, calendar_id: str, reason: str) -> None:
        self.redis.hset(
            self.keys.blocks_calendar(calendar_id),
            mapping={REFUSED_AT_FIELD: str(time.time()), REFUSED_FIELD: reason},
        )

    def clear_refused(self, calendar_id: str) -> None:
        self.redis.hdel(self.keys.blocks_calendar(calendar_id), REFUSED_AT_FIELD, REFUSED_FIELD)

    def mark_read(self, calendar_id: str, channel: Channel | None) -> None:
        """A read that started while ``channel`` was the current one has succeeded."""
        key = self.keys.blocks_calendar(calendar_id)
        if channel is None:
            self.redis.hdel(key, READ_WITH_FIELD)
        else:
            self.redis.hset(key, READ_WITH_FIELD, channel.id)

    def live(self, calendar_id: str, now: float | None = None) -> Channel | None:
        """The current channel if it has not expired."""
        current = self.current(calendar_id)
        return current if current is not None and current.seconds_left(now) > 0 else None

    def pushed(self, calendar_id: str, now: float | None = None) -> bool:
        """Whether Google pushes every change the last read did not see: the current channel
        is live and a read has started since it opened. A channel replaced (renewed, or
        opened after the old one expired) counts only after the read that follows it."""
        current = self.live(calendar_id, now)
        if current is None:
            return False
        read_with = self.redis.hget(self.keys.blocks_calendar(calendar_id), READ_WITH_FIELD)
        return read_with is not None and _text(read_with) == current.id


class Channels:
    """Keeps one live push channel per blocks calendar, where Google allows one."""

    def __init__(self, calendar: GoogleCalendar, store: ChannelStore, settings: Settings) -> None:
        self.calendar = calendar
        self.store = store
        self.settings = settings

    @property
    def address(self) -> str:
        """Where Google is asked to push: ``{PUBLIC_URL}/webhooks/google``, whatever its
        scheme (Google says whether it accepts it)."""
        return f"{self.settings.public_url}{WEBHOOK_PATH}"

    def due(self, calendar_id: str, now: float | None = None) -> bool:
        """Whether ``ensure`` would ask Google for a channel now: there is none, or it has
        under a day left, and there is a ``PUBLIC_URL`` Google has not refused this hour."""
        now = time.time() if now is None else now
        current = self.store.current(calendar_id)
        if current is not None and current.seconds_left(now) > RENEW_BEFORE_S:
            return False
        if not self.settings.public_url:
            return False
        refused = self.store.refused(calendar_id)
        return refused is None or now - refused[0] >= REFUSED_RETRY_S

    def ensure(self, calendar_id: str) -> Channel | None:
        """The calendar's live channel: the current one, or a new one when it has under a
        day left or there is none. None while Google refuses the address (asked again after
        an hour) or without a ``PUBLIC_URL`` to give it."""
        current = self.store.current(calendar_id)
        if not self.due(calendar_id):
            return current
        fresh = self.create(calendar_id)
        if fresh is not None and current is not None:
            self._stop(current)
        return fresh or current

    def create(self, calendar_id: str) -> Channel | None:
        """Open a new channel and make it the calendar's current one; None when Google
        refuses the address (recorded). Transient errors propagate (the caller retries)."""
        channel = Channel(
            id=uuid.uuid4().hex,
            calendar_id=calendar_id,
            token=secrets.token_urlsafe(32),
            resource_id="",
            expiration=0,
        )
        self.store.save(channel)
        try:
            answer = self.calendar.watch(
                calendar_id, channel.id, channel.token, self.address, CHANNEL_TTL_S
            )
        except PushRefused as exc:
            self.store.delete(channel.id)
            self.store.record_refused(calendar_id, str(exc))
            logs.event("blocks.push", outcome="refused")
            return None
        except (TransientError, PermanentError):
            self.store.delete(channel.id)
            raise
        opened = Channel(
            id=channel.id,
            calendar_id=calendar_id,
            token=channel.token,
            resource_id=str(answer.get("resourceId") or ""),
            expiration=int(answer.get("expiration") or 0),
        )
        self.store.save(opened)
        self.store.set_current(calendar_id, opened.id)
        self.store.clear_refused(calendar_id)
        logs.event("blocks.push", outcome="watching")
        return opened

    def stop(self, calendar_id: str) -> None:
        """Stop the calendar's channel (blocks turned off, Google disconnected): Google is
        told if it can be, and the records go whatever it answers."""
        current = self.store.current(calendar_id)
        self.store.set_current(calendar_id, None)
        if current is not None:
            self._stop(current)

    def _stop(self, channel: Channel) -> None:
        """Best effort: a channel Google is not told of expires on its own within a week,
        and its messages then find no record (404, no work)."""
        try:
            if channel.resource_id:
                self.calendar.stop_channel(channel.id, channel.resource_id)
        except SyncError:  # Google down or disconnected: the channel expires on its own
            logs.event("blocks.push", outcome="stop_failed")
        finally:
            with contextlib.suppress(redis.RedisError):
                self.store.delete(channel.id)


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)
