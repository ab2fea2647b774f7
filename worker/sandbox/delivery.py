"""Webhook delivery as Lockme does it: an empty POST naming the message, repeated while
the message is not acknowledged.

Lockme repeats an unacknowledged message for 24 hours at growing intervals (docs: the
Lockme API notes, "Re-delivery"); the sandbox does the same, so that a booking written
while Google was failing still reaches the calendar once the trouble ends, by the same
path it takes in production.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Iterator

import urllib3

from worker.sandbox.fake_lockme import FakeLockme

log = logging.getLogger(__name__)

FIRST_RETRY_S = 5.0
MAX_INTERVAL_S = 600.0
GIVE_UP_AFTER_S = 24 * 3600.0
POLL_S = 0.1


def intervals(
    first: float = FIRST_RETRY_S, cap: float = MAX_INTERVAL_S, horizon: float = GIVE_UP_AFTER_S
) -> Iterator[float]:
    """Seconds between one delivery and the next: doubling from ``first`` up to ``cap``,
    ending once their sum passes ``horizon`` (Lockme's 24 hours)."""
    total, gap = 0.0, first
    while total + gap <= horizon:
        yield gap
        total += gap
        gap = min(gap * 2, cap)


class Delivery(threading.Thread):
    """Posts every message the sandbox Lockme stores to ``webhook_url`` until it is acked.

    New messages are noticed by polling the fake's message ids (a tenth of a second), which
    keeps the fake unaware of delivery, as Lockme's API is unaware of its webhook sender.
    """

    def __init__(self, lockme: FakeLockme, webhook_url: str, first_retry_s: float = FIRST_RETRY_S):
        super().__init__(name="sandbox-delivery", daemon=True)
        self.lockme = lockme
        self.webhook_url = webhook_url
        self.first_retry_s = first_retry_s
        self._attempts: dict[int, int] = {}
        self._attempts_lock = threading.Lock()
        self._stop_event = threading.Event()
        self._due: list[tuple[float, int]] = []
        self._gaps: dict[int, Iterator[float]] = {}
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=2.0, read=10.0), retries=False
        )

    @property
    def attempts(self) -> dict[int, int]:
        """message id -> deliveries so far (for the sandbox page and the tests)."""
        with self._attempts_lock:
            return dict(self._attempts)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    def run(self) -> None:
        while not self._stop_event.wait(POLL_S):
            self._notice_new()
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                _, message_id = heapq.heappop(self._due)
                self._deliver(message_id)

    def _notice_new(self) -> None:
        with self.lockme.lock:
            fresh = [mid for mid in self.lockme.messages if mid not in self._gaps]
        for message_id in fresh:
            self._gaps[message_id] = intervals(first=self.first_retry_s)
            with self._attempts_lock:
                self._attempts[message_id] = 0
            heapq.heappush(self._due, (time.monotonic(), message_id))

    def _deliver(self, message_id: int) -> None:
        with self.lockme.lock:
            if message_id in self.lockme.acked:
                return
        with self._attempts_lock:
            self._attempts[message_id] += 1
        try:
            response = self._http.request(
                "POST", self.webhook_url, body=b"", headers={"X-MessageId": str(message_id)}
            )
            level = logging.DEBUG if response.status == 200 else logging.INFO
            log.log(level, "sandbox webhook %s: HTTP %s", message_id, response.status)
        except urllib3.exceptions.HTTPError as exc:
            log.info("sandbox webhook %s: %s", message_id, type(exc).__name__)
        gap = next(self._gaps[message_id], None)
        if gap is not None:
            heapq.heappush(self._due, (time.monotonic() + gap, message_id))
