"""Redis key names: spelled once (``worker/stores/keys.py``), and unchanged across upgrades.

This is the one file besides ``worker/stores/keys.py`` that spells keys: it writes what an
installation of an earlier release holds, under the names that release used, and checks
that the current code finds it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from worker.jobs import intake
from worker.runtime import Runtime
from worker.stores import keys

ROOT = Path(__file__).resolve().parent.parent
# Where the product's code, scripts and tests live (docs may name keys for operators).
SOURCE_DIRS = ("app", "worker", "bench", "tests", "scripts", "bin")
SPELLING = re.compile(r"lms:|\{PREFIX\}")
ALLOWED = {ROOT / "worker" / "stores" / "keys.py", Path(__file__).resolve()}


def test_keys_an_upgrade_depends_on_keep_their_names() -> None:
    # Renaming any of these orphans a running installation's tokens, routes, event
    # mappings (duplicate events), dedupe markers, or the messages waiting in Redis.
    assert keys.PREFIX == "lms:"
    names = keys.Keys()
    assert names.token("google") == "lms:token:google"
    assert names.token("lockme") == "lms:token:lockme"
    assert names.connection("google") == "lms:conn:google"
    assert names.generations == "lms:conn-gen"
    assert names.routes == "lms:routes"
    assert names.mapping(42) == "lms:res:42"
    assert names.done(7) == "lms:done:7"
    assert names.done_prefix == "lms:done:"
    assert names.since == "lms:since"
    assert names.inbox_pending == "lms:inbox:pending"
    assert names.inbox_wake == "lms:inbox:wake"
    assert names.parked == "lms:parked"
    assert names.failures == "lms:failures"
    assert names.failures_at == "lms:failures:at"
    assert names.failures_payload == "lms:failures:payload"
    assert names.staff_epoch == "lms:staff:epoch"
    assert names.reservation_lock(42) == "lms:lock:res:42"
    # RQ job ids: the unique id of a message's job is its dedupe against queued jobs.
    assert names.job("msg-42") == "msg-42"


def test_an_earlier_release_s_data_is_found(runtime: Runtime) -> None:
    redis, store = runtime.redis, runtime.store
    route = {"room_id": 5, "calendar_id": "front@example.com", "privacy": "full"}
    redis.hset("lms:routes", "5", json.dumps(route))
    mapping = {
        "reservation_id": 42,
        "room_id": 5,
        "calendar_id": "front@example.com",
        "event_id": "lms42",
        "stamp": 3,
    }
    redis.set("lms:res:42", json.dumps(mapping))
    redis.set("lms:done:7", "1")
    redis.hset("lms:parked", "8", "google")
    redis.hset("lms:failures", "9", json.dumps({"message_id": 9, "attempts": 1}))
    redis.zadd("lms:failures:at", {"9": 1.0})
    redis.zadd("lms:inbox:pending", {"10": 1.0})

    assert store.routes.route(5).calendar_id == "front@example.com"
    held = store.mappings.mapping(42)
    assert held is not None and held.event_id == "lms42"
    assert store.messages.is_done(7)
    assert store.failures.parked() == {8: "google"}
    assert [f["message_id"] for f in store.failures.failures()] == [9]
    assert intake.pending(redis, runtime.keys)[0] == 1

    store.tokens.save_token("google", {"access_token": "a", "refresh_token": "r"})
    assert redis.exists("lms:token:google")
    assert store.tokens.load_token("google") == {"access_token": "a", "refresh_token": "r"}


def test_the_receiver_dedupes_on_the_marker_the_store_writes(runtime: Runtime) -> None:
    # The receiver's Lua script and the store are the two sides of dedupe: an acknowledged
    # message that arrives again must not become a job.
    runtime.store.messages.finish(31, {"message_id": 31, "result": "created"})
    assert intake.Intake(runtime.redis, runtime.keys).accept(31) == "known"
    assert intake.pending(runtime.redis, runtime.keys)[0] == 0
    assert intake.Intake(runtime.redis, runtime.keys).accept(32) == "queued"


def test_no_key_is_spelled_outside_the_keys_module() -> None:
    strays = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in SOURCE_DIRS
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file() and path.suffix != ".pyc" and path not in ALLOWED
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if SPELLING.search(line)
    ]
    assert not strays, "Redis keys belong in worker/stores/keys.py:\n" + "\n".join(strays)
