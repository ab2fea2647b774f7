"""The OAuth 2.0 authorization server that both fakes run: consent, code exchange, refresh
with rotation, expiry and revocation, once.

Lockme and Google differ in what they answer, not in how the grant works: which status and
``error`` each mistake gets, whether PKCE is checked, whether a refresh token comes only with
``access_type=offline``, whether it rotates. Each provider's differences are a table,
:class:`OAuthRules` (:data:`LOCKME_OAUTH`, :data:`GOOGLE_OAUTH`), so a fix to the grant
reaches both fakes and a difference between them is one line to read.

Every grant belongs to one account (a Lockme company profile, a Google user): the one
signed in at the authorization server when the code was issued (:attr:`FakeOAuth.signed_in`),
or the one a test names when it seeds a token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from worker.sandbox.consent import CONSENT_ANSWER, consent_page, consent_refused, with_query
from worker.sandbox.server import json_response

OAuthError = tuple[int, str, str]
"""``(status, error, error_description)`` of one refusal."""


@dataclass(frozen=True)
class OAuthRules:
    """One provider's answers. ``errors`` names each refusal the grant can meet:
    ``authorize_client``, ``response_type``, ``redirect_missing``, ``challenge_method``,
    ``token_client`` (unknown client id), ``token_secret`` (wrong secret), ``code_unknown``,
    ``code_redirect``, ``verifier_missing``, ``verifier_wrong``, ``refresh_unknown`` and
    ``grant_type`` (its description may name ``{grant}``). ``fault_errors`` are the
    bodies of injected faults on the OAuth paths, by status."""

    service: str
    consent_scope: str
    errors: Mapping[str, OAuthError]
    fault_errors: Mapping[int, tuple[str, str]]
    access_prefix: str = ""
    refresh_prefix: str = ""
    code_prefix: str = ""
    access_bytes: int = 32
    refresh_bytes: int = 32
    code_bytes: int = 32
    pkce: bool = False
    """Check ``code_challenge`` against the exchange's ``code_verifier`` (RFC 7636)."""
    refresh_needs_offline: bool = False
    """A refresh token comes with a code only when the request asked ``access_type=offline``."""
    scope_in_answers: bool = False
    """The redirect back and the token answers name the granted scopes (``scope``)."""

    def error(self, name: str, **values: str) -> Response:
        """The provider's answer to one refusal, as an RFC 6749 error body."""
        status, error, description = self.errors[name]
        return json_response(
            {"error": error, "error_description": description.format(**values)}, status
        )

    def fault_body(self, status: int) -> dict[str, str]:
        """The body of an injected fault on the OAuth paths."""
        error, description = self.fault_errors.get(status, ("server_error", "Error"))
        return {"error": error, "error_description": description}


_LOCKME_CLIENT = (401, "invalid_client", "Client authentication failed")
LOCKME_OAUTH = OAuthRules(
    service="Lockme",
    consent_scope="rooms_manage",
    errors={
        "authorize_client": (400, "invalid_client", "Client authentication failed"),
        "response_type": (
            400,
            "unsupported_response_type",
            "The authorization server does not support obtaining an authorization "
            "code using this method.",
        ),
        "redirect_missing": (400, "invalid_request", 'Check the "redirect_uri" parameter.'),
        "token_client": _LOCKME_CLIENT,
        "token_secret": _LOCKME_CLIENT,
        "code_unknown": (
            400,
            "invalid_grant",
            "Authorization code is invalid or was already used",
        ),
        "code_redirect": (400, "invalid_grant", "Redirect URI does not match"),
        "refresh_unknown": (400, "invalid_grant", "The refresh token is invalid."),
        "grant_type": (
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported.",
        ),
    },
    fault_errors={
        400: ("invalid_request", "Bad Request"),
        401: ("invalid_client", "Unauthorized"),
        403: ("server_error", "Forbidden"),
        404: ("server_error", "Not found"),
        405: ("server_error", "Method not allowed"),
        409: ("server_error", "Conflict"),
        429: ("server_error", "Too Many Requests"),
        500: ("server_error", "Internal Server Error"),
        502: ("server_error", "Bad Gateway"),
        503: ("temporarily_unavailable", "Service Unavailable"),
        504: ("server_error", "Gateway Timeout"),
    },
    access_bytes=24,
    code_bytes=24,
)

