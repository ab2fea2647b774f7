"""The setup page's onboarding checklist: each step done (✓), or what to do next.

The steps follow the order a new installation goes through them, and each one is read
from the state the product already keeps (settings, stored tokens, the last webhook, the
routes, the last calendar test), so the list stays true without being stored itself.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.explain import ConnectionState
from app.health import connection_health
from app.i18n import st, t
from worker.ops.calendar_check import last_results
from worker.runtime import Runtime

LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".lan")
# The checklist's texts that the sandbox words its own way (``app.texts.sandbox``).
SANDBOX_WORDED = ("step_webhook", "todo_first_message")


@dataclass(frozen=True)
class Step:
    """``state`` is ``done``, ``todo`` or ``warn`` (done, but not as it should be)."""

    key: str
    title: str
    state: str
    todo: str = ""


def webhook_problem(url: str) -> str:
    """Why Lockme could not call ``url`` from the internet, or "" when it can."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        private = not ipaddress.ip_address(host).is_global
    except ValueError:
        private = host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host
    if private:
        return t("todo_webhook_local", host=host)
    if parts.scheme != "https":
        return t("todo_webhook_http")
    return ""


def steps(rt: Runtime, webhook_url: str, redirect_uris: dict[str, str]) -> list[Step]:
    settings, store = rt.settings, rt.store
    missing = [
        name
        for name, value in (
            ("LOCKME_CLIENT_ID", settings.lockme_client_id),
            ("GOOGLE_CLIENT_ID", settings.google_client_id),
        )
        if not value
    ]
    uris = ", ".join(
        redirect_uris[p] for p in ("lockme", "google") if p.upper() + "_CLIENT_ID" in missing
    )
    states = connection_health(store)["states"]
    calendars = store.routes.calendars()
    checks = last_results(rt)
    tested = bool(checks) and all(c in checks and checks[c].ok for c in calendars)
    # The sandbox's Lockme runs on this machine and reaches a loopback address; the steps
    # then say that, never that the address is reachable from the internet.
    sandbox = bool(settings.sandbox_url)
    problem = "" if sandbox else webhook_problem(webhook_url)
    words = {key: st(key) for key in SANDBOX_WORDED} if sandbox else {}

    def step(key: str, done: bool, todo: str, state: str = "") -> Step:
        title = words.get("step_" + key) or t("step_" + key)
        return Step(key, title, state or ("done" if done else "todo"), todo)

    return [
        step("client_ids", not missing, t("todo_client_ids", names=", ".join(missing), uris=uris)),
        _connection_step("lockme", states["lockme"]),
        _connection_step("google", states["google"]),
        step("webhook", not problem, problem, "warn" if problem else ""),
        step(
            "first_message",
            store.messages.last_webhook() is not None,
            words.get("todo_first_message") or t("todo_first_message"),
        ),
        step("rooms", bool(store.routes.routes()), t("todo_rooms")),
        step("test", tested, t("todo_test")),
    ]


def _connection_step(provider: str, state: ConnectionState) -> Step:
    """A connection's step in the words its box and the banner use: "Reconnect Google"
    once a grant was refused, and a warning (not a plain ✓) while its calls fail."""
    name = provider.capitalize()
    title = t("step_" + provider)
    if state.state == "ok":
        return Step(provider, title, "done")
    if state.state == "down":
        return Step(provider, title, "warn", t("todo_down", provider=name))
    if state.state == "reconnect":
        button = t("reconnect", provider=name)
        return Step(provider, title, "todo", t("todo_reconnect", button=button, provider=name))
    return Step(provider, title, "todo", t("todo_" + provider))
