"""Calendar → Lockme blocks under faults, at the product's default settings.

Three rooms: rooms 1 and 2 share a "venue closed" calendar, room 3 has its own, which is
also where its bookings are written (so the product's own booking events sit among the staff
events and must never block). For about 75 s staff add, move and delete events in Google
(timed, all-day busy, one weekly series, some free, some overlapping) while customers book
and cancel slots through Lockme, and outsiders invite the shared calendar (one invitation
from tomorrow to past the horizon is never answered; short ones are answered yes or maybe
as the run goes), with faults on Google's calls (the standard mix: list calls
included) and on Lockme's reservation writes (5xx, 429, answers dropped after the write
committed), every worker SIGKILLed while a Lockme create waits in the fake, Redis losing
every key mid-run while staff delete events that have blocks (then both services reconnected,
the route and each room's blocks calendar set again, the workers restarted), a 410 on every
sync token, and push channels granted 20 s only: each one expires before the next 30 s poll
renews it. Lockme's echo webhooks of the product's own writes come back through the same
redelivery as the customers' messages, each before its write's answer.

At the end the product's reservations in Lockme must be exactly the blocks the test's own
model of the final staff events says (Lockme's rule: a slot is blocked when its start falls
inside [event start, event end), busy events only, invitations only once accepted, except
slots a customer holds), with no
customer booking touched, no calendar event for any block and every message acknowledged.
``CHAOS_SEED`` replays the plan; timing still varies between runs.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from tests.chaos.harness import (
    Redelivery,
    WebApp,
    Workers,
    free_port,
    seed_connections,
    summary_line,
    wait_for,
)
from tests.chaos.test_chaos import SEED, TZ, fault_share
from tests.chaos.test_defaults import chaos_redis
from tests.conftest import make_settings
from worker.domain.booking import Route
from worker.domain.identity import is_block_extid
from worker.flows.blocks import control
from worker.flows.blocks.feed import FeedStore
from worker.jobs.blocks_sync import job_id
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme, Faults, fault_mix
from worker.stores.block_rooms import BlockRooms

pytestmark = pytest.mark.chaos
__all__ = ["chaos_redis"]  # the fixture, shared with test_defaults.py

SHARED = "closed@group.calendar.google.com"
OWN = "room-3@group.calendar.google.com"
BLOCKS = {1: SHARED, 2: SHARED, 3: OWN}
ACTIVITY_S = 75.0
KILL_AT_S, STORE_LOST_AT_S, TOKENS_GONE_AT_S = 22.0, 35.0, 48.0
CHANNEL_LIFE_S = 20  # under the 30 s poll: every channel expires, then is replaced
QUIET_S = 150.0
DAYS_AHEAD = 21  # staff events from tomorrow on, well inside the 90-day horizon


@dataclass
class Staff:
    """The test's own record of one staff event, as it stands now."""

    calendar_id: str
    start: date | datetime
    end: date | datetime
    all_day: bool = False
    busy: bool = True
    weeks: int = 1  # a weekly series' occurrences
    answer: str | None = None  # an outsider's invitation: the owner's answer so far

    @property
    def blocks(self) -> bool:
        """Busy, and the owner's own event or an invitation the owner accepted."""
        return self.busy and self.answer in (None, "accepted")

    def spans(self) -> list[tuple[datetime, datetime]]:
        """The intervals it blocks, as aware instants (all-day: local midnights)."""
        if self.all_day:
            first = datetime.combine(self.start, dtime(), tzinfo=TZ)  # type: ignore[arg-type]
            last = datetime.combine(self.end, dtime(), tzinfo=TZ)  # type: ignore[arg-type]
        else:
            first, last = self.start, self.end  # type: ignore[assignment]
        # Wall-clock weeks in the venue's zone, as a weekly RRULE repeats.
        return [(first + timedelta(weeks=k), last + timedelta(weeks=k)) for k in range(self.weeks)]


@dataclass
class World:
    """What the test did, and so what Lockme must hold at the end."""

    lockme: FakeLockme
    google: FakeGoogle
    redelivery: Redelivery | None = None
    staff: dict[str, Staff] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    cancelled: set[int] = field(default_factory=set)
    ops: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, message_id: int) -> None:
        if self.redelivery is not None:
            self.redelivery.publish(message_id)

    def changed(self, what: str) -> None:
        self.ops[what] += 1


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=TZ)


