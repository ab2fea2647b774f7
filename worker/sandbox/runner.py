"""The running sandbox: Lockme and Google Calendar on loopback, with a demo venue.

``lockme-sync dev`` starts one in its own process and hands the web and worker processes
the settings that point at it. Its data lives in a Redis database of its own, flushed at
every start (the fakes keep their state in memory, so older tokens and mappings would
point at nothing), and the address of its control API is published there for the
``lockme-sync sandbox …`` commands.

Staff events (``staff_add`` and the rest) act as a person in Calendar's own UI: the fake
stores the event and pushes to the app, which blocks the Lockme slots it covers.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import replace
from typing import Any, Self
from urllib.parse import quote

import redis

from worker.config import Settings
from worker.domain.booking import Route
from worker.domain.identity import is_block_extid, is_ours
from worker.jobs import messages as message_jobs
from worker.runtime import build_runtime
from worker.sandbox.address import sandbox_redis_url, text
from worker.sandbox.client import SandboxClient
from worker.sandbox.delivery import Delivery
from worker.sandbox.demo import (
    BLOCKED_ROOMS,
    BLOCKS_CALENDAR_ID,
    BLOCKS_CALENDAR_NAME,
    DEMO_ROOMS,
    GOOGLE_ACCOUNT,
    LOCKME_NICK,
    VENUE,
    SandboxError,
    booking_fields,
)
from worker.sandbox.demo import room as demo_room
from worker.sandbox.endpoints import service_environment
from worker.sandbox.fake_google import FakeGoogle
from worker.sandbox.fake_lockme import FakeLockme
from worker.sandbox.staff import day_of, staff_times, staff_title, staff_transparency
from worker.sandbox.venue_blocks import BlocksSwitch, slot_board
from worker.stores.block_rooms import BlockRooms
from worker.stores.keys import Keys
from worker.stores.redisutil import connect_redis

TROUBLE_SECONDS = 60.0
LOCKME_SLOW_S = 3.0
TROUBLES = ("google_down", "google_revoked", "lockme_slow")


class Sandbox:
    """Both fakes with the demo venue, webhook delivery and the trouble switches."""

    def __init__(self, settings: Settings, app_url: str) -> None:
        self.settings = settings
        self.app_url = app_url.rstrip("/")
        self.redis_url = sandbox_redis_url(settings)
        # The hash that publishes this sandbox's control API in its own database.
        self.state_key = Keys(settings.key_prefix).sandbox_state
        self.lockme = FakeLockme(
            client_id="sandbox-lockme-app",
            client_secret=secrets.token_urlsafe(16),
            nick=LOCKME_NICK,
            timezone=settings.venue_timezone,
            consent=True,
        )
        self.google = FakeGoogle(
            client_id="sandbox-google-app.apps.googleusercontent.com",
            client_secret=secrets.token_urlsafe(16),
            email=GOOGLE_ACCOUNT,
            time_zone=settings.venue_timezone,
            consent=True,
            allow_http_push=True,
        )
        self.token = secrets.token_urlsafe(24)
        self.control_url = ""
        self.delivery: Delivery | None = None
        self.blocks_switch: BlocksSwitch | None = None
        self.troubles: dict[str, float | None] = {}
        """Active trouble -> monotonic end time (``None``: until reconnected)."""
        self._timers: list[threading.Timer] = []
        self._google_down_rule: Any = None
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------

    def start(self, control_url: str) -> Self:
        """Claim the sandbox database, serve both fakes and start delivering webhooks;
        ``control_url`` is where the control API for this sandbox answers."""
        self.control_url = control_url
        client = connect_redis(self.redis_url)
        try:
            self._claim(client)
            client.hset(self.state_key, mapping={"url": control_url, "token": self.token})
        finally:
            client.close()
        self.lockme.start()
        self.google.start()
        for demo in DEMO_ROOMS:
            self.lockme.add_room(demo.room_id, demo.name, department=VENUE)
            if demo.calendar_id not in self.google.calendars:
                self.google.add_calendar(demo.calendar_id, demo.calendar_name, "owner")
        self.google.add_calendar(BLOCKS_CALENDAR_ID, BLOCKS_CALENDAR_NAME, "owner")
        store = build_runtime(self.child_settings()).store
        # The terminal's ``status``, ``check`` and ``routes`` read the sandbox's data with
        # these settings (``address.running_settings``).
        store.redis.hset(store.keys.sandbox_state, "env", json.dumps(self.environment()))
        for demo in DEMO_ROOMS:
            store.routes.set_route(
                Route(
                    demo.room_id,
                    calendar_id=demo.calendar_id,
                    color_id=demo.color_id,
                    room_name=demo.name,
                )
            )
        # Inert until both services are connected; the switch then starts it at once.
        blocks = BlockRooms(store.redis, Keys(self.settings.key_prefix))
        for room_id in BLOCKED_ROOMS:
            blocks.set(room_id, BLOCKS_CALENDAR_ID)
        store.redis.close()
        secret = quote(self.settings.webhook_secret, safe="")
        self.delivery = Delivery(self.lockme, f"{self.app_url}/webhooks/lockme?secret={secret}")
        self.delivery.start()
        self.blocks_switch = BlocksSwitch(self.child_settings())
        self.blocks_switch.start()
        return self

    def _claim(self, client: redis.Redis) -> None:
        """Flush the sandbox database, refusing one that holds anything but a sandbox, or
        a sandbox still running (another checkout's ``lockme-sync dev``)."""
        where = self.redis_url.split("@")[-1]
        if client.dbsize() and not client.exists(self.state_key):
            raise SandboxError(
                f"Redis database {where} holds data that is not the sandbox's; "
                "set SANDBOX_REDIS_URL to an empty database"
            )
        running = {text(k): text(v) for k, v in client.hgetall(self.state_key).items()}
        if running.get("url"):
            try:
                SandboxClient(running["url"], running.get("token", "")).state()
            except SandboxError:
                pass  # left behind by a sandbox that is gone
            else:
                raise SandboxError(
                    f"a sandbox is already running with Redis database {where}; stop it, "
                    "or give this one another SANDBOX_REDIS_URL"
                )
        client.flushdb()

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self.delivery is not None:
            self.delivery.stop()
        if self.blocks_switch is not None:
            self.blocks_switch.stop()
        self.lockme.stop()
        self.google.stop()
        try:
            client = connect_redis(self.redis_url, socket_connect_timeout=1)
            # Only our own address: a sandbox that failed to start leaves a running one's.
            if text(client.hget(self.state_key, "token") or b"") == self.token:
                client.delete(self.state_key)
            client.close()
        except redis.RedisError:
            pass  # the Redis dev started may already be gone

    # -- settings for the app's processes ----------------------------------------------

    def _overrides(self) -> dict[str, Any]:
        """The settings (by field name) that point the app at the sandbox, all text."""
        services = service_environment(self.lockme, self.google)
        return {
            "redis_url": self.redis_url,
            # Where the fake Google pushes blocks calendars' changes (over http here).
            "public_url": self.settings.public_url or self.app_url,
            **{name.lower(): value for name, value in services.items()},
            "sandbox_url": self.control_url,
            "sandbox_token": self.token,
        }

    def environment(self) -> dict[str, str]:
        """What the web and worker processes need to use the sandbox instead of the real
        services (overriding any ``.env`` values, since the environment wins); each
        variable is its setting's name in capitals."""
        return {name.upper(): str(value) for name, value in self._overrides().items()}

    def child_settings(self) -> Settings:
        """The settings of the app's processes, for this process's own use of the store."""
        return replace(self.settings, **self._overrides())

    # -- what the control API offers -------------------------------------------------

    def connect(self) -> dict[str, str]:
        """Connect both services as the OAuth callbacks would, without a browser, and
        release the messages that waited for a connection."""
        runtime = build_runtime(self.child_settings())
        try:
            runtime.lockme.connect(self.lockme.issue_token())
            runtime.store.connections.set_connection("lockme", account=self.lockme.nick)
            token = self.google.issue_token()
            record = {
                "access_token": token["access_token"],
                "refresh_token": token["refresh_token"],
                "expires_at": time.time() + float(token["expires_in"]),
                "scopes": sorted(self.google.granted_scopes),
            }
            runtime.calendar.connect(record, account=self.google.email)
            with self._lock:
                self.troubles.pop("google_revoked", None)
            parked = list(runtime.store.failures.parked())
            if parked:
                message_jobs.replay(runtime, parked)
        finally:
            runtime.redis.close()
        return {"lockme": self.lockme.nick, "google": self.google.email}

    def _blocks_calendars(self) -> dict[int, str]:
        """Room id -> its blocks calendar, as the app holds the setting."""
        client = connect_redis(self.redis_url)
        try:
            return BlockRooms(client, Keys(self.settings.key_prefix)).all()
        finally:
            client.close()

    def rooms(self) -> list[dict[str, Any]]:
        """The demo rooms; ``blocksCalendar`` is the calendar whose busy events close its
        slots (empty when a person turned blocks off for it)."""
        blocks = self._blocks_calendars()
        return [
            {
                "id": demo.room_id,
                "name": demo.name,
                "calendar": demo.calendar_id,
                "calendarName": demo.calendar_name,
                "colorId": demo.color_id,
                "blocksCalendar": blocks.get(demo.room_id, ""),
            }
            for demo in DEMO_ROOMS
        ]

    def bookings(self) -> list[dict[str, Any]]:
        """Live reservations, soonest first, with their room's name; ``block`` marks the
        ones the product made to close a slot."""
        names = {demo.room_id: demo.name for demo in DEMO_ROOMS}
        live = sorted(
            self.lockme.live_reservations().values(), key=lambda r: (r["date"], r["hour"])
        )
        return [
            {
                **r,
                "roomName": names.get(r["roomid"], str(r["roomid"])),
                "block": is_block_extid(r.get("extid")),
            }
            for r in live
        ]

    def slots(self, day: str) -> list[dict[str, Any]]:
        """Each room's slots on ``day`` (YYYY-MM-DD): free, booked or blocked."""
        return slot_board(self.lockme, day_of(day).isoformat())

    # -- staff events: a person in Calendar's own UI ----------------------------------

    def _calendar(self, ident: Any) -> str:
        """A calendar by id or name (case-insensitive); the blocks calendar by default."""
        text_id = str(ident or "").strip() or BLOCKS_CALENDAR_ID
        for calendar in self.calendars():
            if text_id in (calendar["id"], calendar["name"]) or (
                text_id.casefold() == calendar["name"].casefold()
            ):
                return calendar["id"]
        names = ", ".join(c["name"] for c in self.calendars())
        raise SandboxError(f"no calendar {text_id!r} in the sandbox; its calendars are {names}")

    def _staff_event(self, event_id: str) -> str:
        """The calendar holding staff event ``event_id``; the product's own events are
        refused (change the booking instead)."""
        for calendar_id in self.google.calendar_ids():
            event = self.google.event(calendar_id, event_id)
            if event is None or event.get("status") == "cancelled":
                continue
            if is_ours(event):
                raise SandboxError(
                    f"event {event_id} is the app's event of a booking; change the booking"
                )
            return calendar_id
        raise SandboxError(f"no staff event {event_id}")

    def staff_add(self, fields: dict[str, Any]) -> dict[str, str]:
        calendar_id = self._calendar(fields.get("calendar"))
        when = staff_times(fields)
        event_id = self.google.staff_event(
            calendar_id,
            staff_title(fields),
            when.start,
            when.end,
            all_day=when.all_day,
            transparency=staff_transparency(fields),
        )
        return {"eventId": event_id, "calendar": calendar_id}

    def staff_move(self, event_id: str, fields: dict[str, Any]) -> dict[str, str]:
        calendar_id = self._staff_event(event_id)
        when = staff_times(fields)
        self.google.move_staff_event(
            calendar_id, event_id, when.start, when.end, all_day=when.all_day
        )
        return {"eventId": event_id, "calendar": calendar_id}

    def staff_delete(self, event_id: str) -> dict[str, str]:
        calendar_id = self._staff_event(event_id)
        self.google.delete_staff_event(calendar_id, event_id)
        return {"eventId": event_id, "calendar": calendar_id}

    def _on_a_slot(self, roomid: int, day: str, hour: str) -> None:
        """Refuse an hour that is not one of the room's slots that day: a customer on
        lock.me can only pick a slot, and the product's blocks close slots, so an
        off-grid booking showed nothing a newcomer could follow."""
        slots = self.lockme.slot_hours(roomid, day)
        if hour not in slots:
            listed = ", ".join(slot[:5] for slot in slots)
            room = demo_room(roomid).name
            raise SandboxError(
                f"{hour[:5]} is not a slot of {room} on {day}: its slots are {listed}",
                "off_slot",
                hour=hour[:5],
                room=room,
                day=day,
                slots=listed,
            )

    def book(self, fields: dict[str, Any]) -> dict[str, int]:
        changes = booking_fields(fields, required=True)
        roomid = changes.pop("roomid")
        self._on_a_slot(roomid, changes["date"], changes["hour"])
        rid, mid = self.lockme.create_reservation(
            roomid, changes.pop("date"), changes.pop("hour"), **changes
        )
        return {"reservationId": rid, "messageId": mid}

    def edit(self, reservation_id: int, fields: dict[str, Any]) -> dict[str, int]:
        changes = booking_fields(fields, required=False)
        if not changes:
            raise SandboxError(
                "nothing to change: give a date, hour, room, name, people, phone or paid"
            )
        current = self.lockme.live_reservations().get(reservation_id)
        if current is None:
            raise SandboxError(f"no live reservation {reservation_id}")
        if {"roomid", "date", "hour"} & set(changes):
            moved = {**current, **changes}
            self._on_a_slot(int(moved["roomid"]), str(moved["date"]), str(moved["hour"]))
        try:
            return {"messageId": self.lockme.edit_reservation(reservation_id, **changes)}
        except KeyError:
            raise SandboxError(f"no live reservation {reservation_id}") from None

    def cancel(self, reservation_id: int) -> dict[str, int]:
        try:
            return {"messageId": self.lockme.delete_reservation(reservation_id)}
        except KeyError:
            raise SandboxError(f"no live reservation {reservation_id}") from None

    def test_message(self) -> dict[str, int]:
        return {"messageId": self.lockme.test_message()}

    def trouble(self, kind: str, seconds: float = TROUBLE_SECONDS) -> dict[str, Any]:
        """Start one kind of trouble (``clear`` ends them all)."""
        if kind == "clear":
            self._end("google_down")
            self._end("lockme_slow")
            return self.state()
        if kind not in TROUBLES:
            raise SandboxError(f"unknown trouble {kind!r}; one of {', '.join(TROUBLES)}, clear")
        if not 0 < seconds <= 3600:
            raise SandboxError("seconds must be above 0 and at most 3600")
        if kind == "google_revoked":
            self.google.revoke()
            with self._lock:
                self.troubles[kind] = None
            return self.state()
        self._end(kind)
        if kind == "google_down":
            self._google_down_rule = self.google.faults.add(None, r"^/calendar/v3/", status=503)
        else:
            self.lockme.latency = LOCKME_SLOW_S
        with self._lock:
            self.troubles[kind] = time.monotonic() + seconds
        timer = threading.Timer(seconds, self._end, args=(kind,))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)
        return self.state()

    def _end(self, kind: str) -> None:
        with self._lock:
            self.troubles.pop(kind, None)
        if kind == "google_down" and self._google_down_rule is not None:
            self.google.faults.remove(self._google_down_rule)
            self._google_down_rule = None
        if kind == "lockme_slow":
            self.lockme.latency = 0.0

    def state(self) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock, self.google.lock:
            # Revoking dropped every grant: a grant seen since is a reconnect, which ends it.
            if "google_revoked" in self.troubles and self.google.refresh_tokens:
                del self.troubles["google_revoked"]
            troubles = {
                kind: None if end is None else max(0, round(end - now))
                for kind, end in self.troubles.items()
            }
        return {
            "troubles": troubles,
            "lockme": {"url": self.lockme.url, "account": self.lockme.nick},
            "google": {"url": self.google.url, "account": self.google.email},
            "webhooks": self.webhooks(),
        }

    def webhooks(self, last: int = 8) -> list[dict[str, Any]]:
        """The latest messages with how often each was delivered and whether the app has
        acknowledged it: redeliveries during trouble, then the ack, show the recovery."""
        attempts = self.delivery.attempts if self.delivery else {}
        with self.lockme.lock:
            latest = sorted(self.lockme.messages)[-last:]
            rows = [
                {
                    "messageId": mid,
                    "action": body.get("action") if isinstance(body, dict) else None,
                    "reservationId": body.get("reservationid") if isinstance(body, dict) else None,
                    "deliveries": attempts.get(mid, 0),
                    "acknowledged": mid in self.lockme.acked,
                }
                for mid, body in ((mid, self.lockme.messages[mid]) for mid in latest)
            ]
        return rows[::-1]

    def events(self) -> list[dict[str, Any]]:
        """Every event of the sandbox calendars, cancelled ones included (``status``)."""
        rows = []
        for calendar_id in self.google.calendar_ids():
            name = self.google.calendars[calendar_id]["summary"]
            for event in self.google.events(calendar_id, include_cancelled=True):
                private = (event.get("extendedProperties") or {}).get("private") or {}
                rows.append(
                    {
                        "calendar": calendar_id,
                        "calendarName": name,
                        "id": event["id"],
                        "summary": event.get("summary", ""),
                        "start": event["start"].get("dateTime") or event["start"].get("date"),
                        "end": event["end"].get("dateTime") or event["end"].get("date"),
                        "status": event.get("status", "confirmed"),
                        "colorId": event.get("colorId", ""),
                        "lockmeReservationId": private.get("lockmeReservationId"),
                        "lockmeRoomId": private.get("lockmeRoomId"),
                        "staff": not is_ours(event),
                        "busy": event.get("transparency", "opaque") != "transparent",
                        "allDay": "date" in event["start"],
                    }
                )
        return rows

    def calendars(self) -> list[dict[str, str]]:
        """The account's calendars, the rooms' first and the primary (unrouted) last."""
        ids = sorted(self.google.calendar_ids(), key=lambda cid: cid == self.google.email)
        return [{"id": cid, "name": self.google.calendars[cid]["summary"]} for cid in ids]
