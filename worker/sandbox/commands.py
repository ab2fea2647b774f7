"""``lockme-sync sandbox …``: drive the running sandbox from a terminal, for demos and checks.

Each command talks to the sandbox that ``lockme-sync dev`` serves (found through its
Redis database), never to a new one, so what they do shows on its pages too.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from worker.config import Settings
from worker.sandbox.address import published
from worker.sandbox.client import SandboxClient
from worker.sandbox.demo import SandboxError

RELATIVE_DAYS = {"today": 0, "tomorrow": 1}
DATE_HELP = "YYYY-MM-DD, today or tomorrow (the venue's)"


def day(value: str, tz: ZoneInfo, now: datetime | None = None) -> str:
    """``today`` and ``tomorrow`` as the venue's dates; anything else as given (the sandbox
    checks it). Examples that name a fixed date fall into the past, where a booking lands
    without a word and a staff event blocks nothing."""
    offset = RELATIVE_DAYS.get(value.strip().casefold())
    if offset is None:
        return value
    today: date = (now or datetime.now(tz)).astimezone(tz).date()
    return (today + timedelta(days=offset)).isoformat()


def _client(settings: Settings) -> SandboxClient:
    return SandboxClient(*published(settings))


def _connect(client: SandboxClient, args: argparse.Namespace) -> str:
    accounts = client.connect()
    return f"connected: Lockme as {accounts['lockme']}, Google as {accounts['google']}"


def _rooms(client: SandboxClient, args: argparse.Namespace) -> str:
    rooms = client.rooms()
    if args.json:
        return json.dumps(rooms, indent=2)
    return "\n".join(f"{r['id']}\t{r['name']}\t{r['calendarName']}" for r in rooms)


def _book(client: SandboxClient, args: argparse.Namespace) -> str:
    fields = {"room": args.room, "date": args.date, "hour": args.hour, "name": args.name}
    if args.unpaid:
        fields["paid"] = "no"
    return str(client.book(**fields)["reservationId"])


def _edit(client: SandboxClient, args: argparse.Namespace) -> str:
    fields = {"date": args.date, "hour": args.hour, "room": args.room, "name": args.name}
    if args.pay:
        fields["paid"] = "yes"
    sent = client.edit(args.reservation_id, **{k: v for k, v in fields.items() if v})
    return f"changed {args.reservation_id} (Lockme message {sent['messageId']})"


def _cancel(client: SandboxClient, args: argparse.Namespace) -> str:
    sent = client.cancel(args.reservation_id)
    return f"cancelled {args.reservation_id} (Lockme message {sent['messageId']})"


EVENT_FIELDS = (
    "calendar",
    "id",
    "summary",
    "start",
    "end",
    "status",
    "lockmeReservationId",
    "staff",
    "busy",
    "allDay",
)


def _events(client: SandboxClient, args: argparse.Namespace) -> str:
    events = [{k: e.get(k) for k in EVENT_FIELDS} for e in client.events()]
    if args.json:
        return json.dumps(events, indent=2)
    if not events:
        return "no events yet"
    return "\n".join(
        f"{e['start']}  {e['status']:<9} {e['calendar']}  {e['summary']}  ({_origin(e)})"
        for e in events
    )


def _origin(event: dict[str, Any]) -> str:
    if event["staff"]:
        return f"staff event {event['id']}, {'busy' if event['busy'] else 'free'}"
    return f"reservation {event['lockmeReservationId']}"


def _staff_times(args: argparse.Namespace) -> dict[str, Any]:
    return {"date": args.date, "from": args.start, "to": args.end, "allDay": args.all_day}


def _staff_add(client: SandboxClient, args: argparse.Namespace) -> str:
    fields = {"calendar": args.calendar, "title": args.title, "busy": not args.free}
    return client.staff_add(**fields, **_staff_times(args))["eventId"]


def _staff_move(client: SandboxClient, args: argparse.Namespace) -> str:
    client.staff_move(args.event_id, **_staff_times(args))
    return f"moved staff event {args.event_id}"


def _staff_delete(client: SandboxClient, args: argparse.Namespace) -> str:
    client.staff_delete(args.event_id)
    return f"deleted staff event {args.event_id}"


def _slots(client: SandboxClient, args: argparse.Namespace) -> str:
    board = client.slots(args.date)
    if args.json:
        return json.dumps(board, indent=2)
    return "\n".join(
        f"{room['roomName']}: "
        + ", ".join(f"{slot['hour']} {slot['state']}" for slot in room["slots"])
        for room in board
    )


def _when_options(parser: argparse.ArgumentParser) -> None:
    """The options a staff event's time takes, the same for add and move."""
    parser.add_argument("--date", required=True, help=DATE_HELP)
    parser.add_argument("--from", dest="start", help="HH:MM (not with --all-day)")
    parser.add_argument("--to", dest="end", help="HH:MM, later than --from")
    parser.add_argument("--all-day", action="store_true", help="the whole day")


