"""Several venues in one deployment: the registry, the venue's webhook, the worker serving
every venue, the ``venues`` commands and ``--venue``, against real Redis and the fakes.

The fakes serve one account each, so a venue here gets its own pair of fakes: its settings
are made by the registry (``Venues.settings``) from a deployment whose service URLs point
at them, everything else (prefix, queue, zone, secret) being the venue's.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import redis
from rq.scheduler import RQScheduler
from werkzeug.security import check_password_hash

from app import create_app
from tests.chaos.harness import wait_for
from tests.conftest import (
    WEBHOOK_SECRET,
    connect_both,
    deliver,
    establish,
    make_settings,
    settings_env,
)
from tests.test_ops import worker_process, worker_states
from tests.test_two_runtimes import contents
from worker import venues
from worker.config import Settings
from worker.jobs import inbox, rqseam, runtimes, schedules
from worker.ops.cli import main
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.keys import PREFIX, VENUES, venue_prefix
from worker.venues import Created, Venue, VenueError, Venues

ROOM = 1398


@pytest.fixture
def registry(runtime: Runtime, settings: Settings) -> Venues:
    return Venues(runtime.redis, settings)


@pytest.fixture
def other_fakes() -> Iterator[tuple[FakeLockme, FakeGoogle]]:
    with FakeLockme() as lockme, FakeGoogle() as google:
        yield lockme, google


@dataclass
class North:
    """The venue ``north``, connected to its own fakes and served by this process."""

    created: Created
    runtime: Runtime
    lockme: FakeLockme
    google: FakeGoogle

    @property
    def webhook(self) -> str:
        return f"/webhooks/lockme/north?secret={self.created.webhook_secret}"


@pytest.fixture
def north(registry: Venues, runtime: Runtime, other_fakes: tuple[FakeLockme, FakeGoogle]) -> North:
    created = registry.add("north", timezone="Europe/London")
    return North(created, venue_runtime(runtime, created.venue, *other_fakes), *other_fakes)


def venue_runtime(
    runtime: Runtime, venue: Venue, lockme: FakeLockme, google: FakeGoogle
) -> Runtime:
    """The venue's runtime, as ``venues.serve`` builds it, with its accounts at its own
    fakes; connected, and served by this process."""
    own = make_settings(runtime.settings.redis_url, lockme, google)
    rt = build_runtime(Venues(runtime.redis, own).settings(venue), runtime.redis)
    connect_both(rt, lockme, google)
    establish(rt)
    runtimes.configure(rt)
    return rt


def work(served: list[Runtime]) -> None:
    """What a worker process does with every venue's inbox and queue, until all are empty."""
    for _ in range(20):
        inbox.dispatch_all(served)
        rqseam.SyncWorker(
            [rt.queue for rt in served],
            connection=served[0].redis,
            serializer=served[0].queue.serializer,
            job_monitoring_interval=5,
        ).work(burst=True, with_scheduler=False)
        if not any(rt.redis.zcard(rt.keys.inbox_pending) for rt in served):
            return


def post(client: Any, path: str, message_id: str | None = "7", method: str = "POST") -> Any:
    headers = {"X-MessageId": message_id} if message_id is not None else {}
    return client.open(path, method=method, headers=headers)


# --- the registry -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["", "default", "1north", "North", "north_1", "nórth", "-north", "n" * 33, "a:b"]
)
def test_a_bad_or_reserved_slug_is_refused(registry: Venues, slug: str) -> None:
    with pytest.raises(VenueError):
        registry.add(slug)
    assert registry.all() == []


def test_slugs_in_the_rules_are_taken_once_and_zones_are_checked(registry: Venues) -> None:
    for slug in ("n", "north-2", "a" * 32):
        assert registry.add(slug).venue.slug == slug
    with pytest.raises(VenueError, match="exists already"):
        registry.add("n")
    with pytest.raises(VenueError, match="IANA"):
        registry.add("south", timezone="Mars/Olympus")
    assert registry.add("west", timezone="Europe/Berlin").venue.timezone == "Europe/Berlin"
    assert registry.get("north-2") is not None and registry.get("North-2") is None


