"""Structured logs: one JSON object per line on stdout, or readable text in development.

Platform log drains (Heroku, Render, Dokku's docker logs) index JSON lines, so every event
line carries the same keys, ``message_id``, ``reservation_id``, ``room``, ``duration_ms`` and
``outcome`` (null when not known), and one search follows a booking from the webhook to the
ack. The ids are bound once per job (:func:`bind`) instead of being passed down every call.

Customer contact data and secrets never belong in a line: events carry ids, statuses and
timings only, and every rendered line also passes through :func:`scrub`, because a library's
message or an exception's text is not under our control. Where two lines must be correlated
by something sensitive (an account, a calendar), :func:`short_hash` gives a stable stand-in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from worker.config import Settings

FIELDS = ("message_id", "reservation_id", "room", "duration_ms", "outcome")
# Keys whose values are never written, wherever they appear (event fields, Sentry events).
SENSITIVE_KEYS = frozenset(
    {
        "name",
        "surname",
        "email",
        "phone",
        "comment",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "password",
        "secret",
        "authorization",
        "cookie",
        "code",
        "state",
        "code_verifier",
    }
)
REDACTED = "[redacted]"
_PATTERNS = (
    # key=value in URLs and forms (?secret=…, &code=…), and "key": "value" in JSON text.
    (
        re.compile(
            r"(?i)\b(secret|token|access_token|refresh_token|code|state|password)=[^&\s\"']+"
        ),
        rf"\1={REDACTED}",
    ),
    (
        re.compile(
            r"(?i)(\"(?:access_token|refresh_token|client_secret|password)\"\s*:\s*)\"[^\"]*\""
        ),
        rf'\1"{REDACTED}"',
    ),
    (re.compile(r"(?i)\bBearer\s+[\w.~+/=-]+"), f"Bearer {REDACTED}"),
    # Every repeat is bounded (RFC 5321's 64-character local part, 63-character labels): an
    # open ``+`` made each start position scan to the end of a long word, quadratic time,
    # 21 s for one 60,000-character reason phrase. Bounded, each position costs at most the
    # bound, so the scrub is linear in the text's length.
    (re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"), "[email]"),
    # International numbers (+48 600 100 200) and grouped local ones (600-100-200); bare
    # digit runs are left alone because message and reservation ids are exactly that.
    (re.compile(r"\+\d[\d ()-]{6,24}\d"), "[phone]"),
    (re.compile(r"\b\d{3}[ -]\d{3}[ -]\d{3}\b"), "[phone]"),
)
# Whether any pattern applies at all, in one search: most text (event names, ids, statuses)
# needs no substitution, and six sub() calls per line showed in the webhook's profile.
_ANY_PATTERN = re.compile(
    "|".join(f"(?:{pattern.pattern.removeprefix('(?i)')})" for pattern, _ in _PATTERNS), re.I
)

_context: ContextVar[dict[str, Any] | None] = ContextVar("lockme_log_context", default=None)
_known_secrets: tuple[str, ...] = ()
log = logging.getLogger("lockme")


def short_hash(value: str) -> str:
    """A 10-character stand-in that correlates lines without revealing ``value``."""
    return hashlib.sha256(value.encode()).hexdigest()[:10]


def scrub(text: str) -> str:
    """Remove configured secrets, tokens, e-mail addresses and phone numbers from ``text``."""
    for secret in _known_secrets:
        text = text.replace(secret, REDACTED)
    if _ANY_PATTERN.search(text) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """:func:`scrub` every string inside ``value`` and blank the values of sensitive keys."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in SENSITIVE_KEYS else redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Attach ``fields`` to every line logged in this context (one job, one request)."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def annotate(**fields: Any) -> None:
    """Add what became known midway (the reservation, once the message is read) to the
    innermost :func:`bind`; outside any bind there is no line to enrich, so nothing happens."""
    current = _context.get()
    if current is not None:
        current.update(fields)


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started``, a :func:`time.monotonic` reading."""
    return round((time.monotonic() - started) * 1000, 1)


def event(
    name: str,
    *,
    outcome: str,
    duration_ms: float | None = None,
    level: int = logging.INFO,
    **fields: Any,
) -> None:
    """Log one named event with the bound context; ``fields`` must be ids and statuses."""
    data = {**fields, "outcome": outcome}
    if duration_ms is not None:
        data["duration_ms"] = duration_ms
    log.log(level, name, extra={"event": name, "fields": data})


@contextmanager
def timed(name: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Log ``name`` with its duration when the block ends.

    The block may set ``outcome`` (and other fields) in the yielded dict; an exception logs
    its class name as the outcome at WARNING and propagates.
    """
    started = time.monotonic()
    data: dict[str, Any] = dict(fields)
    try:
        yield data
    except Exception as exc:
        data.setdefault("outcome", type(exc).__name__)
        event(name, duration_ms=elapsed_ms(started), level=logging.WARNING, **data)
        raise
    data.setdefault("outcome", "ok")
    event(name, duration_ms=elapsed_ms(started), **data)


class _ContextFilter(logging.Filter):
    """Stamp each record with the bound context, so library lines inside a job carry its ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.fields = {**(_context.get() or {}), **getattr(record, "fields", {})}
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event, message, the five fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = redact(getattr(record, "fields", {}))
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", "log"),
            "msg": scrub(record.getMessage()),
        }
        line.update({key: fields.pop(key, None) for key in FIELDS})
        line.update(fields)
        if record.exc_info:
            line["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``12:00:01 INFO  job.finished message_id=7001 outcome=created`` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = redact(getattr(record, "fields", {}))
        pairs = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        text = f"{clock} {record.levelname:<5} {scrub(record.getMessage())} {pairs}".rstrip()
        if record.exc_info:
            text += "\n" + scrub(self.formatException(record.exc_info))
        return text


class _StandardStream(logging.StreamHandler):
    """Writes to whatever ``sys.stdout``/``sys.stderr`` is at the time of each record, so a
    redirected stream (a test's capture, a reopened pipe) still receives the lines."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._stream_name = name

    @property
    def stream(self) -> TextIO:
        return getattr(sys, self._stream_name)

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """StreamHandler assigns its stream on construction; the live one is always used."""


def configure(settings: Settings, *, stream: str = "stdout") -> None:
    """Install the one root handler (idempotent: a second call replaces the first).

    ``stream`` is ``stderr`` for one-off commands whose stdout is data (``status --json``).
    """
    global _known_secrets
    _known_secrets = tuple(
        value
        for value in (
            settings.secret_key,
            *settings.secret_key_fallbacks,
            settings.webhook_secret,
            settings.admin_password,
            settings.lockme_client_secret,
            settings.google_client_secret,
            settings.metrics_token,
        )
        if len(value) >= 6
    )
    handler = _StandardStream(stream)
    handler.setFormatter(TextFormatter() if settings.log_format == "text" else JsonFormatter())
    handler.addFilter(_ContextFilter())
    handler.set_name("lockme")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "lockme"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
