"""Each test process flushes a Redis database no other process uses (tests/databases.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from tests.databases import TEST_REDIS_URL, walk

ROOT = Path(__file__).resolve().parents[1]
OTHERS = {0, 11, 12, 15}  # a developer's instance, bench, chaos, the sandbox


def test_workers_walk_distinct_databases_past_the_ones_others_use() -> None:
    firsts = [walk(14, index)[0] for index in range(12)]
    assert firsts[:3] == [14, 13, 10]
    assert len(set(firsts)) == 12
    assert not OTHERS & set(firsts)
    assert sorted(walk(14, 5)) == sorted(walk(14, 0))  # every walk tries every database
    assert walk(12, 0)[:2] == [12, 14]  # the chaos suite's own first, then the tests'


def test_a_second_process_never_gets_the_database_this_one_holds(test_database: str) -> None:
    """Another run on this host (another checkout, the CI's other suite), as the same
    xdist worker, is moved on to a free database instead of flushing this one's."""
    claimed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.databases import TEST_REDIS_URL, claim, worker_index;"
            "print(claim(TEST_REDIS_URL, worker_index()))",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.strip()
    ours, theirs = urlsplit(test_database), urlsplit(claimed)
    assert theirs.netloc == ours.netloc == urlsplit(TEST_REDIS_URL).netloc
    assert theirs.path != ours.path