GOOGLE_OAUTH = OAuthRules(
    service="Google",
    consent_scope="calendar",
    errors={
        "authorize_client": (401, "invalid_client", "The OAuth client was not found."),
        "response_type": (400, "unsupported_response_type", "Invalid response_type"),
        "redirect_missing": (400, "invalid_request", "Missing required parameter: redirect_uri"),
        "challenge_method": (400, "invalid_request", "Invalid code_challenge_method"),
        "token_client": (401, "invalid_client", "The OAuth client was not found."),
        "token_secret": (401, "invalid_client", "Unauthorized"),
        "code_unknown": (400, "invalid_grant", "Malformed auth code."),
        "code_redirect": (400, "redirect_uri_mismatch", "Bad Request"),
        "verifier_missing": (400, "invalid_grant", "Missing code verifier."),
        "verifier_wrong": (400, "invalid_grant", "Invalid code verifier."),
        "refresh_unknown": (400, "invalid_grant", "Token has been expired or revoked."),
        "grant_type": (400, "unsupported_grant_type", "Invalid grant_type: {grant}"),
    },
    fault_errors={
        400: ("invalid_grant", "Bad Request"),
        401: ("invalid_client", "Unauthorized"),
        429: ("rate_limit_exceeded", "Rate limit exceeded"),
        500: ("internal_failure", "Backend Error"),
        503: ("temporarily_unavailable", "Service Unavailable"),
    },
    access_prefix="ya29.",
    refresh_prefix="1//",
    code_prefix="4/",
    pkce=True,
    refresh_needs_offline=True,
    scope_in_answers=True,
)


@dataclass
class Grant:
    """What a token stands for: whose account, with which scopes; ``expiry`` (unix time)
    matters for access tokens only."""

    account: str
    scopes: list[str]
    expiry: float = 0.0


@dataclass
class _Code:
    grant: Grant
    redirect_uri: str
    offline: bool
    challenge: str | None = None
    challenge_method: str | None = None


def _no_expiry_fields(ttl: int) -> dict[str, Any]:
    return {"expires_in": ttl}


