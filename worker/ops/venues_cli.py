"""``lockme-sync venues``: list, add, renew a password, remove; and ``--venue SLUG``.

The outside interface is docs/interface.md, "Several venues". What a venue's staff need once
(the webhook URL with its secret, the login page, the password) is printed by ``add`` and
never stored in the clear.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from worker.config import Settings
from worker.runtime import build_runtime
from worker.stores.redisutil import connect_redis
from worker.stores.token_vault import PROVIDERS
from worker.venues import DEFAULT, VenueError, Venues

# Commands that read or change one venue's data: ``--venue`` chooses which.
VENUE_COMMANDS = ("status", "check", "routes", "route", "blocks", "reconcile", "replay")
WEBHOOK_PATH = "/webhooks/lockme"


def registry(settings: Settings) -> Venues:
    return Venues(connect_redis(settings.redis_url), settings)


def settings_of(settings: Settings, slug: str) -> Settings:
    """The settings of venue ``slug`` (``default``: the deployment's own); raises
    :class:`VenueError` for a slug that names no venue. Opening Redis connects nothing
    until a venue is read, so ``--venue default`` costs nothing."""
    return registry(settings).settings_for(slug)


def _url(settings: Settings, path: str) -> str:
    """``path`` under PUBLIC_URL; the bare path without it (``add`` says so)."""
    return f"{settings.public_url}{path}"


def webhook_url(settings: Settings, slug: str, secret: str) -> str:
    path = WEBHOOK_PATH if slug == DEFAULT else f"{WEBHOOK_PATH}/{slug}"
    return _url(settings, f"{path}?secret={secret}")


def _fail(message: str) -> int:
    print(f"lockme-sync: {message}", file=sys.stderr)
    return 2


def cmd_venues(args: argparse.Namespace, settings: Settings) -> int:
    action = args.venues_action
    if action is None:
        return _list(args, settings)
    venues = registry(settings)
    try:
        if action == "add":
            created = venues.add(args.slug, name=args.name or "", timezone=args.timezone or "")
        elif action == "password":
            created = venues.renew_password(args.slug)
            print(f"password: {created.password}")
            return 0
        else:
            if not args.yes:
                return _fail(f"removing venue {args.slug!r} deletes all its data: add --yes")
            deleted = venues.remove(args.slug)
            print(f"removed venue {args.slug}: {deleted} key(s) deleted")
            return 0
    except VenueError as exc:
        return _fail(str(exc))
    slug = created.venue.slug
    if not settings.public_url:
        print(
            "note  PUBLIC_URL is not set: the URLs below are paths; put the app's address "
            "before them",
            file=sys.stderr,
        )
    print(f"webhook: {webhook_url(settings, slug, created.webhook_secret)}")
    print(f"login: {_url(settings, f'/v/{slug}/login')}")
    print(f"password: {created.password}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    venues = registry(settings)
    rows: list[dict[str, Any]] = [_row(venues, settings, DEFAULT, "")]
    for venue in venues.all():
        rows.append(_row(venues, venues.settings(venue), venue.slug, venue.name))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        connected = [
            f"{p} {'connected' if row['connections'][p]['connected'] else 'not connected'}"
            for p in PROVIDERS
        ]
        print("\t".join([row["slug"], row["name"], row["timezone"], *connected]))
    return 0


def _row(venues: Venues, venue_settings: Settings, slug: str, name: str) -> dict[str, Any]:
    store = build_runtime(venue_settings, venues.redis).store
    return {
        "slug": slug,
        "name": name or slug,
        "timezone": venue_settings.venue_timezone,
        "webhook_url": webhook_url(venues.base, slug, venue_settings.webhook_secret),
        "connections": {
            p: {"connected": bool(store.connections.connection(p)["connected"])} for p in PROVIDERS
        },
    }


def add_parser(sub: Any) -> None:
    """Register ``venues`` on the ``lockme-sync`` subparsers."""
    venues = sub.add_parser("venues", help="the venues of this deployment: list, add, remove")
    venues.add_argument("--json", action="store_true")
    venues.set_defaults(func=cmd_venues)
    actions = venues.add_subparsers(dest="venues_action")
    add = actions.add_parser("add", help="a new venue; prints its webhook, login and password")
    add.add_argument("slug")
    add.add_argument("--name")
    add.add_argument("--timezone", help="an IANA zone; default VENUE_TIMEZONE")
    password = actions.add_parser("password", help="a new staff password; ends its sessions")
    password.add_argument("slug")
    remove = actions.add_parser("remove", help="stop the venue's work and delete its data")
    remove.add_argument("slug")
    remove.add_argument("--yes", action="store_true", help="yes, delete all its data")
