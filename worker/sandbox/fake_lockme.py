"""Fake of the Lockme partner API v2.x and its OAuth server, so the worker can be tested end
to end without a Lockme account (docs/lockme-api.md: paths, Bearer auth, ``{"message": ...}``
error bodies, the webhook message shape, rotating refresh tokens).

:class:`FakeLockme` composes one module per concern: the OAuth server (``fake_oauth``,
:data:`LOCKME_OAUTH`), reservations and messages with the panel's actions
(``lockme_reservations``), rooms' slot settings (``lockme_slots``), the API's resources and
an integration's writes (``lockme_api``), and the answer forms nobody has confirmed
(``lockme_dialect``, :class:`Dialect`). This module routes a request to them after the
token check.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.fake_oauth import LOCKME_OAUTH, FakeOAuth, OAuthField
from worker.sandbox.faults import Faults
from worker.sandbox.lockme_api import LockmeApi
from worker.sandbox.lockme_bodies import REASONS, lockme_message
from worker.sandbox.lockme_dialect import expiry_fields
from worker.sandbox.server import json_response


class FakeLockme(LockmeApi):
    """Fake ``https://api.lock.me``: OAuth at ``/authorize`` and ``/access_token``,
    the API under ``/{version}/``."""

    client_id = OAuthField()
    client_secret = OAuthField()
    access_ttl = OAuthField()
    consent = OAuthField()
    codes = OAuthField()
    access_tokens = OAuthField()
    refresh_tokens = OAuthField()
    last_authorize_params = OAuthField("last_params")

    def __init__(
        self,
        client_id: str = "lm-client",
        client_secret: str = "lm-secret",
        access_ttl: int = 3600,
        version: str = "v2.4",
        nick: str = "escape-owner",
        userid: int = 4242,
        *,
        faults: Faults | None = None,
        timezone: str = "Europe/Warsaw",
        consent: bool = False,
    ) -> None:
        super().__init__(faults, timezone, nick, userid)
        self.oauth = FakeOAuth(
            LOCKME_OAUTH,
            client_id,
            client_secret,
            signed_in=nick,
            access_ttl=access_ttl,
            consent=consent,
            expiry_fields=lambda ttl: expiry_fields(self.dialect, ttl),
            lock=self.lock,
        )
        self.version = version

    def issue_token(self, account: str | None = None) -> dict[str, Any]:
        """A valid token response for an account (the first by default), as if the OAuth
        dance had happened (for seeding tests)."""
        return self.oauth.issue(self._account(account))

    def sign_in(self, account: str) -> None:
        """The browser's user signs in to Lockme as this account: the consent screen names
        it, and the codes issued from now on grant it."""
        self.oauth.signed_in = self._account(account)

    def expire_access_tokens(self, account: str | None = None) -> None:
        """Make the current access tokens (of one account, or all) expired; refresh tokens
        stay valid."""
        self.oauth.expire(account)

    def revoke(self, account: str | None = None) -> None:
        """Invalidate every token (of one account, or all), like a user revoking the app in
        the Lockme panel."""
        self.oauth.revoke(account)

    def default_error_body(self, status: int, path: str) -> Any:
        if path in ("/access_token", "/authorize"):
            return LOCKME_OAUTH.fault_body(status)
        return {"message": REASONS.get(status, "Error")}

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/authorize":
            if request.method != "GET":
                return lockme_message(405)
            return self.oauth.authorize(request, self.oauth.signed_in)
        if path == "/access_token":
            if request.method != "POST":
                return lockme_message(405)
            return self.oauth.token(request)
        prefix = f"/{self.version}/"
        if not path.startswith(prefix):
            return lockme_message(404)
        return self._api(request, path[len(prefix) :])

    def _api(self, request: Request, sub: str) -> Response:
        grant = self.oauth.bearer(request)
        if grant == "expired":
            return lockme_message(401, "Access token expired")
        if isinstance(grant, str):
            return lockme_message(401, "Unauthorized")
        response = self._resource(request, sub, grant.account)
        echo = request.environ.get("fakes.echo")
        listener = self.echo_listener
        if echo is not None and listener is not None and self.dialect.echo == "before":
            listener(echo)  # outside the lock: the listener may call this fake back
        if self.dialect.errors_in_200 and response.status_code >= 400:
            text = response.get_json(silent=True) or {}
            return json_response({"error": text.get("message", "Error")}, 200)
        return response
