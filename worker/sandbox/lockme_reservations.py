"""The accounts, rooms, reservations and webhook messages of the fake Lockme, and what
happens in the Lockme panel: a booking made, changed, moved or cancelled emits the message
Lockme would send (docs/lockme-api.md: the message shape, ``from_date``/``from_hour``, a move
naming only the new room).

Each room and message belongs to one Lockme account (a company profile) and each
reservation to its room's. Ids are Lockme's own, unique across accounts, so one account's
ids never name another's objects; the API answers another account's id as an unknown one.
The first account exists from the start, and every helper that names no account uses it.
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from worker.sandbox.faults import Faults
from worker.sandbox.lockme_dialect import Dialect
from worker.sandbox.server import FakeServer

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


def public(reservation: dict[str, Any]) -> dict[str, Any]:
    """A reservation as the API shows it (without the fake's ``deleted`` flag)."""
    return {k: v for k, v in reservation.items() if k != "deleted"}


class LockmeBook(FakeServer):
    """Accounts, rooms, reservations, messages and their acknowledgements."""

    def __init__(self, faults: Faults | None, timezone: str, nick: str, userid: int) -> None:
        super().__init__(faults)
        self.lock = threading.RLock()
        self.dialect = Dialect()
        self._tz = ZoneInfo(timezone)
        self.nick = nick
        """The first account's nick: the account of every helper that names none."""
        self.userid = userid
        self.accounts: dict[str, int] = {nick: userid}
        """Lockme account (its nick) -> its user id, as ``GET /me`` answers them."""
        self.room_account: dict[int, str] = {}
        """room id -> the account that owns the room (and its reservations)."""
        self.message_account: dict[int, str] = {}
        """message id -> the account whose webhook integration the message is for."""
        self.rooms: dict[int, dict[str, Any]] = {}
        self.reservations: dict[int, dict[str, Any]] = {}
        """reservation id -> current state, including a ``deleted`` flag."""
        self.messages: dict[int, Any] = {}
        """message id -> body exactly as ``GET /message/{id}`` serves it."""
        self.acked: set[int] = set()
        self.ack_count: dict[int, int] = {}
        self._next_rid = 48211930
        self._next_mid = 7000

    def add_account(self, nick: str, userid: int) -> str:
        """Another Lockme account (company profile) with no rooms yet; returns its nick,
        which names it to the other helpers and to :meth:`issue_token`."""
        with self.lock:
            if nick in self.accounts or userid in self.accounts.values():
                raise ValueError(f"account {nick!r} or user id {userid} exists already")
            self.accounts[nick] = userid
        return nick

    def _account(self, account: str | None) -> str:
        """The named account, or the first one; a name the fake does not know is a mistake
        in the test."""
        if account is None:
            return self.nick
        if account not in self.accounts:
            raise KeyError(f"no Lockme account {account!r}")
        return account

    def add_room(
        self, roomid: int, name: str, department: str = "Main", *, account: str | None = None
    ) -> None:
        """Register a room of an account (the first by default) that ``GET /rooms`` lists."""
        owner = self._account(account)
        with self.lock:
            if int(roomid) in self.rooms and self.account_of_room(int(roomid)) != owner:
                raise ValueError(f"room {roomid} belongs to another account")
            self.room_account[int(roomid)] = owner
            self.rooms[int(roomid)] = {
                "roomid": int(roomid),
                "room": name,
                "department": department,
            }

    def rooms_of(self, account: str) -> list[dict[str, Any]]:
        """The rooms one account owns, as ``GET /rooms`` lists them."""
        with self.lock:
            return [
                room for rid, room in self.rooms.items() if self.account_of_room(rid) == account
            ]

    def account_of_room(self, roomid: int) -> str:
        """Whose room this is (a room a test put in :attr:`rooms` itself: the first's)."""
        return self.room_account.get(roomid, self.nick)

    def account_of_message(self, message_id: int) -> str:
        """Whose message this is (one a test put in :attr:`messages` itself: the first's)."""
        return self.message_account.get(message_id, self.nick)

    def _now_local(self) -> str:
        return datetime.now(self._tz).strftime("%Y-%m-%d %H:%M:%S")

    def _store_message(self, body: Any, account: str) -> int:
        with self.lock:
            mid = self._next_mid
            self._next_mid += 1
            self.messages[mid] = body
            self.message_account[mid] = account
            return mid

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

        An unknown room is added on the fly (to the first account) so tests need not
        declare every room. The message is for the room's account.
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
                },
                self.account_of_room(roomid),
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
        message names only the new room, as the real one does. A room of another account
        is refused: a booking never leaves its Lockme account.
        """
        unknown = set(changes) - set(_RESERVATION_FIELDS)
        if unknown:
            raise TypeError(f"unknown reservation fields: {sorted(unknown)}")
        with self.lock:
            reservation = self._live(rid)
            before = dict(reservation)
            owner = self.account_of_room(reservation["roomid"])
            if "roomid" in changes:
                changes["roomid"] = int(changes["roomid"])
                if changes["roomid"] not in self.rooms:
                    self.add_room(changes["roomid"], f"Room {changes['roomid']}", account=owner)
                if self.account_of_room(changes["roomid"]) != owner:
                    raise ValueError(f"room {changes['roomid']} belongs to another account")
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
                },
                owner,
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
            return self._store_message(body, self.account_of_room(reservation["roomid"]))

    def test_message(self, account: str | None = None) -> int:
        """The message Lockme sends when the panel's "test webhook" button is pressed."""
        return self._store_message({"action": "test", "data": {}}, self._account(account))

    def put_message(self, payload: dict[str, Any] | str | None, account: str | None = None) -> int:
        """Store a body verbatim (a ``str`` is served as raw, possibly invalid, JSON text)."""
        return self._store_message(copy.deepcopy(payload), self._account(account))

    def live_reservations(self) -> dict[int, dict[str, Any]]:
        """Reservations that are not deleted, as the API would return them."""
        with self.lock:
            return {rid: public(r) for rid, r in self.reservations.items() if not r["deleted"]}
