"""In-memory fake of the Lockme partner API v2.x and its OAuth server.

It copies what docs/lockme-api.md establishes (paths, Bearer auth, ``{"message": ...}``
error bodies, the webhook message shape, rotating refresh tokens) so the worker can be
tested end to end without a Lockme account. Test helpers simulate activity in the
Lockme panel: creating, editing, moving and deleting reservations emits messages.

Where Lockme's answer form is a guess, the fake speaks each plausible form on demand
(:class:`Dialect`, e.g. ``fake.dialect.ack = "204"``), so the worker is tested against all
of them rather than against the one guessed.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from .server import (
    CONSENT_ANSWER,
    JSON_CONTENT_TYPE,
    FakeServer,
    Faults,
    consent_page,
    consent_refused,
    json_response,
)

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
_OAUTH_ERRORS = {
    400: "invalid_request",
    401: "invalid_client",
    500: "server_error",
    503: "temporarily_unavailable",
}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


_DIALECT_CHOICES = {
    "ack": ("json", "object", "text", "empty", "204"),
    "lists": ("list", "keyed"),
    "delete_data": ("object", "[]", "{}", "missing"),
    "test": ("json", "object", "text"),
    "token_expires": ("both", "expires_in", "relative", "absolute"),
    "reservation": ("flat", "keyed", "other"),
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
    """

    ack: str = "json"
    lists: str = "list"
    delete_data: str = "object"
    test: str = "json"
    token_expires: str = "both"
    reservation: str = "flat"
    errors_in_200: bool = False

    def __setattr__(self, name: str, value: Any) -> None:
        """Reject a form the fake does not speak, so a typo cannot pass for a tested form."""
        allowed = _DIALECT_CHOICES.get(name)
        if allowed is not None and value not in allowed:
            raise ValueError(f"dialect {name} must be one of {allowed}, not {value!r}")
        super().__setattr__(name, value)


def _text(body: str, status: int = 200) -> Response:
    """A text answer as PHP sends one by default."""
    return Response(body, status=status, content_type="text/html; charset=UTF-8")


def _message(status: int, message: str | None = None) -> Response:
    return json_response({"message": message or _REASONS.get(status, "Error")}, status)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