def test_a_redis_dump_holds_neither_the_webhook_secret_nor_the_password(
    registry: Venues, runtime: Runtime
) -> None:
    created = registry.add("north", name="North")
    dump = repr(contents(runtime.redis, ""))  # every key of the database, as read
    assert VENUES.encode() in repr(list(contents(runtime.redis, "").keys())).encode()
    assert created.webhook_secret not in dump
    assert created.password not in dump
    venue = registry.get("north")
    assert venue is not None
    assert check_password_hash(venue.password_hash, created.password)
    assert registry.webhook_secret(venue) == created.webhook_secret
    # Another SECRET_KEY cannot open it: no call is then accepted.
    other = Venues(runtime.redis, make_settings_with_key(runtime.settings, "x" * 40))
    assert other.webhook_secret(venue) == ""
    assert not other.secret_matches(venue, created.webhook_secret)


def make_settings_with_key(settings: Settings, key: str) -> Settings:
    from dataclasses import replace

    return replace(settings, secret_key=key, secret_key_fallbacks=())


def test_a_venues_settings_are_the_deployments_with_its_own_keys_zone_and_secret(
    registry: Venues, settings: Settings
) -> None:
    created = registry.add("north", timezone="Europe/Stockholm")
    own = registry.settings(created.venue)
    assert own.key_prefix == "lmv:north:" and own.queue_name == "lockme:north"
    assert own.venue_timezone == "Europe/Stockholm"
    assert own.webhook_secret == created.webhook_secret != settings.webhook_secret
    assert own.lockme_api_url == settings.lockme_api_url
    assert registry.settings_for("default") is settings
    with pytest.raises(VenueError, match="no venue"):
        registry.settings_for("nowhere")


def test_no_pattern_of_one_venues_keys_matches_anothers() -> None:
    """The default's pattern reaches no venue's key, nor a venue's pattern the default's
    or another venue's, however the slugs begin alike."""
    prefixes = [PREFIX, venue_prefix("a"), venue_prefix("a-b"), venue_prefix("ab")]
    keys = {p: [f"{p}routes", f"{p}res:1", f"{p}token:google"] for p in prefixes}
    for prefix in prefixes:
        for other, names in keys.items():
            matched = [k for k in names if fnmatchcase(k, f"{prefix}*")]
            assert matched == (names if other == prefix else [])
        assert not fnmatchcase(VENUES, f"{prefix}*")


# --- the venue's webhook ----------------------------------------------------------------


def test_a_venues_webhook_answers_as_the_default_one_into_the_venues_inbox(
    registry: Venues, runtime: Runtime, settings: Settings
) -> None:
    created = registry.add("north")
    north = created.venue.keys
    web = create_app(settings, runtime).test_client()
    path = f"/webhooks/lockme/north?secret={created.webhook_secret}"

    answer = post(web, path, "7")
    assert (answer.status_code, answer.get_json()) == (200, {"message_id": 7, "status": "queued"})
    assert runtime.redis.zscore(north.inbox_pending, "7") is not None
    assert runtime.redis.zscore(runtime.keys.inbox_pending, "7") is None
    assert post(web, path, "8", method="GET").status_code == 200
    assert post(web, path, None).status_code == 400
    assert post(web, path, "x").status_code == 422

    default_before = contents(runtime.redis, PREFIX)
    forbidden = post(web, f"/webhooks/lockme/north?secret={WEBHOOK_SECRET}")
    unknown = post(web, f"/webhooks/lockme/south?secret={created.webhook_secret}")
    malformed = post(web, f"/webhooks/lockme/No/pe?secret={created.webhook_secret}")
    for answer in (forbidden, unknown, malformed):
        assert (answer.status_code, answer.get_json()) == (
            403,
            {"error": "bad or missing secret"},
        )
    # Nothing written for a rejected call, the default venue's data least of all.
    assert contents(runtime.redis, PREFIX) == default_before
    assert runtime.redis.zcard(north.inbox_pending) == 2
    # The default webhook is unchanged, and a venue's secret does not open it.
    assert post(web, f"/webhooks/lockme?secret={created.webhook_secret}").status_code == 403
    assert deliver(web, 9).status_code == 200
    assert runtime.redis.zscore(runtime.keys.inbox_pending, "9") is not None


