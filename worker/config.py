"""Settings read once from the environment.

Every other module receives a :class:`Settings`; nothing else reads ``os.environ`` for
configuration, so a deployment's behaviour is fully described by the table in the README.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from worker.domain.wording import default_language
from worker.stores.keys import PREFIX
from worker.texts import LANGUAGES

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
REQUIRED = ("SECRET_KEY", "ADMIN_PASSWORD", "WEBHOOK_SECRET")
# SECRET_KEY signs sessions and derives the token key: 32 random characters are ~190 bits
# (token_urlsafe). ADMIN_PASSWORD and METRICS_TOKEN (when set) meet a throttle that allows
# about 12 guesses an hour per address (app.login_throttle); a token is never typed, so it
# can be long.
MIN_LENGTHS = {"SECRET_KEY": 32, "ADMIN_PASSWORD": 12, "METRICS_TOKEN": 24}
# Without PUBLIC_URL, URLs are built from the request's Host, so only these Host names are
# trusted unless ALLOWED_HOSTS names others: a laptop's own names. Not app.setup's
# LOOPBACK_HOSTNAMES: IPv6 loopback arrives in a Host header bracketed ("[::1]:5000"), and
# those two are what ``lockme-sync check`` tells the operator the pages answer for.
TRUSTED_LOCAL_HOSTS = ("localhost", "127.0.0.1")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    """The deployment's configuration; see the README for the meaning of each field."""

    redis_url: str = DEFAULT_REDIS_URL
    secret_key: str = ""
    secret_key_fallbacks: tuple[str, ...] = ()
    admin_password: str = ""
    webhook_secret: str = ""
    lockme_client_id: str = ""
    lockme_client_secret: str = ""
    lockme_api_url: str = "https://api.lock.me"
    lockme_api_version: str = "v2.4"
    google_client_id: str = ""
    google_client_secret: str = ""
    google_auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    google_token_uri: str = "https://oauth2.googleapis.com/token"
    google_calendar_api_url: str = "https://www.googleapis.com/calendar/v3/"
    venue_timezone: str = "Europe/Warsaw"
    venue_language: str = "pl"
    default_duration_minutes: int = 60
    google_rate_limit_per_s: float = 8.0
    public_url: str = ""
    queue_name: str = "lockme"
    # What every Redis key of this runtime starts with (``worker.stores.keys.Keys``): two runtimes
    # with different prefixes share a Redis without touching each other's data.
    key_prefix: str = PREFIX
    log_level: str = "INFO"
    log_format: str = "json"
    metrics_token: str = ""
    sentry_dsn: str = ""
    alert_smtp_url: str = ""
    alert_email_to: str = ""
    alert_webhook_url: str = ""
    # The built-in sandbox: ``lockme-sync dev`` sets the first two for its web and worker
    # processes; the sandbox's own Redis database defaults to number 15 of REDIS_URL's.
    sandbox_url: str = ""
    sandbox_token: str = ""
    sandbox_redis_url: str = ""
    retry_backoff_scale: float = 1.0
    trusted_proxy_hops: int = 1
    allowed_hosts: tuple[str, ...] = ()
    # How far ahead a blocks calendar's events block Lockme slots (its full read's window).
    blocks_horizon_days: int = 90

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.venue_timezone)

    @property
    def lockme_base(self) -> str:
        """Host of OAuth endpoints; the versioned API lives under it."""
        return self.lockme_api_url.rstrip("/")

    @property
    def lockme_api_base(self) -> str:
        return f"{self.lockme_base}/{self.lockme_api_version}"

    @property
    def trusted_hosts(self) -> list[str] | None:
        """Host names the web tier answers for (Flask's ``TRUSTED_HOSTS``); ``None``: any.

        With ``PUBLIC_URL`` set no URL is built from the request, so any Host is harmless
        unless the operator lists some; without it the Host becomes the OAuth redirect and
        the webhook URL shown, so only the listed names or loopback are accepted."""
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        return None if self.public_url else list(TRUSTED_LOCAL_HOSTS)

    def missing(self) -> list[str]:
        """Names of required settings that are empty."""
        return [name for name in REQUIRED if not getattr(self, name.lower())]

    def weak(self) -> list[str]:
        """One line per secret shorter than its minimum (see :data:`MIN_LENGTHS`)."""
        return [
            f"{name} is too short: use at least {length} random characters"
            for name, length in MIN_LENGTHS.items()
            if 0 < len(getattr(self, name.lower())) < length
        ]

    def require(self) -> Settings:
        """Raise :class:`ConfigError` naming the first missing or weak required setting."""
        missing = self.missing()
        if missing:
            raise ConfigError(f"{missing[0]} is not set (required; see README, Configuration)")
        weak = self.weak()
        if weak:
            raise ConfigError(f"{weak[0]} (see README, Configuration)")
        return self


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables of a development ``.env`` file (none when it is missing); real
    environment variables take precedence over them.

    python-dotenv reads it as a shell would (quotes, escapes, inline comments, ``export``),
    with no ``${…}`` interpolation: a secret is taken literally. A name without a value is
    left out."""
    values = dotenv_values(path, interpolate=False, encoding="utf-8")
    return {name: value for name, value in values.items() if value is not None}


def load_settings(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default: the process environment plus ``.env``).

    Validation of formats happens here so that a typo fails at start-up, not at the first
    booking. Required values are checked by :meth:`Settings.require`, because some commands
    (``check``, ``status``) must run and report even when they are missing.
    """
    if env is None:
        merged = read_dotenv(dotenv or Path.cwd() / ".env")
        merged.update(os.environ)
        env = merged

    def get(name: str, default: str = "") -> str:
        return env.get(name, "").strip() or default

    tz_name = get("VENUE_TIMEZONE", "Europe/Warsaw")
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"VENUE_TIMEZONE {tz_name!r} is not an IANA time zone") from None
    language = get("VENUE_LANGUAGE", default_language(tz_name)).lower()
    if language not in LANGUAGES:
        raise ConfigError(f"VENUE_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    duration_raw = get("DEFAULT_DURATION_MINUTES", "60")
    if not duration_raw.isdigit() or not 1 <= int(duration_raw) <= 24 * 60:
        raise ConfigError("DEFAULT_DURATION_MINUTES must be a whole number from 1 to 1440")
    rate_raw = get("GOOGLE_RATE_LIMIT_PER_S", str(Settings.google_rate_limit_per_s))
    try:
        rate = float(rate_raw)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 10_000:
        raise ConfigError("GOOGLE_RATE_LIMIT_PER_S must be a number above 0 (requests/s)")
    api_url = get("GOOGLE_CALENDAR_API_URL", Settings.google_calendar_api_url)
    log_format = get("LOG_FORMAT", "json").lower()
    if log_format not in ("json", "text"):
        raise ConfigError("LOG_FORMAT must be json or text")
    scale_error = "RETRY_BACKOFF_SCALE must be a number above 0 and at most 100"
    try:
        retry_backoff_scale = float(get("RETRY_BACKOFF_SCALE", "1"))
    except ValueError:
        raise ConfigError(scale_error) from None
    if not 0 < retry_backoff_scale <= 100:
        raise ConfigError(scale_error)
    hops_raw = get("TRUSTED_PROXY_HOPS", "1")
    if not (hops_raw.isascii() and hops_raw.isdigit() and int(hops_raw) <= 10):
        raise ConfigError("TRUSTED_PROXY_HOPS must be a whole number from 0 to 10")
    horizon_raw = get("BLOCKS_HORIZON_DAYS", str(Settings.blocks_horizon_days))
    if not (horizon_raw.isascii() and horizon_raw.isdigit() and 1 <= int(horizon_raw) <= 730):
        raise ConfigError("BLOCKS_HORIZON_DAYS must be a whole number from 1 to 730")
    return Settings(
        redis_url=get("REDIS_URL", DEFAULT_REDIS_URL),
        secret_key=get("SECRET_KEY"),
        secret_key_fallbacks=tuple(
            key.strip() for key in get("SECRET_KEY_FALLBACKS").split(",") if key.strip()
        ),
        admin_password=get("ADMIN_PASSWORD"),
        webhook_secret=get("WEBHOOK_SECRET"),
        lockme_client_id=get("LOCKME_CLIENT_ID"),
        lockme_client_secret=get("LOCKME_CLIENT_SECRET"),
        lockme_api_url=get("LOCKME_API_URL", Settings.lockme_api_url),
        lockme_api_version=get("LOCKME_API_VERSION", Settings.lockme_api_version),
        google_client_id=get("GOOGLE_CLIENT_ID"),
        google_client_secret=get("GOOGLE_CLIENT_SECRET"),
        google_auth_uri=get("GOOGLE_AUTH_URI", Settings.google_auth_uri),
        google_token_uri=get("GOOGLE_TOKEN_URI", Settings.google_token_uri),
        google_calendar_api_url=api_url if api_url.endswith("/") else api_url + "/",
        venue_timezone=tz_name,
        venue_language=language,
        default_duration_minutes=int(duration_raw),
        google_rate_limit_per_s=rate,
        public_url=get("PUBLIC_URL").rstrip("/"),
        queue_name=get("LOCKME_QUEUE", "lockme"),
        log_level=get("LOG_LEVEL", "INFO").upper(),
        log_format=log_format,
        metrics_token=get("METRICS_TOKEN"),
        sentry_dsn=get("SENTRY_DSN"),
        alert_smtp_url=get("ALERT_SMTP_URL"),
        alert_email_to=get("ALERT_EMAIL_TO"),
        alert_webhook_url=get("ALERT_WEBHOOK_URL"),
        sandbox_url=get("SANDBOX_URL").rstrip("/"),
        sandbox_token=get("SANDBOX_TOKEN"),
        sandbox_redis_url=get("SANDBOX_REDIS_URL"),
        retry_backoff_scale=retry_backoff_scale,
        trusted_proxy_hops=int(hops_raw),
        allowed_hosts=tuple(h.strip() for h in get("ALLOWED_HOSTS").split(",") if h.strip()),
        blocks_horizon_days=int(horizon_raw),
    )
