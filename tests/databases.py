"""Which Redis database a test process flushes, and a claim that keeps every other run off it.

Tests flush their database before and after each test, so two processes must never share one:
not two pytest-xdist workers of a run, not the fast suite and the chaos/browser run that
``.ci/run`` starts beside it, not two checkouts on one host.

The mapping. ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/14``) names the server and
the preferred database. A process takes the first *free* database of its list:

- the preferred database, then ``ORDER``'s (14, 13, 10, 9, …, 1), which leave out the
  databases others use on the same server: 0 (a developer's ``lockme-sync dev``), 11
  (``python -m bench``), 12 (the chaos suite) and 15 (the sandbox);
- pytest-xdist worker ``gwN`` starts its walk at the list's N-th entry, so with the
  default, a lone run or ``gw0`` uses 14, ``gw1`` 13, ``gw2`` 10, ``gw3`` 9; a database
  another process holds is skipped, the walk wrapping round, and a run finding none free
  stops with a message saying so.

The chaos suite prefers ``CHAOS_REDIS_URL``, else database 12 of the same server, and walks
on the same way when another run holds it.

The claim is an exclusive ``flock`` on a file in the temporary directory, named for the Redis
server's ``run_id`` (so ``localhost`` and ``127.0.0.1`` are one server) and the database. The
kernel drops it when the process ends, however it ends, so a killed run leaves no stale
claim, and no test's own ``FLUSHDB`` can erase it. It covers every process on one host, which
is where checkouts share a Redis; containers with a temporary directory of their own each
need a ``TEST_REDIS_URL`` of their own.
"""

from __future__ import annotations

import fcntl
import functools
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
CHAOS_DB = 12
# The test databases, in the order processes take them; never 0, 11, 12 or 15 (see above).
ORDER = (14, 13, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
USAGE_ERROR = pytest.ExitCode.USAGE_ERROR


def worker_index() -> int:
    """0 for a run without pytest-xdist or its worker ``gw0``, N for ``gwN``."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def with_database(url: str, db: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def walk(preferred: int, index: int) -> list[int]:
    """The databases process ``index`` tries, in order: every one of ``ORDER`` and the
    preferred one, starting at the ``index``-th."""
    order = [preferred, *(db for db in ORDER if db != preferred)]
    start = index % len(order)
    return order[start:] + order[:start]


def _lock(path: Path) -> int | None:
    """An exclusive lock on ``path`` held by this process (its descriptor), or None when
    another process holds it. Opened read-only and created only when missing: a lock file
    another user made stays usable (flock needs no write access)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@functools.cache
def claim(url: str, index: int) -> str:
    """The URL of the first database on ``url``'s server, walking from ``url``'s own, that
    no other process holds, claimed for the rest of this process's life."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    try:
        server = client.info("server")["run_id"]
    except redis.RedisError as exc:
        pytest.exit(f"the tests' Redis ({url}) does not answer: {exc}", USAGE_ERROR)
    finally:
        client.close()
    preferred = int(urlsplit(url).path.lstrip("/") or 0)
    tried = walk(preferred, index)
    for db in tried:
        fd = _lock(Path(tempfile.gettempdir()) / f"lockme-tests-redis-{server}-{db}.lock")
        if fd is None:
            continue
        candidate = with_database(url, db)
        try:
            redis.Redis.from_url(candidate).ping()
        except redis.ResponseError:  # the server has fewer databases
            os.close(fd)
            continue
        return candidate  # the descriptor stays open: the claim lasts as long as the process
    pytest.exit(
        f"every test database of the Redis at {url} ({', '.join(map(str, tried))}) is held by "
        "another test run on this host: wait for it, or point TEST_REDIS_URL at another server",
        USAGE_ERROR,
    )