def test_the_venues_webhook_answers_503_when_redis_is_unreachable(
    fake_lockme: FakeLockme, fake_google: FakeGoogle, redis_url: str
) -> None:
    down = make_settings("redis://127.0.0.1:1/0", fake_lockme, fake_google)
    web = create_app(down, build_runtime(down)).test_client()
    answer = post(web, "/webhooks/lockme/north?secret=anything", "7")
    assert (answer.status_code, answer.get_json()) == (
        503,
        {"error": "queue unavailable, retry later"},
    )


# --- bookings of several venues ---------------------------------------------------------


def test_a_booking_at_a_venues_webhook_syncs_with_its_accounts_only(
    runtime: Runtime,
    settings: Settings,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    north: North,
) -> None:
    web = create_app(settings, runtime).test_client()
    default_before = contents(runtime.redis, PREFIX)

    reservation_id, message_id = north.lockme.create_reservation(ROOM, "2026-03-15", "18:30:00")
    assert post(web, north.webhook, str(message_id)).status_code == 200
    work([runtime, north.runtime])

    assert message_id in north.lockme.acked and not fake_lockme.acked
    events = north.google.events("primary")
    assert [e["start"]["timeZone"] for e in events] == ["Europe/London"]
    assert fake_google.events("primary") == []
    assert north.runtime.store.mappings.mapping(reservation_id) is not None
    assert fake_lockme.requests == [] and fake_google.requests == []
    assert contents(runtime.redis, PREFIX) == default_before


def test_a_message_posted_to_the_wrong_venue_is_fetched_with_that_venues_token_only(
    runtime: Runtime,
    settings: Settings,
    fake_lockme: FakeLockme,
    north: North,
) -> None:
    fake_lockme.create_reservation(ROOM, "2026-03-14", "18:30:00")
    _, message_id = fake_lockme.create_reservation(ROOM, "2026-03-14", "19:30:00")
    web = create_app(settings, runtime).test_client()

    assert post(web, north.webhook, str(message_id)).status_code == 200
    work([runtime, north.runtime])

    fetches = [r for r in north.lockme.requests if r[1].endswith(f"/message/{message_id}")]
    assert fetches == [("GET", fetches[0][1], 404)]
    assert fake_lockme.requests == []
    assert runtime.redis.zscore(north.runtime.keys.unknown_ids, str(message_id)) is not None
    assert runtime.redis.zscore(runtime.keys.unknown_ids, str(message_id)) is None


# --- the worker serves every venue ------------------------------------------------------


def test_the_worker_serves_each_venue_added_and_drops_each_removed(
    registry: Venues, runtime: Runtime
) -> None:
    assert venues.serve(runtime) == [runtime]
    registry.add("north")
    served = venues.serve(runtime)
    assert [rt.queue.name for rt in served] == ["lockme", "lockme:north"]
    assert served[1].keys.prefix == "lmv:north:" and served[1].redis is runtime.redis
    assert venues.serve(runtime)[1] is served[1]  # built once, then kept
    registry.remove("north")
    assert venues.serve(runtime) == [runtime]


