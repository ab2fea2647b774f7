"""The ``lockme-sync`` commands, run in-process against the fakes and a real Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import deliver, drain, settings_env
from worker.config import ConfigError, load_settings
from worker.domain.booking import event_id
from worker.flows.reconcile import ReadStep
from worker.ops import cli
from worker.ops import terminal as report
from worker.ops.cli import main


@pytest.fixture
def env(monkeypatch, tmp_path, settings, runtime, fake_lockme, fake_google):
    """The process environment the CLI reads (and no stray .env from the checkout)."""
    monkeypatch.chdir(tmp_path)
    values = settings_env(settings)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_missing_required_setting_is_one_clear_line(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("SECRET_KEY", "ADMIN_PASSWORD", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match=r"^SECRET_KEY is not set"):
        load_settings().require()
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SECRET_KEY" in err and "Traceback" not in err


def test_invalid_timezone_and_duration_are_rejected():
    with pytest.raises(ConfigError, match="VENUE_TIMEZONE"):
        load_settings(env={"VENUE_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="DEFAULT_DURATION_MINUTES"):
        load_settings(env={"DEFAULT_DURATION_MINUTES": "0"})


def test_venue_language_defaults_from_the_time_zone():
    assert load_settings(env={}).venue_language == "pl"  # Europe/Warsaw
    assert load_settings(env={"VENUE_TIMEZONE": "Europe/Berlin"}).venue_language == "en"
    assert load_settings(env={"VENUE_LANGUAGE": "EN"}).venue_language == "en"
    with pytest.raises(ConfigError, match="VENUE_LANGUAGE"):
        load_settings(env={"VENUE_LANGUAGE": "de"})


def test_dotenv_is_read_and_environment_wins(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text(
        "VENUE_TIMEZONE=Europe/Berlin\nPUBLIC_URL='https://x.example/'\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VENUE_TIMEZONE", "Europe/Prague")
    settings = load_settings()
    assert settings.venue_timezone == "Europe/Prague"
    assert settings.public_url == "https://x.example"


def test_check_passes_when_connected_and_warns_when_revoked(env, fake_google, capsys):
    assert main(["check"]) == 0
    assert "ok    google" in capsys.readouterr().out
    fake_google.revoke()
    fake_google.expire_access_tokens()
    assert main(["check"]) == 0  # a remote problem must not block a deploy
    assert "warn  google" in capsys.readouterr().out
    assert main(["check", "--strict"]) == 1
    assert "FAIL  google" in capsys.readouterr().out


def test_check_fails_when_redis_is_down(env, monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert main(["check"]) == 1
    assert "FAIL  redis" in capsys.readouterr().out


def test_status_json_shape(env, client, runtime, fake_lockme, capsys):
    _, ok = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    bad = fake_lockme.put_message({"action": "add", "roomid": 5, "reservationid": 9, "data": None})
    for mid in (ok, bad):
        deliver(client, mid)
    drain(runtime)
    capsys.readouterr()  # the web's and worker's log lines; status logs to stderr
    assert main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["connections"]["lockme"] == {
        "connected": True,
        "account": fake_lockme.nick,
        "error": None,
    }
    assert data["connections"]["google"]["account"] == "staff@example.com"
    assert set(data["queue"]) >= {"queued", "started", "scheduled", "failed", "oldest_queued_age_s"}
    assert data["failures"][0]["message_id"] == bad
    assert data["failures"][0]["reason"] == "data is None, not an object"
    assert {r["message_id"] for r in data["recent"]} == {ok, bad}
    created = next(r for r in data["recent"] if r["message_id"] == ok)
    assert created["result"] == "created" and created["calendar_id"] == "primary"


def test_route_and_routes(env, fake_lockme, fake_google, capsys):
    fake_lockme.add_room(5, "Bunker")
    fake_lockme.add_room(6, "Lab")
    fake_google.add_calendar("bunker@group.calendar.google.com", "Bunker room", "writer")
    assert main(["route", "5", "bunker@group.calendar.google.com", "--duration", "90"]) == 0
    assert main(["route", "6", "primary"]) == 0
    capsys.readouterr()
    assert main(["routes"]) == 0
    # Piped (as here): one line per route, no header, as scripts expect.
    assert capsys.readouterr().out.splitlines() == [
        "5\tbunker@group.calendar.google.com\t90\tBunker",
        "6\tprimary\t60\tLab",
    ]
    assert main(["route", "5", "x", "--duration", "0"]) == 2


def test_route_sets_whether_holds_show(env, runtime, fake_lockme, capsys):
    fake_lockme.add_room(5, "Bunker")
    assert main(["route", "5", "primary", "--duration", "90"]) == 0
    assert runtime.store.routes.route(5).holds == "show"
    assert main(["route", "5", "primary", "--holds", "hide"]) == 0
    route = runtime.store.routes.route(5)
    assert (route.holds, route.duration_minutes) == ("hide", 90)  # the rest is kept
    assert main(["route", "5", "primary"]) == 0
    assert runtime.store.routes.route(5).holds == "hide"  # not given: unchanged
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["route", "5", "primary", "--holds", "maybe"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'maybe'" in err
    assert runtime.store.routes.route(5).holds == "hide"


def test_route_refuses_unknown_rooms_and_calendars(env, runtime, fake_lockme, fake_google, capsys):
    fake_lockme.add_room(5, "Bunker")
    fake_google.add_calendar("holidays@group.calendar.google.com", "Holidays", "reader")
    capsys.readouterr()
    assert main(["route", "999", "primary"]) == 1
    err = capsys.readouterr().err
    assert err == "lockme-sync: Lockme has no room 999 (see lockme-sync routes or /setup/rooms)\n"
    for calendar in ("nope@example.com", "holidays@group.calendar.google.com"):
        assert main(["route", "5", calendar]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cannot write to a calendar" in err
    assert runtime.store.routes.routes() == {}  # nothing saved


def test_bad_arguments_are_one_line(env, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["route", "999"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "calendar_id" in err and "--help" in err
    with pytest.raises(SystemExit):
        main(["route", "x", "primary"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid int value: 'x'" in err


def test_redis_down_is_one_line(env, monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    for command in (["status"], ["routes"], ["reconcile", "--days", "1"]):
        assert main(command) == 3
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Redis is not reachable" in err, command


def test_a_redis_error_is_one_line(env, runtime, capsys):
    runtime.redis.set(runtime.keys.routes, "not a hash")  # e.g. a key written by another app
    capsys.readouterr()
    assert main(["routes"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Redis answered with an error: ResponseError" in err


def test_not_connected_is_one_line(env, runtime, capsys):
    runtime.store.tokens.delete_token("lockme")
    capsys.readouterr()
    assert main(["reconcile", "--days", "1"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "lockme-sync: Lockme is not connected (connect it on the setup page)"
    ]


def test_status_reads_well_for_a_person(env, client, runtime, fake_lockme, fake_google, capsys):
    fake_lockme.add_room(5, "Bunker")
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    deliver(client, mid)
    drain(runtime)
    runtime.store.tokens.delete_token("google")
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"Lockme: connected as {fake_lockme.nick}" in out
    assert "Google: not set up (connect it on the setup page)" in out
    assert "Recent syncs (times in Europe/Warsaw):" in out
    line = next(line for line in out.splitlines() if "Bunker (#5)" in line)
    assert "new booking: added to calendar for 2026-04-10 17:00" in line
    stamp = runtime.store.history.recent(1)[0]["at"]
    assert report.venue_time(stamp, ZoneInfo("Europe/Warsaw")) in line  # venue time, not UTC


def test_status_says_blocks_in_words_and_folds_their_echoes(env, runtime, capsys):
    """The terminal uses the page's words, and a block's echo adds no line of its own."""
    conflict = {"action": "block", "room_id": 5, "date": "2026-04-10", "hour": "13:00"}
    runtime.store.history.record_sync({**conflict, "result": "conflict", "reservation_id": None})
    runtime.store.history.record_sync(
        {**conflict, "hour": "14:30", "result": "blocked", "reservation_id": 71}
    )
    echo = {"action": "add", "room_id": 5, "result": "own_block", "reservation_id": 71}
    runtime.store.history.record_sync({**echo, "message_id": 901})
    runtime.store.history.record_sync({**echo, "reservation_id": 72, "message_id": 902})  # no row
    runtime.store.failures.record_failure(7012, "Lockme GET /message/7012: 404", kind="permanent")
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    recent = out.split("Recent syncs")[1]
    assert "block a slot: left alone: a customer holds the slot for 2026-04-10 13:00" in recent
    assert "booking 71  #5  block a slot: blocked in Lockme for 2026-04-10 14:30" in recent
    assert "message 901" not in recent and "booking 71" in recent
    assert "booking 72  #5  new booking: the app's own block" in recent
    for code in ("None", "own_block", "→", "conflict"):
        assert code not in recent, code
    # A failure says its cause as the page does; the API's own text stays beside it.
    assert "message 7012: Lockme no longer has this message. (Lockme GET /message/7012" in out


def test_closed_pipe_is_one_line_and_non_zero(env, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "worker.ops.cli", "status"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    process.stdout.close()  # the reader is gone before the command writes
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "lockme-sync: output closed before the end (broken pipe)"


def test_reconcile_progress_is_a_bar_on_a_terminal():
    controller, terminal = os.openpty()
    with os.fdopen(terminal, "w") as tty:
        progress = report.Progress(tty, {5: "Bunker"})
        for day in range(3):
            progress(ReadStep(5, 0, 1, day, 3, 0))
    chunks = []
    while True:  # a pty hands its output over in pieces; EIO once the terminal is closed
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    shown = b"".join(chunks).decode()
    assert shown.count("\r[") == 3
    assert "[##########--------------------] 1/3 room-days  Bunker (#5)" in shown
    assert "[##############################] 3/3 room-days  Bunker (#5)" in shown


def test_dev_port_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    assert cli._env_port() == 5123
    monkeypatch.delenv("PORT")
    assert cli._env_port() == 5000
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(ConfigError, match="PORT must be a port number"):
        cli._env_port()


def test_replay_requeues_failures(env, runtime, fake_lockme, capsys):
    runtime.store.failures.record_failure(77, "boom", kind="transient")
    runtime.store.failures.park(78, "google")
    assert main(["replay"]) == 0
    assert "re-queued 2 message(s): [77, 78]" in capsys.readouterr().out
    # The failure is a replay job at once; the parked message goes back through the inbox,
    # which the dispatcher admits in bounded batches.
    assert runtime.queue.job_ids == ["msg-77"]
    assert runtime.redis.zscore(runtime.keys.inbox_pending, "78") is not None
    assert runtime.store.failures.parked() == {}


def test_reconcile_creates_fixes_and_deletes(env, runtime, fake_lockme, fake_google, capsys):
    from datetime import date, timedelta

    day = (date.today() + timedelta(days=2)).isoformat()
    kept, _ = fake_lockme.create_reservation(5, day, "10:00:00")  # message lost: never delivered
    edited, m_edited = fake_lockme.create_reservation(5, day, "12:00:00")
    gone, m_gone = fake_lockme.create_reservation(5, day, "14:00:00")
    runtime.syncer.handle(m_edited)
    runtime.syncer.handle(m_gone)
    fake_lockme.delete_reservation(gone)  # delete message lost
    primary = fake_google.email
    event = fake_google.event(primary, event_id(edited))
    event_patch = {**event, "summary": "changed by hand"}
    runtime.calendar.update("primary", event_id(edited), event_patch)

    assert main(["reconcile", "--days", "5", "--dry-run"]) == 0
    dry = capsys.readouterr()
    assert "dry run: checked 0, created 1, updated 1, deleted 1, skipped 0, errors 0" in dry.out
    assert f"would create booking {kept} in " in dry.out
    assert f"would update booking {edited} in " in dry.out
    assert f"would delete booking {gone} in " in dry.out
    assert "room 1/1 Room 5 (#5): 6 days read, 2 bookings" in dry.err  # one progress line per room
    assert str(kept) not in fake_google.live_events_by_reservation()

    assert main(["reconcile", "--days", "5"]) == 0
    assert (
        "checked 0, created 1, updated 1, deleted 1, skipped 0, errors 0" in capsys.readouterr().out
    )
    live = fake_google.live_events_by_reservation()
    assert set(live) == {str(kept), str(edited)}
    assert live[str(edited)][0][1]["summary"] != "changed by hand"
    assert main(["reconcile", "--days", "5"]) == 0
    assert (
        "checked 2, created 0, updated 0, deleted 0, skipped 0, errors 0" in capsys.readouterr().out
    )


FORGED = "Nick\n\x1b[2Kok    forged line\u2028ok    x\t9"


def test_names_from_outside_cannot_forge_terminal_lines(env, runtime, fake_lockme, capsys):
    """Issue 19: the nick and room names were printed raw by check, status and routes."""
    runtime.store.connections.set_connection("lockme", account=FORGED)
    fake_lockme.add_room(5, FORGED)
    assert main(["route", "5", "primary"]) == 0
    assert main(["routes"]) == 0
    assert main(["check"]) == 0
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines():
        assert not line.startswith("ok    forged") and "\x1b" not in line
    assert "\u2028" not in out
    assert "Nick\\n\\x1b[2Kok    forged line\\u2028ok    x\\t9" in out
    routes = [line for line in out.splitlines() if line.startswith("5\t")]
    assert routes and all(line.count("\t") == 3 for line in routes)
