"""The Lockme API client: OAuth tokens, messages and acks, rooms and reservations.

Refresh tokens are treated as single-use (rotating), as Lockme's own SDK does: a refresh
happens under a cross-process Redis lock, re-reads the stored token first (another process
may have refreshed already), and saves the new pair in one write.
"""

from __future__ import annotations

import os
import time
import urllib.request
from datetime import date
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

import certifi
import urllib3

from worker import metrics, tokens
from worker.config import Settings
from worker.errors import AuthError, PermanentError, TransientError
from worker.store import TOKEN_REUSE_S, Store

SERVICE = "lockme"
TIMEOUT = urllib3.Timeout(connect=5.0, read=20.0)
EXPIRY_MARGIN_S = 60
SCOPE = "rooms_manage"
HEADERS = {"User-Agent": "lockme-calendar-sync"}
# Every failure to get an answer: refused, reset or dropped connections, timeouts, TLS.
NETWORK_ERRORS = (urllib3.exceptions.HTTPError, OSError)

Response = urllib3.BaseHTTPResponse


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _error_text(response: Response) -> str:
    """Lockme's error text lives in ``message`` (OAuth errors use ``error``)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or f"HTTP {response.status}"
    if isinstance(body, dict):
        parts = [body.get("error"), body.get("error_description"), body.get("message")]
        text = ": ".join(str(p) for p in parts if p)
        if text:
            return text[:300]
    return response.reason or f"HTTP {response.status}"


def connection_pool(base_url: str) -> urllib3.PoolManager:
    """Kept-alive connections to Lockme, with the proxy and CA settings the environment
    gives (``HTTPS_PROXY``/``NO_PROXY``, ``REQUESTS_CA_BUNDLE``), read once at start-up.

    urllib3 rather than ``requests`` (which runs on it) for the three calls every booking
    makes: ``python -m bench`` measured requests' own work (cookies, hooks, redirects,
    settings merged per call) at 0.75 ms of each call, an eighth of the worker's overhead.
    No retries and no redirects: a failure is classified and retried by the job's policy.
    """
    parts = urlsplit(base_url)
    options: dict[str, Any] = {
        "timeout": TIMEOUT,
        "retries": False,
        "ca_certs": (
            os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or certifi.where()
        ),
    }
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy, **options)
    return urllib3.PoolManager(**options)


def token_record(body: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Normalise a token response to what we store: access, refresh and an absolute expiry."""
    if not isinstance(body, dict) or not body.get("access_token"):
        raise PermanentError("token response has no access_token", service=SERVICE)
    if body.get("expires_in"):
        expires_at = time.time() + float(body["expires_in"])
    elif body.get("expires"):
        expires_at = float(body["expires"])
    else:
        expires_at = time.time() + 3600
    refresh = body.get("refresh_token") or (previous or {}).get("refresh_token")
    return {
        "access_token": body["access_token"],
        "refresh_token": refresh,
        "expires_at": expires_at,
    }


