"""The built-in sandbox: consent screens, webhook delivery with redelivery, the guard on its
Redis database, the pages only in sandbox mode, and ``lockme-sync dev --sandbox`` driven
end to end by the ``sandbox`` commands as separate processes."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import redis
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.conftest import ADMIN_PASSWORD, WEBHOOK_SECRET
from tests.test_web import csrf_from, log_in
from worker.config import load_settings
from worker.ops import cli as cli_module
from worker.ops import devserver
from worker.sandbox import FakeGoogle, FakeLockme
from worker.sandbox import trouble as control
from worker.sandbox.address import published, sandbox_redis_url
from worker.sandbox.client import SandboxClient
from worker.sandbox.commands import day
from worker.sandbox.delivery import GIVE_UP_AFTER_S, MAX_INTERVAL_S, Delivery, intervals
from worker.sandbox.demo import BLOCKS_CALENDAR_ID, SandboxError
from worker.sandbox.runner import Sandbox
from worker.stores.keys import DEFAULT

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "sandbox-test-secret-key-0123456789abcdef"


def eventually(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.2) -> Any:
    """Poll until ``check`` returns something truthy (the processes work on their own)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last: {result!r}")
        time.sleep(every)


def tomorrow() -> str:
    """The venue's tomorrow: blocks close future slots only, so a fixed date would expire."""
    return day("tomorrow", ZoneInfo("Europe/Warsaw"))


# --- consent screens ----------------------------------------------------------------------
@pytest.mark.parametrize("fake_class", [FakeLockme, FakeGoogle])
def test_consent_screen_approves_with_one_click_or_denies(fake_class: type) -> None:
    path = "/authorize" if fake_class is FakeLockme else "/o/oauth2/auth"
    params = {
        "client_id": "sandbox-client",
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1:5000/oauth/x/callback",
        "state": "st4te",
    }
    with fake_class(client_id="sandbox-client", consent=True) as fake:
        screen = requests.get(fake.url + path, params=params, timeout=5)
        assert screen.status_code == 200
        assert 'id="allow"' in screen.text and 'name="state" value="st4te"' in screen.text
        # In the app's look, under the sandbox banner, the access in words, no raw scope.
        assert 'id="sandbox-banner"' in screen.text and "<style>" in screen.text
        assert "Lockme → Google Calendar asks for access to:" in screen.text
        polish = requests.get(fake.url + path, params={**params, "hl": "pl"}, timeout=5)
        assert '<html lang="pl">' in polish.text and ">Zezwól</button>" in polish.text
        assert 'name="hl" value="pl"' in polish.text  # kept through the answer
        browser = requests.get(
            fake.url + path, params=params, headers={"Accept-Language": "pl-PL,pl"}, timeout=5
        )
        assert "Piaskownica" in browser.text
        allowed = requests.get(
            fake.url + path, params={**params, "approve": "yes"}, allow_redirects=False, timeout=5
        )
        assert allowed.status_code == 302
        back = parse_qs(urlsplit(allowed.headers["Location"]).query)
        assert back["state"] == ["st4te"] and back["code"][0] in fake.codes
        denied = requests.get(
            fake.url + path, params={**params, "approve": "no"}, allow_redirects=False, timeout=5
        )
        back = parse_qs(urlsplit(denied.headers["Location"]).query)
        assert back == {"error": ["access_denied"], "state": ["st4te"]}