def some_day(rng: random.Random) -> date:
    return datetime.now(TZ).date() + timedelta(days=rng.randint(1, DAYS_AHEAD))


def timed_span(rng: random.Random) -> tuple[datetime, datetime]:
    start = local(some_day(rng), rng.randint(8, 21), rng.choice((0, 15, 30, 45)))
    return start, start + timedelta(minutes=rng.choice((30, 60, 90, 120, 180, 300)))


# --- staff in Google ------------------------------------------------------------------------


def add_event(
    world: World, rng: random.Random, calendar_id: str, kind: str, busy: bool | None = None
) -> str:
    """A new staff event of ``kind`` (timed, free, weekly, all-day: busy unless said, or
    at random when ``busy`` is None)."""
    google = world.google
    if kind == "all-day":
        day = some_day(rng)
        end = day + timedelta(days=rng.choice((1, 1, 2)))
        busy = rng.random() < 0.7 if busy is None else busy
        eid = google.staff_event(
            calendar_id,
            "Closed" if busy else "Note",
            day,
            end,
            all_day=True,
            transparency="opaque" if busy else "transparent",
        )
        record = Staff(calendar_id, day, end, all_day=True, busy=busy)
    elif kind == "weekly":
        start, end = timed_span(rng)
        eid = google.staff_event(
            calendar_id, "Weekly check", start, end, recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"]
        )
        record = Staff(calendar_id, start, end, weeks=6)
    else:
        start, end = timed_span(rng)
        busy = kind != "free"
        eid = google.staff_event(
            calendar_id,
            rng.choice(("Boiler service", "Private party", "Team day", "Repairs")),
            start,
            end,
            transparency=None if busy else "transparent",
        )
        record = Staff(calendar_id, start, end, busy=busy)
    world.staff[eid] = record
    world.changed(f"add {kind}")
    return eid


def invite(world: World, calendar_id: str, start: datetime, end: datetime) -> str:
    """An outsider invites the calendar; nobody has answered yet."""
    eid = world.google.staff_event(calendar_id, "Invitation", start, end, invitation="needsAction")
    world.staff[eid] = Staff(calendar_id, start, end, answer="needsAction")
    world.changed("invitation")
    return eid


def staff_step(world: World, rng: random.Random) -> None:
    """One thing a person does in Google: mostly adds and moves, some deletes; now and
    then an outsider's invitation arrives, or the owner answers one yes or maybe."""
    calendar_id = rng.choice((SHARED, SHARED, OWN))
    mine = [
        eid for eid, s in world.staff.items() if s.calendar_id == calendar_id and s.answer is None
    ]
    invitations = [
        eid
        for eid, s in world.staff.items()
        if s.answer is not None and s.end - s.start < timedelta(days=1)  # type: ignore[operator]
    ]
    roll = rng.random()
    if roll < 0.05:
        invite(world, SHARED, *timed_span(rng))
    elif roll < 0.15 and invitations:
        eid = rng.choice(invitations)
        answer = rng.choice(("accepted", "accepted", "tentative"))
        world.google.answer_invitation(world.staff[eid].calendar_id, eid, answer)
        world.staff[eid].answer = answer
        world.changed(f"answer {answer}")
    elif roll < 0.45 or len(mine) < 3:
        kind = rng.choices(("timed", "all-day", "free"), weights=(6, 2, 2))[0]
        eid = add_event(world, rng, calendar_id, kind)
        if rng.random() < 0.25 and kind == "timed":
            # An overlapping one: the same slots wanted twice, one block each.
            record = world.staff[eid]
            start = record.start + timedelta(minutes=rng.choice((-60, 0, 30)))  # type: ignore[operator]
            end = start + timedelta(minutes=rng.choice((60, 120)))
            other = world.google.staff_event(calendar_id, "Overlap", start, end)
            world.staff[other] = Staff(calendar_id, start, end)
            world.changed("add overlap")
    elif roll < 0.8:
        eid = rng.choice(mine)
        record = world.staff[eid]
        if record.all_day:
            day = some_day(rng)
            end = day + timedelta(days=1)
            world.google.move_staff_event(calendar_id, eid, day, end, all_day=True)
            record.start, record.end = day, end
        elif record.weeks > 1:
            shift = timedelta(minutes=rng.choice((-90, 90)))
            start, end = record.start + shift, record.end + shift  # type: ignore[operator]
            world.google.move_staff_event(calendar_id, eid, start, end)
            record.start, record.end = start, end
        else:
            start, end = timed_span(rng)
            world.google.move_staff_event(calendar_id, eid, start, end)
            record.start, record.end = start, end
        world.changed("move")
    else:
        eid = rng.choice([e for e in mine if world.staff[e].weeks == 1] or mine)
        world.google.delete_staff_event(calendar_id, eid)
        del world.staff[eid]
        world.changed("delete")


