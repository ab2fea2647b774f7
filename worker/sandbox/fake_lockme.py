"""In-memory fake of the Lockme partner API v2.x and its OAuth server.

It copies what docs/lockme-api.md establishes (paths, Bearer auth, ``{"message": ...}``
error bodies, the webhook message shape, rotating refresh tokens) so the worker can be
tested end to end without a Lockme account. Test helpers simulate activity in the
Lockme panel: creating, editing, moving and deleting reservations emits messages.

An integration's writes (docs/lockme-api.md §7a) are modelled too: ``PUT``, ``POST`` and
``DELETE`` of ``/room/{r}/reservation[/{id|ext/{extid}}]``, each echoed by a webhook
message as Lockme is assumed to do; a taken slot is refused and a booking paid through
Lockme cannot be deleted. Rooms have slot settings (``/room/{r}/day/{0..6}`` and per-date
exceptions ``/room/{r}/date/{d}``), :data:`DEFAULT_SLOTS` unless a test sets others
(:meth:`FakeLockme.set_day_slots`, :meth:`FakeLockme.set_date_slots`).

Where Lockme's answer form is a guess, the fake speaks each plausible form on demand
(:class:`Dialect`, e.g. ``fake.dialect.ack = "204"``), so the worker is tested against all
of them rather than against the one guessed.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from worker.sandbox.fake_oauth import LOCKME_OAUTH, FakeOAuth, OAuthField
from worker.sandbox.server import JSON_CONTENT_TYPE, FakeServer, Faults, json_response

_RESERVATION_FIELDS = (
    "roomid",
    "date",
    "hour",
    "name",
    "surname",
    "email",
    "phone",
    "people",
    "price",
    "pricer",
    "comment",
    "status",
    "source",
    "extid",
    "language",
    "invoice",
)
# What an integration's create or edit may set (the rest is Lockme's own).
_WRITABLE = ("name", "surname", "email", "phone", "people", "price", "pricer", "comment")
_DELETE_FIELDS = ("roomid", "date", "hour", "extid", "source", "status")
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOUR_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# A room's slots unless a test sets others: every day 10:00 to 22:00, every 90 minutes.
DEFAULT_SLOTS = tuple(
    f"{(10 * 60 + 90 * i) // 60:02d}:{(10 * 60 + 90 * i) % 60:02d}:00" for i in range(9)
)
TAKEN_TEXT = "The slot is already taken"
OFF_SLOT_TEXT = "The hour is not a slot of this room"
PAID_TEXT = "A reservation paid through Lockme cannot be deleted"


_DIALECT_CHOICES = {
    "ack": ("json", "object", "text", "empty", "204"),
    "lists": ("list", "keyed"),
    "delete_data": ("object", "[]", "{}", "missing"),
    "test": ("json", "object", "text"),
    "token_expires": ("both", "expires_in", "relative", "absolute"),
    "reservation": ("flat", "keyed", "other"),
    "create": ("int", "string", "object", "id", "data", "text", "empty"),
    "taken": ("409", "400", "200"),
    "slots": ("objects", "strings", "keyed", "data"),
    "closed": ("[]", "{}", "null"),
    "no_exception": ("[]", "{}", "null", "404"),
    "echo": ("after", "before"),
}


@dataclass
class Dialect:
    """The form of each answer whose form nobody has confirmed. The defaults are the forms
    this fake has always spoken, so a test that picks none is unchanged.

    - ``ack`` (``POST /message/{id}``): ``json`` (``true``), ``object`` (``{"status": "OK"}``),
      ``text`` (``OK`` as text/html), ``empty`` (200, no body) or ``204``.
    - ``lists`` (``/rooms``, ``/room/{id}/reservations/{date}``): ``list``, or ``keyed``
      (an object keyed by id, as PHP encodes an associative array).
    - ``delete_data`` (the ``data`` of a delete message, fixed when it is emitted):
      ``object``, ``[]`` (PHP's empty array), ``{}`` or ``missing``.
    - ``test`` (``GET /test``): ``json`` (``"OK"``), ``object`` or ``text``.
    - ``token_expires``: ``both`` (``expires_in`` and an absolute ``expires``),
      ``expires_in``, ``relative`` (``expires`` in seconds) or ``absolute`` (a timestamp).
    - ``reservation`` (``GET /room/{r}/reservation/{id}``): ``flat`` (a message's fields),
      ``keyed`` (``{"<id>": {...}}``) or ``other`` (fields under names nobody reads).
    - ``errors_in_200``: API errors other than 401 answered 200 with ``{"error": ...}``.
    - ``create`` (``PUT /room/{r}/reservation``): ``int`` (the new id), ``string`` (it as
      a JSON string), ``object`` (``{"reservationid": n}``), ``id`` (``{"id": n}``),
      ``data`` (``{"data": {"reservationid": n}}``), ``text`` (the digits as text/html) or
      ``empty`` (200, no body: the caller must find its reservation by ``extid``).
    - ``taken`` (a create on a slot a live reservation holds): ``409`` with ``error``,
      ``400`` with ``message``, or ``200`` carrying ``error``.
    - ``refuse_off_slot``: a create at an hour that is not one of the room's slots that
      day is refused like a taken slot (otherwise accepted, as nobody knows what Lockme does).
    - ``slots`` (``GET /room/{r}/day/{n}`` and a date's exception): ``objects`` (a list of
      ``{"hour": "HH:MM:SS", "pricers": [...]}``, the exception's POST form), ``strings``
      (a list of ``"HH:MM"``), ``keyed`` (an object keyed by ``"HH:MM:SS"``) or ``data``
      (``{"data": [objects]}``); ``closed`` is a day without slots (``[]``, ``{}``,
      ``null``) and ``no_exception`` a date without an exception (``[]``, ``{}``, ``null``
      or ``404``).
    - ``echo`` (the webhook message of an API write): ``after`` stores it as the write
      commits; ``before`` also hands it to :attr:`FakeLockme.echo_listener` and waits for
      that to return before answering, as if Lockme's webhook overtook its own answer.
      ``echo_extid`` False leaves ``extid`` out of the echo's ``data``.
    """

    ack: str = "json"
    lists: str = "list"
    delete_data: str = "object"
    test: str = "json"
    token_expires: str = "both"
    reservation: str = "flat"
    errors_in_200: bool = False
    create: str = "int"
    taken: str = "409"
    refuse_off_slot: bool = False
    slots: str = "objects"
    closed: str = "[]"
    no_exception: str = "[]"
    echo: str = "after"
    echo_extid: bool = True

    def __setattr__(self, name: str, value: Any) -> None:
        """Reject a form the fake does not speak, so a typo cannot pass for a tested form."""
        allowed = _DIALECT_CHOICES.get(name)
        if allowed is not None and value not in allowed:
            raise ValueError(f"dialect {name} must be one of {allowed}, not {value!r}")
        super().__setattr__(name, value)


def _hhmmss(value: Any) -> str | None:
    """An hour as ``HH:MM:SS`` (Lockme's own form), or None when it is not an hour."""
    match = _HOUR_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return f"{int(match[1]):02d}:{match[2]}:{match[3] or '00'}"


def _hour(value: str) -> str:
    """A test's hour as ``HH:MM:SS``; anything else is a mistake in the test."""
    hour = _hhmmss(value)
    if hour is None:
        raise ValueError(f"{value!r} is not an hour")
    return hour


def _paid_via_lockme(reservation: dict[str, Any]) -> bool:
    """Paid online through Lockme (a web booking with status 1): the API may not delete it."""
    return reservation["source"] == "web" and str(reservation["status"]) == "1"


def _body(request: Request) -> Any:
    """A write's body: JSON as the SDK sends it, or a form."""
    if request.is_json or request.get_data()[:1] in (b"{", b"["):
        try:
            return json.loads(request.get_data())
        except ValueError:
            return None
    return request.form.to_dict()


def _text(body: str, status: int = 200) -> Response:
    """A text answer as PHP sends one by default."""
    return Response(body, status=status, content_type="text/html; charset=UTF-8")


def _message(status: int, message: str | None = None) -> Response:
    return json_response({"message": message or _REASONS.get(status, "Error")}, status)


class FakeLockme(FakeServer):
    """Fake ``https://api.lock.me``: OAuth at ``/authorize`` and ``/access_token``,
    the API under ``/{version}/``."""

    client_id = OAuthField()
    client_secret = OAuthField()
    access_ttl = OAuthField()
    consent = OAuthField()
    codes = OAuthField()
    access_tokens = OAuthField()
    refresh_tokens = OAuthField()
    last_authorize_params = OAuthField("last_params")

    def __init__(
        self,
        client_id: str = "lm-client",
        client_secret: str = "lm-secret",
        access_ttl: int = 3600,
        version: str = "v2.4",
        nick: str = "escape-owner",
        userid: int = 4242,
        *,
        faults: Faults | None = None,
        timezone: str = "Europe/Warsaw",
        consent: bool = False,
    ) -> None:
        super().__init__(faults)
        self.lock = threading.RLock()
        self.dialect = Dialect()
        self.oauth = FakeOAuth(
            LOCKME_OAUTH,
            client_id,
            client_secret,
            signed_in=nick,
            access_ttl=access_ttl,
            consent=consent,
            expiry_fields=self._expiry_fields,
            lock=self.lock,
        )
        self.version = version
        self.nick = nick
        self.userid = userid
        self._tz = ZoneInfo(timezone)
        self.rooms: dict[int, dict[str, Any]] = {}
        self.reservations: dict[int, dict[str, Any]] = {}
        """reservation id -> current state, including a ``deleted`` flag."""
        self.messages: dict[int, Any] = {}
        """message id -> body exactly as ``GET /message/{id}`` serves it."""
        self.acked: set[int] = set()
        self.ack_count: dict[int, int] = {}
        self._next_rid = 48211930
        self._next_mid = 7000
        self.day_slots: dict[int, dict[int, list[str]]] = {}
        """room id -> weekday (0 = Monday) -> its slot hours, where a test set them."""
        self.date_slots: dict[int, dict[str, list[str]]] = {}
        """room id -> date -> the hours of that date's exception."""
        self.echo_listener: Callable[[int], None] | None = None
        """Called with the echo's message id before an API write answers (``echo=before``)."""

    # -- tokens --------------------------------------------------------------------

    def _expiry_fields(self, ttl: int) -> dict[str, Any]:
        """How a token answer states the access token's life, in the dialect's form."""
        form = self.dialect.token_expires
        if form == "both":
            return {"expires_in": ttl, "expires": int(time.time() + ttl)}
        if form == "expires_in":
            return {"expires_in": ttl}
        return {"expires": ttl if form == "relative" else int(time.time() + ttl)}

    def issue_token(self) -> dict[str, Any]:
        """A valid token response, as if the OAuth dance had happened (for seeding tests)."""
        return self.oauth.issue()

    def expire_access_tokens(self) -> None:
        """Make every current access token expired; refresh tokens stay valid."""
        self.oauth.expire()

    def revoke(self) -> None:
        """Invalidate every token, like a user revoking the app in the Lockme panel."""
        self.oauth.revoke()

    # -- rooms, reservations, messages ---------------------------------------------

    def add_room(self, roomid: int, name: str, department: str = "Main") -> None:
        """Register a room that ``GET /rooms`` lists."""
        with self.lock:
            self.rooms[int(roomid)] = {
                "roomid": int(roomid),
                "room": name,
                "department": department,
            }

    def _now_local(self) -> str:
        return datetime.now(self._tz).strftime("%Y-%m-%d %H:%M:%S")

    def _store_message(self, body: Any) -> int:
        with self.lock:
            mid = self._next_mid
            self._next_mid += 1
            self.messages[mid] = body
            return mid

    @staticmethod
    def _public(reservation: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in reservation.items() if k != "deleted"}

    def _data(self, reservation: dict[str, Any]) -> dict[str, Any]:
        data = {k: reservation[k] for k in _RESERVATION_FIELDS}
        data["time"] = self._now_local()
        return data

    def create_reservation(
        self,
        roomid: int,
        date: str,
        hour: str,
        *,
        name: str = "Jan",
        surname: str = "Kowalski",
        email: str | None = None,
        phone: str = "+48600100200",
        people: int = 4,
        price: str = "240.00",
        comment: str = "",
        status: int = 1,
        source: str = "web",
        extid: str = "",
        language: str = "pl",
        pricer: str = "Standard",
        invoice: str = "",
    ) -> tuple[int, int]:
        """Book a slot as a customer would; returns ``(reservation_id, message_id)``.

        Paid by default; ``status=0`` with ``source="web"`` is an unpaid lock.me hold,
        which an edit with ``status=1`` pays.

        An unknown room is added on the fly so tests need not declare every room.
        """
        if email is None:
            email = f"{name}.{surname}@example.com".lower() if name or surname else ""
        with self.lock:
            roomid = int(roomid)
            if roomid not in self.rooms:
                self.add_room(roomid, f"Room {roomid}")
            rid = self._next_rid
            self._next_rid += 1
            reservation = {
                "reservationid": rid,
                "roomid": roomid,
                "date": date,
                "hour": hour,
                "name": name,
                "surname": surname,
                "email": email,
                "phone": phone,
                "people": people,
                "price": price,
                "pricer": pricer,
                "comment": comment,
                "status": status,
                "source": source,
                "extid": extid,
                "language": language,
                "invoice": invoice,
                "deleted": False,
            }
            self.reservations[rid] = reservation
            mid = self._store_message(
                {
                    "action": "add",
                    "roomid": roomid,
                    "reservationid": rid,
                    "data": self._data(reservation),
                }
            )
            return rid, mid

    def _live(self, rid: int) -> dict[str, Any]:
        reservation = self.reservations.get(int(rid))
        if reservation is None or reservation["deleted"]:
            raise KeyError(f"no live reservation {rid}")
        return reservation

    def edit_reservation(self, rid: int, **changes: Any) -> int:
        """Change a booking (including a move to another room); returns the message id.

        A changed date or hour adds ``from_date``/``from_hour``. For a room move the
        message names only the new room, as the real one does.
        """
        unknown = set(changes) - set(_RESERVATION_FIELDS)
        if unknown:
            raise TypeError(f"unknown reservation fields: {sorted(unknown)}")
        with self.lock:
            reservation = self._live(rid)
            before = dict(reservation)
            if "roomid" in changes:
                changes["roomid"] = int(changes["roomid"])
                if changes["roomid"] not in self.rooms:
                    self.add_room(changes["roomid"], f"Room {changes['roomid']}")
            reservation.update(changes)
            data = self._data(reservation)
            if reservation["date"] != before["date"] or reservation["hour"] != before["hour"]:
                data["from_date"] = before["date"]
                data["from_hour"] = before["hour"]
            return self._store_message(
                {
                    "action": "edit",
                    "roomid": reservation["roomid"],
                    "reservationid": reservation["reservationid"],
                    "data": data,
                }
            )

    def delete_reservation(self, rid: int) -> int:
        """Cancel a booking; afterwards ``GET`` of it gives 404. Returns the message id."""
        with self.lock:
            reservation = self._live(rid)
            reservation["deleted"] = True
            body: dict[str, Any] = {
                "action": "delete",
                "roomid": reservation["roomid"],
                "reservationid": reservation["reservationid"],
            }
            form = self.dialect.delete_data
            if form == "object":
                body["data"] = {k: reservation[k] for k in _DELETE_FIELDS}
            elif form != "missing":
                body["data"] = [] if form == "[]" else {}
            return self._store_message(body)

    def test_message(self) -> int:
        """The message Lockme sends when the panel's "test webhook" button is pressed."""
        return self._store_message({"action": "test", "data": {}})

    def put_message(self, payload: dict[str, Any] | str | None) -> int:
        """Store a body verbatim (a ``str`` is served as raw, possibly invalid, JSON text)."""
        return self._store_message(copy.deepcopy(payload))

    def live_reservations(self) -> dict[int, dict[str, Any]]:
        """Reservations that are not deleted, as the API would return them."""
        with self.lock:
            return {
                rid: self._public(r) for rid, r in self.reservations.items() if not r["deleted"]
            }

    # -- slot settings -------------------------------------------------------------

    def set_day_slots(self, roomid: int, weekday: int, hours: list[str]) -> None:
        """Set a room's slots on one weekday (0 = Monday); ``[]`` closes that day."""
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday {weekday} is not 0..6")
        with self.lock:
            self.day_slots.setdefault(int(roomid), {})[weekday] = [_hour(h) for h in hours]

    def set_date_slots(self, roomid: int, day: str, hours: list[str] | None) -> None:
        """Give a date an exception with these hours; ``None`` or ``[]`` removes it."""
        with self.lock:
            exceptions = self.date_slots.setdefault(int(roomid), {})
            if hours:
                exceptions[day] = [_hour(h) for h in hours]
            else:
                exceptions.pop(day, None)

    def weekday_slots(self, roomid: int, weekday: int) -> list[str]:
        """A weekday's slot hours (``HH:MM:SS``): what a test set, or :data:`DEFAULT_SLOTS`."""
        with self.lock:
            return list(self.day_slots.get(int(roomid), {}).get(weekday, DEFAULT_SLOTS))

    def slot_hours(self, roomid: int, day: str) -> list[str]:
        """The hours a date really has: its exception when it has one, else its weekday's."""
        with self.lock:
            exception = self.date_slots.get(int(roomid), {}).get(day)
            if exception:
                return list(exception)
            return self.weekday_slots(roomid, date.fromisoformat(day).weekday())

    def holder(self, roomid: int, day: str, hour: str) -> dict[str, Any] | None:
        """The live reservation holding a slot, if any."""
        wanted = _hhmmss(hour)
        with self.lock:
            for reservation in self.reservations.values():
                if (
                    not reservation["deleted"]
                    and reservation["roomid"] == int(roomid)
                    and reservation["date"] == day
                    and _hhmmss(reservation["hour"]) == wanted
                ):
                    return self._public(reservation)
        return None

    # -- HTTP ----------------------------------------------------------------------

    def default_error_body(self, status: int, path: str) -> Any:
        if path in ("/access_token", "/authorize"):
            return LOCKME_OAUTH.fault_body(status)
        return {"message": _REASONS.get(status, "Error")}

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/authorize":
            if request.method != "GET":
                return _message(405)
            return self.oauth.authorize(request, self.nick)
        if path == "/access_token":
            if request.method != "POST":
                return _message(405)
            return self.oauth.token(request)
        prefix = f"/{self.version}/"
        if not path.startswith(prefix):
            return _message(404)
        return self._api(request, path[len(prefix) :])

    def _authenticate(self, request: Request) -> Response | None:
        grant = self.oauth.bearer(request)
        if grant == "expired":
            return _message(401, "Access token expired")
        if isinstance(grant, str):
            return _message(401, "Unauthorized")
        return None

    def _api(self, request: Request, sub: str) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        response = self._resource(request, sub)
        echo = request.environ.get("fakes.echo")
        listener = self.echo_listener
        if echo is not None and listener is not None and self.dialect.echo == "before":
            listener(echo)  # outside the lock: the listener may call this fake back
        if self.dialect.errors_in_200 and response.status_code >= 400:
            text = response.get_json(silent=True) or {}
            return json_response({"error": text.get("message", "Error")}, 200)
        return response

    def _resource(self, request: Request, sub: str) -> Response:
        method = request.method
        parts = sub.strip("/").split("/")
        with self.lock:
            if parts == ["test"]:
                return self._only(method, "GET") or self._test_answer()
            if parts == ["me"]:
                return self._only(method, "GET") or json_response(
                    {"userid": self.userid, "nick": self.nick}
                )
            if parts == ["rooms"]:
                return self._only(method, "GET") or self._collection(
                    list(self.rooms.values()), "roomid"
                )
            if len(parts) == 2 and parts[0] == "message":
                return self._message_endpoint(method, parts[1])
            if parts[0] == "room" and len(parts) >= 2:
                return self._room_endpoint(request, parts[1], parts[2:])
        return _message(404)

    @staticmethod
    def _only(method: str, allowed: str) -> Response | None:
        return None if method == allowed else _message(405)

    def _test_answer(self) -> Response:
        form = self.dialect.test
        if form == "text":
            return _text("OK")
        return json_response({"status": "OK"} if form == "object" else "OK")

    def _ack_answer(self) -> Response:
        form = self.dialect.ack
        if form == "204":
            return Response(status=204)
        if form == "empty":
            return Response(b"", status=200, content_type="text/html; charset=UTF-8")
        if form == "text":
            return _text("OK")
        return json_response({"status": "OK"} if form == "object" else True)

    def _collection(self, items: list[dict[str, Any]], id_key: str) -> Response:
        if self.dialect.lists == "keyed" and items:
            return json_response({str(item[id_key]): item for item in items})
        return json_response(items)

    def _reservation_answer(self, reservation: dict[str, Any]) -> Response:
        public = self._public(reservation)
        form = self.dialect.reservation
        if form == "keyed":
            return json_response({str(public["reservationid"]): public})
        if form == "other":
            return json_response(
                {
                    "id": public["reservationid"],
                    "room": public["roomid"],
                    "start": f"{public['date']}T{public['hour']}",
                    "client": {"first": public["name"], "last": public["surname"]},
                }
            )
        return json_response(public)

    def _message_endpoint(self, method: str, raw_id: str) -> Response:
        if not raw_id.isdigit():
            return _message(404, "Message not found")
        mid = int(raw_id)
        if mid not in self.messages:
            return _message(404, "Message not found")
        if method == "GET":
            body = self.messages[mid]
            if isinstance(body, str):
                return Response(body, status=200, content_type=JSON_CONTENT_TYPE)
            return json_response(body)
        if method == "POST":
            self.acked.add(mid)
            self.ack_count[mid] = self.ack_count.get(mid, 0) + 1
            return self._ack_answer()
        return _message(405)

    def _room_endpoint(self, request: Request, raw_room: str, rest: list[str]) -> Response:
        method = request.method
        if not raw_room.isdigit() or int(raw_room) not in self.rooms:
            return _message(404, "Room not found")
        roomid = int(raw_room)
        if not rest:
            return self._only(method, "GET") or json_response(self.rooms[roomid])
        if rest == ["reservation"]:
            if method != "PUT":
                return _message(405)
            return self._api_create(roomid, _body(request), request.environ)
        if rest[0] == "reservation" and len(rest) in (2, 3):
            if method == "GET":
                return self._get_reservation(roomid, rest[1:])
            if method == "POST":
                return self._api_edit(roomid, rest[1:], _body(request), request.environ)
            if method == "DELETE":
                return self._api_delete(roomid, rest[1:], request.environ)
            return _message(405)
        if len(rest) == 2 and rest[0] in ("day", "date"):
            return self._only(method, "GET") or self._settings_answer(roomid, *rest)
        if rest[0] == "reservations" and len(rest) == 2:
            if method != "GET":
                return _message(405)
            day = rest[1]
            if not _DATE_RE.match(day):
                return _message(400, "Invalid date")
            return self._collection(
                [
                    self._public(r)
                    for r in self.reservations.values()
                    if not r["deleted"] and r["roomid"] == roomid and r["date"] == day
                ],
                "reservationid",
            )
        return _message(404)

    def _find(self, roomid: int, ident: list[str]) -> dict[str, Any] | None:
        """The live reservation of the room that ``{id}`` or ``ext/{extid}`` names."""
        found: dict[str, Any] | None = None
        if len(ident) == 2 and ident[0] == "ext":
            for reservation in self.reservations.values():
                if (
                    reservation["extid"] == ident[1]
                    and not reservation["deleted"]
                    and reservation["roomid"] == roomid
                ):
                    found = reservation
        elif len(ident) == 1 and ident[0].isdigit():
            found = self.reservations.get(int(ident[0]))
        if found is None or found["deleted"] or found["roomid"] != roomid:
            return None
        return found

    def _get_reservation(self, roomid: int, ident: list[str]) -> Response:
        found = self._find(roomid, ident)
        if found is None:
            return _message(404, "Reservation not found")
        return self._reservation_answer(found)

    # -- API writes ----------------------------------------------------------------

    def _echo(self, message_id: int, environ: dict[str, Any]) -> None:
        """The write's webhook message is stored; shape it by the dialect and note it for
        :meth:`_api` (which hands it to the listener once the lock is released)."""
        body = self.messages[message_id]
        if not self.dialect.echo_extid and isinstance(body.get("data"), dict):
            body["data"].pop("extid", None)
        environ["fakes.echo"] = message_id

    def _refusal(self, text: str) -> Response:
        form = self.dialect.taken
        if form == "400":
            return _message(400, text)
        return json_response({"error": text}, 200 if form == "200" else 409)

    def _api_create(self, roomid: int, body: Any, environ: dict[str, Any]) -> Response:
        """``PUT /room/{r}/reservation``: a reservation made by an integration."""
        if not isinstance(body, dict):
            return _message(400, "The body must be a JSON object")
        day, hour = body.get("date"), _hhmmss(body.get("hour"))
        if not isinstance(day, str) or not _DATE_RE.match(day) or hour is None:
            return _message(400, "date (Y-m-d) and hour (H:i:s) are required")
        if self.holder(roomid, day, hour) is not None:
            return self._refusal(TAKEN_TEXT)
        if self.dialect.refuse_off_slot and hour not in self.slot_hours(roomid, day):
            return self._refusal(OFF_SLOT_TEXT)
        fields: dict[str, Any] = {
            "name": "",
            "surname": "",
            "email": "",
            "phone": "",
            "people": 0,
            "price": "0",
            "pricer": "API",
            **{k: body[k] for k in _WRITABLE if k in body},
        }
        rid, mid = self.create_reservation(
            roomid,
            day,
            hour,
            **fields,
            status=int(body.get("status", 1)),
            source="api",
            extid=str(body.get("extid") or ""),
            language="",
        )
        self._echo(mid, environ)
        return self._create_answer(rid)

    def _create_answer(self, rid: int) -> Response:
        form = self.dialect.create
        if form == "text":
            return _text(str(rid))
        if form == "empty":
            return Response(b"", status=200, content_type="text/html; charset=UTF-8")
        answers: dict[str, Any] = {
            "int": rid,
            "string": str(rid),
            "object": {"reservationid": rid},
            "id": {"id": rid},
            "data": {"data": {"reservationid": rid}},
        }
        return json_response(answers[form])

    def _api_edit(
        self, roomid: int, ident: list[str], body: Any, environ: dict[str, Any]
    ) -> Response:
        """``POST /room/{r}/reservation/{id|ext/{extid}}``: change the given fields."""
        found = self._find(roomid, ident)
        if found is None:
            return _message(404, "Reservation not found")
        if not isinstance(body, dict):
            return _message(400, "The body must be a JSON object")
        changes = {k: body[k] for k in (*_WRITABLE, "date", "extid", "status") if k in body}
        if "hour" in body:
            hour = _hhmmss(body["hour"])
            if hour is None:
                return _message(400, "hour must be H:i:s")
            changes["hour"] = hour
        self._echo(self.edit_reservation(found["reservationid"], **changes), environ)
        return json_response(True)

    def _api_delete(self, roomid: int, ident: list[str], environ: dict[str, Any]) -> Response:
        """``DELETE /room/{r}/reservation/{id|ext/{extid}}``, answered as a bool."""
        found = self._find(roomid, ident)
        if found is None:
            return _message(404, "Reservation not found")
        if _paid_via_lockme(found):
            return _message(400, PAID_TEXT)
        self._echo(self.delete_reservation(found["reservationid"]), environ)
        return json_response(True)

    # -- slot settings over HTTP -----------------------------------------------------

    def _settings_answer(self, roomid: int, kind: str, raw: str) -> Response:
        """``GET /room/{r}/day/{0..6}`` or ``GET /room/{r}/date/{YYYY-MM-DD}``."""
        if kind == "day":
            if raw not in tuple("0123456"):
                return _message(400, "Invalid day")
            hours = self.weekday_slots(roomid, int(raw))
            return self._slots(hours) if hours else self._nothing(self.dialect.closed)
        if not _DATE_RE.match(raw):
            return _message(400, "Invalid date")
        exception = self.date_slots.get(roomid, {}).get(raw)
        if exception:
            return self._slots(exception)
        form = self.dialect.no_exception
        return _message(404, "No exception") if form == "404" else self._nothing(form)

    @staticmethod
    def _nothing(form: str) -> Response:
        return json_response({"[]": [], "{}": {}, "null": None}[form])

    def _slots(self, hours: list[str]) -> Response:
        form = self.dialect.slots
        objects = [{"hour": hour, "pricers": [1]} for hour in hours]
        if form == "strings":
            return json_response([hour[:5] for hour in hours])
        if form == "keyed":
            return json_response({hour: {"pricers": [1]} for hour in hours})
        return json_response({"data": objects} if form == "data" else objects)