def test_fakes_without_consent_still_approve_at_once(fake_lockme: FakeLockme) -> None:
    response = requests.get(
        fake_lockme.url + "/authorize",
        params={"client_id": fake_lockme.client_id, "response_type": "code", "redirect_uri": "x:/"},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302 and "code=" in response.headers["Location"]


# --- webhook delivery ---------------------------------------------------------------------
def test_intervals_grow_to_a_cap_and_end_within_a_day() -> None:
    gaps = list(intervals())
    assert gaps[:4] == [5.0, 10.0, 20.0, 40.0]
    assert all(later >= earlier for earlier, later in itertools.pairwise(gaps))
    assert max(gaps) == MAX_INTERVAL_S
    assert sum(gaps) <= GIVE_UP_AFTER_S < sum(gaps) + MAX_INTERVAL_S


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook endpoint that records what arrives, as the app's would see it."""
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        seen.append(
            {
                "method": request.method,
                "id": request.headers.get("X-MessageId"),
                "body": request.get_data(),
                "secret": request.args.get("secret"),
            }
        )
        return Response("OK")(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook?secret=s3", seen
    server.shutdown()
    thread.join(timeout=5)


def test_delivery_repeats_a_message_until_it_is_acknowledged(
    fake_lockme: FakeLockme, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, seen = receiver
    delivery = Delivery(fake_lockme, url, first_retry_s=0.2)
    delivery.start()
    try:
        _, message_id = fake_lockme.create_reservation(5, "2026-12-03", "18:00:00")
        eventually(lambda: len(seen) >= 3)
        assert {(s["method"], s["id"], s["body"], s["secret"]) for s in seen} == {
            ("POST", str(message_id), b"", "s3")
        }
        token = fake_lockme.issue_token()["access_token"]
        ack = requests.post(
            f"{fake_lockme.url}/v2.4/message/{message_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert ack.status_code == 200
        after_ack = len(seen)
        # The next redelivery was due within 0.8 s; it must not come once acknowledged.
        time.sleep(2.0)
        assert len(seen) <= after_ack + 1  # one may have been on its way during the ack
        assert delivery.attempts[message_id] == len(seen)
    finally:
        delivery.stop()


# --- the sandbox's own Redis database -----------------------------------------------------
def _settings(redis_url: str, **extra: str) -> Any:
    """The settings of a sandbox in the test's own database: the default, database 15,
    would be shared by every test process on the server."""
    env = {
        "REDIS_URL": redis_url,
        "SANDBOX_REDIS_URL": redis_url,
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        **extra,
    }
    return load_settings(env=env)


def test_sandbox_refuses_a_database_holding_other_data(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(DEFAULT.mapping(5), "real data")
    sandbox = Sandbox(_settings(redis_url), "http://127.0.0.1:1")
    with pytest.raises(SandboxError, match="SANDBOX_REDIS_URL"):
        sandbox.start("http://127.0.0.1:2")
    assert client.get(DEFAULT.mapping(5)) == b"real data"
    sandbox.stop()


def test_sandbox_database_defaults_to_its_own_number() -> None:
    assert sandbox_redis_url(load_settings(env={"REDIS_URL": "redis://h:6379/0"})).endswith("/15")


@pytest.mark.parametrize(
    ("env", "asked", "wanted"),
    [
        ({}, False, True),
        ({"LOCKME_CLIENT_ID": "real"}, False, False),
        ({"GOOGLE_CLIENT_ID": "real"}, False, False),
        ({"LOCKME_CLIENT_ID": "real", "GOOGLE_CLIENT_ID": "real"}, True, True),
    ],
)
def test_dev_uses_the_sandbox_only_without_client_ids_or_when_asked(
    env: dict[str, str], asked: bool, wanted: bool
) -> None:
    assert devserver.sandbox_wanted(load_settings(env=env), asked) is wanted


def test_no_sandbox_pages_or_banner_outside_sandbox_mode(web_app: Any) -> None:
    client = web_app.test_client()
    log_in(client)
    assert client.get("/sandbox").status_code == 404
    assert "sandbox-banner" not in client.get("/setup").get_data(as_text=True)


# --- lockme-sync dev --sandbox and the sandbox commands, as separate processes ----------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dev_sandbox(redis_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``lockme-sync dev --sandbox`` on a free port, in an empty folder (no ``.env``),
    with real-looking client ids set that ``--sandbox`` must override."""
    port = _free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "SANDBOX_REDIS_URL": redis_url,
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LOCKME_CLIENT_ID": "a-real-lockme-app",
        "RETRY_BACKOFF_SCALE": "0.05",
        "PYTHONPATH": str(ROOT),
        # Where ``dev`` records its sandbox: this test's own, not the user's.
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
    }
    env.pop("PUBLIC_URL", None)
    (tmp_path / "run").mkdir()
    log = (tmp_path / "dev.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "worker.ops.cli", "dev", "--sandbox", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    run: dict[str, Any] = {"env": env, "cwd": tmp_path, "base": base, "proc": proc}

    def ready() -> bool:
        assert proc.poll() is None, (tmp_path / "dev.log").read_text()
        try:
            return requests.get(base + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:  # not listening yet, or busy starting
            return False

    try:
        eventually(ready, timeout=60)
        yield run
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def sandbox_cli(run: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    """``lockme-sync sandbox …`` in another process, as a person at a terminal runs it."""
    return subprocess.run(
        [sys.executable, "-m", "worker.ops.cli", "sandbox", *args],
        cwd=run["cwd"],
        env=run["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def events_of(run: dict[str, Any], reservation_id: str) -> list[dict[str, Any]]:
    listed = sandbox_cli(run, "events", "--json")
    assert listed.returncode == 0, listed.stderr
    return [e for e in json.loads(listed.stdout) if e["lockmeReservationId"] == reservation_id]


def confirmed(run: dict[str, Any], reservation_id: str) -> list[dict[str, Any]]:
    return [e for e in events_of(run, reservation_id) if e["status"] == "confirmed"]


def test_dev_sandbox_end_to_end_through_the_sandbox_commands(dev_sandbox: dict[str, Any]) -> None:
    run = dev_sandbox
    rooms = sandbox_cli(run, "rooms", "--json")
    assert rooms.returncode == 0, rooms.stderr
    by_name = {room["name"]: room for room in json.loads(rooms.stdout)}
    assert len(by_name) == 3
    tomb, manor = by_name["Pharaoh's Tomb"], by_name["Haunted Manor"]
    assert tomb["calendar"] != manor["calendar"]

    connected = sandbox_cli(run, "connect")
    assert connected.returncode == 0 and "connected" in connected.stdout, connected.stderr

    booked = sandbox_cli(
        run, "book", "--room", "Pharaoh's Tomb", "--date", "2026-12-03", "--hour", "17:30",
        "--name", "Anna Nowak",
    )  # fmt: skip
    assert booked.returncode == 0, booked.stderr
    reservation = booked.stdout.strip()
    assert reservation.isdigit()

    [event] = eventually(lambda: confirmed(run, reservation))
    assert event["calendar"] == tomb["calendar"]
    assert event["summary"] == "Pharaoh's Tomb: Anna Nowak"
    assert event["start"].startswith("2026-12-03T17:30:00")

    moved = sandbox_cli(run, "edit", reservation, "--room", str(manor["id"]), "--hour", "19:00")
    assert moved.returncode == 0, moved.stderr
    [event] = eventually(
        lambda: [e for e in confirmed(run, reservation) if e["calendar"] == manor["calendar"]]
    )
    assert event["start"].startswith("2026-12-03T19:00:00")
    assert confirmed(run, reservation) == [event]  # it left the old room's calendar

    cancelled = sandbox_cli(run, "cancel", reservation)
    assert cancelled.returncode == 0, cancelled.stderr
    eventually(lambda: not confirmed(run, reservation))
    assert {e["status"] for e in events_of(run, reservation)} == {"cancelled"}

    held = sandbox_cli(
        run, "book", "--room", "5101", "--date", "2026-12-03", "--hour", "16:00", "--unpaid"
    )
    assert held.returncode == 0, held.stderr
    hold = held.stdout.strip()
    [event] = eventually(lambda: events_of(run, hold))
    # The venue's language follows VENUE_TIMEZONE (Europe/Warsaw, unset here): Polish.
    assert event["status"] == "tentative"
    assert event["summary"].startswith("⏳ Rezerwacja nieopłacona · ")
    assert sandbox_cli(run, "edit", hold, "--pay").returncode == 0
    [event] = eventually(lambda: confirmed(run, hold))
    assert event["summary"] == "Pharaoh's Tomb: Anna Nowak"


def test_status_check_and_routes_read_the_running_sandbox(dev_sandbox: dict[str, Any]) -> None:
    run = dev_sandbox
    assert sandbox_cli(run, "connect").returncode == 0
    # As the README has it: no client ids, REDIS_URL the database real data would use (only
    # read here), while the sandbox keeps its data in its own.
    env = {k: v for k, v in run["env"].items() if not k.endswith("_CLIENT_ID")}
    env["REDIS_URL"] = re.sub(r"/\d+$", "/13", run["env"]["SANDBOX_REDIS_URL"])

    def cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "worker.ops.cli", *args],
            cwd=run["cwd"],
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )

    status = cli("status", "--json")
    assert status.returncode == 0, status.stderr
    connections = json.loads(status.stdout)["connections"]
    assert connections["lockme"]["connected"] and connections["google"]["connected"]
    assert status.stderr.startswith("note  the running sandbox's data (Redis ")
    routes = cli("routes")
    assert routes.returncode == 0 and len(routes.stdout.splitlines()) == 3, routes.stderr
    assert "Pharaoh's Tomb" in routes.stdout
    check = cli("check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok    lockme: connected" in check.stdout and "ok    google: connected" in check.stdout
    # With client ids set it reads REDIS_URL, and says that this is not the sandbox's data.
    real = cli("status", "--json", LOCKME_CLIENT_ID="a-real-lockme-app")
    assert "a sandbox is running, but client ids are set" in real.stderr


def test_every_command_reads_the_sandbox_from_a_terminal_with_another_redis(
    dev_sandbox: dict[str, Any],
) -> None:
    """A second terminal whose REDIS_URL names a Redis that is not there finds the sandbox
    through the file ``dev`` records it in: blocks listed, previewed and a room routed."""
    run = dev_sandbox
    assert sandbox_cli(run, "connect").returncode == 0
    env = {k: v for k, v in run["env"].items() if not k.endswith("_CLIENT_ID")}
    env.pop("SANDBOX_REDIS_URL")
    env["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    record = Path(env["XDG_RUNTIME_DIR"]) / "lockme-sync" / "sandbox.json"
    assert json.loads(record.read_text())["redis_url"] == run["env"]["SANDBOX_REDIS_URL"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "worker.ops.cli", *args],
            cwd=run["cwd"], env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    listed = cli("blocks")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"5101\t{BLOCKS_CALENDAR_ID}",
        f"5102\t{BLOCKS_CALENDAR_ID}",
    ]
    assert listed.stderr.startswith("note  the running sandbox's data")
    preview = cli("blocks", "5103", BLOCKS_CALENDAR_ID, "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "nothing changed" in preview.stdout
    routed = cli("route", "5103", "primary", "--duration", "90")
    assert routed.returncode == 0, routed.stderr
    assert routed.stdout.startswith("5103\tprimary\t90\tHaunted Manor")
    assert sandbox_cli(run, "rooms").returncode == 0
    # With no record and nothing at REDIS_URL, the note says where it looked.
    env["XDG_RUNTIME_DIR"] = str(run["cwd"])
    alone = cli("status", "--json")
    assert "no sandbox is running (looked in Redis redis://127.0.0.1:1/15 (from REDIS_URL;" in (
        alone.stderr
    )
    assert f"nothing recorded in {run['cwd']}/lockme-sync/sandbox.json" in alone.stderr


def test_cli_reads_the_sandbox_for_every_command_that_reads_data() -> None:
    """A command added later is sandbox-aware unless it starts processes (or is ``sandbox``)."""
    commands = set(cli_module.parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert commands - set(cli_module.SANDBOX_AWARE) == {"worker", "dev", "sandbox"}


def test_sandbox_commands_refuse_bad_input_in_one_line(dev_sandbox: dict[str, Any]) -> None:
    run = dev_sandbox
    unknown_room = sandbox_cli(
        run, "book", "--room", "999", "--date", "2026-12-03", "--hour", "18:00"
    )
    assert unknown_room.returncode == 1
    assert unknown_room.stderr.count("\n") == 1 and "no room '999'" in unknown_room.stderr
    bad_hour = sandbox_cli(run, "book", "--room", "5101", "--date", "2026-12-03", "--hour", "25:99")
    assert bad_hour.returncode == 1 and "not HH:MM" in bad_hour.stderr
    gone = sandbox_cli(run, "cancel", "123")
    assert gone.returncode == 1 and "no live reservation 123" in gone.stderr
    # The control API answers only with the token published in the sandbox's Redis.
    store = redis.Redis.from_url(run["env"]["SANDBOX_REDIS_URL"], decode_responses=True)
    url = str(store.hget(DEFAULT.sandbox_state, "url"))
    assert requests.get(url + "/rooms", timeout=5).status_code == 401


def test_sandbox_pages_book_and_show_the_booking(dev_sandbox: dict[str, Any]) -> None:
    """The pages as a browser without JavaScript uses them: login, banner, book, calendar."""
    run, web = dev_sandbox, requests.Session()
    token = csrf_from(web.get(run["base"] + "/login").text)
    web.post(run["base"] + "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token})
    setup = web.get(run["base"] + "/setup")
    assert setup.status_code == 200 and 'id="sandbox-banner"' in setup.text
    # The checklist never claims the internet reaches a loopback address, and asks for a
    # booking on the sandbox page instead of the Lockme panel's steps.
    assert "127.0.0.1" in setup.text and "reachable from the internet" not in setup.text
    assert "Webhook address reachable by the sandbox&#39;s Lockme" in setup.text
    assert "Make a booking on the Lockme sandbox page." in setup.text
    assert "In the Lockme panel" not in setup.text and "Integrations" not in setup.text
    assert sandbox_cli(run, "connect").returncode == 0
    page = web.get(run["base"] + "/sandbox")
    assert page.status_code == 200 and "Haunted Manor" in page.text
    booked = web.post(
        run["base"] + "/sandbox/book",
        data={
            "csrf_token": csrf_from(page.text),
            "room": "5103",
            "date": "2026-12-04",
            "hour": "20:30",
            "name": "Ewa Zielińska",
            "people": "5",
            "phone": "+48 600 700 800",
        },
    )
    assert booked.status_code == 200 and "Ewa Zieli" in booked.text
    forged = web.post(run["base"] + "/sandbox/book", data={"room": "5103"})
    assert forged.status_code == 400  # CSRF, as on every other form

    def shown() -> bool:
        view = web.get(run["base"] + "/sandbox/calendar", params={"week": "2026-12-04"})
        return "Haunted Manor: Ewa Zielińska" in view.text

    eventually(shown)
    digest = web.get(run["base"] + "/sandbox/calendar/digest").json()["digest"]
    assert len(digest) == 16

    # An unpaid lock.me hold shows as a tentative event until the customer pays.
    page = web.get(run["base"] + "/sandbox")
    hold = {"csrf_token": csrf_from(page.text), "room": "5101", "date": "2026-12-04"}
    hold |= {"hour": "17:30", "name": "Olga Hold", "paid": "no"}
    assert web.post(run["base"] + "/sandbox/book", data=hold).status_code == 200

    def olga() -> tuple[str, str] | None:
        """The hold's event on the calendar page: its classes and its title."""
        view = web.get(run["base"] + "/sandbox/calendar", params={"week": "2026-12-04"}).text
        found = re.search(
            r'<div class="event ([^"]*)"[^>]*>\s*<span class="event-time">[^<]*</span>\s*'
            r'<span class="event-title">([^<]*Olga Hold)</span>',
            view,
        )
        return (found[1], found[2]) if found else None

    classes, title = eventually(olga)
    assert "tentative" in classes.split()
    assert title == "⏳ Rezerwacja nieopłacona · Pharaoh&#39;s Tomb: Olga Hold"
    page = web.get(run["base"] + "/sandbox").text
    pay_url = re.search(r'action="(/sandbox/bookings/\d+/pay)"', page)
    assert pay_url is not None and "unpaid hold" in page
    paid = web.post(run["base"] + pay_url[1], data={"csrf_token": csrf_from(page)})
    assert paid.status_code == 200 and "paid in Lockme" in paid.text
    eventually(lambda: olga() == ("gc-4", "Pharaoh&#39;s Tomb: Olga Hold"))


# --- the control API: bookings and trouble ------------------------------------------------
@pytest.fixture
def sandbox(redis_url: str) -> Iterator[tuple[Sandbox, SandboxClient]]:
    """A sandbox and its control API without the app (webhooks go nowhere)."""
    running, server = control.serve(_settings(redis_url), "http://127.0.0.1:9")
    yield running, SandboxClient(server.url, running.token)
    control.stop(running, server)


def _calendar_list(running: Sandbox) -> int:
    token = running.google.issue_token()["access_token"]
    return requests.get(
        f"{running.google.url}/calendar/v3/users/me/calendarList",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).status_code


def test_trouble_google_down_answers_503_until_it_ends(
    sandbox: tuple[Sandbox, SandboxClient],
) -> None:
    running, client = sandbox
    assert _calendar_list(running) == 200
    assert "google_down" in client.trouble("google_down", 60)["troubles"]
    assert _calendar_list(running) == 503
    assert client.trouble("clear")["troubles"] == {}
    assert _calendar_list(running) == 200
    client.trouble("google_down", 0.3)  # ends by itself
    eventually(lambda: not client.state()["troubles"])
    assert _calendar_list(running) == 200


def test_trouble_lockme_slow_and_google_revoked(sandbox: tuple[Sandbox, SandboxClient]) -> None:
    running, client = sandbox
    client.trouble("lockme_slow", 60)
    assert running.lockme.latency > 0
    client.trouble("clear")
    assert running.lockme.latency == 0
    client.connect()
    assert running.google.refresh_tokens
    assert client.trouble("google_revoked")["troubles"] == {"google_revoked": None}
    assert not running.google.refresh_tokens
    client.connect()  # reconnecting ends it
    assert client.state()["troubles"] == {}
    with pytest.raises(SandboxError, match="unknown trouble"):
        client.trouble("meteor")


def test_control_api_books_edits_cancels_and_refuses_bad_input(
    sandbox: tuple[Sandbox, SandboxClient],
) -> None:
    running, client = sandbox
    made = client.book(room="prison break", date="2026-12-03", hour="17:30", name="Jan Kos")
    reservation = running.lockme.live_reservations()[made["reservationId"]]
    assert (reservation["roomid"], reservation["hour"], reservation["surname"]) == (
        5102,
        "17:30:00",
        "Kos",
    )
    # An hour off the room's slots is refused, as a customer on lock.me cannot pick one.
    with pytest.raises(
        SandboxError, match="17:15 is not a slot of Prison Break on 2026-12-03"
    ) as off:
        client.book(room="5102", date="2026-12-03", hour="17:15")
    # The page says it in its own language: the refusal names its words and their values.
    assert (off.value.key, off.value.values["hour"], off.value.values["room"]) == (
        "off_slot",
        "17:15",
        "Prison Break",
    )
    assert off.value.values["slots"].startswith("10:00, 11:30, 13:00")
    with pytest.raises(SandboxError, match=r"no live reservation 1$") as gone:
        client.cancel(1)
    assert (gone.value.key, gone.value.values) == ("refused", {"error": "no live reservation 1"})
    with pytest.raises(SandboxError, match="its slots are 10:00, 11:30, 13:00"):
        client.edit(made["reservationId"], hour="18:00")
    message = client.edit(made["reservationId"], room="5101", people="6")["messageId"]
    assert running.lockme.messages[message]["roomid"] == 5101
    assert running.lockme.messages[message]["data"]["people"] == 6
    [hook] = eventually(
        lambda: [
            h for h in client.state()["webhooks"] if h["messageId"] == message and h["deliveries"]
        ]
    )
    # Delivered to nowhere: it stays unacknowledged and will be delivered again.
    assert hook | {"deliveries": 1} == {
        "messageId": message,
        "action": "edit",
        "reservationId": made["reservationId"],
        "deliveries": 1,
        "acknowledged": False,
    }
    cancelled = client.cancel(made["reservationId"])["messageId"]
    assert running.lockme.messages[cancelled]["action"] == "delete"
    assert client.bookings() == []
    assert running.lockme.messages[client.test_message()["messageId"]]["action"] == "test"
    for bad, error in (
        ({"room": "5101", "date": "03.12.2026", "hour": "17:00"}, "not YYYY-MM-DD"),
        ({"room": "5101", "date": "2026-12-03"}, "hour is required"),
        ({"room": "5101", "date": "2026-12-03", "hour": "17:00", "people": "0"}, "people"),
    ):
        with pytest.raises(SandboxError, match=error):
            client.book(**bad)
    with pytest.raises(SandboxError, match="no live reservation"):
        client.edit(made["reservationId"], hour="10:00")


def test_control_api_books_an_unpaid_hold_and_pays_it(
    sandbox: tuple[Sandbox, SandboxClient],
) -> None:
    running, client = sandbox
    paid = client.book(room="5101", date="2026-12-03", hour="17:30")["reservationId"]
    hold = client.book(room="5101", date="2026-12-03", hour="19:00", paid="no")["reservationId"]
    reservations = running.lockme.live_reservations()
    assert (reservations[paid]["status"], reservations[hold]["status"]) == (1, 0)
    assert reservations[hold]["source"] == "web"
    message = client.edit(hold, paid="yes")["messageId"]
    assert running.lockme.messages[message]["action"] == "edit"
    assert running.lockme.messages[message]["data"]["status"] == 1
    with pytest.raises(SandboxError, match="paid 'later' is not yes or no"):
        client.edit(hold, paid="later")


def test_a_second_sandbox_never_flushes_a_running_one(
    sandbox: tuple[Sandbox, SandboxClient], redis_url: str
) -> None:
    running, client = sandbox
    client.connect()
    second = Sandbox(_settings(redis_url), "http://127.0.0.1:9")
    with pytest.raises(SandboxError, match="already running"):
        second.start("http://127.0.0.1:10")
    second.stop()
    assert client.state()["troubles"] == {}  # the first one still answers, its data kept
    store = redis.Redis.from_url(running.redis_url, decode_responses=True)
    assert store.exists(DEFAULT.token("lockme"))
    assert store.hget(DEFAULT.sandbox_state, "url") == running.control_url  # still published


# --- staff events and the slots of the demo's blocks ------------------------------------
def test_control_api_adds_moves_and_deletes_staff_events(
    sandbox: tuple[Sandbox, SandboxClient],
) -> None:
    running, client = sandbox
    times = {"date": "2026-12-03", "from": "13:00", "to": "15:30"}
    made = client.staff_add(title="Boiler repair", **times)
    assert made["calendar"] == BLOCKS_CALENDAR_ID  # the demo's Closed calendar by default
    stored = running.google.event(BLOCKS_CALENDAR_ID, made["eventId"])
    assert stored is not None and stored["summary"] == "Boiler repair"
    assert stored["start"]["dateTime"].startswith("2026-12-03T13:00:00")
    [listed] = [e for e in client.events() if e["id"] == made["eventId"]]
    assert (listed["staff"], listed["busy"], listed["allDay"]) == (True, True, False)

    client.staff_move(made["eventId"], date="2026-12-04", allDay=True)
    moved = running.google.event(BLOCKS_CALENDAR_ID, made["eventId"])
    assert moved is not None and moved["start"] == {"date": "2026-12-04"}
    assert moved["end"] == {"date": "2026-12-05"}

    free = client.staff_add(
        calendar="haunted manor", date="2026-12-03", **{"from": "10:00"}, to="11:00", busy="no"
    )
    assert free["calendar"] == "haunted-manor@sandbox.example"
    [listed] = [e for e in client.events() if e["id"] == free["eventId"]]
    assert listed["busy"] is False

    client.staff_delete(made["eventId"])
    assert running.google.event(BLOCKS_CALENDAR_ID, made["eventId"]) is None
    assert made["eventId"] not in {e["id"] for e in client.events()}
    with pytest.raises(SandboxError, match="no staff event"):
        client.staff_delete(made["eventId"])


def test_control_api_refuses_bad_staff_events_and_leaves_the_calendars_alone(
    sandbox: tuple[Sandbox, SandboxClient],
) -> None:
    _, client = sandbox
    for bad, error in (
        ({"date": "3.12.2026", "from": "10:00", "to": "11:00"}, "not YYYY-MM-DD"),
        ({"date": "2026-12-03", "from": "10:00"}, "to is required"),
        ({"date": "2026-12-03", "from": "12:00", "to": "11:00"}, "later than from"),
        ({"date": "2026-12-03", "from": "25:00", "to": "26:00"}, "not HH:MM"),
        ({"date": "2026-12-03", "allDay": True, "calendar": "Attic"}, "no calendar 'Attic'"),
        ({"date": "2026-12-03", "allDay": True, "busy": "maybe"}, "busy 'maybe'"),
    ):
        with pytest.raises(SandboxError, match=error):
            client.staff_add(**bad)
    assert client.events() == []
    with pytest.raises(SandboxError, match="no staff event"):
        client.staff_move("nope", date="2026-12-03", allDay=True)
    with pytest.raises(SandboxError, match="is not YYYY-MM-DD"):
        client.slots("tomorrow")


def test_slots_show_free_booked_and_the_rooms_blocks_calendar(
    sandbox: tuple[Sandbox, SandboxClient],
) -> None:
    running, client = sandbox
    made = client.book(room="5101", date="2026-12-03", hour="13:00", name="Ewa Lis")
    # Lockme's panel allows an hour off the slots (the sandbox's form does not).
    running.lockme.create_reservation(5103, "2026-12-03", "18:15:00", name="Off Slot")
    board = {room["room"]: room["slots"] for room in client.slots("2026-12-03")}
    assert set(board) == {5101, 5102, 5103}
    tomb = {slot["hour"]: slot for slot in board[5101]}
    assert tomb["13:00"] == {
        "hour": "13:00",
        "state": "booked",
        "reservationId": made["reservationId"],
        "name": "Ewa Lis",
    }
    assert {slot["state"] for hour, slot in tomb.items() if hour != "13:00"} == {"free"}
    assert "18:15" in {slot["hour"] for slot in board[5103]}  # off the slots, still shown
    blocks = {room["id"]: room["blocksCalendar"] for room in client.rooms()}
    assert blocks == {5101: BLOCKS_CALENDAR_ID, 5102: BLOCKS_CALENDAR_ID, 5103: ""}
    assert [b["block"] for b in client.bookings()] == [False, False]


def slot_states(run: dict[str, Any], day: str) -> dict[tuple[int, str], str]:
    """(room, hour) -> free, booked or blocked, as ``sandbox slots`` prints them."""
    listed = sandbox_cli(run, "slots", "--date", day, "--json")
    assert listed.returncode == 0, listed.stderr
    return {
        (room["room"], slot["hour"]): slot["state"]
        for room in json.loads(listed.stdout)
        for slot in room["slots"]
    }


def test_staff_events_block_the_demo_rooms_slots_through_push(
    dev_sandbox: dict[str, Any],
) -> None:
    """The demo's Closed calendar blocks the front-desk rooms once connected: a staff event
    added, moved and deleted with the commands closes and opens their Lockme slots, and a
    customer's booking under one stays as it is."""
    run, day = dev_sandbox, tomorrow()  # blocks close future slots only
    assert sandbox_cli(run, "connect").returncode == 0
    customer = sandbox_cli(run, "book", "--room", "5101", "--date", day, "--hour", "19:00")
    assert customer.returncode == 0, customer.stderr
    added = sandbox_cli(
        run, "staff-event", "add", "--title", "Pipe burst", "--date", day,
        "--from", "12:30", "--to", "14:00",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    event_id = added.stdout.strip()
    eventually(lambda: slot_states(run, day)[5101, "13:00"] == "blocked", timeout=30)
    states = slot_states(run, day)
    assert states[5102, "13:00"] == "blocked"  # the rooms share the Closed calendar
    assert states[5103, "13:00"] == "free"  # Haunted Manor takes no blocks
    assert states[5101, "11:30"] == states[5101, "14:30"] == "free"
    listed = sandbox_cli(run, "events")
    assert f"Pipe burst  (staff event {event_id}, busy)" in listed.stdout

    moved = sandbox_cli(
        run, "staff-event", "move", event_id, "--date", day, "--from", "18:30", "--to", "20:00"
    )
    assert moved.returncode == 0, moved.stderr
    eventually(lambda: slot_states(run, day)[5102, "19:00"] == "blocked", timeout=30)
    eventually(lambda: slot_states(run, day)[5101, "13:00"] == "free", timeout=30)
    assert slot_states(run, day)[5101, "19:00"] == "booked"  # the customer's, left alone
    assert [b["name"] for b in _bookings(run) if not b["block"]] == ["Anna"]

    deleted = sandbox_cli(run, "staff-event", "delete", event_id)
    assert deleted.returncode == 0, deleted.stderr
    eventually(lambda: slot_states(run, day)[5102, "19:00"] == "free", timeout=30)
    assert slot_states(run, day)[5101, "19:00"] == "booked"
    assert all(not b["block"] for b in _bookings(run))
    gone = sandbox_cli(run, "staff-event", "delete", event_id)
    assert gone.returncode == 1 and f"no staff event {event_id}" in gone.stderr


def _bookings(run: dict[str, Any]) -> list[dict[str, Any]]:
    return SandboxClient(*published(load_settings(env=run["env"]))).bookings()


def test_sandbox_pages_add_move_and_delete_a_staff_event(dev_sandbox: dict[str, Any]) -> None:
    """The forms as a browser without JavaScript posts them: the staff event is drawn apart
    from booking events, and the sandbox page shows the slot it blocks."""
    run, web, day = dev_sandbox, requests.Session(), tomorrow()
    token = csrf_from(web.get(run["base"] + "/login").text)
    web.post(run["base"] + "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token})
    assert sandbox_cli(run, "connect").returncode == 0
    week = web.get(run["base"] + "/sandbox/calendar", params={"week": day})
    assert 'id="new-staff-event"' in week.text
    form = {"csrf_token": csrf_from(week.text), "calendar": BLOCKS_CALENDAR_ID, "date": day}
    form |= {"from": "14:00", "to": "15:00", "busy": "yes", "title": ""}
    added = web.post(run["base"] + "/sandbox/staff-events", data=form)
    assert added.status_code == 200 and "Staff event added" in added.text
    found = re.search(r'<div class="event staff" data-staff="([0-9a-f]+)">', added.text)
    assert found is not None and "Staff only" in added.text  # the default title
    event_id = found[1]

    def slot(hour: str) -> str:
        page = web.get(run["base"] + "/sandbox", params={"day": day}).text
        state = re.search(rf'id="slot-5101-{hour}" class="[^"]*" data-state="(\w+)"', page)
        assert state is not None, page
        return state[1]

    eventually(lambda: slot("1430") == "blocked")
    assert "Blocked — Google Calendar" in web.get(run["base"] + "/sandbox?day=" + day).text
    moved = web.post(
        run["base"] + f"/sandbox/staff-events/{event_id}",
        data={"csrf_token": form["csrf_token"], "date": day, "allDay": "yes"},
    )
    assert moved.status_code == 200 and "Staff event moved" in moved.text
    drawn = re.search(r'<th scope="row">All day</th>(.*?)</tr>', moved.text, re.S)
    assert drawn is not None and f'data-staff="{event_id}"' in drawn[1]  # the all-day row
    eventually(lambda: slot("2200") == "blocked")  # the whole day now
    deleted = web.post(
        run["base"] + f"/sandbox/staff-events/{event_id}/delete",
        data={"csrf_token": form["csrf_token"], "week": day},
    )
    assert deleted.status_code == 200 and f'data-staff="{event_id}"' not in deleted.text
    eventually(lambda: slot("1430") == "free" and slot("2200") == "free")
    refused = web.post(
        run["base"] + f"/sandbox/staff-events/{event_id}/delete",
        data={"csrf_token": form["csrf_token"]},
    )
    assert f"no staff event {event_id}" in refused.text


@pytest.mark.parametrize(
    ("given", "expected"),
    [("tomorrow", "2026-12-07"), ("Today", "2026-12-06"), ("2026-12-24", "2026-12-24")],
)
def test_sandbox_dates_may_be_today_or_tomorrow_in_the_venues_zone(
    given: str, expected: str
) -> None:
    # 23:30 UTC on the 5th is already the 6th in Warsaw.
    late = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert day(given, ZoneInfo("Europe/Warsaw"), now=late) == expected


def test_sandbox_pages_show_what_was_just_done(dev_sandbox: dict[str, Any]) -> None:
    """The form's defaults sit on the room's slots; a booking links to its week, which the
    calendar page opens on by itself; a hold reads as a hold; the staff events' hint names
    the rooms that take blocks now."""
    run, web = dev_sandbox, requests.Session()
    token = csrf_from(web.get(run["base"] + "/login").text)
    web.post(run["base"] + "/login", data={"password": ADMIN_PASSWORD, "csrf_token": token})
    assert sandbox_cli(run, "connect").returncode == 0
    page = web.get(run["base"] + "/sandbox").text
    default = re.search(r'id="new-hour" name="hour" type="time" required value="([^"]*)"', page)
    assert default is not None and default[1] in slot_hours(run, tomorrow(), 5101)
    later = (date.fromisoformat(tomorrow()) + timedelta(days=15)).isoformat()
    form = {"csrf_token": csrf_from(page), "room": "5103", "date": later, "hour": "19:00"}
    booked = web.post(run["base"] + "/sandbox/book", data={**form, "name": "Ewa Lis"})
    assert f'href="/sandbox/calendar?week={later}"' in booked.text
    eventually(lambda: "Haunted Manor: Ewa Lis" in web.get(run["base"] + "/sandbox/calendar").text)
    hold = {**form, "room": "5101", "hour": "13:00", "name": "Olga Hold", "paid": "no"}
    assert web.post(run["base"] + "/sandbox/book", data=hold).status_code == 200
    slots = web.get(run["base"] + "/sandbox", params={"day": later}).text
    assert re.search(r'id="slot-5101-1300" class="[^"]*" data-state="held"', slots)
    assert "Held, unpaid — Olga Hold" in slots
    calendar = web.get(run["base"] + "/sandbox/calendar").text
    assert "Closed calendar blocks the covered Lockme slots of Pharaoh's Tomb, Prison Break" in (
        calendar.replace("&#39;", "'")
    )
    off = subprocess.run(
        [sys.executable, "-m", "worker.ops.cli", "blocks", "5101", "--off"],
        cwd=run["cwd"], env=run["env"] | {"LOCKME_CLIENT_ID": ""}, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert off.returncode == 0, off.stderr
    calendar = web.get(run["base"] + "/sandbox/calendar").text
    assert "Lockme slots of Prison Break;" in calendar


def slot_hours(run: dict[str, Any], day: str, room: int) -> list[str]:
    return [hour for (room_id, hour) in slot_states(run, day) if room_id == room]