# --- customers in Lockme --------------------------------------------------------------------


def customer_books(world: World, rng: random.Random) -> None:
    """A customer books a free slot (Lockme refuses a taken one, blocks included)."""
    lockme = world.lockme
    room = rng.choice(sorted(BLOCKS))
    day = some_day(rng).isoformat()
    hour = rng.choice(lockme.slot_hours(room, day))
    with lockme.lock:
        if lockme.holder(room, day, hour) is not None:
            return
        rid, mid = lockme.create_reservation(room, day, hour, name="Ada", surname="Nowak")
        world.customers[rid] = dict(lockme.live_reservations()[rid])
    world.publish(mid)
    world.ops["customer books"] += 1


def customer_cancels(world: World, rng: random.Random) -> None:
    live = sorted(set(world.customers) - world.cancelled)
    if not live:
        return
    rid = rng.choice(live)
    world.cancelled.add(rid)
    world.publish(world.lockme.delete_reservation(rid))
    world.ops["customer cancels"] += 1


def activity(world: World, rng: random.Random, stop: threading.Event, pause: threading.Event):
    while not stop.is_set():
        if pause.is_set():
            time.sleep(0.1)
            continue
        with world.lock:
            staff_step(world, rng)
            if rng.random() < 0.35:
                (customer_cancels if rng.random() < 0.3 else customer_books)(world, rng)
        time.sleep(rng.uniform(0.3, 2.2))


# --- the expected end state -----------------------------------------------------------------


def covered(world: World, now: datetime) -> set[tuple[int, str, str]]:
    """Every (room, date, hour) the final busy staff events cover, by the test's own
    reading of Lockme's rule and the fake's slot hours, from ``now`` to the horizon."""
    until = now + timedelta(days=90)
    wanted: set[tuple[int, str, str]] = set()
    for record in world.staff.values():
        if not record.blocks:
            continue
        rooms = [room for room, cid in BLOCKS.items() if cid == record.calendar_id]
        for start, end in record.spans():
            day = start.astimezone(TZ).date()
            while day <= end.astimezone(TZ).date():
                for room in rooms:
                    for hour in world.lockme.slot_hours(room, day.isoformat()):
                        at = datetime.combine(day, dtime.fromisoformat(hour), tzinfo=TZ)
                        if start <= at < end and now <= at < until:
                            wanted.add((room, day.isoformat(), hour))
                day += timedelta(days=1)
    return wanted


def customer_slots(lockme: FakeLockme) -> set[tuple[int, str, str]]:
    return {
        (r["roomid"], r["date"], r["hour"])
        for r in lockme.live_reservations().values()
        if not is_block_extid(r.get("extid"))
    }


def lockme_blocks(lockme: FakeLockme) -> Counter[tuple[int, str, str]]:
    return Counter(
        (r["roomid"], r["date"], r["hour"])
        for r in lockme.live_reservations().values()
        if is_block_extid(r.get("extid"))
    )


def events_of_blocks(google: FakeGoogle, lockme: FakeLockme) -> list[str]:
    """Calendar events (cancelled ones too) written for any reservation the product made."""
    ours = {str(rid) for rid, r in lockme.reservations.items() if is_block_extid(r["extid"])}
    found = []
    for calendar_id in google.calendar_ids():
        for event in google.events(calendar_id, include_cancelled=True):
            private = (event.get("extendedProperties") or {}).get("private") or {}
            if str(private.get("lockmeReservationId")) in ours:
                found.append(event["id"])
    return found


