"""Lockme's plain answers, as its PHP server writes them: a ``{"message": ...}`` error body
with the status's reason, text as PHP's default ``text/html``, and the request's body and
hours read as Lockme reads them (docs/lockme-api.md)."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.server import json_response

REASONS = {
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
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOUR_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def hhmmss(value: Any) -> str | None:
    """An hour as ``HH:MM:SS`` (Lockme's own form), or None when it is not an hour."""
    match = _HOUR_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return f"{int(match[1]):02d}:{match[2]}:{match[3] or '00'}"


def request_body(request: Request) -> Any:
    """A write's body: JSON as the SDK sends it, or a form."""
    if request.is_json or request.get_data()[:1] in (b"{", b"["):
        try:
            return json.loads(request.get_data())
        except ValueError:
            return None
    return request.form.to_dict()


def php_text(body: str, status: int = 200) -> Response:
    """A text answer as PHP sends one by default."""
    return Response(body, status=status, content_type="text/html; charset=UTF-8")


def lockme_message(status: int, message: str | None = None) -> Response:
    """Lockme's error answer: its ``message``, or the status's reason."""
    return json_response({"message": message or REASONS.get(status, "Error")}, status)
