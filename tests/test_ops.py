"""Running it as a PaaS app: app.json, JSON logs, /metrics, alerts, rediss://, Sentry scrubbing."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, SimpleWorker
from rq.connections import parse_connection

from app import create_app
from app.login_throttle import FREE_ATTEMPTS
from tests.chaos.harness import free_port, wait_for
from tests.conftest import (
    WEBHOOK_SECRET,
    connect_both,
    connected_runtime,
    deliver,
    drain,
    make_settings,
    settings_env,
)
from tests.test_web import log_in
from worker import entrypoints
from worker.config import ConfigError, Settings, load_settings
from worker.gateways.google_calendar import RETRY_ATTEMPTS
from worker.jobs import rqseam, runtimes, schedules
from worker.jobs.job_names import ALERT_JOB
from worker.jobs.queue import enqueue_message, job_id
from worker.ops import alerts, cli, logs, sentry
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.keys import Keys
from worker.stores.redisutil import connect_redis

ROOT = Path(__file__).resolve().parent.parent
METRICS_TOKEN = "scrape-token-0123456789-abcdef"
CUSTOMER = {"name": "Zofia", "surname": "Wrzosowska", "phone": "+48 512 345 678"}
CUSTOMER_EMAIL = "zofia.wrzosowska@example.org"


# --- app.json and the Procfile ------------------------------------------------------------
def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_app_json_describes_a_deployable_heroku_app() -> None:
    manifest = json.loads((ROOT / "app.json").read_text())
    for key in ("name", "description", "repository", "keywords", "env", "addons", "formation"):
        assert manifest[key], key
    env = manifest["env"]
    assert env["SECRET_KEY"]["generator"] == "secret"
    assert env["WEBHOOK_SECRET"]["generator"] == "secret"
    # Generated, never a fixed value: a default password would be the same on every install.
    assert env["ADMIN_PASSWORD"]["generator"] == "secret" and "value" not in env["ADMIN_PASSWORD"]
    for name in ("LOCKME_CLIENT_ID", "LOCKME_CLIENT_SECRET", "GOOGLE_CLIENT_ID"):
        assert name in env
    for name, spec in env.items():
        assert spec["description"].strip(), f"{name} has no description"
        # Every variable offered at deploy time is one the app reads.
        assert hasattr(Settings, name.lower()), f"{name} is not a setting"
    addons = [a if isinstance(a, str) else a["plan"] for a in manifest["addons"]]
    assert any(a.split(":")[0] in ("heroku-redis", "heroku-key-value-store") for a in addons)
    assert manifest["buildpacks"] == [{"url": "heroku/python"}]

    processes = procfile()
    assert processes.pop("release").strip() == "lockme-sync check"
    assert set(manifest["formation"]) == set(processes) == {"web", "worker"}
    assert all(f["quantity"] >= 1 for f in manifest["formation"].values())
    assert (ROOT / ".python-version").read_text().strip() == "3.11"


def test_the_web_process_serves_webhooks_as_the_procfile_starts_it(
    settings: Settings, tmp_path: Path
) -> None:
    """gunicorn with gunicorn.conf.py: two workers on their own SO_REUSEPORT sockets share
    the port, every webhook on several kept-alive connections is answered and recorded, and
    SIGTERM stops the process cleanly."""
    port = free_port()
    command = processes_command("web")
    log = (tmp_path / "web.log").open("wb")
    env = {**os.environ, **settings_env(settings), "PORT": str(port), "WEB_CONCURRENCY": "2"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: http_answers(port, "/healthz"), timeout=30, step=0.05)
        assert wait_for(lambda: listening_sockets(port) == 2, timeout=15, step=0.05)
        answers: list[int] = []

        def post(first: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for message_id in range(first, first + 25):
                conn.request(
                    "POST",
                    f"/webhooks/lockme?secret={WEBHOOK_SECRET}",
                    headers={"X-MessageId": str(message_id), "Content-Length": "0"},
                )
                response = conn.getresponse()
                response.read()
                answers.append(response.status)
            conn.close()

        senders = [threading.Thread(target=post, args=(1 + 100 * i,)) for i in range(4)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        assert answers == [200] * 100
        client = redis.Redis.from_url(settings.redis_url)
        assert client.zcard(Keys(settings.key_prefix).inbox_pending) == 100
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        log.close()
    lines = [line for line in (tmp_path / "web.log").read_text().splitlines() if line]
    received = [json.loads(line) for line in lines if '"webhook.received"' in line]
    assert len(received) == 100 and {line["outcome"] for line in received} == {"queued"}


def test_the_worker_stops_at_once_on_sigterm_when_idle(settings: Settings, tmp_path: Path) -> None:
    """The platform's stop signal (Heroku: SIGTERM, then SIGKILL 30 s later) ends an idle
    worker at once; it must not mistake the stop for a lost Redis and start over."""
    client = redis.Redis.from_url(settings.redis_url)
    with worker_process(settings, tmp_path / "worker.log") as proc:
        # "idle" is set when it first waits for a job, after its signal handlers are in place.
        assert wait_for(lambda: worker_states(client) == ["idle"], timeout=30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    client.close()
    text = (tmp_path / "worker.log").read_text()
    assert "warm shut down requested" in text
    assert "starting a new one" not in text


@contextmanager
def worker_process(settings: Settings, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``lockme-sync worker`` as the Procfile starts it, logging to ``log_path``; killed on
    the way out unless it has ended."""
    with log_path.open("wb") as log:
        env = {**os.environ, **settings_env(settings)}
        proc = subprocess.Popen(
            processes_command("worker"), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def worker_states(client: redis.Redis) -> list[str]:
    return [worker.get_state() for worker in SimpleWorker.all(connection=client)]


def processes_command(name: str) -> list[str]:
    """A Procfile line as argv, with its console scripts taken from this interpreter's venv."""
    argv = shlex.split(procfile()[name])
    return [str(Path(sys.executable).parent / argv[0]), *argv[1:]]


def listening_sockets(port: int) -> int:
    """Sockets in LISTEN state on ``port`` (IPv4), read from the kernel's table."""
    rows = [row.split() for row in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == "0A")


def http_answers(port: int, path: str) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


# --- JSON logs ----------------------------------------------------------------------------
def log_lines(text: str) -> list[dict[str, Any]]:
    """Every stdout line must be one JSON object."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_logs_of_a_real_sync_are_json_with_ids_and_no_customer_data(
    client: Any, runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle, capsys: Any
) -> None:
    rid, message_id = fake_lockme.create_reservation(
        1398, "2026-03-14", "18:30:00", email=CUSTOMER_EMAIL, **CUSTOMER
    )
    fake_lockme.expire_access_tokens()  # so that the sync also refreshes the Lockme token
    capsys.readouterr()
    assert deliver(client, message_id).status_code == 200
    drain(runtime)
    lines = log_lines(capsys.readouterr().out)

    events = {line["event"]: line for line in lines if line["event"] != "log"}
    for name in ("webhook.received", "job.started", "token.refresh", "calendar.write"):
        assert name in events, f"no {name} line"
    for name in ("lockme.ack", "job.finished"):
        assert events[name]["message_id"] == message_id
        assert events[name]["reservation_id"] == rid and events[name]["room"] == 1398
        assert events[name]["duration_ms"] >= 0
    assert events["job.finished"]["outcome"] == "created"
    assert events["webhook.received"]["outcome"] == "queued"
    assert events["token.refresh"]["outcome"] == "refreshed"
    for line in lines:
        assert {"message_id", "reservation_id", "room", "duration_ms", "outcome"} <= set(line)

    event = fake_google.live_events_by_reservation()[str(rid)][0][1]
    assert CUSTOMER["surname"] in event["summary"]  # the data was there to leak
    text = "\n".join(json.dumps(line) for line in lines)
    stored_tokens = [runtime.store.tokens.load_token(p) for p in ("lockme", "google")]
    forbidden = [
        *CUSTOMER.values(),
        CUSTOMER_EMAIL,
        "512 345 678",
        WEBHOOK_SECRET,
        *fake_lockme.access_tokens,
        *fake_lockme.refresh_tokens,
        *(t[k] for t in stored_tokens if t for k in ("access_token", "refresh_token")),
    ]
    for value in forbidden:
        assert value not in text


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("GET /cb?code=4/0AbC-xyz&state=s7 failed", ["4/0AbC-xyz", "s7"]),
        ('{"access_token": "ya29.abc", "refresh_token": "1//r"}', ["ya29.abc", "1//r"]),
        ("Authorization: Bearer ya29.a0Af-B_c", ["ya29.a0Af-B_c"]),
        ("mail to Zofia.W+rooms@example.co.uk bounced", ["Zofia.W+rooms@example.co.uk"]),
        ("call +48 (12) 345-67-89 now", ["345-67-89"]),
        ("or 600-100-200 or 600 100 200", ["600-100-200", "600 100 200"]),
        (f"POST /webhooks/lockme?{WEBHOOK_SECRET}", [WEBHOOK_SECRET]),
    ],
)
def test_scrub_removes_each_kind_of_secret_and_contact(text: str, leaked: list[str]) -> None:
    logs.configure(Settings(webhook_secret=WEBHOOK_SECRET))  # a secret is scrubbed by value
    scrubbed = logs.scrub(text)
    assert scrubbed != text
    for value in leaked:
        assert value not in scrubbed


@pytest.mark.parametrize("text", ["webhook.received", "message 1234567 of room 1398 ok"])
def test_scrub_leaves_ids_and_plain_text_alone(text: str) -> None:
    assert logs.scrub(text) == text


# --- /metrics -----------------------------------------------------------------------------
@pytest.fixture
def ops_settings(redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle) -> Settings:
    return make_settings(redis_url, fake_lockme, fake_google, METRICS_TOKEN=METRICS_TOKEN)


@pytest.fixture
def ops_runtime(
    ops_settings: Settings, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> Iterator[Runtime]:
    with connected_runtime(ops_settings, fake_lockme, fake_google) as rt:
        yield rt


def scrape(client: Any, **headers: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_metrics_count_real_traffic_across_web_and_worker(
    ops_settings: Settings, ops_runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    client = create_app(ops_settings, ops_runtime).test_client()
    first = fake_lockme.create_reservation(1398, "2026-03-14", "18:30:00")[1]
    second = fake_lockme.create_reservation(1398, "2026-03-15", "10:00:00")[1]
    for message_id in (first, second, first):  # the third call is a redelivery
        assert deliver(client, message_id).status_code == 200
    wrong = client.post("/webhooks/lockme?secret=wrong", headers={"X-MessageId": "1"})
    assert wrong.status_code == 403
    assert deliver(client, "12a").status_code == 422
    assert client.delete(f"/webhooks/lockme?secret={WEBHOOK_SECRET}").status_code == 405
    drain(ops_runtime)

    metrics = scrape(client, Authorization=f"Bearer {METRICS_TOKEN}")
    webhooks = metrics["lockme_sync_webhooks_total"]
    assert webhooks[(("outcome", "queued"),)] == 2
    assert webhooks[(("outcome", "known"),)] == 1
    assert webhooks[(("outcome", "forbidden"),)] == 1
    assert webhooks[(("outcome", "bad_id"),)] == 1
    assert webhooks[(("outcome", "bad_method"),)] == 1
    assert metrics["lockme_sync_jobs_total"][(("outcome", "created"),)] == 2
    calls = metrics["lockme_sync_api_calls_total"]
    assert calls[(("service", "lockme"), ("status", "200"))] == 4  # two reads, two acks
    assert calls[(("service", "google"), ("status", "200"))] == 2  # two inserts
    assert metrics["lockme_sync_latency_seconds_count"][()] == 2
    assert metrics["lockme_sync_latency_seconds_bucket"][(("le", "+Inf"),)] == 2
    assert metrics["lockme_sync_queue_depth"][(("state", "queued"),)] == 0
    assert metrics["lockme_sync_oldest_queued_age_seconds"][()] == 0
    assert metrics["lockme_sync_dead_letters"][()] == 0
    assert metrics["lockme_sync_connection_up"][(("service", "google"),)] == 1
    assert metrics["lockme_sync_job_retries_total"][()] == 0


def test_a_failed_jobs_counts_are_written_too(
    ops_settings: Settings, ops_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    """A job's counts are written together when it ends, also when it raises."""
    client = create_app(ops_settings, ops_runtime).test_client()
    fake_google.faults.add("POST", r"/events$", status=503, times=RETRY_ATTEMPTS)
    deliver(client, fake_lockme.create_reservation(1398, "2026-03-14", "18:30:00")[1])
    drain(ops_runtime)  # each in-place attempt fails; the job's retry waits in the scheduler

    metrics = scrape(client, Authorization=f"Bearer {METRICS_TOKEN}")
    assert metrics["lockme_sync_jobs_total"][(("outcome", "error"),)] == 1
    errors = metrics["lockme_sync_api_errors_total"]
    assert errors[(("service", "google"), ("status", "503"))] == RETRY_ATTEMPTS
    assert metrics["lockme_sync_api_calls_total"][(("service", "lockme"), ("status", "200"))] == 1
    assert metrics["lockme_sync_job_retries_total"][()] == 1


def test_metrics_need_the_bearer_token_or_a_staff_session(
    ops_settings: Settings, ops_runtime: Runtime
) -> None:
    client = create_app(ops_settings, ops_runtime).test_client()
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic eDp5"}).status_code == 401
    log_in(client)
    assert "lockme_sync_queue_depth" in scrape(client)


# --- alerts -------------------------------------------------------------------------------
class Receiver(ThreadingHTTPServer):
    """A loopback stand-in for a Slack/Discord incoming webhook."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.posts.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output clean."""

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_broken_connection_alerts_once_per_hour(
    redis_url: str,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    receiver: Receiver,
) -> None:
    settings = make_settings(redis_url, fake_lockme, fake_google, ALERT_WEBHOOK_URL=receiver.url)
    rt = build_runtime(settings)
    runtimes.configure(rt)
    try:
        connect_both(rt, fake_lockme, fake_google)
        client = create_app(settings, rt).test_client()
        fake_google.revoke()
        fake_google.expire_access_tokens()
        for day in ("2026-03-14", "2026-03-15"):
            _, message_id = fake_lockme.create_reservation(
                1398, day, "18:30:00", email=CUSTOMER_EMAIL, **CUSTOMER
            )
            assert deliver(client, message_id).status_code == 200
            drain(rt)
        assert len(rt.store.failures.parked()) == 2
        # Alerted when the first job found the grant revoked; the second stayed quiet.
        assert len(receiver.posts) == 1
        post = receiver.posts[0]
        assert post["text"] == post["content"] and "Google Calendar" in post["text"]
        assert not any(value in post["text"] for value in [*CUSTOMER.values(), CUSTOMER_EMAIL])

        key = rt.keys.alert("google_disconnected")
        assert 3590 < rt.redis.ttl(key) <= 3600
        assert alerts.check(rt) == [] and len(receiver.posts) == 1
        rt.redis.expire(key, 0)  # the hour is over
        assert entrypoints.run_alert_check() == ["google_disconnected"]
        assert len(receiver.posts) == 2
    finally:
        runtimes.configure(None)
        rt.redis.close()


def test_an_undeliverable_alert_is_tried_again_at_the_next_check(
    runtime: Runtime, fake_google: FakeGoogle
) -> None:
    dead_port = free_port()
    runtime.settings = replace(
        runtime.settings, alert_webhook_url=f"http://127.0.0.1:{dead_port}/hook"
    )
    runtime.store.connections.set_connection("google", error="invalid_grant: reconnect needed")
    assert alerts.check(runtime) == []
    assert not runtime.redis.exists(runtime.keys.alert("google_disconnected"))


def test_periodic_alert_check_is_scheduled_once(runtime: Runtime) -> None:
    made = schedules.ensure(runtime)
    assert schedules.ensure(runtime) == []  # another pass, or worker, adds no second one
    scheduled = runtime.queue.scheduled_job_registry.get_job_ids()
    alert_checks = [j for j in scheduled if j.startswith(ALERT_JOB)]
    assert len(alert_checks) == 1 and alert_checks[0] in made
    run_at = runtime.queue.scheduled_job_registry.get_scheduled_time(alert_checks[0])
    assert alert_checks == [f"{ALERT_JOB}{int(run_at.timestamp())}"]
    assert 0 < (run_at - dt.datetime.now(dt.UTC)).total_seconds() <= schedules.ALERT_CHECK_S


def set_platform_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The CLI reads its configuration from the environment, as on the platform."""
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)


# --- rediss:// with a self-signed certificate ---------------------------------------------
def test_connect_redis_turns_off_verification_only_for_rediss() -> None:
    tls = connect_redis("rediss://:pw@redis.example:6380/0").connection_pool.connection_kwargs
    assert tls["ssl_cert_reqs"] is None
    pinned = connect_redis("rediss://redis.example:6380/0?ssl_cert_reqs=required")
    assert pinned.connection_pool.connection_kwargs["ssl_cert_reqs"] == "required"
    plain = connect_redis("redis://localhost:6379/0").connection_pool.connection_kwargs
    assert "ssl_cert_reqs" not in plain


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redis.internal")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server speaking only TLS, with a self-signed certificate (like Heroku's)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    cert, key = self_signed(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert),
         "--tls-key-file", str(key), "--tls-auth-clients", "no", "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"rediss://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            if proc.poll() is not None:
                pytest.skip("this redis-server was built without TLS")
            try:
                connect_redis(url, socket_connect_timeout=0.2).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rediss_with_a_self_signed_certificate_works_everywhere(
    tls_redis_url: str,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        redis.Redis.from_url(tls_redis_url, socket_connect_timeout=2).ping()

    settings = make_settings(tls_redis_url, fake_lockme, fake_google)
    rt = build_runtime(settings)
    # Web: the health probe reaches Redis through the app's own connection.
    assert create_app(settings, rt).test_client().get("/healthz").status_code == 200
    # RQ: its scheduler rebuilds connections from the parsed kwargs; they keep the setting.
    _, connection_class, kwargs = parse_connection(rt.redis)
    assert kwargs["ssl_cert_reqs"] is None and connection_class is redis.SSLConnection
    queue = Queue("tls-probe", connection=rt.redis)
    job = queue.enqueue("builtins.len", "four")
    SimpleWorker([queue], connection=rt.redis).work(burst=True, with_scheduler=True)
    assert job.get_status(refresh=True) == "finished" and job.return_value() == 4

    # CLI, from the environment as on the platform: check, and a worker in burst mode.
    set_platform_env(monkeypatch, settings)
    assert cli.main(["check"]) == 0
    assert f"ok    redis: {tls_redis_url}" in capsys.readouterr().out
    assert cli.main(["worker", "--burst"]) == 0
    scheduled = rt.queue.scheduled_job_registry.get_job_ids()
    assert {j.split("-")[0] for j in scheduled} == {"reconcile", "alerts", "blocks"}
    rt.redis.close()


# --- Sentry -------------------------------------------------------------------------------
def test_sentry_is_off_without_a_dsn_and_scrubs_customer_data() -> None:
    assert sentry.init(Settings()) is False
    event = {
        "user": {"email": CUSTOMER_EMAIL, "ip_address": "203.0.113.9"},
        "request": {
            "url": "https://venue.example/webhooks/lockme",
            "query_string": f"secret={WEBHOOK_SECRET}",
            "cookies": {"session": "abc"},
            "headers": {"Authorization": "Bearer ya29.secret-token", "User-Agent": "LockMe/1.0"},
        },
        "exception": {
            "values": [{"type": "ValueError", "value": f"bad booking for {CUSTOMER_EMAIL}, "
                        f"{CUSTOMER['phone']}"}]
        },
        "extra": {"payload": {"name": CUSTOMER["name"], "email": CUSTOMER_EMAIL, "people": 4}},
        "sdk": {"name": "sentry.python"},
    }  # fmt: skip
    cleaned = json.dumps(sentry.before_send(event, {}))
    for value in (CUSTOMER_EMAIL, CUSTOMER["name"], CUSTOMER["phone"], WEBHOOK_SECRET, "ya29"):
        assert value not in cleaned
    assert "sentry.python" in cleaned and '"people": 4' in cleaned and "LockMe/1.0" in cleaned


# --- rotating SECRET_KEY ------------------------------------------------------------------
def test_rotating_secret_key_keeps_the_stored_tokens(
    redis_url: str,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    before = {p: runtime.store.tokens.load_token(p) for p in ("lockme", "google")}
    old_key = runtime.settings.secret_key
    rotated = make_settings(
        redis_url,
        fake_lockme,
        fake_google,
        SECRET_KEY="the-new-key-of-32-characters-or-more",
        SECRET_KEY_FALLBACKS=old_key,
    )
    set_platform_env(monkeypatch, rotated)
    assert cli.main(["check"]) == 0  # the release phase
    assert "2 re-encrypted" in capsys.readouterr().out
    # The fallback can go now: the new key alone reads both tokens.
    new_only = build_runtime(replace(rotated, secret_key_fallbacks=()))
    assert {p: new_only.store.tokens.load_token(p) for p in ("lockme", "google")} == before
    new_only.redis.close()


def test_the_worker_logs_each_job_once_in_its_own_lines(
    runtime: Runtime, fake_lockme: FakeLockme, capsys: Any
) -> None:
    """RQ's own per-job INFO lines (dequeued, completed, "Job OK") repeat job.started and
    job.finished without the message's context, so the worker leaves them out."""
    _, message_id = fake_lockme.create_reservation(1398, "2026-03-14", "18:30:00")
    enqueue_message(runtime, message_id)
    logs.configure(runtime.settings)
    capsys.readouterr()
    rqseam.run_worker(runtime, burst=True)
    lines = log_lines(capsys.readouterr().out)

    ours = [line["event"] for line in lines if line["logger"] == "lockme"]
    assert ours.count("job.started") == 1 and ours.count("job.finished") == 1
    rq_lines = [line["msg"] for line in lines if line["logger"] == "rq.worker"]
    assert rq_lines, "RQ's start and stop lines are kept"
    assert not [msg for msg in rq_lines if job_id(message_id) in msg or "Job OK" in msg]


def test_metrics_token_guesses_are_throttled(ops_settings: Settings, ops_runtime: Runtime) -> None:
    """Issue 19: the bearer token could be guessed without limit."""
    client = create_app(ops_settings, ops_runtime).test_client()
    codes = [
        client.get("/metrics", headers={"Authorization": f"Bearer guess-{n}"}).status_code
        for n in range(FREE_ATTEMPTS + 2)
    ]
    assert codes == [401] * FREE_ATTEMPTS + [429, 429]
    # The real token from elsewhere still scrapes, and a scraper repeating its one stale
    # token is told 401 every time, never locked out by its own retries.
    other = {"X-Forwarded-For": "203.0.113.9"}
    good = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}", **other})
    assert good.status_code == 200
    stale = {"Authorization": "Bearer stale-token", "X-Forwarded-For": "203.0.113.10"}
    assert [client.get("/metrics", headers=stale).status_code for _ in range(10)] == [401] * 10


def test_a_short_metrics_token_stops_start_up() -> None:
    env = {
        "SECRET_KEY": "k" * 32,
        "ADMIN_PASSWORD": "a long enough password",
        "WEBHOOK_SECRET": "hook",
        "METRICS_TOKEN": "short-token",
    }
    with pytest.raises(ConfigError, match="METRICS_TOKEN is too short"):
        load_settings(env=env).require()