def _add_staff_parser(commands: Any) -> None:
    staff = commands.add_parser(
        "staff-event", help="add, move or delete an event as staff do in Google Calendar"
    )
    actions = staff.add_subparsers(dest="staff_command", required=True)
    add = actions.add_parser("add", help="add a staff event; prints its event id")
    add.add_argument("--calendar", default="", help="calendar id or name (default: Closed)")
    add.add_argument("--title", default="", help="the event's title")
    _when_options(add)
    add.add_argument("--free", action="store_true", help="shown as free: it blocks nothing")
    add.set_defaults(action=_staff_add)
    move = actions.add_parser("move", help="move a staff event to other times")
    move.add_argument("event_id")
    _when_options(move)
    move.set_defaults(action=_staff_move)
    delete = actions.add_parser("delete", help="delete a staff event")
    delete.add_argument("event_id")
    delete.set_defaults(action=_staff_delete)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "date", None):
        args.date = day(args.date, settings.tz)
    try:
        print(args.action(_client(settings), args))
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


def add_parser(sub: Any) -> None:
    """Register ``sandbox`` and its commands on the ``lockme-sync`` subparsers."""
    sandbox = sub.add_parser("sandbox", help="drive the running sandbox (lockme-sync dev)")
    commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    sandbox.set_defaults(func=run)
    connect = commands.add_parser("connect", help="connect both services, no browser needed")
    connect.set_defaults(action=_connect)
    rooms = commands.add_parser("rooms", help="the sandbox's rooms (id, name)")
    rooms.add_argument("--json", action="store_true")
    rooms.set_defaults(action=_rooms)
    book = commands.add_parser("book", help="make a booking; prints its reservation id")
    book.add_argument("--room", required=True, help="room id or name")
    book.add_argument("--date", required=True, help=DATE_HELP)
    book.add_argument("--hour", required=True, help="HH:MM")
    book.add_argument("--name", default="Anna Nowak", help="the customer's name")
    book.add_argument(
        "--unpaid", action="store_true", help="an unpaid lock.me hold (pay it with edit --pay)"
    )
    book.set_defaults(action=_book)
    edit = commands.add_parser("edit", help="change a booking's date, hour or room")
    edit.add_argument("reservation_id", type=int)
    edit.add_argument("--date", help=DATE_HELP)
    edit.add_argument("--hour")
    edit.add_argument("--room")
    edit.add_argument("--name")
    edit.add_argument("--pay", action="store_true", help="the customer pays an unpaid hold")
    edit.set_defaults(action=_edit)
    cancel = commands.add_parser("cancel", help="cancel a booking")
    cancel.add_argument("reservation_id", type=int)
    cancel.set_defaults(action=_cancel)
    events = commands.add_parser("events", help="the sandbox calendars' events")
    events.add_argument("--json", action="store_true")
    events.set_defaults(action=_events)
    _add_staff_parser(commands)
    slots = commands.add_parser("slots", help="each room's Lockme slots on a day")
    slots.add_argument("--date", required=True, help=DATE_HELP)
    slots.add_argument("--json", action="store_true")
    slots.set_defaults(action=_slots)
