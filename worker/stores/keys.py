"""Every Redis key name the product keeps, and nothing else.

One place for them because a key is shared by modules that never import each other: the
receiver's Lua script (``worker.jobs.intake``) checks the done marker that
``worker.stores.message_ledger``
writes, the web tier reads what the worker counts. Spelled twice, a rename of one spelling
would silently break the other side (dedupe, say). Lua scripts take their key names from
here too, through ``KEYS``, never by spelling them.

The values are a deployment's stored data: changing one orphans what an existing
installation holds under it (tests/test_keys.py pins those an upgrade depends on).
"""

from __future__ import annotations

import re
from typing import Final

# Every key of the product starts with this, so that it can share a Redis with other apps.
PREFIX: Final = "lms:"


class Keys:
    """Every key name of one runtime, under its ``prefix``.

    The default prefix gives the exact names an installation holds. Each runtime builds one
    (``Runtime.keys``, from ``Settings.key_prefix``), so that two runtimes with different
    prefixes (two venues, or two parallel test processes) share a Redis without touching
    each other's data. Nothing reads a key at import time: callers ask the runtime's
    ``Keys`` instance.
    """

    def __init__(self, prefix: str = PREFIX) -> None:
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"Keys({self.prefix!r})"

    def _k(self, name: str) -> str:
        return f"{self.prefix}{name}"

    # --- connections --------------------------------------------------------------------
    def token(self, provider: str) -> str:
        """The provider's OAuth token, one encrypted JSON value (refresh tokens rotate whole)."""
        return self._k(f"token:{provider}")

    def connection(self, provider: str) -> str:
        """Hash of the provider's connection health: ``error``, ``account``, ``checked_at``."""
        return self._k(f"conn:{provider}")

    @property
    def generations(self) -> str:
        """Hash provider → generation, bumped by every connect and disconnect."""
        return self._k("conn-gen")

    @property
    def outages(self) -> str:
        """Hash service → when a job first gave up on it (an outage under way)."""
        return self._k("outages")

    def oauth_verifier(self, state: str) -> str:
        """The PKCE code verifier of an OAuth flow under way, by its ``state``."""
        return self._k(f"oauth:{state}")

    def rate_limit(self, service: str) -> str:
        """The shared pacing state (theoretical arrival time) of calls to ``service``."""
        return self._k(f"rate:{service}")

    def lock(self, name: str) -> str:
        """A cross-process lock, e.g. ``refresh:google`` while a token is refreshed."""
        return self._k(f"lock:{name}")

    # --- bookings -----------------------------------------------------------------------
    @property
    def routes(self) -> str:
        """Hash room id → route JSON (which calendar a room's bookings go to, and how)."""
        return self._k("routes")

    def mapping(self, reservation_id: int | str) -> str:
        """Reservation → calendar event mapping JSON (``"*"`` gives the pattern of them all)."""
        return self._k(f"res:{reservation_id}")

    def reservation_lock(self, reservation_id: int) -> str:
        """The lease a job holds on a reservation while it writes its event."""
        return self.lock(f"res:{reservation_id}")

    @property
    def since(self) -> str:
        """When this store started recording (epoch seconds): before Lockme's redelivery
        horizon has passed, a missing mapping does not prove that no event was written."""
        return self._k("since")

    # --- messages -----------------------------------------------------------------------
    def done(self, message_id: int) -> str:
        """Marker of an acknowledged message, checked by the receiver's Lua script (dedupe)."""
        return self._k(f"done:{message_id}")

    @property
    def done_prefix(self) -> str:
        """What every done marker starts with (the receiver's Lua script appends the id)."""
        return self._k("done:")

    @property
    def inbox_pending(self) -> str:
        """Sorted set of message ids waiting for the dispatcher, scored by first receipt."""
        return self._k("inbox:pending")

    @property
    def inbox_wake(self) -> str:
        """List holding at most one item: wakes the dispatcher when the inbox gains an id."""
        return self._k("inbox:wake")

    @property
    def last_webhook(self) -> str:
        """JSON of the last webhook received (id and time), for the status page."""
        return self._k("last-webhook")

    @property
    def failures(self) -> str:
        """Hash message id → failure record (dead letters)."""
        return self._k("failures")

    @property
    def failures_at(self) -> str:
        """Sorted set of failed message ids by time of failure (age and count bounds)."""
        return self._k("failures:at")

    @property
    def failures_payload(self) -> str:
        """Sorted set of failed message ids whose record holds the payload replay works from."""
        return self._k("failures:payload")

    @property
    def parked(self) -> str:
        """Hash message id → provider, of messages parked until that provider reconnects."""
        return self._k("parked")

    @property
    def underway(self) -> str:
        """Hash message id → JSON of a booking under way (retrying or parked)."""
        return self._k("underway")

    @property
    def unknown_ids(self) -> str:
        """Sorted set of message ids Lockme answered 404 for, scored by when."""
        return self._k("unknown")

    # --- history and counters -----------------------------------------------------------
    @property
    def recent(self) -> str:
        """List of the latest sync results, newest first."""
        return self._k("recent")

    def daily_counts(self, day: str) -> str:
        """Hash result → how many syncs of that day (``YYYY-MM-DD``) ended so."""
        return self._k(f"daily:{day}")

    def daily_latency(self, day: str) -> str:
        """Hash latency bound → how many syncs of that day took at most that long."""
        return self._k(f"latency:{day}")

    @property
    def metrics(self) -> str:
        """Hash metric field → value, the counters ``/metrics`` serves across processes."""
        return self._k("metrics")

    def alert(self, condition: str) -> str:
        """Throttle marker of an alert sent for ``condition`` (its text's hash)."""
        return self._k(f"alert:{condition}")

    @property
    def reconcile_last(self) -> str:
        """JSON of the last reconcile run."""
        return self._k("reconcile:last")

    @property
    def calendar_check(self) -> str:
        """Hash calendar id → JSON result of the last check of that calendar."""
        return self._k("calendar-check")

    # --- caches -------------------------------------------------------------------------
    @property
    def names_rooms(self) -> str:
        """JSON of Lockme's room names, cached for the pages."""
        return self._k("names:rooms")

    @property
    def names_calendars(self) -> str:
        """JSON of Google's calendar names, cached for the pages."""
        return self._k("names:calendars")

    @property
    def lockme_shapes(self) -> str:
        """Hash fingerprint → an answer shape of Lockme's API not seen before (bounded)."""
        return self._k("lockme:shapes")

    # --- staff pages --------------------------------------------------------------------
    @property
    def staff_epoch(self) -> str:
        """Counter bumped by "log out everywhere": sessions of an older epoch are void."""
        return self._k("staff:epoch")

    def login_attempts(self, subject: str) -> str:
        """Hash of a login throttle's subject (``ip:<address>``, ``device:<id>``,
        ``metrics:<address>``): its tries, the end of its wait, wrong passwords' fingerprints."""
        return self._k(f"login:{subject}")

    # --- calendar → Lockme blocks -------------------------------------------------------
    @property
    def blocks_rooms(self) -> str:
        """Hash room id → the id of the Google calendar whose busy events block its slots."""
        return self._k("blocks:rooms")

    def blocks_calendar(self, calendar_id: str) -> str:
        """Hash of one blocks calendar's sync state: ``sync_token``, ``synced_at``, …"""
        return self._k(f"blocks:cal:{calendar_id}")

    def blocks_sync(self, calendar_id: str, part: str) -> str:
        """One calendar's sync requests (``worker.jobs.blocks_sync``): ``pending`` (the queued
        job's id), ``again`` (asked for during a run), ``gate`` (a read started moments ago)."""
        return self._k(f"blocks:sync:{part}:{calendar_id}")

    def blocks_events(self, calendar_id: str) -> str:
        """Hash event (instance) id → JSON of a blocking event of that calendar, as last read."""
        return self._k(f"blocks:events:{calendar_id}")

    @property
    def blocks_made(self) -> str:
        """Hash extid → JSON record of a reservation the product made (or is making) in Lockme."""
        return self._k("blocks:made")

    @property
    def blocks_by_reservation(self) -> str:
        """Hash Lockme reservation id → extid, of the reservations the product made."""
        return self._k("blocks:by-res")

    @property
    def blocks_by_slot(self) -> str:
        """Hash ``room:date:hour`` → extid, of the slots the product is blocking or about to
        (an echo webhook may arrive before the create's answer names the reservation)."""
        return self._k("blocks:by-slot")

    @property
    def blocks_generation(self) -> str:
        """Counter moved by every write of the blocks ledger (records, indexes, conflicts):
        a sync compares it with its last plan's instead of reading the whole ledger."""
        return self._k("blocks:gen")

    @property
    def blocks_conflicts(self) -> str:
        """Hash ``room:date:hour`` → JSON of a slot an event covers but a customer holds."""
        return self._k("blocks:conflicts")

    @property
    def blocks_checked(self) -> str:
        """Hash room id → when its blocks were last checked against Lockme (epoch seconds);
        a room without one has not been checked since this store began."""
        return self._k("blocks:checked")

    def blocks_held(self, calendar_id: str) -> str:
        """JSON of a surprising plan (many removals or creates) waiting for a person."""
        return self._k(f"blocks:held:{calendar_id}")

    def blocks_approved(self, calendar_id: str) -> str:
        """Set of event ids whose blocks' removal a read explained or a person confirmed,
        while removals are left for later runs (they are not asked about again)."""
        return self._k(f"blocks:approved:{calendar_id}")

    def blocks_channel(self, channel_id: str) -> str:
        """JSON of a Google push channel: its calendar, secret token, resource id, expiry."""
        return self._k(f"blocks:channel:{channel_id}")

    def blocks_slots(self, room_id: int, what: str) -> str:
        """Cached slot settings of a room: ``day:0``..``day:6`` or ``date:YYYY-MM-DD``."""
        return self._k(f"blocks:slots:{room_id}:{what}")

    # --- RQ job ids ---------------------------------------------------------------------
    def job(self, name: str) -> str:
        """The RQ job id ``name`` (``msg-42``, ``reconcile-20260401``) of this runtime.

        RQ keeps every queue's jobs under one namespace (``rq:job:<id>``), and unique ids
        are how a message gets one job: two runtimes' ids must differ. Other prefixes tag
        them (in the letters RQ allows in an id); the default keeps the bare ids a running
        installation's jobs carry."""
        if self.prefix == PREFIX:
            return name
        return re.sub(r"[^A-Za-z0-9_-]", "-", self.prefix) + name

    def slot_ran(self, job_id: str) -> str:
        """Set by the first run of a periodic job's slot (``worker.jobs.schedules``), for a few
        minutes: a second job made for the same slot then does nothing."""
        return self._k(f"slot-ran:{job_id}")

    # --- sandbox ------------------------------------------------------------------------
    @property
    def sandbox_state(self) -> str:
        """Hash in the sandbox's own database: its control API's ``url`` and ``token``. It
        also marks the database as the sandbox's, the only kind ``Sandbox.start`` flushes."""
        return self._k("sandbox")


# Every venue added beside the default one keeps its data under ``VENUE_ROOT<slug>:``: never
# under the default's ``lms:``, so that nothing done to ``lms:*`` reaches a venue's keys,
# and a slug cannot hold ``:``, so that no venue's ``lmv:<slug>:*`` reaches another's.
VENUE_ROOT: Final = "lmv:"
# Hash slug → JSON of a venue (``worker.venues``): the deployment's, outside every venue's.
VENUES: Final = "lmv-registry"


def venue_prefix(slug: str) -> str:
    """The key prefix of the venue ``slug`` (its ``Keys``)."""
    return f"{VENUE_ROOT}{slug}:"


# The keys of the default prefix, for the little code that has no runtime (tests that pin
# names or seed a bare client); everything else asks its runtime's ``keys``.
DEFAULT: Final = Keys()
