"""The status page tells what is happening while it happens: a failing service is not a
plain ✓, each booking that waits is a row of its own (booking, room, time, why, what next)
that turns into its synced row when it lands, and the page keeps itself current."""

from __future__ import annotations

import re

from tests import test_web
from tests.conftest import connect_both, deliver, drain
from tests.test_outage import EVENTS, work
from tests.test_web import Staff, connect
from worker import entrypoints
from worker.domain.booking import Route
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores import underway

web_client = test_web.web_client
staff = test_web.staff


def _box(html: str, provider: str) -> str:
    box = html[html.index(f'id="state-card-{provider}"') :]
    return box[: box.index("</section>")]


def _underway(html: str) -> list[str]:
    return re.findall(r'<tr class="underway.*?</tr>', html, re.S)


def _digest(client: object) -> str:
    return client.get("/status/digest").get_json()["digest"]  # type: ignore[attr-defined]


def test_a_google_outage_shows_as_it_happens_and_clears_by_itself(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    web_runtime.store.routes.set_route(Route(101, room_name="Pharaoh's Tomb"))
    before = _digest(client)
    outage = fake_google.faults.add(None, EVENTS, status=503)
    rid, mid = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00", surname="Nowak")
    deliver(client, mid)
    work(web_runtime)
    assert mid not in fake_lockme.acked

    html = client.get("/status").get_data(as_text=True)
    google = _box(html, "google")
    assert 'data-state="down"' in google and "✓" not in google
    assert "Google isn&#39;t answering since" in google
    assert "1 booking(s) waiting, retrying by itself." in google
    assert 'data-state="ok"' in _box(html, "lockme")
    rows = _underway(html)
    assert len(rows) == 1
    row = rows[0]
    assert f">{rid}</a>" in row and "Jan Nowak" in row and "Pharaoh&#39;s Tomb" in row
    assert "2026-05-02 18:00" in row and "waiting to retry" in row
    assert "Google isn&#39;t answering: tried again by itself at " in row
    assert _digest(client) != before  # an open page fetches itself again
    # The checklist does not stay all ✓ either.
    setup = client.get("/setup").get_data(as_text=True)
    assert "Google isn&#39;t answering; bookings wait" in setup

    fake_google.faults.remove(outage)
    assert entrypoints.probe_outages() == ["google"]
    work(web_runtime)
    assert mid in fake_lockme.acked
    html = client.get("/status").get_data(as_text=True)
    assert 'data-state="ok"' in _box(html, "google") and _underway(html) == []
    synced = re.findall(rf'<tr class="result-created" data-message="{mid}">.*?</tr>', html, re.S)
    assert len(synced) == 1 and "Jan Nowak" in synced[0]
    assert underway.rows(web_runtime.redis, web_runtime.keys) == []


def test_a_revoked_grant_waits_as_one_named_row_and_leaves_no_anonymous_history(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    fake_google.revoke()
    rid, mid = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00")
    for _ in range(3):  # Lockme redelivers an unacknowledged message
        deliver(client, mid)
        drain(web_runtime)
    assert web_runtime.store.failures.parked() == {mid: "google"}

    html = client.get("/status").get_data(as_text=True)
    rows = _underway(html)
    assert len(rows) == 1 and f">{rid}</a>" in rows[0]
    assert "Google needs reconnecting: syncs once you press “Reconnect Google”" in rows[0]
    assert "3 attempts" in rows[0]
    assert "✗ Google no longer accepts the app&#39;s access" in _box(html, "google")
    # The button, the banner and the checklist say the same thing.
    banner = html[html.index('id="reconnect-banner"') :]
    assert "Reconnect Google" in banner[: banner.index("</section>")]
    setup = client.get("/setup").get_data(as_text=True)
    assert "Press “Reconnect Google” in the Google box below." in setup
    assert "Press Connect in the Google box below." not in setup

    assert connect(client, "google").status_code == 302
    drain(web_runtime)
    assert mid in fake_lockme.acked
    html = client.get("/status").get_data(as_text=True)
    assert _underway(html) == []
    history = web_runtime.store.history.recent(50)
    assert [e["message_id"] for e in history] == [mid]  # one synced row, nothing anonymous
    assert history[0]["reservation_id"] == rid


def test_the_page_refreshes_itself_without_inline_script(staff: Staff) -> None:
    client, _ = staff
    response = client.get("/status")
    html = response.get_data(as_text=True)
    assert '<script src="/static/live.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'data-poll="/status/digest"' in html and "data-live" in html
    digest = _digest(client)
    assert re.fullmatch(r"[0-9a-f]{16}", digest) and _digest(client) == digest
