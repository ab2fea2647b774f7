"""Push channels of the fake Calendar API: ``events.watch`` opens one, ``channels.stop``
ends it, and every change of a watched calendar is POSTed to its address as Google does
(``sync`` first, then ``exists``, numbered), from a thread of its own so that no request
waits on a delivery."""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from werkzeug.wrappers import Request, Response

from worker.sandbox.faults import Faults
from worker.sandbox.google_errors import gerr, json_body
from worker.sandbox.google_world import GoogleWorld
from worker.sandbox.server import json_response

# A channel lives this long when the watch asks for nothing (or more): about a week, as
# observed of Calendar channels (docs two-way-prior-art.md).
CHANNEL_TTL_S = 7 * 24 * 3600
PUSH_TIMEOUT_S = 5.0
PUSH_RETRY_DELAY_S = 0.5


class PushChannels(GoogleWorld):
    """The channels open on the calendars, and the delivery of their messages."""

    def __init__(self, faults: Faults | None, email: str, time_zone: str) -> None:
        super().__init__(faults, email, time_zone)
        self.allow_http_push = False
        """Accept a watch whose address is plain HTTP (the sandbox: loopback has no TLS);
        Google itself refuses it with 400 ``push.webhookUrlNotHttps``."""
        self.max_channel_ttl_s: int = CHANNEL_TTL_S
        """The longest life a watch is granted, whatever its ``params.ttl`` asks (Google's
        cap is about a week); a test shortens it to see channels renewed and expiring."""
        self.channels: dict[str, dict[str, Any]] = {}
        """channel id -> {"calendar_id", "user" (who opened it), "resource_id", "token",
        "address", "expiration" (ms), "number" (the last message number), "stopped"}."""
        self.pushes: list[dict[str, Any]] = []
        """Every push delivery attempt: {"channel_id", "state", "number", "status"}."""
        self._push_queue: queue.Queue[tuple[dict[str, str], str] | None] = queue.Queue()
        self._push_thread: threading.Thread | None = None

    def _resource_id(self, cid: str) -> str:
        """Google's opaque, stable id of a calendar's events collection."""
        return hashlib.sha1(f"events:{cid}".encode()).hexdigest()[:27]

    def live_channels(self, calendar_id: str | None = None) -> list[str]:
        """Ids of the channels that still deliver (not stopped, not expired)."""
        now_ms = time.time() * 1000
        with self.lock:
            return [
                cid
                for cid, ch in self.channels.items()
                if not ch["stopped"]
                and ch["expiration"] > now_ms
                and (calendar_id is None or ch["calendar_id"] == self._resolve(calendar_id))
            ]

    def expire_channel(self, channel_id: str) -> None:
        """End a channel's life now, as its expiration passing would: no more pushes."""
        with self.lock:
            self.channels[channel_id]["expiration"] = int(time.time() * 1000) - 1

    def _notify(self, cid: str) -> None:
        """Queue an ``exists`` push to every live channel watching the calendar."""
        now_ms = time.time() * 1000
        with self.lock:
            watching = [
                ch
                for ch in self.channels.values()
                if ch["calendar_id"] == cid and not ch["stopped"] and ch["expiration"] > now_ms
            ]
            for channel in watching:
                self._push(channel, "exists")

    def _push(self, channel: dict[str, Any], state: str) -> None:
        """Queue one message of a channel for the delivery thread (never blocks a request)."""
        with self.lock:
            channel["number"] += 1
            expiry = datetime.fromtimestamp(channel["expiration"] / 1000, UTC)
            headers = {
                "X-Goog-Channel-ID": channel["id"],
                "X-Goog-Channel-Expiration": format_datetime(expiry, usegmt=True),
                "X-Goog-Resource-ID": channel["resource_id"],
                "X-Goog-Resource-URI": channel["resource_uri"],
                "X-Goog-Resource-State": state,
                "X-Goog-Message-Number": str(channel["number"]),
            }
            if channel["token"]:
                headers["X-Goog-Channel-Token"] = channel["token"]
            if self._push_thread is None:
                self._push_thread = threading.Thread(
                    target=self._deliver_pushes, name="FakeGoogle-push", daemon=True
                )
                self._push_thread.start()
        self._push_queue.put((headers, channel["address"]))

    def _deliver_pushes(self) -> None:
        """POST each queued message, in order; a failure is retried once, then dropped."""
        session = requests.Session()
        while (item := self._push_queue.get()) is not None:
            headers, address = item
            status: int | str = "error"
            for attempt in range(2):
                try:
                    status = session.post(
                        address, headers=headers, timeout=PUSH_TIMEOUT_S
                    ).status_code
                except requests.RequestException:
                    status = "error"
                if isinstance(status, int) and status < 500:
                    break
                if attempt == 0:
                    self._stopping.wait(PUSH_RETRY_DELAY_S)
            with self.lock:
                self.pushes.append(
                    {
                        "channel_id": headers["X-Goog-Channel-ID"],
                        "state": headers["X-Goog-Resource-State"],
                        "number": int(headers["X-Goog-Message-Number"]),
                        "status": status,
                    }
                )
            self._push_queue.task_done()
        self._push_queue.task_done()
        session.close()

    def wait_for_pushes(self, timeout: float = 10.0) -> bool:
        """Wait until every queued push was delivered (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._push_queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        """Stop the push delivery thread too."""
        with self.lock:
            thread, self._push_thread = self._push_thread, None
        if thread is not None:
            self._push_queue.put(None)
            thread.join(timeout=PUSH_TIMEOUT_S * 2 + 1)
        super().stop()

    def _watch(self, request: Request, cid: str, user: str) -> Response:
        """``events.watch``: open a push channel on the calendar's events."""
        body = json_body(request)
        if isinstance(body, Response):
            return body
        channel_id, address = body.get("id"), body.get("address")
        if not isinstance(channel_id, str) or not channel_id:
            return gerr(400, "required", "Required")
        if body.get("type") not in ("web_hook", "webhook"):
            return gerr(400, "invalid", f"Invalid value for: {body.get('type')}")
        if not isinstance(address, str) or not urlsplit(address).hostname:
            return gerr(400, "push.webhookUrlNoHostOrAddress", "WebHook callback has no host.")
        scheme = urlsplit(address).scheme.lower()
        if scheme != "https" and not (self.allow_http_push and scheme == "http"):
            return gerr(
                400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}"
            )
        if channel_id in self.channels:
            return gerr(400, "channelIdNotUnique", "Channel id not unique")
        params: dict[str, Any] = body["params"] if isinstance(body.get("params"), dict) else {}
        try:
            ttl = min(int(params.get("ttl", CHANNEL_TTL_S)), self.max_channel_ttl_s)
        except (TypeError, ValueError):
            return gerr(400, "invalid", "Invalid value for: params.ttl")
        token = body.get("token")
        channel = {
            "id": channel_id,
            "calendar_id": cid,
            "user": user,
            "resource_id": self._resource_id(cid),
            "resource_uri": (
                f"https://www.googleapis.com/calendar/v3/calendars/{quote(cid)}/events?alt=json"
            ),
            "token": token if isinstance(token, str) else "",
            "address": address,
            "expiration": int((time.time() + max(ttl, 1)) * 1000),
            "number": 0,
            "stopped": False,
        }
        self.channels[channel_id] = channel
        answer = {
            "kind": "api#channel",
            "id": channel_id,
            "resourceId": channel["resource_id"],
            "resourceUri": channel["resource_uri"],
            "expiration": str(channel["expiration"]),
        }
        if channel["token"]:
            answer["token"] = channel["token"]
        self._push(channel, "sync")
        return json_response(answer)

    def _stop_channel(self, request: Request, user: str) -> Response:
        """``channels.stop``: the channel delivers nothing more."""
        body = json_body(request)
        if isinstance(body, Response):
            return body
        channel = self.channels.get(str(body.get("id")))
        if (
            channel is None
            or channel["stopped"]
            or channel["resource_id"] != body.get("resourceId")
            or channel["user"] != user
        ):
            return gerr(404, "notFound", f"Channel '{body.get('id')}' not found for project")
        channel["stopped"] = True
        return Response(status=204)
