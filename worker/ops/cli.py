"""The ``lockme-sync`` command line: worker, dev, check, status, routes, reconcile, replay,
venues."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from typing import Any, NoReturn

import redis

from worker import venues
from worker.config import TRUSTED_LOCAL_HOSTS, ConfigError, Settings, load_settings
from worker.domain.booking import HOLDS_SETTINGS
from worker.domain.errors import AuthError, SyncError
from worker.flows.reconcile import Reconciler
from worker.jobs import inbox, rqseam, runtimes
from worker.jobs import messages as message_jobs
from worker.ops import alerts, devserver, logs, sentry
from worker.ops import blocks_cli as blocks_commands
from worker.ops import terminal as report
from worker.ops import venues_cli as venue_commands
from worker.ops.names import calendar_names, room_names
from worker.ops.status import snapshot
from worker.runtime import Runtime, build_runtime
from worker.sandbox import commands as sandbox_commands
from worker.sandbox.address import running_settings
from worker.stores.token_vault import PROVIDERS

DEFAULT_PORT = 5000
# Commands that read the product's data, and so read the running sandbox's when there is one:
# every command but the two that start processes and ``sandbox`` (which finds it itself).
SANDBOX_AWARE = (
    "status",
    "check",
    "routes",
    "route",
    "alerts",
    "reconcile",
    "replay",
    "blocks",
    "venues",
)


def _runtime(settings: Settings) -> Runtime:
    runtime = build_runtime(settings)
    runtimes.configure(runtime)
    return runtime


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings.require())
    # Every venue's runtime beside the default's; each maintenance pass asks again, so a
    # venue added or removed while the worker runs is served or dropped at the next one.
    served = venues.serve(runtime)
    if args.burst:
        inbox.dispatch_all(served)
    else:
        inbox.Dispatcher(runtime, served=runtimes.served).start()
    # Each maintenance pass keeps the periodic jobs of every runtime served scheduled.
    rqseam.run_worker(runtime, burst=args.burst, served=lambda: venues.serve(runtime))
    return 0


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    return devserver.run(port=args.port or _env_port(), sandbox=args.sandbox)


def _env_port() -> int:
    """``$PORT`` when set (as on a PaaS, or to run two checkouts side by side), else 5000."""
    raw = os.environ.get("PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 65535):
        raise ConfigError(f"PORT must be a port number from 1 to 65535, not {raw!r}")
    return int(raw)


def _fail(message: str, code: int = 1) -> int:
    print(f"lockme-sync: {message}", file=sys.stderr)
    return code


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Config, Redis, stored tokens and connections.

    Only a local problem fails (a missing setting, an unreachable Redis, tokens that cannot
    be decrypted): the release phase runs this, and no deploy, a hotfix least of all, may
    wait for Lockme or Google. Their being down, answering oddly or disconnected is a
    warning; ``--strict`` makes it a failure too. A connection not made yet is neither.
    """
    problems: list[str] = [f"config: {name} is not set" for name in settings.missing()]
    problems += [f"config: {line}" for line in settings.weak()]
    if settings.trusted_hosts == list(TRUSTED_LOCAL_HOSTS):
        print("note  PUBLIC_URL is not set: the pages answer only for localhost and 127.0.0.1")
    warnings: list[str] = []
    try:
        runtime = _runtime(settings)
        runtime.redis.ping()
        print(f"ok    redis: {settings.redis_url.split('@')[-1]}")
    except redis.RedisError as exc:
        problems.append(f"redis: {type(exc).__name__}: {exc}")
        runtime = None
    if runtime is not None:
        if settings.secret_key_fallbacks:
            # The release phase runs this, so a SECRET_KEY rotation completes on deploy.
            count = runtime.store.tokens.reencrypt_tokens()
            print(f"ok    tokens: {count} re-encrypted with the current SECRET_KEY")
            registry = venues.Venues(runtime.redis, settings)
            if registry.all():
                count = registry.reencrypt()
                print(f"ok    venues: {count} secret(s) and token(s) re-encrypted")
        for provider in PROVIDERS:
            if runtime.store.tokens.unreadable_token(provider):
                problems.append(
                    f"{provider}: the stored token cannot be decrypted with SECRET_KEY"
                    " (put the previous key in SECRET_KEY_FALLBACKS, or reconnect)"
                )
                continue
            if runtime.store.tokens.load_token(provider) is None:
                print(f"note  {provider}: not connected yet (open /setup)")
                continue
            warning = _remote_check(runtime, provider)
            if warning:
                warnings.append(warning)
            else:
                account = report.printable(
                    runtime.store.connections.connection(provider)["account"] or ""
                )
                print(f"ok    {provider}: connected {account}".rstrip())
    for warning in warnings:
        print(f"{'FAIL' if args.strict else 'warn'}  {report.printable(warning)}")
    for problem in problems:
        print(f"FAIL  {problem}")
    return 1 if problems or (args.strict and warnings) else 0


