"""The ``lockme-sync`` command line: worker, dev, check, status, routes, reconcile, replay."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any

import redis

from worker import alerts, devserver, inbox, logs, rqseam, schedules, sentry, tasks
from worker.config import ConfigError, Settings, load_settings
from worker.errors import SyncError
from worker.reconcile import Reconciler
from worker.runtime import Runtime, build_runtime
from worker.sandbox import commands as sandbox_commands
from worker.status import snapshot
from worker.store import PROVIDERS


def _runtime(settings: Settings) -> Runtime:
    runtime = build_runtime(settings)
    tasks.configure(runtime)
    return runtime


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings.require())
    schedules.schedule_daily_reconcile(runtime)
    schedules.schedule_alert_check(runtime)
    if args.burst:
        inbox.dispatch(runtime)
    else:
        inbox.Dispatcher(runtime).start()
    rqseam.run_worker(runtime, burst=args.burst)
    return 0


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    return devserver.run(port=args.port, sandbox=args.sandbox)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Config, Redis and connections; a connection not made yet is not a failure."""
    problems: list[str] = [f"config: {name} is not set" for name in settings.missing()]
    problems += [f"config: {line}" for line in settings.weak()]
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
            count = runtime.store.reencrypt_tokens()
            print(f"ok    tokens: {count} re-encrypted with the current SECRET_KEY")
        for provider in PROVIDERS:
            state = runtime.store.connection(provider)
            if runtime.store.load_token(provider) is None:
                print(f"note  {provider}: not connected yet (open /setup)")
                continue
            try:
                if provider == "lockme":
                    runtime.lockme.test()
                else:
                    runtime.calendar.calendars()
                print(f"ok    {provider}: connected {state['account'] or ''}".rstrip())
            except SyncError as exc:
                problems.append(f"{provider}: {exc}")
    for problem in problems:
        print(f"FAIL  {problem}")
    return 1 if problems else 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    data = snapshot(_runtime(settings))
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    for provider, state in data["connections"].items():
        mark = "ok " if state["connected"] else "!! "
        print(f"{mark} {provider}: {state['account'] or '-'} {state['error'] or ''}".rstrip())
    queue = data["queue"]
    print("queue: " + ", ".join(f"{k} {v}" for k, v in queue.items()))
    print(f"failures ({len(data['failures'])}):")
    for failure in data["failures"]:
        print(f"  message {failure['message_id']}: {failure['reason']} (x{failure['attempts']})")
    if data["parked"]:
        print(f"parked until reconnect: {', '.join(str(p['message_id']) for p in data['parked'])}")
    print("recent:")
    for entry in data["recent"][:20]:
        print(
            f"  {entry['at']} message {entry.get('message_id')} {entry.get('action')}"
            f" → {entry.get('result')} {entry.get('calendar_id') or ''}".rstrip()
        )
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
    for room_id, route in _runtime(settings).store.routes().items():
        duration = route.duration_minutes or settings.default_duration_minutes
        print(f"{room_id}\t{route.calendar_id}\t{duration}")
    return 0


def cmd_route(args: argparse.Namespace, settings: Settings) -> int:
    store = _runtime(settings).store
    if args.duration is not None and not 1 <= args.duration <= 24 * 60:
        print("--duration must be from 1 to 1440 minutes", file=sys.stderr)
        return 2
    route = replace(store.route(args.room_id), calendar_id=args.calendar_id)
    if args.duration is not None:
        route = replace(route, duration_minutes=args.duration)
    store.set_route(route)
    duration = route.duration_minutes or settings.default_duration_minutes
    print(f"{route.room_id}\t{route.calendar_id}\t{duration}")
    return 0


def cmd_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    summary = Reconciler(_runtime(settings.require()), dry_run=args.dry_run).run(days=args.days)
    print(("dry run: " if args.dry_run else "") + str(summary))
    return 1 if summary.errors else 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    runtime = _runtime(settings)
    ids = None if args.all or args.message_id is None else [args.message_id]
    replayed = tasks.replay(runtime, ids)
    print(f"re-queued {len(replayed)} message(s)" + (f": {replayed}" if replayed else ""))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lockme-sync", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="RQ worker with scheduler (Heroku-safe shutdown)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    dev = sub.add_parser("dev", help="web + worker for a laptop; starts Redis if none answers")
    dev.add_argument("--port", type=int, default=5000)
    dev.add_argument(
        "--sandbox",
        action="store_true",
        help="with the built-in sandbox Lockme and Google (the default without client ids)",
    )
    dev.set_defaults(func=cmd_dev)
    sub.add_parser("check", help="config, Redis, connections").set_defaults(func=cmd_check)
    status = sub.add_parser("status", help="connections, queue, failures, recent syncs")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    sub.add_parser("routes", help="room → calendar routes").set_defaults(func=cmd_routes)
    sub.add_parser(
        "alerts", help="check alert conditions now and notify staff of those due"
    ).set_defaults(func=cmd_alerts)
    route = sub.add_parser("route", help="set a room's calendar and duration")
    route.add_argument("room_id", type=int)
    route.add_argument("calendar_id")
    route.add_argument("--duration", type=int, help="minutes")
    route.set_defaults(func=cmd_route)
    rec = sub.add_parser("reconcile", help="make the calendar equal Lockme for N days")
    rec.add_argument("--days", type=int, default=60)
    rec.add_argument("--dry-run", action="store_true")
    rec.set_defaults(func=cmd_reconcile)
    rep = sub.add_parser("replay", help="re-queue failed or parked messages")
    rep.add_argument("message_id", type=int, nargs="?")
    rep.add_argument("--all", action="store_true")
    rep.set_defaults(func=cmd_replay)
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
        return args.func(args, settings)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except redis.ConnectionError as exc:
        print(f"Redis is not reachable: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
