"""The receiver: secret and id checks, dedupe, redelivery of failed jobs, Redis down."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rq.job import Job
from rq.registry import FailedJobRegistry

from app import create_app
from tests.conftest import WEBHOOK_SECRET, deliver, drain, make_settings
from worker.jobs import inbox, intake
from worker.jobs.queue import job_id
from worker.runtime import build_runtime


def test_wrong_or_missing_secret_is_403_and_queues_nothing(client, runtime):
    assert client.post("/webhooks/lockme", headers={"X-MessageId": "5"}).status_code == 403
    bad = client.post("/webhooks/lockme?secret=nope", headers={"X-MessageId": "5"})
    assert bad.status_code == 403
    assert intake.pending(runtime.redis, runtime.keys)[0] == 0


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 400),
        ("", 422),
        ("0", 422),
        ("-3", 422),
        ("12a", 422),
        ("1" * 19, 422),
        ("١٢", 422),
        (" 7 ", 200),
        ("0007", 200),
        ("999999999999999999", 200),
    ],
)
def test_message_id_validation(client, runtime, fake_lockme, header, status):
    headers = {} if header is None else {"X-MessageId": header}
    response = client.post(f"/webhooks/lockme?secret={WEBHOOK_SECRET}", headers=headers)
    assert response.status_code == status
    assert intake.pending(runtime.redis, runtime.keys)[0] == (1 if status == 200 else 0)
    assert fake_lockme.requests == []  # nothing is fetched by the receiver


def test_get_is_accepted_and_header_is_case_insensitive(client, runtime):
    response = client.get(
        f"/webhooks/lockme?secret={WEBHOOK_SECRET}", headers={"x-messageid": "42"}
    )
    assert response.status_code == 200
    assert response.get_json() == {"message_id": 42, "status": "queued"}


def test_other_methods_are_405_and_queue_nothing(client, runtime):
    response = client.put(f"/webhooks/lockme?secret={WEBHOOK_SECRET}", headers={"X-MessageId": "8"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert intake.pending(runtime.redis, runtime.keys)[0] == 0


def test_a_large_body_is_413_and_queues_nothing(client, runtime):
    response = client.post(
        f"/webhooks/lockme?secret={WEBHOOK_SECRET}",
        headers={"X-MessageId": "8"},
        data=b"x" * (64 * 1024 + 1),
    )
    assert response.status_code == 413
    assert intake.pending(runtime.redis, runtime.keys)[0] == 0


def test_the_webhook_skips_the_staff_pages_hooks(client, runtime):
    """No login redirect, no CSRF check, and no session or language cookie for Lockme."""
    response = client.post(
        f"/webhooks/lockme?secret={WEBHOOK_SECRET}&lang=pl", headers={"X-MessageId": "8"}
    )
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert "Set-Cookie" not in response.headers
    assert client.get("/status").status_code == 302  # the rest of the app is still gated


def test_failed_job_is_requeued_on_redelivery(client, runtime, fake_lockme):
    _, mid = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    deliver(client, mid)
    inbox.dispatch(runtime)
    job = Job.fetch(job_id(mid), connection=runtime.redis, serializer=runtime.queue.serializer)
    FailedJobRegistry(queue=runtime.queue).add(job, exc_string="boom")
    job.set_status("failed")
    runtime.queue.remove(job)
    assert deliver(client, mid).get_json()["status"] == "queued"
    inbox.dispatch(runtime)
    assert job.get_status(refresh=True) == "queued"
    drain(runtime)
    assert mid in fake_lockme.acked


def test_redis_down_gives_503(fake_lockme, fake_google, redis_url):
    down = make_settings("redis://127.0.0.1:1/0", fake_lockme, fake_google)
    app = create_app(down, build_runtime(down))
    response = app.test_client().post(
        f"/webhooks/lockme?secret={WEBHOOK_SECRET}", headers={"X-MessageId": "9"}
    )
    assert response.status_code == 503
    assert app.test_client().get("/healthz").status_code == 503


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["redis"] == "ok"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    secret=st.one_of(st.none(), st.just(WEBHOOK_SECRET), st.text(max_size=30)),
    message_id=st.one_of(st.none(), st.text(max_size=25), st.integers(-5, 10**20).map(str)),
    extra=st.dictionaries(st.sampled_from(["a", "secret", "x"]), st.text(max_size=10), max_size=2),
)
def test_receiver_fuzz_never_5xx_and_never_calls_lockme(
    client, runtime, fake_lockme, method, secret, message_id, extra
):
    query = dict(extra)
    if secret is not None:
        query["secret"] = secret
    headers = {}
    if message_id is not None and all(32 <= ord(c) < 127 for c in message_id):
        headers["X-MessageId"] = message_id
    response = client.open("/webhooks/lockme", method=method, query_string=query, headers=headers)
    assert response.status_code < 500
    valid = (
        method in ("GET", "POST")
        and query.get("secret") == WEBHOOK_SECRET
        and headers.get("X-MessageId", "").strip().isdigit()
        and len(headers["X-MessageId"].strip()) <= 18
        and int(headers["X-MessageId"]) >= 1
    )
    assert (response.status_code == 200) == valid
    assert fake_lockme.requests == []
