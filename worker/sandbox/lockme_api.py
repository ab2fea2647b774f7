"""The fake Lockme's API under ``/{version}/``: ``/test``, ``/me``, ``/rooms``, messages and
their acknowledgement, a room's reservations, and an integration's writes (docs/lockme-api.md
§7a): ``PUT``, ``POST`` and ``DELETE`` of ``/room/{r}/reservation[/{id|ext/{extid}}]``, each
echoed by a webhook message as Lockme is assumed to do; a taken slot is refused and a
booking paid through Lockme cannot be deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.faults import Faults
from worker.sandbox.lockme_bodies import (
    DATE_RE,
    hhmmss,
    lockme_message,
    request_body,
)
from worker.sandbox.lockme_dialect import (
    ack_answer,
    collection,
    create_answer,
    refusal,
    reservation_answer,
    test_answer,
)
from worker.sandbox.lockme_reservations import public
from worker.sandbox.lockme_slots import SlotSettings
from worker.sandbox.server import JSON_CONTENT_TYPE, json_response

# What an integration's create or edit may set (the rest is Lockme's own).
_WRITABLE = ("name", "surname", "email", "phone", "people", "price", "pricer", "comment")
TAKEN_TEXT = "The slot is already taken"
OFF_SLOT_TEXT = "The hour is not a slot of this room"
PAID_TEXT = "A reservation paid through Lockme cannot be deleted"


def paid_via_lockme(reservation: dict[str, Any]) -> bool:
    """Paid online through Lockme (a web booking with status 1): the API may not delete it."""
    return reservation["source"] == "web" and str(reservation["status"]) == "1"


class LockmeApi(SlotSettings):
    """The API's resources over the book and the slot settings."""

    def __init__(self, faults: Faults | None, timezone: str, nick: str, userid: int) -> None:
        super().__init__(faults, timezone, nick, userid)
        self.echo_listener: Callable[[int], None] | None = None
        """Called with the echo's message id before an API write answers (``echo=before``)."""

    def _resource(self, request: Request, sub: str, account: str) -> Response:
        """One API call of ``account`` (the token's): it sees its own rooms, their
        reservations and its messages, and another account's as unknown ids."""
        method = request.method
        parts = sub.strip("/").split("/")
        with self.lock:
            if parts == ["test"]:
                return self._only(method, "GET") or test_answer(self.dialect)
            if parts == ["me"]:
                return self._only(method, "GET") or json_response(
                    {"userid": self.accounts[account], "nick": account}
                )
            if parts == ["rooms"]:
                return self._only(method, "GET") or collection(
                    self.dialect, self.rooms_of(account), "roomid"
                )
            if len(parts) == 2 and parts[0] == "message":
                return self._message_endpoint(method, parts[1], account)
            if parts[0] == "room" and len(parts) >= 2:
                return self._room_endpoint(request, parts[1], parts[2:], account)
        return lockme_message(404)

    @staticmethod
    def _only(method: str, allowed: str) -> Response | None:
        return None if method == allowed else lockme_message(405)

    def _message_endpoint(self, method: str, raw_id: str, account: str) -> Response:
        mid = int(raw_id) if raw_id.isdigit() else None
        if mid not in self.messages or self.account_of_message(mid) != account:
            return lockme_message(404, "Message not found")
        if method == "GET":
            body = self.messages[mid]
            if isinstance(body, str):
                return Response(body, status=200, content_type=JSON_CONTENT_TYPE)
            return json_response(body)
        if method == "POST":
            self.acked.add(mid)
            self.ack_count[mid] = self.ack_count.get(mid, 0) + 1
            return ack_answer(self.dialect)
        return lockme_message(405)

    def _room_endpoint(
        self, request: Request, raw_room: str, rest: list[str], account: str
    ) -> Response:
        method = request.method
        if not raw_room.isdigit() or int(raw_room) not in self.rooms:
            return lockme_message(404, "Room not found")
        if self.account_of_room(int(raw_room)) != account:
            return lockme_message(404, "Room not found")
        roomid = int(raw_room)
        if not rest:
            return self._only(method, "GET") or json_response(self.rooms[roomid])
        if rest == ["reservation"]:
            if method != "PUT":
                return lockme_message(405)
            return self._api_create(roomid, request_body(request), request.environ)
        if rest[0] == "reservation" and len(rest) in (2, 3):
            if method == "GET":
                return self._get_reservation(roomid, rest[1:])
            if method == "POST":
                return self._api_edit(roomid, rest[1:], request_body(request), request.environ)
            if method == "DELETE":
                return self._api_delete(roomid, rest[1:], request.environ)
            return lockme_message(405)
        if len(rest) == 2 and rest[0] in ("day", "date"):
            return self._only(method, "GET") or self._settings_answer(roomid, *rest)
        if rest[0] == "reservations" and len(rest) == 2:
            if method != "GET":
                return lockme_message(405)
            day = rest[1]
            if not DATE_RE.match(day):
                return lockme_message(400, "Invalid date")
            return collection(
                self.dialect,
                [
                    public(r)
                    for r in self.reservations.values()
                    if not r["deleted"] and r["roomid"] == roomid and r["date"] == day
                ],
                "reservationid",
            )
        return lockme_message(404)

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
            return lockme_message(404, "Reservation not found")
        return reservation_answer(self.dialect, public(found))

    def _echo(self, message_id: int, environ: dict[str, Any]) -> None:
        """The write's webhook message is stored; shape it by the dialect and note it for
        :meth:`_api` (which hands it to the listener once the lock is released)."""
        body = self.messages[message_id]
        if not self.dialect.echo_extid and isinstance(body.get("data"), dict):
            body["data"].pop("extid", None)
        environ["fakes.echo"] = message_id

    def _api_create(self, roomid: int, body: Any, environ: dict[str, Any]) -> Response:
        """``PUT /room/{r}/reservation``: a reservation made by an integration."""
        if not isinstance(body, dict):
            return lockme_message(400, "The body must be a JSON object")
        day, hour = body.get("date"), hhmmss(body.get("hour"))
        if not isinstance(day, str) or not DATE_RE.match(day) or hour is None:
            return lockme_message(400, "date (Y-m-d) and hour (H:i:s) are required")
        if self.holder(roomid, day, hour) is not None:
            return refusal(self.dialect, TAKEN_TEXT)
        if self.dialect.refuse_off_slot and hour not in self.slot_hours(roomid, day):
            return refusal(self.dialect, OFF_SLOT_TEXT)
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
        return create_answer(self.dialect, rid)

    def _api_edit(
        self, roomid: int, ident: list[str], body: Any, environ: dict[str, Any]
    ) -> Response:
        """``POST /room/{r}/reservation/{id|ext/{extid}}``: change the given fields."""
        found = self._find(roomid, ident)
        if found is None:
            return lockme_message(404, "Reservation not found")
        if not isinstance(body, dict):
            return lockme_message(400, "The body must be a JSON object")
        changes = {k: body[k] for k in (*_WRITABLE, "date", "extid", "status") if k in body}
        if "hour" in body:
            hour = hhmmss(body["hour"])
            if hour is None:
                return lockme_message(400, "hour must be H:i:s")
            changes["hour"] = hour
        self._echo(self.edit_reservation(found["reservationid"], **changes), environ)
        return json_response(True)

    def _api_delete(self, roomid: int, ident: list[str], environ: dict[str, Any]) -> Response:
        """``DELETE /room/{r}/reservation/{id|ext/{extid}}``, answered as a bool."""
        found = self._find(roomid, ident)
        if found is None:
            return lockme_message(404, "Reservation not found")
        if paid_via_lockme(found):
            return lockme_message(400, PAID_TEXT)
        self._echo(self.delete_reservation(found["reservationid"]), environ)
        return json_response(True)