def test_a_running_worker_stops_to_listen_to_a_venue_added_meanwhile(
    registry: Venues, runtime: Runtime
) -> None:
    worker = rqseam.SyncWorker(
        [runtime.queue], connection=runtime.redis, serializer=runtime.queue.serializer
    )
    worker.served = lambda: venues.serve(runtime)
    worker.run_maintenance_tasks()
    assert not worker.queues_changed
    registry.add("north")
    with pytest.raises(rqseam.StopRequested):
        worker.run_maintenance_tasks()
    assert worker.queues_changed
    # Its periodic work was scheduled on the way, in its own queue.
    added = venues.serve(runtime)[1]
    assert added.queue.scheduled_job_registry.get_job_count(cleanup=False) > 0


def test_the_worker_runs_each_venues_jobs_with_its_runtime(
    runtime: Runtime,
    settings: Settings,
    fake_lockme: FakeLockme,
    north: North,
) -> None:
    _, mid_default = fake_lockme.create_reservation(ROOM, "2026-03-14", "18:30:00")
    _, mid_north = north.lockme.create_reservation(ROOM, "2026-03-16", "18:30:00")
    web = create_app(settings, runtime).test_client()
    assert deliver(web, mid_default).status_code == 200
    assert post(web, north.webhook, str(mid_north)).status_code == 200

    inbox.dispatch_all(venues.serve(runtime))
    rqseam.run_worker(runtime, burst=True, served=lambda: venues.serve(runtime))

    assert mid_default in fake_lockme.acked and mid_north in north.lockme.acked
    assert runtime.queue.count == 0 and north.runtime.queue.count == 0


# --- the commands -----------------------------------------------------------------------


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, settings: Settings, runtime: Runtime
) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PUBLIC_URL", "https://sync.example.com")


