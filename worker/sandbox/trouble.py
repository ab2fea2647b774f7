"""The sandbox's control API: a small JSON API on loopback, served by the process that
holds the sandbox (``lockme-sync dev``), for the sandbox page and the ``sandbox``
commands, which run in other processes.

It acts as a person in the Lockme panel would (book, edit, cancel, send the test
message), as staff in Google Calendar would (staff events), and as the world would
(trouble). Every call needs the bearer token published
with its address, so that a web page open in the same browser cannot drive it.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.config import Settings
from worker.sandbox.demo import SandboxError
from worker.sandbox.runner import Sandbox
from worker.sandbox.server import FakeServer, json_response

NOT_FOUND = ("no live reservation", "no staff event")

_BOOKING = re.compile(r"^/bookings/(\d{1,18})$")
_STAFF_EVENT = re.compile(r"^/staff-events/([A-Za-z0-9_-]{1,128})$")


class ControlServer(FakeServer):
    """Serves :class:`Sandbox`'s actions; it reuses the fakes' loopback HTTP server."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.sandbox: Sandbox | None = None

    def default_error_body(self, status: int, path: str) -> Any:
        return {"error": f"HTTP {status}"}

    def dispatch(self, request: Request) -> Response:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), self.token.encode()):
            return json_response({"error": "a valid sandbox token is required"}, 401)
        if self.sandbox is None:
            return json_response({"error": "the sandbox is starting"}, 503)
        try:
            return self._route(self.sandbox, request)
        except SandboxError as exc:
            status = 404 if str(exc).startswith(NOT_FOUND) else 400
            named = {"key": exc.key, "values": exc.values} if exc.key else {}
            return json_response({"error": str(exc), **named}, status)

    @staticmethod
    def _route(sandbox: Sandbox, request: Request) -> Response:
        method, path = request.method, request.path
        body = request.get_json(silent=True) if request.data else {}
        if not isinstance(body, dict):
            return json_response({"error": "a JSON object is expected"}, 400)
        simple = {
            ("GET", "/state"): sandbox.state,
            ("GET", "/rooms"): sandbox.rooms,
            ("GET", "/calendars"): sandbox.calendars,
            ("GET", "/bookings"): sandbox.bookings,
            ("GET", "/events"): sandbox.events,
            ("POST", "/connect"): sandbox.connect,
            ("POST", "/test-message"): sandbox.test_message,
        }
        if (method, path) in simple:
            return json_response(simple[method, path]())
        if (method, path) == ("POST", "/bookings"):
            return json_response(sandbox.book(body), 201)
        if (method, path) == ("GET", "/slots"):
            return json_response(sandbox.slots(request.args.get("date", "")))
        if (method, path) == ("POST", "/staff-events"):
            return json_response(sandbox.staff_add(body), 201)
        if (method, path) == ("POST", "/trouble"):
            seconds = body.get("seconds", 60)
            if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                return json_response({"error": "seconds must be a number"}, 400)
            return json_response(sandbox.trouble(str(body.get("kind", "")), float(seconds)))
        match = _BOOKING.match(path)
        if match and method == "PATCH":
            return json_response(sandbox.edit(int(match[1]), body))
        if match and method == "DELETE":
            return json_response(sandbox.cancel(int(match[1])))
        staff = _STAFF_EVENT.match(path)
        if staff and method == "PATCH":
            return json_response(sandbox.staff_move(staff[1], body))
        if staff and method == "DELETE":
            return json_response(sandbox.staff_delete(staff[1]))
        return json_response({"error": f"no {method} {path} here"}, 404)


def serve(settings: Settings, app_url: str) -> tuple[Sandbox, ControlServer]:
    """Start the sandbox for an app served at ``app_url`` and its control API; stop both
    with :func:`stop` (webhooks go to ``app_url``, which need not answer yet)."""
    sandbox = Sandbox(settings, app_url)
    control = ControlServer(sandbox.token).start()
    try:
        sandbox.start(control.url)
    except BaseException:
        control.stop()
        raise
    control.sandbox = sandbox
    return sandbox, control


def stop(sandbox: Sandbox, control: ControlServer) -> None:
    control.stop()
    sandbox.stop()
