"""``lockme-sync blocks``: preview, turn on, list, confirm held removals, turn off; and the
``blocks`` key of ``status --json``. In-process, against the fakes and a real Redis."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import settings_env
from worker.domain.identity import is_block_extid
from worker.flows.blocks.calendar_sync import BlocksSync
from worker.jobs.blocks_sync import pending_job
from worker.ops.cli import main
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

CAL = "closed@group.calendar.google.com"
ROOM = 101
TZ = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def env(monkeypatch, tmp_path, settings, runtime, fake_lockme, fake_google):
    monkeypatch.chdir(tmp_path)
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    fake_lockme.add_room(ROOM, "Pharaoh's Tomb")
    fake_google.add_calendar(CAL, "Closed", "owner")


def local(days: int, hour: int) -> datetime:
    day = datetime.now(TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def lockme_blocks(fake: FakeLockme) -> list[dict]:
    return [r for r in fake.live_reservations().values() if is_block_extid(r.get("extid"))]


def test_dry_run_prints_the_slots_and_changes_nothing(
    env, capsys, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    day = local(1, 0).date().isoformat()
    fake_lockme.create_reservation(ROOM, day, "13:00:00", name="Ada")
    fake_google.staff_event(CAL, "Boiler", local(1, 11), local(1, 14))
    assert main(["blocks", str(ROOM), CAL, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{ROOM}\t{day}\t11:30\twould block" in out
    assert f"{ROOM}\t{day}\t13:00\ta customer's booking holds it" in out
    assert "1 slot(s) would be blocked, 1 held by customers" in out
    assert fake_lockme.count("PUT", r"/reservation$") == 0
    assert main(["blocks"]) == 0
    assert capsys.readouterr().out == ""  # the setting was not changed either


def test_turning_blocks_on_sets_the_calendar_and_queues_its_sync(
    env, capsys, runtime: Runtime, fake_google: FakeGoogle
) -> None:
    assert main(["blocks", str(ROOM), CAL]) == 0
    assert "blocks on for room 101" in capsys.readouterr().out
    assert main(["blocks"]) == 0
    assert capsys.readouterr().out == f"{ROOM}\t{CAL}\n"
    queued = pending_job(runtime, CAL)
    assert queued is not None and runtime.queue.fetch_job(queued) is not None


def test_off_removes_the_room_s_blocks_only(
    env, capsys, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    customer, _ = fake_lockme.create_reservation(ROOM, local(2, 0).date().isoformat(), "13:00:00")
    fake_google.staff_event(CAL, "Closed", local(1, 9), local(1, 12))
    assert main(["blocks", str(ROOM), CAL]) == 0
    BlocksSync(runtime).sync(CAL)
    assert len(lockme_blocks(fake_lockme)) == 2
    assert main(["blocks", str(ROOM), "--off"]) == 0
    assert "removed 2 block(s)" in capsys.readouterr().out
    assert lockme_blocks(fake_lockme) == []
    assert customer in fake_lockme.live_reservations()


def test_confirm_applies_held_removals(
    env, capsys, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    ids = [fake_google.staff_event(CAL, "Closed", local(d, 9), local(d, 23)) for d in (1, 2, 3)]
    assert main(["blocks", str(ROOM), CAL]) == 0
    sync = BlocksSync(runtime)
    sync.sync(CAL)
    made = len(lockme_blocks(fake_lockme))
    for eid in ids:
        fake_google.delete_staff_event(CAL, eid)
    fake_google.invalidate_sync_tokens()
    assert sync.sync(CAL).held
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)["blocks"]
    assert status["rooms"] == {str(ROOM): CAL}
    assert status["active"] == made and status["held"][0]["calendar_id"] == CAL
    assert status["last_sync_at"]
    assert main(["blocks", str(ROOM), "--confirm"]) == 0
    assert f"applied: {made} removed" in capsys.readouterr().out
    assert lockme_blocks(fake_lockme) == []


def test_confirm_blocks_a_held_long_event_and_queues_the_rest(
    env, capsys, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    assert main(["blocks", str(ROOM), CAL]) == 0
    BlocksSync(runtime).sync(CAL)  # the first read: nothing to block
    fake_google.staff_event(CAL, "Refurbishment", local(1, 0), local(31, 0))
    assert BlocksSync(runtime).sync(CAL).held and lockme_blocks(fake_lockme) == []
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    [held] = json.loads(capsys.readouterr().out)["blocks"]["held"]
    assert held["creates"] == 270 and held["frees"] == 0
    assert main(["blocks", str(ROOM), "--confirm"]) == 0
    out = capsys.readouterr().out
    assert "applied: 0 removed, 200 blocked; the rest follows in the background" in out
    assert len(lockme_blocks(fake_lockme)) == 200
    queued = pending_job(runtime, CAL)
    assert queued is not None and runtime.queue.fetch_job(queued) is not None


def test_status_json_lists_conflicts(
    env, capsys, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    day = local(1, 0).date().isoformat()
    fake_lockme.create_reservation(ROOM, day, "13:00:00")
    event = fake_google.staff_event(CAL, "Team day", local(1, 12), local(1, 14))
    assert main(["blocks", str(ROOM), CAL]) == 0
    BlocksSync(runtime).sync(CAL)
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    conflicts = json.loads(capsys.readouterr().out)["blocks"]["conflicts"]
    assert [(c["room_id"], c["date"], c["hour"], c["event_id"]) for c in conflicts] == [
        (ROOM, day, "13:00", event)
    ]
    assert conflicts[0]["reason"] == "a customer's booking holds the slot"