def lines(out: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


def test_venues_add_prints_the_webhook_login_and_password_once(
    env: None, capsys: pytest.CaptureFixture[str], runtime: Runtime, settings: Settings
) -> None:
    assert main(["venues", "add", "north", "--name", "North", "--timezone", "Europe/Oslo"]) == 0
    shown = lines(capsys.readouterr().out)
    assert shown["webhook"].startswith("https://sync.example.com/webhooks/lockme/north?secret=")
    assert shown["login"] == "https://sync.example.com/v/north/login"
    venue = Venues(runtime.redis, settings).get("north")
    assert venue is not None and check_password_hash(venue.password_hash, shown["password"])
    web = create_app(settings, runtime).test_client()
    assert post(web, shown["webhook"].removeprefix("https://sync.example.com")).status_code == 200

    for argv, reason in [
        (["venues", "add", "north"], "exists already"),
        (["venues", "add", "default"], "taken"),
        (["venues", "add", "9lives"], "bad slug"),
        (["venues", "add", "south", "--timezone", "Nowhere/Else"], "IANA"),
    ]:
        assert main(argv) == 2
        assert reason in capsys.readouterr().err

    assert main(["venues", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(v["slug"], v["name"], v["timezone"]) for v in listed] == [
        ("default", "default", settings.venue_timezone),
        ("north", "North", "Europe/Oslo"),
    ]
    assert listed[0]["webhook_url"].endswith(f"/webhooks/lockme?secret={WEBHOOK_SECRET}")
    assert listed[1]["webhook_url"] == shown["webhook"]
    assert listed[0]["connections"]["lockme"] == {"connected": True}
    assert listed[1]["connections"] == {
        "lockme": {"connected": False},
        "google": {"connected": False},
    }
    assert main(["venues"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("north\tNorth\tEurope/Oslo")


def test_venues_add_without_public_url_prints_paths_and_says_so(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "")
    assert main(["venues", "add", "north"]) == 0
    out, err = capsys.readouterr()
    assert lines(out)["webhook"].startswith("/webhooks/lockme/north?secret=")
    assert "PUBLIC_URL is not set" in err


def test_venues_password_renews_it_and_ends_the_staff_sessions(
    env: None, capsys: pytest.CaptureFixture[str], runtime: Runtime, settings: Settings
) -> None:
    assert main(["venues", "add", "north"]) == 0
    first = lines(capsys.readouterr().out)["password"]
    epoch = Venue.from_json("north", runtime.redis.hget(VENUES, "north") or b"").keys.staff_epoch
    assert main(["venues", "password", "north"]) == 0
    second = lines(capsys.readouterr().out)["password"]
    venue = Venues(runtime.redis, settings).get("north")
    assert venue is not None and second != first
    assert check_password_hash(venue.password_hash, second)
    assert not check_password_hash(venue.password_hash, first)
    assert runtime.redis.get(epoch) == b"1"
    assert main(["venues", "password", "south"]) == 2


def test_venues_remove_leaves_no_key_of_the_venue_and_every_key_of_the_default(
    env: None,
    capsys: pytest.CaptureFixture[str],
    registry: Venues,
    runtime: Runtime,
    settings: Settings,
    fake_lockme: FakeLockme,
    north: North,
) -> None:
    before = {k for k in runtime.redis.scan_iter("*") if b"north" not in k}
    _, message_id = north.lockme.create_reservation(ROOM, "2026-03-15", "18:30:00")
    web = create_app(settings, runtime).test_client()
    assert post(web, north.webhook, str(message_id)).status_code == 200
    work([runtime, north.runtime])
    schedules.ensure_all([north.runtime])  # as a worker's pass does
    own = [k for k in runtime.redis.scan_iter("*") if b"north" in k]
    assert len([k for k in own if k.startswith(b"lmv:north:")]) > 10
    assert any(k.startswith(b"rq:") for k in own)  # its queue, registries and jobs
    # RQ's keys named by the queue (a scheduler's lock), and a venue whose slug begins alike.
    runtime.redis.set(RQScheduler.get_locking_key(north.runtime.queue.name), "a-worker")
    neighbour = build_runtime(registry.settings(registry.add("north-2").venue), runtime.redis)
    schedules.ensure_all([neighbour])
    runtime.redis.set(RQScheduler.get_locking_key(neighbour.queue.name), "a-worker")
    neighbours = {k for k in runtime.redis.scan_iter("*") if b"north-2" in k}
    assert len(neighbours) > 4
    default_before = contents(runtime.redis, PREFIX)

    assert main(["venues", "remove", "north"]) == 2  # no --yes
    assert "--yes" in capsys.readouterr().err
    for held in (north.runtime.keys.blocks_made, north.runtime.keys.blocks_rooms):
        runtime.redis.hset(held, "1", "{}")
        assert main(["venues", "remove", "north", "--yes"]) == 2
        assert "blocks ROOM --off" in capsys.readouterr().err
        runtime.redis.hdel(held, "1")

    assert main(["venues", "remove", "north", "--yes"]) == 0
    assert "removed venue north" in capsys.readouterr().out
    assert {k for k in runtime.redis.scan_iter("*") if b"north" in k} == neighbours
    # Only the deployment's own bookkeeping is new (this test's workers, the queues' set).
    new = set(runtime.redis.scan_iter("*")) - before - neighbours - {VENUES.encode()}
    assert all(k.startswith((b"rq:worker", b"rq:clean", b"rq:queues")) for k in new), new
    assert b"rq:queue:lockme:north" not in runtime.redis.smembers("rq:queues")
    assert contents(runtime.redis, PREFIX) == default_before
    assert registry.get("north") is None


def test_venue_option_acts_on_that_venue_only(
    env: None,
    capsys: pytest.CaptureFixture[str],
    registry: Venues,
    runtime: Runtime,
    settings: Settings,
) -> None:
    from worker.domain.booking import Route

    created = registry.add("north")
    north = build_runtime(registry.settings(created.venue), runtime.redis)
    north.store.routes.set_route(Route(room_id=501, calendar_id="north@example.com"))
    runtime.store.routes.set_route(Route(room_id=101, calendar_id="default@example.com"))

    assert main(["--venue", "north", "routes"]) == 0
    out = capsys.readouterr().out
    assert "north@example.com" in out and "default@example.com" not in out
    assert main(["--venue", "default", "routes"]) == 0
    out = capsys.readouterr().out
    assert "default@example.com" in out and "north@example.com" not in out
    assert main(["routes"]) == 0
    assert "north@example.com" not in capsys.readouterr().out

    assert main(["--venue", "north", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["connections"]["lockme"]["connected"] is False  # the default's is
    assert main(["--venue", "south", "status"]) == 2
    assert "no venue 'south'" in capsys.readouterr().err
    assert main(["--venue", "north", "venues"]) == 2


def test_a_redis_client_is_shared_by_every_venue_runtime(
    registry: Venues, runtime: Runtime
) -> None:
    for slug in ("a", "b", "c"):
        registry.add(slug)
    served = venues.serve(runtime)
    assert len(served) == 4
    assert {id(rt.redis) for rt in served} == {id(runtime.redis)}
    assert isinstance(runtime.redis, redis.Redis)


def test_check_reseals_the_venues_secrets_and_tokens_while_secret_key_rotates(
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    registry: Venues,
    runtime: Runtime,
    settings: Settings,
    north: North,
) -> None:
    created = north.created  # its secret and two tokens, under the old key
    new_key = "n" * 40
    monkeypatch.setenv("SECRET_KEY", new_key)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", settings.secret_key)
    main(["check"])
    assert "ok    venues: 3 secret(s) and token(s) re-encrypted" in capsys.readouterr().out

    rotated = Venues(runtime.redis, make_settings_with_key(settings, new_key))
    venue = rotated.get("north")
    assert venue is not None and rotated.secret_matches(venue, created.webhook_secret)
    north = build_runtime(rotated.settings(venue), runtime.redis)
    assert north.store.tokens.load_token("lockme") is not None
    assert north.store.tokens.load_token("google") is not None


def test_a_worker_process_serves_a_venue_added_while_it_runs(
    registry: Venues,
    runtime: Runtime,
    settings: Settings,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    tmp_path: Path,
) -> None:
    """``lockme-sync worker`` as the Procfile starts it: a venue added meanwhile is served
    from a maintenance pass on (its accounts here at the deployment's fakes, with tokens
    of their own), and the stop signal still ends it at once."""
    with worker_process(settings, tmp_path / "worker.log") as proc:
        assert wait_for(lambda: worker_states(runtime.redis) == ["idle"], timeout=30)
        created = registry.add("north")
        north = build_runtime(registry.settings(created.venue), runtime.redis)
        connect_both(north, fake_lockme, fake_google)
        establish(north)
        reservation_id, message_id = fake_lockme.create_reservation(ROOM, "2026-03-15", "18:30")
        web = create_app(settings, runtime).test_client()
        path = f"/webhooks/lockme/north?secret={created.webhook_secret}"
        assert post(web, path, str(message_id)).status_code == 200
        assert wait_for(lambda: message_id in fake_lockme.acked, timeout=60)
        assert north.store.mappings.mapping(reservation_id) is not None
        assert runtime.store.mappings.mapping(reservation_id) is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    text = (tmp_path / "worker.log").read_text()
    assert "the venues served changed" in text
    assert "starting a new one" not in text


def test_a_venues_job_never_runs_with_another_venues_runtime(
    registry: Venues, runtime: Runtime
) -> None:
    """A process that serves only the default venue (the web process, say) refuses a job of
    a venue's queue instead of running it with the default's accounts."""
    venue = registry.add("north").venue
    north = build_runtime(registry.settings(venue), runtime.redis)
    job = north.queue.enqueue("worker.entrypoints.probe_outages")
    assert runtimes.served() == [runtime]
    with pytest.raises(runtimes.NotConfiguredError):
        runtimes.current(job)
    runtimes.configure(north)
    assert runtimes.current(job) is north
    assert runtimes.current(runtime.queue.enqueue("worker.entrypoints.probe_outages")) is runtime
