"""The floor for the worker figure: the same three calls per booking with nothing around them.

For each message id, :func:`sync_one` reads the message from Lockme, inserts an event into
Google and acknowledges the message, over bare ``http.client`` connections kept alive, with
one Redis write for the mapping. No tokens to refresh, no validation, no logs, no metrics.

``python -m bench.floor_worker`` runs it in a loop over one Redis list: what any worker
pays on this machine for three calls with 20 ms latency each (wake-ups, loopback round
trips, parsing). Queued as an RQ job to ``lockme-sync worker``, the same function adds
what the queue costs, so the product's figure splits into machine, queue and sync.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
from urllib.parse import urlsplit

import redis

QUEUE = "bench:floor"


@functools.cache
def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=20)


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def _call(url: str, method: str, path: str, token: str, body: object = None) -> object:
    conn = _connection(url)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data)


def sync_one(message_id: int) -> None:
    """Read, write, acknowledge: the product's common path at its barest."""
    lockme, token = os.environ["LOCKME_API_URL"], os.environ["FLOOR_LOCKME_TOKEN"]
    api = urlsplit(lockme).path.rstrip("/") + "/v2.4"
    message: dict = _call(lockme, "GET", f"{api}/message/{message_id}", token)  # type: ignore[assignment]
    when = f"{message['data']['date']}T{message['data']['hour']}"
    event = {
        "id": f"lockme{message['reservationid']}",
        "summary": f"Room {message['roomid']}",
        "start": {"dateTime": when, "timeZone": "Europe/Warsaw"},
        "end": {"dateTime": when, "timeZone": "Europe/Warsaw"},
    }
    google = os.environ["GOOGLE_URL"]
    path = "/calendar/v3/calendars/primary/events"
    _call(google, "POST", path, os.environ["FLOOR_GOOGLE_TOKEN"], event)
    _redis().set(f"bench:floor:{message['reservationid']}", message_id)
    _call(lockme, "POST", f"{api}/message/{message_id}", token)


def main() -> None:
    while True:
        popped = _redis().blpop([QUEUE])  # no timeout: waits until there is one
        assert popped is not None
        _, raw = popped
        sync_one(int(raw))


if __name__ == "__main__":
    main()