def unsettled(runtime: Runtime, google: FakeGoogle) -> list[str]:
    """What keeps the blocks from being quiet: a blocks job waiting, running or asked to
    run again, or a blocks calendar whose last read did not see its last change (read
    from the sync token the product stored, as Google knows which changes it covered)."""
    google.wait_for_pushes()  # a push on its way queues a job
    queue = runtime.queue
    registries = (queue, StartedJobRegistry(queue=queue), ScheduledJobRegistry(queue=queue))
    syncs = tuple(runtime.keys.job(job_id(c)) for c in BLOCKS.values())
    found = [j for r in registries for j in r.get_job_ids() if j.startswith(syncs)]
    feed = FeedStore(runtime.redis, runtime.keys)
    for calendar_id in sorted(set(BLOCKS.values())):
        if runtime.redis.exists(runtime.keys.blocks_sync(calendar_id, "again")):
            found.append(f"{calendar_id} asked again")
        if not google.token_has_seen_all(calendar_id, feed.sync_token(calendar_id)):
            found.append(f"{calendar_id} not read since its last change")
    return found


def blocks_quiet(runtime: Runtime, google: FakeGoogle) -> bool:
    return not unsettled(runtime, google)


# --- the run --------------------------------------------------------------------------------


@pytest.fixture
def blocks_fakes() -> Iterator[tuple[FakeLockme, FakeGoogle]]:
    print(f"\nCHAOS_SEED={SEED}")
    lockme = FakeLockme(faults=Faults(SEED + 11))
    google = FakeGoogle(allow_http_push=True, faults=Faults(SEED + 12))
    google.max_channel_ttl_s = CHANNEL_LIFE_S
    google.add_calendar(SHARED, "Venue closed")
    google.add_calendar(OWN, "Room 3")
    for room in BLOCKS:
        lockme.add_room(room, f"Room {room}")
    with lockme, google:
        yield lockme, google


def kill_during_a_create(world: World, workers: Workers, rng: random.Random) -> bool:
    """Hold the next create in the fake, SIGKILL every worker while it waits, restart them.
    The fake then makes the reservation, whose answer nobody reads."""
    held = world.lockme.faults.add("PUT", fault_mix.RESERVATIONS + "$", delay=4.0, times=1)
    with world.lock:
        add_event(world, rng, SHARED, "all-day", busy=True)  # new slots: creates follow
    caught = wait_for(lambda: held.hits == 1, 30, step=0.02)
    if caught:
        time.sleep(0.5)
        for index in range(len(workers.procs)):
            workers.kill(index)
        time.sleep(1)
        workers.start_all()
    world.lockme.faults.remove(held)
    return caught


def store_lost(
    world: World, runtime: Runtime, workers: Workers, rng: random.Random, pause: threading.Event
) -> int:
    """Redis loses every key while the workers run (a failover to an empty replica). While
    the store is empty staff delete events that have blocks and add one in each calendar;
    then an operator connects both services again, sets room 3's route and each room's
    blocks calendar again, and restarts the workers (which schedule the periodic work).
    Returns how many events with blocks were deleted meanwhile."""
    pause.set()
    with world.lock:
        runtime.redis.flushdb()
        deleted = 0
        for calendar_id, count in ((SHARED, 2), (OWN, 1)):
            blocking = [
                eid
                for eid, s in world.staff.items()
                if s.calendar_id == calendar_id and s.busy and s.weeks == 1
            ]
            for eid in rng.sample(blocking, min(count, len(blocking))):
                world.google.delete_staff_event(calendar_id, eid)
                del world.staff[eid]
                deleted += 1
        world.changed("delete while the store is empty")
        for calendar_id in set(BLOCKS.values()):
            add_event(world, rng, calendar_id, "timed")
        seed_connections(runtime.store, world.lockme, world.google)
        runtime.store.routes.set_route(Route(room_id=3, calendar_id=OWN))
        for room, calendar_id in BLOCKS.items():
            control.turn_on(runtime, room, calendar_id)
        for index in range(len(workers.procs)):
            workers.kill(index)
        workers.start_all()
    pause.clear()
    return deleted


