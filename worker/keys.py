"""Every Redis key name the product keeps, and nothing else.

One place for them because a key is shared by modules that never import each other: the
receiver's Lua script (``worker.intake``) checks the done marker that ``worker.store``
writes, the web tier reads what the worker counts. Spelled twice, a rename of one spelling
would silently break the other side (dedupe, say). Lua scripts take their key names from
here too, through ``KEYS``, never by spelling them.

The values are a deployment's stored data: changing one orphans what an existing
installation holds under it (tests/test_keys.py pins those an upgrade depends on).
"""

from __future__ import annotations

from typing import Final

# Every key of the product starts with this, so that it can share a Redis with other apps.
PREFIX: Final = "lms:"

# --- connections ----------------------------------------------------------------------


def token(provider: str) -> str:
    """The provider's OAuth token, one encrypted JSON value (refresh tokens rotate whole)."""
    return f"{PREFIX}token:{provider}"


def connection(provider: str) -> str:
    """Hash of the provider's connection health: ``error``, ``account``, ``checked_at``."""
    return f"{PREFIX}conn:{provider}"


# Hash provider → generation, bumped by every connect and disconnect.
GENERATIONS: Final = f"{PREFIX}conn-gen"
# Hash service → when a job first gave up on it (an outage under way).
OUTAGES: Final = f"{PREFIX}outages"


def oauth_verifier(state: str) -> str:
    """The PKCE code verifier of an OAuth flow under way, by its ``state``."""
    return f"{PREFIX}oauth:{state}"


def rate_limit(service: str) -> str:
    """The shared pacing state (theoretical arrival time) of calls to ``service``."""
    return f"{PREFIX}rate:{service}"


def lock(name: str) -> str:
    """A cross-process lock, e.g. ``refresh:google`` while a token is refreshed."""
    return f"{PREFIX}lock:{name}"


# --- bookings -------------------------------------------------------------------------
# Hash room id → route JSON (which calendar a room's bookings go to, and how).
ROUTES: Final = f"{PREFIX}routes"


def mapping(reservation_id: int | str) -> str:
    """Reservation → calendar event mapping JSON (``"*"`` gives the pattern of them all)."""
    return f"{PREFIX}res:{reservation_id}"


def reservation_lock(reservation_id: int) -> str:
    """The lease a job holds on a reservation while it writes its event."""
    return lock(f"res:{reservation_id}")


# When this store started recording (epoch seconds): before Lockme's redelivery horizon
# has passed, a missing mapping does not prove that no event was written.
SINCE: Final = f"{PREFIX}since"

# --- messages -------------------------------------------------------------------------


def done(message_id: int) -> str:
    """Marker of an acknowledged message, checked by the receiver's Lua script (dedupe)."""
    return f"{PREFIX}done:{message_id}"


# Sorted set of message ids waiting for the dispatcher, scored by first receipt.
INBOX_PENDING: Final = f"{PREFIX}inbox:pending"
# List holding at most one item: wakes the dispatcher when the inbox gains an id.
INBOX_WAKE: Final = f"{PREFIX}inbox:wake"
# JSON of the last webhook received (id and time), for the status page.
LAST_WEBHOOK: Final = f"{PREFIX}last-webhook"
# Hash message id → failure record (dead letters).
FAILURES: Final = f"{PREFIX}failures"
# Sorted set of failed message ids by time of failure (age and count bounds).
FAILURES_AT: Final = f"{FAILURES}:at"
# Sorted set of failed message ids whose record holds the payload replay works from.
FAILURES_PAYLOAD: Final = f"{FAILURES}:payload"
# Hash message id → provider, of messages parked until that provider reconnects.
PARKED: Final = f"{PREFIX}parked"
# Sorted set of message ids Lockme answered 404 for, scored by when.
UNKNOWN_IDS: Final = f"{PREFIX}unknown"

# --- history and counters -------------------------------------------------------------
# List of the latest sync results, newest first.
RECENT: Final = f"{PREFIX}recent"


def daily_counts(day: str) -> str:
    """Hash result → how many syncs of that day (``YYYY-MM-DD``) ended so."""
    return f"{PREFIX}daily:{day}"


def daily_latency(day: str) -> str:
    """Hash latency bound → how many syncs of that day took at most that long."""
    return f"{PREFIX}latency:{day}"


# Hash metric field → value, the counters ``/metrics`` serves across processes.
METRICS: Final = f"{PREFIX}metrics"


def alert(condition: str) -> str:
    """Throttle marker of an alert sent for ``condition`` (its text's hash)."""
    return f"{PREFIX}alert:{condition}"


# JSON of the last reconcile run.
RECONCILE_LAST: Final = f"{PREFIX}reconcile:last"
# Hash calendar id → JSON result of the last check of that calendar.
CALENDAR_CHECK: Final = f"{PREFIX}calendar-check"

# --- caches ---------------------------------------------------------------------------
# JSON of Lockme's room names, cached for the pages.
NAMES_ROOMS: Final = f"{PREFIX}names:rooms"
# JSON of Google's calendar names, cached for the pages.
NAMES_CALENDARS: Final = f"{PREFIX}names:calendars"
# Hash fingerprint → an answer shape of Lockme's API not seen before (bounded).
LOCKME_SHAPES: Final = f"{PREFIX}lockme:shapes"

# --- staff pages ----------------------------------------------------------------------
# Counter bumped by "log out everywhere": sessions of an older epoch are void.
STAFF_EPOCH: Final = f"{PREFIX}staff:epoch"


def login_attempts(address: str) -> str:
    """Counter of login attempts from a client address in the current window."""
    return f"{PREFIX}login:{address}"


# --- sandbox --------------------------------------------------------------------------
# Hash in the sandbox's own database: its control API's ``url`` and ``token``. It also
# marks the database as the sandbox's, the only kind ``Sandbox.start`` will flush.
SANDBOX_STATE: Final = f"{PREFIX}sandbox"
