"""The few known causes of a failed message, read from its recorded reason.

A failure record keeps the API's own text, right for a developer and for replay; staff act
on one of a few causes, each said in plain words (``worker.domain.wording.FAILURE_WORDS``) by the
status page and ``lockme-sync status`` alike.
"""

from __future__ import annotations

import re
from typing import Any

# (cause, pattern on the recorded reason), first match wins; kind "malformed" is checked
# before these, and anything unmatched is "unknown".
_CAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("message_gone", re.compile(r"Lockme\b.*/message/\d+.*\b(404|410)\b")),
    ("rate_limited", re.compile(r"\b429\b|rateLimitExceeded|userRateLimitExceeded")),
    ("calendar_forbidden", re.compile(r"Google\b.*\b403\b|forbidden", re.IGNORECASE)),
    ("calendar_missing", re.compile(r"Google\b.*\b(404|410)\b")),
    ("unreachable", re.compile(r"timed? ?out|Timeout|Connection|\b5\d\d\b", re.IGNORECASE)),
)
CAUSES = ("bad_message", *(cause for cause, _ in _CAUSES), "unknown")


def cause_of(failure: dict[str, Any]) -> str:
    """The known cause a failure record matches (see ``CAUSES``)."""
    if failure.get("kind") == "malformed":
        return "bad_message"
    reason = str(failure.get("reason") or "")
    return next((cause for cause, pattern in _CAUSES if pattern.search(reason)), "unknown")
