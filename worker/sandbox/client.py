"""Client of the running sandbox's control API, for the sandbox page and the CLI."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import urllib3

from worker.sandbox.demo import SandboxError


class SandboxClient:
    """Talks to the sandbox that ``lockme-sync dev`` serves (address and token from
    :func:`worker.sandbox.runner.published`)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=2.0, read=15.0), retries=False
        )

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(
                method,
                self.url + path,
                body=json.dumps(body).encode() if body is not None else None,
                headers=self._headers,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise SandboxError(
                f"the sandbox at {self.url} does not answer ({type(exc).__name__}); "
                "is `lockme-sync dev --sandbox` running?"
            ) from None
        try:
            payload = json.loads(response.data or b"null")
        except ValueError:
            payload = None
        if response.status >= 400:
            body = payload if isinstance(payload, dict) else {}
            error = str(body.get("error") or f"the sandbox answered HTTP {response.status}")
            values = body.get("values") if isinstance(body.get("values"), dict) else None
            if not body.get("key") or values is None:  # refused, in the terminal's words
                raise SandboxError(error, "refused", error=error)
            words = {str(name): str(value) for name, value in values.items()}
            raise SandboxError(error, str(body["key"]), **words)
        return payload

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def rooms(self) -> list[dict[str, Any]]:
        return self._call("GET", "/rooms")

    def calendars(self) -> list[dict[str, str]]:
        return self._call("GET", "/calendars")

    def bookings(self) -> list[dict[str, Any]]:
        return self._call("GET", "/bookings")

    def events(self) -> list[dict[str, Any]]:
        return self._call("GET", "/events")

    def connect(self) -> dict[str, str]:
        return self._call("POST", "/connect")

    def book(self, **fields: Any) -> dict[str, int]:
        return self._call("POST", "/bookings", fields)

    def edit(self, reservation_id: int, **fields: Any) -> dict[str, int]:
        return self._call("PATCH", f"/bookings/{int(reservation_id)}", fields)

    def cancel(self, reservation_id: int) -> dict[str, int]:
        return self._call("DELETE", f"/bookings/{int(reservation_id)}")

    def slots(self, day: str) -> list[dict[str, Any]]:
        """Each room's slots on ``day``: free, booked by a customer, or blocked."""
        return self._call("GET", f"/slots?date={quote(day)}")

    def staff_add(self, **fields: Any) -> dict[str, str]:
        """A staff event (calendar, title, date, from, to, allDay, busy); its id back."""
        return self._call("POST", "/staff-events", fields)

    def staff_move(self, event_id: str, **fields: Any) -> dict[str, str]:
        return self._call("PATCH", f"/staff-events/{quote(event_id, safe='')}", fields)

    def staff_delete(self, event_id: str) -> dict[str, str]:
        return self._call("DELETE", f"/staff-events/{quote(event_id, safe='')}")

    def test_message(self) -> dict[str, int]:
        return self._call("POST", "/test-message")

    def trouble(self, kind: str, seconds: float = 60) -> dict[str, Any]:
        return self._call("POST", "/trouble", {"kind": kind, "seconds": seconds})
