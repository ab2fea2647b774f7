"""The floor for the worker figure: the same three calls per booking with nothing around them.

``python -m bench.floor_worker`` takes message ids from one Redis list and, for each, reads
the message from Lockme, inserts an event into Google and acknowledges the message, over
bare ``http.client`` connections kept alive, with one Redis write for the mapping. No
queue bookkeeping, no tokens to refresh, no validation, no logs, no metrics: what any
worker pays on this machine for three calls with 20 ms latency each (wake-ups, loopback
round trips, parsing), measured beside the product in the same run.
"""

from __future__ import annotations

import http.client
import json
import os
from urllib.parse import urlsplit

import redis

QUEUE = "bench:floor"


def connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=20)


def call(conn: http.client.HTTPConnection, method: str, path: str, **kwargs: object) -> object:
    conn.request(method, path, **kwargs)  # type: ignore[arg-type]
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {body[:200]!r}")
    return json.loads(body)


def main() -> None:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    api = urlsplit(os.environ["LOCKME_API_URL"]).path.rstrip("/") + "/v2.4"
    lockme, google = connection(os.environ["LOCKME_API_URL"]), connection(os.environ["GOOGLE_URL"])
    lockme_auth = {"Authorization": f"Bearer {os.environ['FLOOR_LOCKME_TOKEN']}"}
    google_auth = {
        "Authorization": f"Bearer {os.environ['FLOOR_GOOGLE_TOKEN']}",
        "Content-Type": "application/json",
    }
    while True:
        _, raw = client.blpop([QUEUE])
        message_id = int(raw)
        message = call(lockme, "GET", f"{api}/message/{message_id}", headers=lockme_auth)
        data = message["data"]  # type: ignore[index]
        event = {
            "id": f"lockme{message['reservationid']}",  # type: ignore[index]
            "summary": f"Room {message['roomid']}",  # type: ignore[index]
            "start": {"dateTime": f"{data['date']}T{data['hour']}", "timeZone": "Europe/Warsaw"},
            "end": {"dateTime": f"{data['date']}T{data['hour']}", "timeZone": "Europe/Warsaw"},
        }
        call(
            google,
            "POST",
            "/calendar/v3/calendars/primary/events",
            body=json.dumps(event),
            headers=google_auth,
        )
        client.set(f"bench:floor:{message['reservationid']}", message_id)  # type: ignore[index]
        call(lockme, "POST", f"{api}/message/{message_id}", headers=lockme_auth)


if __name__ == "__main__":
    main()