class FakeLockme(FakeServer):
    """Fake ``https://api.lock.me``: OAuth at ``/authorize`` and ``/access_token``,
    the API under ``/{version}/``."""

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
        self.consent = consent
        """Show a consent screen at ``/authorize`` (the sandbox) instead of approving at
        once (the tests, which walk the redirects without a browser)."""
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_ttl = access_ttl
        self.version = version
        self.nick = nick
        self.userid = userid
        self._tz = ZoneInfo(timezone)
        self.lock = threading.RLock()
        self.access_tokens: dict[str, float] = {}
        """access token -> expiry (unix time)."""
        self.refresh_tokens: set[str] = set()
        self.codes: dict[str, dict[str, str]] = {}
        self.last_authorize_params: dict[str, str] | None = None
        self.rooms: dict[int, dict[str, Any]] = {}
        self.reservations: dict[int, dict[str, Any]] = {}
        """reservation id -> current state, including a ``deleted`` flag."""
        self.messages: dict[int, Any] = {}
        """message id -> body exactly as ``GET /message/{id}`` serves it."""
        self.acked: set[int] = set()
        self.ack_count: dict[int, int] = {}
        self._next_rid = 48211930
        self._next_mid = 7000
        self.dialect = Dialect()

    # -- tokens --------------------------------------------------------------------

    def _new_token_pair(self) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(32)
        expires = int(time.time() + self.access_ttl)
        with self.lock:
            self.access_tokens[access] = time.time() + self.access_ttl
            self.refresh_tokens.add(refresh)
        pair: dict[str, Any] = {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
        }
        form = self.dialect.token_expires
        if form in ("both", "expires_in"):
            pair["expires_in"] = self.access_ttl
        if form in ("both", "absolute"):
            pair["expires"] = expires
        if form == "relative":
            pair["expires"] = self.access_ttl
        return pair

    def issue_token(self) -> dict[str, Any]:
        """A valid token response, as if the OAuth dance had happened (for seeding tests)."""
        return self._new_token_pair()

    def expire_access_tokens(self) -> None:
        """Make every current access token expired; refresh tokens stay valid."""
        with self.lock:
            past = time.time() - 1
            for token in self.access_tokens:
                self.access_tokens[token] = past

    def revoke(self) -> None:
        """Invalidate every token, like a user revoking the app in the Lockme panel."""
        with self.lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()

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
        status: int = 0,
        source: str = "web",
        extid: str = "",
        language: str = "pl",
        pricer: str = "Standard",
        invoice: str = "",
    ) -> tuple[int, int]:
        """Book a slot as a customer would; returns ``(reservation_id, message_id)``.

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

    # -- HTTP ----------------------------------------------------------------------

    def default_error_body(self, status: int, path: str) -> Any:
        if path in ("/access_token", "/authorize"):
            return {
                "error": _OAUTH_ERRORS.get(status, "server_error"),
                "error_description": _REASONS.get(status, "Error"),
            }
        return {"message": _REASONS.get(status, "Error")}

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/authorize":
            if request.method != "GET":
                return _message(405)
            return self._authorize(request)
        if path == "/access_token":
            if request.method != "POST":
                return _message(405)
            return self._access_token(request)
        prefix = f"/{self.version}/"
        if not path.startswith(prefix):
            return _message(404)
        return self._api(request, path[len(prefix) :])

    def _authorize(self, request: Request) -> Response:
        params = request.args.to_dict()
        with self.lock:
            self.last_authorize_params = params
        if params.get("client_id") != self.client_id:
            return _oauth_error(400, "invalid_client", "Client authentication failed")
        if params.get("response_type") != "code":
            return _oauth_error(
                400,
                "unsupported_response_type",
                "The authorization server does not support obtaining an authorization "
                "code using this method.",
            )
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            return _oauth_error(400, "invalid_request", 'Check the "redirect_uri" parameter.')
        if self.consent:
            answer = params.pop(CONSENT_ANSWER, None)
            if answer is None:
                return consent_page("Lockme", self.nick, "rooms_manage", params, request)
            if answer != "yes":
                return consent_refused(redirect_uri, params)
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {"client_id": params["client_id"], "redirect_uri": redirect_uri}
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        parts = urlsplit(redirect_uri)
        joined = f"{parts.query}&{urlencode(query)}" if parts.query else urlencode(query)
        location = urlunsplit(parts._replace(query=joined))
        return Response(status=302, headers={"Location": location})

    def _client_credentials(self, request: Request) -> tuple[str | None, str | None]:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
                cid, _, secret = decoded.partition(":")
                return cid, secret
            except (ValueError, UnicodeDecodeError):
                return None, None
        return request.form.get("client_id"), request.form.get("client_secret")

    def _access_token(self, request: Request) -> Response:
        cid, secret = self._client_credentials(request)
        if cid != self.client_id or secret != self.client_secret:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = request.form.get("grant_type")
        if grant == "authorization_code":
            code = request.form.get("code", "")
            with self.lock:
                info = self.codes.pop(code, None)
            if info is None:
                return _oauth_error(
                    400, "invalid_grant", "Authorization code is invalid or was already used"
                )
            if info["redirect_uri"] != request.form.get("redirect_uri"):
                return _oauth_error(400, "invalid_grant", "Redirect URI does not match")
            return json_response(self._new_token_pair())
        if grant == "refresh_token":
            refresh = request.form.get("refresh_token", "")
            with self.lock:
                if refresh not in self.refresh_tokens:
                    return _oauth_error(400, "invalid_grant", "The refresh token is invalid.")
                self.refresh_tokens.discard(refresh)
                return json_response(self._new_token_pair())
        return _oauth_error(
            400, "unsupported_grant_type", "The authorization grant type is not supported."
        )

    def _authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return _message(401, "Unauthorized")
        token = header[7:].strip()
        with self.lock:
            expiry = self.access_tokens.get(token)
        if expiry is None:
            return _message(401, "Unauthorized")
        if expiry <= time.time():
            return _message(401, "Access token expired")
        return None

    def _api(self, request: Request, sub: str) -> Response:
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        response = self._resource(request, sub)
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
                return self._room_endpoint(method, parts[1], parts[2:])
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

    def _room_endpoint(self, method: str, raw_room: str, rest: list[str]) -> Response:
        if not raw_room.isdigit() or int(raw_room) not in self.rooms:
            return _message(404, "Room not found")
        roomid = int(raw_room)
        if not rest:
            return self._only(method, "GET") or json_response(self.rooms[roomid])
        if rest[0] == "reservation" and len(rest) in (2, 3):
            if method != "GET":
                return _message(405)
            return self._get_reservation(roomid, rest[1:])
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

    def _get_reservation(self, roomid: int, ident: list[str]) -> Response:
        found: dict[str, Any] | None = None
        if len(ident) == 2 and ident[0] == "ext":
            for reservation in self.reservations.values():
                if reservation["extid"] == ident[1] and not reservation["deleted"]:
                    found = reservation
        elif len(ident) == 1 and ident[0].isdigit():
            found = self.reservations.get(int(ident[0]))
        if found is None or found["deleted"] or found["roomid"] != roomid:
            return _message(404, "Reservation not found")
        return self._reservation_answer(found)
