"""Tell the staff when the sync needs a person: a broken connection, dead letters, a stall.

Conditions are checked every few minutes by a scheduled job (and by ``lockme-sync alerts``,
which a platform scheduler can run when the worker itself is down), and at once when a job
finds a connection broken. Each condition alerts at most once per hour: a Redis ``SET NX EX``
per condition is the clock, shared by every process, so a flapping connection or many
parked messages do not flood the inbox. When no channel accepted the alert, the mark is
released so the next check tries again.

Alerts name counts, message ids and the connection's error, never booking contents.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from worker.config import Settings
from worker.ops import blocks_report, logs
from worker.ops.alert import Alert
from worker.ops.redis_memory import redis_memory
from worker.ops.status import queue_stats
from worker.runtime import Runtime
from worker.stores.token_vault import PROVIDERS

THROTTLE_S = 3600
STALL_AFTER_S = 600
TIMEOUT_S = 10
LABELS = {"lockme": "Lockme", "google": "Google Calendar"}


def active(runtime: Runtime) -> list[Alert]:
    """Every condition that holds right now (whether or not it was alerted recently)."""
    store = runtime.store
    where = f"{runtime.settings.public_url}/status" if runtime.settings.public_url else "/status"
    alerts: list[Alert] = []
    for provider in PROVIDERS:
        state = store.connections.connection(provider)
        # A connection never made is set-up work, not an outage: only a stored grant that
        # stopped working is alerted.
        if not state["connected"] and store.tokens.load_token(provider) is not None:
            alerts.append(
                Alert(
                    f"{provider}_disconnected",
                    f"The {LABELS[provider]} connection is broken ({state['error']}). "
                    f"Bookings wait until it is reconnected on the setup page; see {where}.",
                )
            )
    failures = store.failures.failure_count()
    if failures:
        latest = store.failures.failures(limit=1)
        newest = f" (latest: message {latest[0]['message_id']})" if latest else ""
        alerts.append(
            Alert(
                "dead_letters",
                f"{failures} Lockme message(s) could not be synced{newest}. "
                f"Check {where}, then replay them.",
            )
        )
    memory = redis_memory(runtime.redis)
    if memory.near_full:
        alerts.append(
            Alert(
                "redis_memory",
                f"Redis uses {memory.used_bytes / 2**20:.1f} MB of its "
                f"{memory.max_bytes / 2**20:.1f} MB; when full it refuses webhooks. "
                f"Check {where} for waiting or failed messages, or move to a larger plan.",
            )
        )
    alerts += blocks_report.alerts(runtime, where)
    age = queue_stats(runtime)["oldest_queued_age_s"]
    if age is not None and age > STALL_AFTER_S:
        alerts.append(
            Alert(
                "queue_stalled",
                f"The oldest queued booking has waited {age / 60:.0f} minutes: "
                "is the worker process running?",
            )
        )
    return alerts


def check(runtime: Runtime) -> list[str]:
    """Send what is due; returns the conditions alerted now."""
    return [alert.condition for alert in active(runtime) if notify(runtime, alert)]


def notify(runtime: Runtime, alert: Alert) -> bool:
    """Deliver ``alert`` unless its condition was alerted within the hour."""
    channels = _channels(runtime.settings)
    if not channels:
        return False
    key = runtime.keys.alert(alert.condition)
    if not runtime.redis.set(key, logs.short_hash(alert.text), nx=True, ex=THROTTLE_S):
        return False
    delivered = 0
    for name, send in channels:
        try:
            send(runtime.settings, alert)
            delivered += 1
        except (OSError, smtplib.SMTPException, requests.RequestException) as exc:
            logs.event(
                "alert.failed",
                outcome=type(exc).__name__,
                channel=name,
                condition=alert.condition,
                level=logging.WARNING,
            )
    if not delivered:
        runtime.redis.delete(key)
        return False
    logs.event("alert.sent", outcome="sent", condition=alert.condition, channels=delivered)
    return True


Sender = Callable[[Settings, Alert], None]


def _channels(settings: Settings) -> list[tuple[str, Sender]]:
    channels: list[tuple[str, Sender]] = []
    if settings.alert_webhook_url:
        channels.append(("webhook", send_webhook))
    if settings.alert_smtp_url and settings.alert_email_to:
        channels.append(("email", send_email))
    return channels


def send_webhook(settings: Settings, alert: Alert) -> None:
    """POST ``{"text", "content"}``: Slack reads ``text``, Discord reads ``content``."""
    text = f"lockme-calendar-sync: {alert.text}"
    response = requests.post(
        settings.alert_webhook_url, json={"text": text, "content": text}, timeout=TIMEOUT_S
    )
    response.raise_for_status()


class InsecureSMTP(smtplib.SMTPException):
    """The server offers no STARTTLS, so the login would cross the network in clear text."""


def send_email(settings: Settings, alert: Alert) -> None:
    """Send through ``ALERT_SMTP_URL``: ``smtp://user:pass@host:587`` (STARTTLS) or
    ``smtps://…:465``; ``?from=address`` sets the sender (default: the user name, if it is an
    address).

    With a user name, TLS comes first: a server (or someone between) that does not offer
    STARTTLS gets no login, and the alert fails with :class:`InsecureSMTP`. Only an
    unauthenticated relay (no user, say a local one) may be spoken to in clear text."""
    url = urlsplit(settings.alert_smtp_url)
    user, password = unquote(url.username or ""), unquote(url.password or "")
    host = url.hostname or "localhost"
    sender = parse_qs(url.query).get("from", [user if "@" in user else f"lockme-sync@{host}"])[0]
    message = EmailMessage()
    message["Subject"] = f"[lockme-calendar-sync] {alert.condition.replace('_', ' ')}"
    message["From"] = sender
    message["To"] = settings.alert_email_to
    message.set_content(alert.text)
    context = ssl.create_default_context()
    if url.scheme == "smtps":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, url.port or 465, timeout=TIMEOUT_S, context=context
        )
    else:
        smtp = smtplib.SMTP(host, url.port or 587, timeout=TIMEOUT_S)
    with smtp:
        smtp.ehlo()
        if url.scheme != "smtps":
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif user:
                raise InsecureSMTP(f"{host} offers no STARTTLS; the login is not sent")
        if user:
            smtp.login(user, password)
        smtp.send_message(message)
