"""The web process as the Procfile starts it (gunicorn.conf.py): many slow clients at once,
and two servers side by side on one host."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.chaos.harness import free_port, wait_for
from tests.conftest import ADMIN_PASSWORD, WEBHOOK_SECRET, connect_both, settings_env
from tests.test_ops import ROOT, http_answers, processes_command
from tests.test_web import csrf_from
from worker.config import Settings
from worker.runtime import build_runtime
from worker.sandbox import FakeGoogle, FakeLockme

SLOW_SOCKETS = 200
# Generous: the claim is that the web process answers at all, not how fast (docs/security.md
# has the figures, from python -m bench.abuse slow).
ANSWER_TIMEOUT_S = 20


@contextmanager
def web_process(settings: Settings, log: Path, **env: str) -> Iterator[tuple[int, int]]:
    """``web:`` from the Procfile on a free loopback port: its port and the pid of gunicorn's
    master; stopped with SIGTERM after."""
    port = free_port()
    full_env = {**os.environ, **settings_env(settings), "PORT": str(port), **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            processes_command("web"), cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            assert wait_for(lambda: http_answers(port, "/healthz"), timeout=30, step=0.05), (
                log.read_text()
            )
            yield port, proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def test_healthz_and_the_webhook_answer_while_200_slow_header_sockets_are_open(
    settings: Settings, tmp_path: Path
) -> None:
    """Issues 19 and 27: sockets sending their headers a line at a time each held one of
    gthread's threads (it reads a request's head blocking, with no deadline): 12 took all of
    2 × 4, 60 enough of 2 × 32, and /healthz timed out, which gets the process restarted."""
    slow: list[socket.socket] = []
    with web_process(settings, tmp_path / "web.log", WEB_CONCURRENCY="2") as (port, _):
        try:
            for n in range(SLOW_SOCKETS):
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(
                    f"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: {n}\r\n".encode()
                )
                slow.append(sock)
            for sock in slow:  # still typing: none of them ever ends its headers
                sock.sendall(b"X-Still: typing\r\n")

            health = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT_S)
            health.request("GET", "/healthz")
            assert health.getresponse().status == 200
            health.close()
            hook = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT_S)
            hook.request(
                "POST",
                f"/webhooks/lockme?secret={WEBHOOK_SECRET}",
                headers={"X-MessageId": "27", "Content-Length": "0"},
            )
            assert hook.getresponse().status == 200
            hook.close()
        finally:
            for sock in slow:
                sock.close()


def test_a_page_that_calls_lockme_and_google_is_served_by_the_procfiles_server(
    settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    """The gevent worker's patched sockets carry the app's own outbound calls (urllib3 to
    Lockme, httplib2 to Google): the rooms page, which asks both, answers in full."""
    rt = build_runtime(settings)
    connect_both(rt, fake_lockme, fake_google)
    with web_process(settings, tmp_path / "web.log") as (port, _), requests.Session() as web:
        base = f"http://127.0.0.1:{port}"
        token = csrf_from(web.get(f"{base}/login", timeout=ANSWER_TIMEOUT_S).text)
        login = web.post(
            f"{base}/login",
            data={"password": ADMIN_PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=ANSWER_TIMEOUT_S,
        )
        assert login.status_code == 302
        rooms = web.get(f"{base}/setup/rooms", timeout=ANSWER_TIMEOUT_S)
    assert rooms.status_code == 200
    assert fake_lockme.count("GET", r"/rooms$") >= 1
    assert fake_google.count("GET", r"/users/me/calendarList") >= 1
    rt.redis.close()


def unix_socket_paths(pid: int) -> set[str]:
    """The paths of the named unix sockets process ``pid`` holds, from the kernel's tables."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    rows = [row.split() for row in Path("/proc/net/unix").read_text().splitlines()[1:]]
    return {row[7] for row in rows if len(row) > 7 and row[6] in inodes}


def test_two_web_servers_side_by_side_share_no_control_socket(
    settings: Settings, tmp_path: Path
) -> None:
    """Issue 27: gunicorn 25+ listens for gunicornc on $XDG_RUNTIME_DIR/gunicorn.ctl or
    $HOME/.gunicorn/gunicorn.ctl, one path per user: of two checkouts on one host, the one
    started later took it over, and gunicornc reached the wrong server."""
    home, runtime_dir = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime_dir.mkdir()
    same_user = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime_dir)}
    with (
        web_process(settings, tmp_path / "one.log", **same_user) as (_, one),
        web_process(settings, tmp_path / "two.log", **same_user) as (_, two),
    ):
        assert unix_socket_paths(one) == set()
        assert unix_socket_paths(two) == set()
        assert not list(tmp_path.rglob("gunicorn.ctl"))
