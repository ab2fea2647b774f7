"""The forms of Lockme's answers that nobody has confirmed, and each form spoken.

Where Lockme's answer form is a guess, the fake speaks each plausible form on demand
(:class:`Dialect`, e.g. ``fake.dialect.ack = "204"``), so the worker is tested against all
of them rather than against the one guessed (docs/lockme-api.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from worker.sandbox.lockme_bodies import lockme_message, php_text
from worker.sandbox.server import json_response

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


def expiry_fields(dialect: Dialect, ttl: int) -> dict[str, Any]:
    """How a token answer states the access token's life, in the dialect's form."""
    form = dialect.token_expires
    if form == "both":
        return {"expires_in": ttl, "expires": int(time.time() + ttl)}
    if form == "expires_in":
        return {"expires_in": ttl}
    return {"expires": ttl if form == "relative" else int(time.time() + ttl)}


def test_answer(dialect: Dialect) -> Response:
    """``GET /test``."""
    form = dialect.test
    if form == "text":
        return php_text("OK")
    return json_response({"status": "OK"} if form == "object" else "OK")


def ack_answer(dialect: Dialect) -> Response:
    """``POST /message/{id}``, the acknowledgement."""
    form = dialect.ack
    if form == "204":
        return Response(status=204)
    if form == "empty":
        return Response(b"", status=200, content_type="text/html; charset=UTF-8")
    if form == "text":
        return php_text("OK")
    return json_response({"status": "OK"} if form == "object" else True)


def collection(dialect: Dialect, items: list[dict[str, Any]], id_key: str) -> Response:
    """A list (``/rooms``, a day's reservations): a JSON list, or an object keyed by id."""
    if dialect.lists == "keyed" and items:
        return json_response({str(item[id_key]): item for item in items})
    return json_response(items)


def reservation_answer(dialect: Dialect, public: dict[str, Any]) -> Response:
    """``GET /room/{r}/reservation/{id}`` of a reservation (its public fields)."""
    form = dialect.reservation
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


def create_answer(dialect: Dialect, rid: int) -> Response:
    """``PUT /room/{r}/reservation``'s answer naming the new reservation."""
    form = dialect.create
    if form == "text":
        return php_text(str(rid))
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


def refusal(dialect: Dialect, text: str) -> Response:
    """A create refused (a taken slot, an hour off the room's slots)."""
    form = dialect.taken
    if form == "400":
        return lockme_message(400, text)
    return json_response({"error": text}, 200 if form == "200" else 409)


def nothing(form: str) -> Response:
    """A day without slots, or a date without an exception, in one of its forms."""
    return json_response({"[]": [], "{}": {}, "null": None}[form])


def slots_answer(dialect: Dialect, hours: list[str]) -> Response:
    """A day's slot settings, or a date's exception."""
    form = dialect.slots
    objects = [{"hour": hour, "pricers": [1]} for hour in hours]
    if form == "strings":
        return json_response([hour[:5] for hour in hours])
    if form == "keyed":
        return json_response({hour: {"pricers": [1]} for hour in hours})
    return json_response({"data": objects} if form == "data" else objects)