def _remote_check(runtime: Runtime, provider: str) -> str | None:
    """Ask the service whether the connection works; what went wrong, or None.

    Any exception counts: whatever happens while talking to a remote service (an error
    class the gateways do not translate included) must not fail a release.
    """
    try:
        if provider == "lockme":
            if not runtime.lockme.test():
                return "lockme: /test did not answer OK"
        else:
            runtime.calendar.calendars()
    except Exception as exc:
        return f"{provider}: {exc if isinstance(exc, SyncError) else type(exc).__name__}"
    return None


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings)
    data = snapshot(runtime)
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    lines = report.status_lines(data, room_names(runtime), calendar_names(runtime), settings.tz)
    print("\n".join(lines))
    return 0


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """Check the alert conditions now; a platform scheduler can run it in case the worker,
    which normally checks every five minutes, is itself down."""
    runtime = _runtime(settings)
    for alert in alerts.active(runtime):
        print(f"{alert.condition}: {alert.text}")
    sent = alerts.check(runtime)
    print(f"alerted now: {', '.join(sent) if sent else 'nothing (none due or no channel set)'}")
    return 0


def cmd_routes(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings)
    lines = report.routes_lines(
        runtime.store.routes.routes(),
        room_names(runtime),
        settings.default_duration_minutes,
        header=sys.stdout.isatty(),
    )
    print("\n".join(lines))
    return 0


def cmd_route(args: argparse.Namespace, settings: Settings) -> int:
    """Set a room's calendar, after checking with Lockme and Google that both exist: a
    typo would otherwise send the room's bookings nowhere until someone noticed."""
    runtime = _runtime(settings)
    store = runtime.store
    if args.duration is not None and not 1 <= args.duration <= 24 * 60:
        return _fail("--duration must be from 1 to 1440 minutes", 2)
    rooms = {int(r["roomid"]): str(r.get("room") or "") for r in runtime.lockme.rooms()}
    if args.room_id not in rooms and args.room_id not in store.routes.routes():
        return _fail(f"Lockme has no room {args.room_id} (see lockme-sync routes or /setup/rooms)")
    if args.calendar_id != "primary":
        writable = {c["id"] for c in runtime.calendar.calendars()}
        if args.calendar_id not in writable:
            return _fail(
                f"the connected Google account cannot write to a calendar {args.calendar_id!r}"
            )
    route = replace(store.routes.route(args.room_id), calendar_id=args.calendar_id)
    if args.duration is not None:
        route = replace(route, duration_minutes=args.duration)
    if args.holds is not None:
        route = replace(route, holds=args.holds)
    if not route.room_name and rooms.get(args.room_id):
        route = replace(route, room_name=rooms[args.room_id])
    store.routes.set_route(route)
    duration = route.duration_minutes or settings.default_duration_minutes
    name, calendar = report.printable(route.room_name), report.printable(route.calendar_id)
    print(f"{route.room_id}\t{calendar}\t{duration}\t{name}".rstrip())
    return 0


