"""The login throttle: slows a password guesser without locking the venue's staff out.

A fixed "N tries per window" per address punished everyone behind the attacker's address
(a venue's one office connection): ten wrong passwords from anyone there refused the right
one for five minutes. This throttle works on three things instead:

- **A growing wait per subject.** The first :data:`FREE_ATTEMPTS` wrong passwords cost
  nothing; after that each attempt must wait twice as long as the last (2 s, 4 s, … up to
  :data:`MAX_WAIT_S`), and the page says how long. An attempt during the wait is refused
  without its password being checked, so a guesser gets 12 tries in the first five
  minutes and 12 an hour after that, per subject.
- **A browser's own subject.** A browser that logged in before carries a signed
  ``login_device`` cookie (:data:`DEVICE_DAYS`, bound to the current password); its
  attempts count on their own, not on the address's. A staff member's usual browser is
  never held up by someone else's guesses from the same address; a new browser there waits
  like everyone else (the trade-off, in docs/security.md).
- **The same wrong password counts once.** A keyed fingerprint of each wrong password is
  kept with the subject's count: a browser retrying a stale saved password is told "wrong"
  at once and costs no try. A guesser tries distinct passwords and gains nothing.

The client address is the one :func:`client_address` reads: an IP address that parses,
IPv6 counted per /64 (what one customer line gets), so a key never holds more than an
address however long a forged header is.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import re
import secrets
from dataclasses import dataclass

import redis
from flask import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from worker.stores.keys import Keys

FREE_ATTEMPTS = 5
FIRST_WAIT_S = 2
MAX_WAIT_S = 300
# A subject is forgotten this long after its last attempt (plus its wait).
IDLE_S = 15 * 60
DEVICE_COOKIE = "login_device"
DEVICE_DAYS = 90
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")

# KEYS[1]: the subject's hash (``tries``, ``until`` and ``fp:<fingerprint>`` fields).
# ARGV: the attempt's fingerprint, FREE_ATTEMPTS, FIRST_WAIT_S, MAX_WAIT_S, IDLE_S.
# Counted before the password is checked, in one call, so that concurrent attempts each get
# their own number and none slips past a wait. Redis's clock: every web process shares it.
_CLAIM = """
if redis.call('HEXISTS', KEYS[1], 'fp:' .. ARGV[1]) == 1 then return {'known', '0'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < wait_until then return {'wait', tostring(wait_until - now)} end
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
local wait = 0
if tries >= tonumber(ARGV[2]) then
  wait = math.min(tonumber(ARGV[3]) * 2 ^ (tries - tonumber(ARGV[2])), tonumber(ARGV[4]))
end
redis.call('HSET', KEYS[1], 'until', tostring(now + wait))
redis.call('EXPIRE', KEYS[1], math.ceil(wait) + tonumber(ARGV[5]))
return {'check', tostring(wait)}
"""


@dataclass(frozen=True)
class Verdict:
    """``check``: evaluate the password; ``known``: a wrong one seen before (answer wrong);
    ``wait``: refuse, for ``wait_s`` more seconds."""

    action: str
    wait_s: int


def client_address(request: Request) -> str:
    """The client's address as the login limit counts it: ``remote_addr`` (the trusted
    proxy's report, ``TRUSTED_PROXY_HOPS``) when it is an IP address, else the socket's
    peer; an IPv6 address as its /64, an IPv4-mapped one as the IPv4 address."""
    original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    for candidate in (request.remote_addr, original):
        try:
            address = ipaddress.ip_address(candidate or "")
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped:
                return str(address.ipv4_mapped)
            return str(ipaddress.IPv6Network((int(address), 64), strict=False))
        return str(address)
    return "unknown"


class LoginThrottle:
    """The throttle of one login attempt; ``password_key`` changes with ``ADMIN_PASSWORD``
    (its keyed fingerprint), so a new password voids every device and every fingerprint."""

    def __init__(self, client: redis.Redis, keys: Keys, secret_key: str, password_key: str) -> None:
        self.redis = client
        self.keys = keys
        self.password_key = password_key
        self._devices = URLSafeTimedSerializer(secret_key, salt=DEVICE_COOKIE)
        self._claim = client.register_script(_CLAIM)

    def subject(self, request: Request) -> str:
        """The device of a valid ``login_device`` cookie, else the client address."""
        device = self._device(request.cookies.get(DEVICE_COOKIE, ""))
        return f"device:{device}" if device else f"ip:{client_address(request)}"

    def _device(self, cookie: str) -> str | None:
        if not cookie or len(cookie) > 200:
            return None
        try:
            data = self._devices.loads(cookie, max_age=DEVICE_DAYS * 24 * 3600)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("pw") != self.password_key:
            return None
        device = data.get("d")
        return device if isinstance(device, str) and _DEVICE_ID.match(device) else None

    def device_cookie(self) -> str:
        """A new signed device id, for the browser that just logged in."""
        return self._devices.dumps({"d": secrets.token_urlsafe(16), "pw": self.password_key})

    def _fingerprint(self, password: str) -> str:
        digest = hmac.new(self.password_key.encode(), password.encode(), "sha256")
        return digest.hexdigest()[:24]

    def claim(self, subject: str, password: str) -> Verdict:
        """Whether this attempt may be checked now (counting it if so)."""
        action, wait = self._claim(
            keys=[self.keys.login_attempts(subject)],
            args=[self._fingerprint(password), FREE_ATTEMPTS, FIRST_WAIT_S, MAX_WAIT_S, IDLE_S],
        )
        return Verdict(action.decode(), math.ceil(float(wait)))

    def wrong(self, subject: str, password: str) -> None:
        """Remember a wrong password, so that trying it again costs no try."""
        key = self.keys.login_attempts(subject)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, f"fp:{self._fingerprint(password)}", 1)
        pipe.expire(key, MAX_WAIT_S + IDLE_S, nx=True)  # lapsed since the claim: not kept
        pipe.execute()

    def passed(self, subject: str) -> None:
        self.redis.delete(self.keys.login_attempts(subject))
