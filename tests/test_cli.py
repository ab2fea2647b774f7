"""The ``lockme-sync`` commands, run in-process against the fakes and a real Redis."""

from __future__ import annotations

import json

import pytest

from tests.conftest import deliver, drain, settings_env
from worker.booking import event_id
from worker.cli import main
from worker.config import ConfigError, load_settings


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


def test_dotenv_is_read_and_environment_wins(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text(
        "VENUE_TIMEZONE=Europe/Berlin\nPUBLIC_URL='https://x.example/'\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VENUE_TIMEZONE", "Europe/Prague")
    settings = load_settings()
    assert settings.venue_timezone == "Europe/Prague"
    assert settings.public_url == "https://x.example"


def test_check_passes_when_connected_and_fails_when_revoked(env, fake_google, capsys):
    assert main(["check"]) == 0
    assert "ok    google" in capsys.readouterr().out
    fake_google.revoke()
    fake_google.expire_access_tokens()
    assert main(["check"]) == 1
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


def test_route_and_routes(env, capsys):
    assert main(["route", "5", "bunker@group.calendar.google.com", "--duration", "90"]) == 0
    assert main(["route", "6", "primary"]) == 0
    capsys.readouterr()
    assert main(["routes"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "5\tbunker@group.calendar.google.com\t90",
        "6\tprimary\t60",
    ]
    assert main(["route", "5", "x", "--duration", "0"]) == 2


def test_replay_requeues_failures(env, runtime, fake_lockme, capsys):
    runtime.store.record_failure(77, "boom", kind="transient")
    runtime.store.park(78, "google")
    assert main(["replay"]) == 0
    assert "re-queued 2 message(s): [77, 78]" in capsys.readouterr().out
    assert sorted(runtime.queue.job_ids) == ["msg-77", "msg-78"]


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
    assert (
        "dry run: checked 0, created 1, updated 1, deleted 1, errors 0" in capsys.readouterr().out
    )
    assert str(kept) not in fake_google.live_events_by_reservation()

    assert main(["reconcile", "--days", "5"]) == 0
    assert "checked 0, created 1, updated 1, deleted 1, errors 0" in capsys.readouterr().out
    live = fake_google.live_events_by_reservation()
    assert set(live) == {str(kept), str(edited)}
    assert live[str(edited)][0][1]["summary"] != "changed by hand"
    assert main(["reconcile", "--days", "5"]) == 0
    assert "checked 2, created 0, updated 0, deleted 0, errors 0" in capsys.readouterr().out