def cmd_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings.require())
    rooms = room_names(runtime)
    progress = report.Progress(sys.stderr, rooms)
    summary = Reconciler(runtime, dry_run=args.dry_run, progress=progress).run(days=args.days)
    if args.dry_run:
        calendars = calendar_names(runtime)
        for change in summary.changes:
            print(report.change_line(change, rooms, calendars))
    print(("dry run: " if args.dry_run else "") + str(summary))
    return 1 if summary.errors else 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings)
    ids = None if args.all or args.message_id is None else [args.message_id]
    replayed = message_jobs.replay(runtime, ids)
    print(f"re-queued {len(replayed)} message(s)" + (f": {replayed}" if replayed else ""))
    return 0


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments get one line (what is wrong and where help is) and exit 2, instead of
    argparse's usage block; subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    root = OneLineParser(prog="lockme-sync", description=__doc__)
    root.add_argument(
        "--venue",
        metavar="SLUG",
        help=f"the venue {', '.join(venue_commands.VENUE_COMMANDS)} act on (default: default)",
    )
    sub = root.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="RQ worker with scheduler (Heroku-safe shutdown)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    dev = sub.add_parser("dev", help="web + worker for a laptop; starts Redis if none answers")
    dev.add_argument("--port", type=int, help="default: $PORT, else 5000")
    dev.add_argument(
        "--sandbox",
        action="store_true",
        help="with the built-in sandbox Lockme and Google (the default without client ids)",
    )
    dev.set_defaults(func=cmd_dev)
    check = sub.add_parser(
        "check", help="config, Redis, tokens; Lockme and Google problems only warn"
    )
    check.add_argument(
        "--strict", action="store_true", help="fail on Lockme and Google problems too"
    )
    check.set_defaults(func=cmd_check)
    status = sub.add_parser("status", help="connections, queue, failures, recent syncs")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    sub.add_parser("routes", help="room → calendar routes").set_defaults(func=cmd_routes)
    sub.add_parser(
        "alerts", help="check alert conditions now and notify staff of those due"
    ).set_defaults(func=cmd_alerts)
    route = sub.add_parser("route", help="set a room's calendar, duration and holds")
    route.add_argument("room_id", type=int)
    route.add_argument("calendar_id")
    route.add_argument("--duration", type=int, help="minutes")
    route.add_argument(
        "--holds",
        choices=HOLDS_SETTINGS,
        help="unpaid lock.me holds: show as tentative events (default) or leave them out",
    )
    route.set_defaults(func=cmd_route)
    rec = sub.add_parser("reconcile", help="make the calendar equal Lockme for N days")
    rec.add_argument("--days", type=int, default=60)
    rec.add_argument("--dry-run", action="store_true")
    rec.set_defaults(func=cmd_reconcile)
    rep = sub.add_parser("replay", help="re-queue failed or parked messages")
    rep.add_argument("message_id", type=int, nargs="?")
    rep.add_argument("--all", action="store_true")
    rep.set_defaults(func=cmd_replay)
    blocks_commands.add_parser(sub, _runtime)
    venue_commands.add_parser(sub)
    sandbox_commands.add_parser(sub)
    return root


def main(argv: list[str] | None = None) -> Any:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        # Long-running processes log to stdout (the platform's log stream); one-off commands
        # to stderr, so that their stdout stays data (``status --json | jq``).
        logs.configure(settings, stream="stdout" if args.command == "worker" else "stderr")
        if args.command == "worker":
            sentry.init(settings)
        if args.command in SANDBOX_AWARE:
            settings, note = running_settings(settings)
            if note:
                print(note, file=sys.stderr)
        if args.venue is not None:
            if args.command not in venue_commands.VENUE_COMMANDS:
                return _fail(f"--venue does not apply to {args.command}", 2)
            settings = venue_commands.settings_of(settings, args.venue)
        code = args.func(args, settings)
        sys.stdout.flush()  # inside the try: a closed pipe is met here, not at exit
        return code
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except venues.VenueError as exc:
        return _fail(str(exc), 2)
    except redis.ConnectionError as exc:
        print(f"Redis is not reachable: {exc}", file=sys.stderr)
        return 3
    except redis.RedisError as exc:
        return _fail(f"Redis answered with an error: {type(exc).__name__}: {exc}", 3)
    except SyncError as exc:
        # Not connected, a revoked grant, the service down: a sentence, not a traceback.
        hint = " (connect it on the setup page)" if isinstance(exc, AuthError) else ""
        return _fail(f"{exc}{hint}")
    except BrokenPipeError:
        # The reader went away (``lockme-sync status | head -1``): stop writing, and say
        # so on stderr in one line instead of a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _fail("output closed before the end (broken pipe)", 141)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
