"""Google's error answers: the JSON envelope that googleapiclient parses, the reason each
status usually carries, and the bodies of injected faults, in one place for every part of
the fake Calendar API."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.server import json_response

ERROR_FORMS = ("errors", "details", "both")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_DEFAULT_ERRORS = {
    400: ("invalid", "Invalid Value"),
    401: ("authError", "Invalid Credentials"),
    403: ("rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    412: ("conditionNotMet", "Precondition Failed"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    502: ("backendError", "Backend Error"),
    503: ("backendError", "Backend Error"),
    504: ("backendError", "Backend Error"),
}


def google_error_body(
    code: int, reason: str, message: str, status: str | None = None, form: str = "errors"
) -> dict[str, Any]:
    """Google's JSON error envelope, as googleapiclient's ``HttpError`` parses it.

    ``form`` picks where the reason goes: ``errors`` is the classic ``error.errors[]``
    list; ``details`` is the newer AIP-193 form, an ``ErrorInfo`` in ``error.details[]``
    whose reason is UPPER_SNAKE (``RATE_LIMIT_EXCEEDED``); ``both`` carries the two, as
    many Google APIs now answer. googleapiclient's ``HttpError.error_details`` shows
    ``details`` whenever it exists, and ``errors`` only without it.
    """
    if form not in ERROR_FORMS:
        raise ValueError(f"unknown error form {form!r}")
    error: dict[str, Any] = {"code": code, "message": message}
    if form in ("errors", "both"):
        error["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    status = status or _STATUS_NAMES.get(code)
    if status:
        error["status"] = status
    if form in ("details", "both"):
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": re.sub(r"(?<!^)(?=[A-Z])", "_", reason).upper(),
                "domain": "googleapis.com",
                "metadata": {"service": "calendar-json.googleapis.com"},
            }
        ]
    return {"error": error}


def gerr(code: int, reason: str, message: str, status: str | None = None) -> Response:
    """An error answer in Google's envelope."""
    return json_response(google_error_body(code, reason, message, status), code)


def fault_body(status: int, form: str) -> dict[str, Any]:
    """The body of an injected fault on the Calendar API: the status's usual reason."""
    reason, message = _DEFAULT_ERRORS.get(status, ("backendError", "Backend Error"))
    return google_error_body(status, reason, message, form=form)


def insufficient_scopes() -> Response:
    """A token without the scope a call needs: 403, with Google's two messages."""
    body = google_error_body(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )
    body["error"]["errors"][0]["message"] = "Insufficient Permission"
    return json_response(body, 403)


class BadRequest(Exception):
    """Raised inside event validation; carries Google's reason and message for a 400."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def json_body(request: Request) -> dict[str, Any] | Response:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return gerr(400, "parseError", "Parse Error")
    if not isinstance(body, dict):
        return gerr(400, "parseError", "Parse Error")
    return body