class LockmeClient:
    """One per process: it holds the connection pool and the current access token."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.http = connection_pool(settings.lockme_base)

    # --- OAuth --------------------------------------------------------------------------
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.settings.lockme_client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": SCOPE,
        }
        return f"{self.settings.lockme_base}/authorize?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """Trade an authorization code for tokens and store them."""
        token = self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        return self.connect(token)

    def connect(self, token: dict[str, Any]) -> dict[str, Any]:
        """Store a token pair (from the OAuth callback or pasted JSON) and mark it healthy."""
        record = token_record(token)
        self.store.save_token(SERVICE, record)
        self.store.set_connection(SERVICE, error="")
        return record

    def _token_call(self, form: dict[str, str], previous: dict[str, Any] | None = None) -> dict:
        form = {
            **form,
            "client_id": self.settings.lockme_client_id,
            "client_secret": self.settings.lockme_client_secret,
        }
        try:
            response = self._send(
                "POST",
                f"{self.settings.lockme_base}/access_token",
                body=urlencode(form),
                headers={**HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
            )
        except NETWORK_ERRORS as exc:
            raise TransientError(
                f"token endpoint unreachable: {type(exc).__name__}", service=SERVICE
            ) from exc
        if response.status >= 500 or response.status == 429:
            raise TransientError(
                f"token endpoint: {_error_text(response)}",
                service=SERVICE,
                status=response.status,
                retry_after=_retry_after(response),
            )
        if response.status >= 400:
            raise AuthError(_error_text(response), service=SERVICE, status=response.status)
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientError("token endpoint: body is not JSON", service=SERVICE) from exc
        return token_record(body, previous)

    def _current_token(self, *, write: bool = False) -> dict[str, Any]:
        """The stored token. A read may reuse it for a few seconds (``TOKEN_REUSE_S``); a
        write (the ack) checks the connection's generation first, so that nothing is
        acknowledged with a grant the staff disconnected or replaced."""
        if write:
            token = self.store.write_token(SERVICE)
        else:
            token = self.store.load_token(SERVICE, max_age=TOKEN_REUSE_S)
        if token is None:
            raise AuthError("Lockme is not connected", service=SERVICE)
        if token.get("expires_at", 0) - EXPIRY_MARGIN_S < time.time():
            return self._refresh(token["access_token"])
        return token

    def _refresh(self, stale_access: str) -> dict[str, Any]:
        """Refresh once across all processes; whoever holds the lock second reuses the result."""
        return tokens.refresh_once(self.store, SERVICE, stale_access, self._renew)

    def _renew(self, stored: dict[str, Any], generation: int) -> dict[str, Any]:
        """A new token from Lockme for ``stored``; a refused refresh breaks the connection."""
        if not stored.get("refresh_token"):
            self._mark_broken("token expired and no refresh token: reconnect needed", generation)
        try:
            return self._token_call(
                {"grant_type": "refresh_token", "refresh_token": stored["refresh_token"]}, stored
            )
        except AuthError as exc:
            self._mark_broken(f"{exc}: reconnect needed", generation)

    def _send(self, method: str, url: str, **kwargs: Any) -> Response:
        """Every HTTP request to Lockme, counted by status for ``/metrics``."""
        try:
            response = self.http.request(method, url, **kwargs)
        except NETWORK_ERRORS:
            metrics.api_call(self.store.redis, SERVICE, "network")
            raise
        metrics.api_call(self.store.redis, SERVICE, response.status)
        return response

    def _mark_broken(self, reason: str, generation: int | None = None) -> NoReturn:
        """Record ``reason`` on the connection of ``generation`` (default: the current one),
        so that a grant made meanwhile is not marked, and raise it."""
        if generation is None:
            generation = self.store.generation(SERVICE)
        self.store.set_connection(SERVICE, error=reason, generation=generation)
        raise AuthError(reason, service=SERVICE)

    # --- API ----------------------------------------------------------------------------
    def call(self, method: str, path: str, *, allow_404: bool = False) -> Any:
        """Call ``/{version}{path}``; refresh once on 401; classify failures by type."""
        token = self._current_token(write=method != "GET")
        for attempt in (1, 2):
            try:
                response = self._send(
                    method,
                    f"{self.settings.lockme_api_base}{path}",
                    headers={**HEADERS, "Authorization": f"Bearer {token['access_token']}"},
                )
            except NETWORK_ERRORS as exc:
                raise TransientError(
                    f"Lockme {method} {path}: {type(exc).__name__}", service=SERVICE
                ) from exc
            if response.status == 401 and attempt == 1:
                token = self._refresh(token["access_token"])
                continue
            break
        status = response.status
        if status == 404 and allow_404:
            return None
        if status == 401:
            self._mark_broken(f"Lockme refused the token: {_error_text(response)}")
        if status >= 500 or status == 429:
            raise TransientError(
                f"Lockme {method} {path}: {status} {_error_text(response)}",
                service=SERVICE,
                status=status,
                retry_after=_retry_after(response),
            )
        if status >= 400:
            raise PermanentError(
                f"Lockme {method} {path}: {status} {_error_text(response)}",
                service=SERVICE,
                status=status,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError(
                f"Lockme {method} {path}: {status}, body is not JSON", service=SERVICE
            ) from exc

    def message(self, message_id: int) -> Any:
        return self.call("GET", f"/message/{message_id}")

    def ack(self, message_id: int) -> None:
        self.call("POST", f"/message/{message_id}")

    def reservation(self, room_id: int, reservation_id: int) -> dict[str, Any] | None:
        """The current reservation, or None when Lockme no longer has it (deleted)."""
        return self.call("GET", f"/room/{room_id}/reservation/{reservation_id}", allow_404=True)

    def reservations(self, room_id: int, day: date) -> list[dict[str, Any]]:
        return self.call("GET", f"/room/{room_id}/reservations/{day.isoformat()}") or []

    def rooms(self) -> list[dict[str, Any]]:
        return self.call("GET", "/rooms") or []

    def me(self) -> dict[str, Any]:
        return self.call("GET", "/me")

    def test(self) -> bool:
        return self.call("GET", "/test") == "OK"