@dataclass
class FakeOAuth:
    """One provider's authorization server state and endpoints.

    ``expiry_fields`` shapes how a token answer states the access token's life (Lockme's
    form is a dialect choice, read at each answer)."""

    rules: OAuthRules
    client_id: str
    client_secret: str
    signed_in: str
    """The account the browser is signed in as: a code issued now grants that account."""
    access_ttl: int = 3600
    granted_scopes: list[str] = field(default_factory=list)
    rotate: bool = True
    """A refresh spends its refresh token and answers a new one."""
    consent: bool = False
    """Show a consent screen (the sandbox) instead of approving at once (the tests, which
    walk the redirects without a browser)."""
    expiry_fields: Callable[[int], dict[str, Any]] = _no_expiry_fields
    lock: threading.RLock = field(default_factory=threading.RLock)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    last_params: dict[str, str] | None = None
    """The query of the latest authorization request (a test checks what the app sent)."""

    # -- tokens --------------------------------------------------------------------

    def _mint_access(self, grant: Grant) -> str:
        token = self.rules.access_prefix + secrets.token_urlsafe(self.rules.access_bytes)
        with self.lock:
            self.access_tokens[token] = Grant(
                grant.account, list(grant.scopes), time.time() + self.access_ttl
            )
        return token

    def _mint_refresh(self, grant: Grant) -> str:
        token = self.rules.refresh_prefix + secrets.token_urlsafe(self.rules.refresh_bytes)
        with self.lock:
            self.refresh_tokens[token] = Grant(grant.account, list(grant.scopes))
        return token

    def _answer(self, grant: Grant, *, with_refresh: bool) -> dict[str, Any]:
        """A token endpoint answer: a fresh access token, and a refresh token if asked."""
        body: dict[str, Any] = {"access_token": self._mint_access(grant)}
        if with_refresh:
            body["refresh_token"] = self._mint_refresh(grant)
        body["token_type"] = "Bearer"
        body.update(self.expiry_fields(self.access_ttl))
        if self.rules.scope_in_answers:
            body["scope"] = " ".join(grant.scopes)
        return body

    def issue(self, account: str | None = None) -> dict[str, Any]:
        """A valid token answer for ``account`` (the signed-in one by default), as if the
        grant had happened: for seeding tests."""
        grant = Grant(account or self.signed_in, list(self.granted_scopes))
        return self._answer(grant, with_refresh=True)

    def bearer(self, request: Request) -> Grant | str:
        """The grant of the request's access token, or why there is none: ``missing``
        (no Bearer header), ``unknown`` (never issued, or revoked) or ``expired``."""
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return "missing"
        with self.lock:
            grant = self.access_tokens.get(header[7:].strip())
        if grant is None:
            return "unknown"
        return "expired" if grant.expiry <= time.time() else grant

    def expire(self, account: str | None = None) -> None:
        """Expire the access tokens (of one account, or all); refresh tokens keep working."""
        with self.lock:
            for grant in self.access_tokens.values():
                if account is None or grant.account == account:
                    grant.expiry = time.time() - 1

    def revoke(self, account: str | None = None) -> None:
        """Invalidate every token (of one account, or all), as revoking the app does."""
        with self.lock:
            for tokens in (self.access_tokens, self.refresh_tokens):
                for token, grant in list(tokens.items()):
                    if account is None or grant.account == account:
                        del tokens[token]

    # -- endpoints -----------------------------------------------------------------

    def authorize(self, request: Request, account_label: str) -> Response:
        """The authorization endpoint: checks, then the consent screen or the redirect back
        with a code. ``account_label`` is how the consent screen names the signed-in account."""
        rules = self.rules
        params = request.args.to_dict()
        with self.lock:
            self.last_params = params
        if params.get("client_id") != self.client_id:
            return rules.error("authorize_client")
        if params.get("response_type") != "code":
            return rules.error("response_type")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            return rules.error("redirect_missing")
        challenge = params.get("code_challenge") if rules.pkce else None
        method = params.get("code_challenge_method", "plain") if challenge else None
        if challenge and method not in ("plain", "S256"):
            return rules.error("challenge_method")
        if self.consent:
            answer = params.pop(CONSENT_ANSWER, None)
            if answer is None:
                return consent_page(
                    rules.service, account_label, rules.consent_scope, params, request
                )
            if answer != "yes":
                return consent_refused(redirect_uri, params)
        code = rules.code_prefix + secrets.token_urlsafe(rules.code_bytes)
        with self.lock:
            self.codes[code] = _Code(
                grant=Grant(self.signed_in, list(self.granted_scopes)),
                redirect_uri=redirect_uri,
                offline=params.get("access_type") == "offline" or not rules.refresh_needs_offline,
                challenge=challenge,
                challenge_method=method,
            )
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        if rules.scope_in_answers:
            query["scope"] = " ".join(self.granted_scopes)
        return Response(status=302, headers={"Location": with_query(redirect_uri, query)})

    def token(self, request: Request) -> Response:
        """The token endpoint: a code exchanged, or a refresh (rotating when :attr:`rotate`)."""
        cid, secret = _client_credentials(request)
        if cid != self.client_id:
            return self.rules.error("token_client")
        if secret != self.client_secret:
            return self.rules.error("token_secret")
        grant = request.form.get("grant_type")
        if grant == "authorization_code":
            return self._exchange(request)
        if grant == "refresh_token":
            return self._refresh(request)
        return self.rules.error("grant_type", grant=str(grant))

    def _exchange(self, request: Request) -> Response:
        with self.lock:
            code = self.codes.pop(request.form.get("code", ""), None)
        if code is None:
            return self.rules.error("code_unknown")
        if code.redirect_uri != request.form.get("redirect_uri"):
            return self.rules.error("code_redirect")
        if code.challenge:
            verifier = request.form.get("code_verifier")
            if not verifier:
                return self.rules.error("verifier_missing")
            if _challenge_of(verifier, code.challenge_method) != code.challenge:
                return self.rules.error("verifier_wrong")
        return json_response(self._answer(code.grant, with_refresh=code.offline))

    def _refresh(self, request: Request) -> Response:
        refresh = request.form.get("refresh_token", "")
        with self.lock:
            grant = self.refresh_tokens.get(refresh)
            if grant is None:
                return self.rules.error("refresh_unknown")
            if self.rotate:
                del self.refresh_tokens[refresh]
            return json_response(self._answer(grant, with_refresh=self.rotate))


def _challenge_of(verifier: str, method: str | None) -> str:
    if method != "S256":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _client_credentials(request: Request) -> tuple[str | None, str | None]:
    """The client's id and secret: HTTP Basic, or the form (both are allowed, RFC 6749 2.3.1)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
            return cid, secret
        except (ValueError, UnicodeDecodeError):
            return None, None
    return request.form.get("client_id"), request.form.get("client_secret")


class OAuthField:
    """A fake's attribute that is its OAuth server's (``fake.client_id`` is
    ``fake.oauth.client_id``), so the fakes' public names stay as they were."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj.oauth, self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj.oauth, self.name, value)
