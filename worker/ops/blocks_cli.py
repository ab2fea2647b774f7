"""``lockme-sync blocks``: list, preview, turn on, turn off and confirm a room's blocks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from worker.config import Settings
from worker.domain.block_rules import SlotPlan
from worker.flows.blocks import control
from worker.runtime import Runtime
from worker.stores.block_rooms import BlockRooms


def _slot(plan: SlotPlan, note: str = "") -> str:
    return f"{plan.room_id}\t{plan.day.isoformat()}\t{plan.hour:%H:%M}\t{note}".rstrip()


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    """The command; ``runtime`` is the CLI's (connected to this deployment's Redis)."""
    rooms = BlockRooms(runtime.redis, runtime.keys)
    if args.room_id is None:
        for room_id, calendar_id in rooms.all().items():
            print(f"{room_id}\t{calendar_id}")
        return 0
    if args.off:
        freed = control.turn_off(runtime, args.room_id)
        print(f"blocks off for room {args.room_id}: removed {freed} block(s) from Lockme")
        return 0
    if args.confirm:
        report = control.confirm(runtime, args.room_id)
        if report is None:
            print(f"lockme-sync: room {args.room_id} has no blocks calendar", file=sys.stderr)
            return 1
        rest = "; the rest follows in the background" if report.more else ""
        print(f"applied: {report.freed} removed, {report.created} blocked{rest}")
        return 0
    if not args.calendar_id:
        current = rooms.calendar_of(args.room_id)
        print(f"{args.room_id}\t{current or '-'}")
        return 0
    seen = control.preview(runtime, args.room_id, args.calendar_id)
    for plan in seen.slots:
        print(_slot(plan, "would block" if args.dry_run else "to block"))
    for plan in seen.held_by_customers:
        print(_slot(plan, "a customer's booking holds it: left alone"))
    if args.dry_run:
        print(
            f"dry run: {len(seen.slots)} slot(s) would be blocked, "
            f"{len(seen.held_by_customers)} held by customers; nothing changed"
        )
        return 0
    replaced = control.turn_on(runtime, args.room_id, args.calendar_id)
    note = f" (its blocks from {replaced} are removed)" if replaced else ""
    print(f"blocks on for room {args.room_id} from {args.calendar_id}{note}: syncing now")
    return 0


def add_parser(sub: Any, runtime_of: Callable[[Settings], Runtime]) -> None:
    """Register ``blocks`` on the ``lockme-sync`` subparsers."""
    blocks = sub.add_parser(
        "blocks", help="busy events in a Google calendar block a room's Lockme slots"
    )
    blocks.add_argument("room_id", type=int, nargs="?")
    blocks.add_argument("calendar_id", nargs="?")
    mode = blocks.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run", action="store_true", help="print the slots it would block; change nothing"
    )
    mode.add_argument(
        "--off", action="store_true", help="stop, and remove the blocks made for the room"
    )
    mode.add_argument(
        "--confirm", action="store_true", help="apply removals or blocks held for a person"
    )
    blocks.set_defaults(func=lambda args, settings: run(args, runtime_of(settings)))