def tokens_gone(world: World, runtime: Runtime, rng: random.Random, pause: threading.Event):
    """A 410 on every sync token once the calendars are read (so that the full resync's
    removals are few: the guard holds a mass removal after a full read for a person),
    then a change in each calendar, one of them a delete the resync must apply. Staff
    resume once every calendar has had its full read: a change of theirs in between would
    be one more removal the full read cannot explain, and enough of them make a mass
    removal that waits for a person, by design."""
    pause.set()
    with world.lock:
        wait_for(lambda: blocks_quiet(runtime, world.google), 40, step=0.5)
        world.google.invalidate_sync_tokens()
        for calendar_id in set(BLOCKS.values()):
            add_event(world, rng, calendar_id, "timed")
        short = [
            eid
            for eid, s in world.staff.items()
            if s.calendar_id == SHARED and s.weeks == 1 and not s.all_day and s.answer is None
        ]
        if short:
            eid = rng.choice(short)
            world.google.delete_staff_event(SHARED, eid)
            del world.staff[eid]
            world.changed("delete after 410")
    wait_for(lambda: blocks_quiet(runtime, world.google), 40, step=0.5)
    pause.clear()


def test_blocks_converge_under_faults_kills_a_410_and_expiring_channels(
    blocks_fakes: tuple[FakeLockme, FakeGoogle], chaos_redis: str, tmp_path: Path
) -> None:
    lockme, google = blocks_fakes
    rng = random.Random(SEED)
    port = free_port()
    settings = make_settings(
        chaos_redis,
        lockme,
        google,
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        GOOGLE_RATE_LIMIT_PER_S="200",  # the fake has no quota: the limiter would only slow
    )
    runtime = build_runtime(settings)
    seed_connections(runtime.store, lockme, google)
    runtime.store.routes.set_route(Route(room_id=3, calendar_id=OWN))
    # Slots of their own: room 2 hourly on Saturdays, room 1 an exception next week.
    lockme.set_day_slots(2, 5, [f"{h:02d}:00:00" for h in range(9, 23)])
    exception_day = (datetime.now(TZ).date() + timedelta(days=7)).isoformat()
    lockme.set_date_slots(1, exception_day, ["12:00:00", "15:15:00", "18:30:00"])
    lockme.dialect.echo = "before"  # each echo may overtake its write's answer
    world = World(lockme, google)
    # Before the run: staff events and customer bookings already there.
    for calendar_id in (SHARED, SHARED, SHARED, OWN, OWN):
        add_event(world, rng, calendar_id, "timed")
    add_event(world, rng, SHARED, "weekly")
    add_event(world, rng, OWN, "all-day")
    tomorrow = local(datetime.now(TZ).date() + timedelta(days=1), 0)
    invite(world, SHARED, tomorrow, tomorrow + timedelta(days=95))
    for _ in range(2):
        invite(world, SHARED, *timed_span(rng))
    for _ in range(8):
        customer_books(world, rng)
    for room, calendar_id in BLOCKS.items():
        control.turn_on(runtime, room, calendar_id)
    fault_mix.install(lockme, google)
    fault_mix.install_writes(lockme)
    workers = Workers(settings, tmp_path, 2)
    stop, pause = threading.Event(), threading.Event()
    began = time.monotonic()
    try:
        with (
            WebApp(settings, runtime, port=port) as web,
            Redelivery(web.url, lockme, rng) as redelivery,
        ):
            world.redelivery = redelivery
            lockme.echo_listener = redelivery.publish
            for mid in lockme.messages:
                redelivery.publish(mid)
            workers.start_all()
            actor = threading.Thread(target=activity, args=(world, rng, stop, pause))
            actor.start()
            steps: list[tuple[float, str]] = [
                (KILL_AT_S, "kill"),
                (STORE_LOST_AT_S, "store lost"),
                (TOKENS_GONE_AT_S, "410"),
            ]
            caught, deleted_meanwhile = False, 0
            for at, step in steps:
                while time.monotonic() - began < at:
                    workers.restart_exited()
                    time.sleep(0.2)
                if step == "kill":
                    caught = kill_during_a_create(world, workers, rng)
                elif step == "store lost":
                    deleted_meanwhile = store_lost(world, runtime, workers, rng, pause)
                else:
                    tokens_gone(world, runtime, rng, pause)
            while time.monotonic() - began < ACTIVITY_S:
                workers.restart_exited()
                time.sleep(0.2)
            stop.set()
            actor.join()
            activity_s = time.monotonic() - began

            def settled() -> bool:
                workers.restart_exited()
                if set(lockme.messages) - lockme.acked:
                    return False
                return blocks_quiet(runtime, world.google)

            quiet = wait_for(settled, QUIET_S, step=0.5)
            # The last writes' echoes, delivered and acknowledged too.
            wait_for(lambda: not set(lockme.messages) - lockme.acked, 30, step=0.5)
            deliveries = redelivery.deliveries
            left = unsettled(runtime, world.google)
    finally:
        lockme.echo_listener = None
        workers.stop_all()
    wall = time.monotonic() - began
    now = datetime.now(UTC)
    wanted, held = covered(world, now), customer_slots(lockme)
    want, conflicts = wanted - held, len(wanted & held)
    have = lockme_blocks(lockme)
    future = {k: n for k, n in have.items() if local_start(k) >= now}
    duplicates = sorted(k for k, n in future.items() if n > 1)
    missing = sorted(want - set(future))
    extra = sorted(set(future) - want)
    live = lockme.live_reservations()
    touched = sorted(
        rid
        for rid, before in world.customers.items()
        if (rid in world.cancelled) == (rid in live) or (rid in live and live[rid] != before)
    )
    block_events = events_of_blocks(google, lockme)
    waiting = BlockRooms(runtime.redis, runtime.keys).held()
    renewed, lapsed = lapsed_renewals(google)
    unacked = sorted(set(lockme.messages) - lockme.acked)
    echoes = sum(
        1
        for body in lockme.messages.values()
        if isinstance(body, dict) and is_block_extid((body.get("data") or {}).get("extid"))
    )
    print(
        summary_line(
            [
                ("profile", "blocks"),
                ("seed", SEED),
                ("staff_ops", sum(v for k, v in world.ops.items() if "customer" not in k)),
                ("customer_ops", world.ops["customer books"] + world.ops["customer cancels"]),
                ("events", len(world.staff)),
                ("invitations", world.ops["invitation"]),
                ("answers", world.ops["answer accepted"] + world.ops["answer tentative"]),
                ("blocks", sum(have.values())),
                ("expected", len(want)),
                ("conflicts", conflicts),
                ("missing", len(missing)),
                ("extra", len(extra)),
                ("duplicates", len(duplicates)),
                ("customers_touched", len(touched)),
                ("block_events", len(block_events)),
                ("echoes", echoes),
                ("messages", len(lockme.messages)),
                ("deliveries", deliveries),
                ("unacked", len(unacked)),
                ("renewals_after_expiry", f"{lapsed}/{renewed}"),
                ("kill_mid_write", caught),
                ("deleted_while_store_empty", deleted_meanwhile),
                ("kills", workers.kills),
                ("crashes", workers.crashes),
                ("faults", fault_share(lockme, google)),
                ("held", ";".join(h["reason"] for h in waiting) or 0),
                ("quiet", quiet or ",".join(left)),
                ("activity", f"{activity_s:.0f}s"),
                ("wall", f"{wall:.0f}s"),
            ]
        )
    )
    logs = "" if quiet and not (missing or extra) else workers.logs()
    assert caught, "no create was in flight to kill the workers on"
    assert deleted_meanwhile > 0, "no event with blocks was deleted while the store was empty"
    assert duplicates == [], duplicates
    assert (missing, extra) == ([], []), (missing, extra, logs)
    assert waiting == [], waiting
    assert touched == [], touched
    assert block_events == []
    assert unacked == [], (unacked, logs)
    assert quiet, logs
    assert lapsed > 0, "no channel expired before its renewal"


def local_start(slot: tuple[int, str, str]) -> datetime:
    _room, day, hour = slot
    return datetime.combine(date.fromisoformat(day), dtime.fromisoformat(hour), tzinfo=TZ)


def lapsed_renewals(google: FakeGoogle) -> tuple[int, int]:
    """How many channels replaced an earlier one of their calendar, and how many of those
    only after the earlier one had expired (a gap in which nothing was pushed)."""
    with google.lock:
        by_calendar: dict[str, list[int]] = {}
        for channel in google.channels.values():
            by_calendar.setdefault(channel["calendar_id"], []).append(channel["expiration"])
    renewed = lapsed = 0
    for expirations in by_calendar.values():
        expirations.sort()
        for old, new in pairwise(expirations):
            renewed += 1
            lapsed += old < new - CHANNEL_LIFE_S * 1000
    return renewed, lapsed
