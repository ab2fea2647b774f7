"""Failure classes shared by the API gateways, so that the job layer decides retries by class.

- :class:`TransientError`: worth retrying later (network, timeouts, 5xx, 429, rate limits).
- :class:`PermanentError`: retrying the same request cannot help (400, 403 without a rate
  reason, a malformed message); the message goes to the dead letters.
- :class:`MalformedAnswer`: a permanent error of the answer itself (larger than its cap,
  nested too deep, a field of the wrong type): retrying reads the same bytes again, so
  it is recorded as a malformed failure at once rather than retried for 24 h.
- :class:`AuthError`: a connection needs a person (revoked grant, refresh refused, never
  connected); its messages are parked until it is reconnected.
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """Base class; ``service`` names the remote side ("lockme" or "google")."""

    def __init__(self, message: str, *, service: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        # The booking it happened to, as far as it was read (``worker.flows.booking_sync`` adds
        # it), so
        # that a booking waiting for a retry or a reconnect is shown as itself.
        self.details: dict[str, Any] = {}


class TransientError(SyncError):
    """Retry with backoff; ``retry_after`` carries a server's hint in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, service=service, status=status)
        self.retry_after = retry_after


class PermanentError(SyncError):
    """The same request will fail the same way."""


class MalformedAnswer(PermanentError):
    """An answer that cannot be read as what was asked for, whatever its status."""


class AuthError(SyncError):
    """The connection to ``service`` must be re-established by a person."""
