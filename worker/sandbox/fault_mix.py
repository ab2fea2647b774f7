"""The standard fault mix: what a venue's first bad day might bring.

About 20% of Google's calendar calls fail (5xx, 429, 403 ``rateLimitExceeded``, writes
applied but answered 503) and about 10% of Lockme's message calls (5xx, 429, an ack applied
but answered 502). The chaos profile at default settings (``tests/chaos/test_defaults.py``)
and ``python -m bench``'s freshness row both run against it; ``install_writes`` adds faults
on Lockme's reservation writes for the two-way runs (``tests/chaos/test_blocks_chaos.py``,
``python -m bench.twoway``).
"""

from __future__ import annotations

from worker.sandbox.fake_google import FakeGoogle
from worker.sandbox.fake_lockme import FakeLockme
from worker.sandbox.google_errors import google_error_body

EVENTS = r"/calendar/v3/calendars/[^/]+/events"
MESSAGES = r"/message/\d+$"
RESERVATIONS = r"/room/\d+/reservation"


def install(lockme: FakeLockme, google: FakeGoogle) -> None:
    """Add the mix to both fakes' fault rules (earlier rules win, rarer ones first)."""
    google.faults.add(None, EVENTS, status=503, probability=0.05)
    google.faults.add(None, EVENTS, status=500, probability=0.03)
    google.faults.add(None, EVENTS, status=429, probability=0.04)
    rate_limited = google_error_body(403, "rateLimitExceeded", "Rate Limit Exceeded")
    google.faults.add(None, EVENTS, status=403, body=rate_limited, probability=0.04)
    for method in ("POST", "PUT", "DELETE"):
        google.faults.add(method, EVENTS, status=503, drop_after_apply=True, probability=0.05)
    lockme.faults.add(None, MESSAGES, status=503, probability=0.05)
    lockme.faults.add(None, MESSAGES, status=500, probability=0.03)
    lockme.faults.add(None, MESSAGES, status=429, probability=0.01)
    lockme.faults.add("POST", MESSAGES, status=502, drop_after_apply=True, probability=0.01)


def install_writes(lockme: FakeLockme) -> None:
    """Faults on Lockme's reservation writes (Calendar → Lockme blocks): about one create
    or delete in five refused before the write (5xx, 429) or answered badly after it
    committed (the connection dropped, or a 502), and some lookups by extid failing."""
    for method in ("PUT", "DELETE"):
        lockme.faults.add(method, RESERVATIONS, status=503, probability=0.06)
        lockme.faults.add(method, RESERVATIONS, status=429, probability=0.04)
        lockme.faults.add(method, RESERVATIONS, drop_after_apply=True, probability=0.06)
        lockme.faults.add(method, RESERVATIONS, status=502, drop_after_apply=True, probability=0.04)
    lockme.faults.add("GET", RESERVATIONS + "/ext/", status=500, probability=0.05)
