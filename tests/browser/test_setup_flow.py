"""End to end in headless Chromium: log in, connect both services, map a room, sync a
booking, survive a revoked Google grant and reconnect.

The app is served on loopback by werkzeug; Lockme and Google are the HTTP fakes, whose
consent pages approve at once and redirect back, so the browser walks the real OAuth
redirects. Screenshots of the pages go to a temporary folder; run with
``SCREENSHOTS_DIR=docs/screenshots`` to refresh the pictures the README shows.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import ADMIN_PASSWORD, WEBHOOK_SECRET, drain
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="screens-"))
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def base_url(web_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB")
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        yield tab
        browser.close()


def post_webhook(base_url: str, message_id: int) -> None:
    """What Lockme does for every booking change: an empty POST naming the message."""
    response = requests.post(
        f"{base_url}/webhooks/lockme",
        params={"secret": WEBHOOK_SECRET},
        headers={"X-MessageId": str(message_id)},
        timeout=5,
    )
    assert response.status_code == 200


def booking_events(fake_google: FakeGoogle, reservation_id: int) -> list[str]:
    """Calendars holding a live event for the reservation."""
    found = fake_google.live_events_by_reservation().get(str(reservation_id), [])
    return [calendar for calendar, _ in found]


def test_setup_flow(
    page: Page,
    base_url: str,
    web_runtime: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    banner = page.locator("#reconnect-banner")

    page.goto(f"{base_url}/setup")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()

    page.locator("#conn-lockme").get_by_role("link", name="Connect", exact=True).click()
    expect(page.locator("#conn-lockme")).to_contain_text(f"Connected as {fake_lockme.nick}")
    page.locator("#conn-google").get_by_role("link", name="Connect", exact=True).click()
    expect(page.locator("#conn-google")).to_contain_text(f"Connected as {fake_google.email}")
    page.screenshot(path=SCREENSHOTS / "setup.png", full_page=True)

    page.get_by_role("link", name="Edit rooms").click()
    page.get_by_label("Calendar: Pharaoh's Tomb").select_option(label="Rooms Kraków")
    page.get_by_label("Duration (minutes): Pharaoh's Tomb").fill("90")
    page.get_by_label("Privacy: Bank Heist").select_option(label="No contact details")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved 2 room(s).")
    page.screenshot(path=SCREENSHOTS / "rooms.png", full_page=True)
    routed = web_runtime.store.routes.route(101).calendar_id
    assert fake_google.calendars[routed]["summary"] == "Rooms Kraków"

    first, message = fake_lockme.create_reservation(101, "2026-05-02", "18:00:00")
    post_webhook(base_url, message)
    drain(web_runtime)
    assert booking_events(fake_google, first) == [routed]
    page.get_by_role("link", name="Status").click()
    expect(page.locator("#recent")).to_contain_text(str(first))
    expect(banner).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "status.png", full_page=True)

    fake_google.revoke()
    second, message = fake_lockme.create_reservation(102, "2026-05-03", "12:00:00")
    post_webhook(base_url, message)
    drain(web_runtime)
    for path in ("/setup", "/setup/rooms", "/status"):
        page.goto(f"{base_url}{path}")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("1 booking(s) are waiting")
    page.screenshot(path=SCREENSHOTS / "status-revoked.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=SCREENSHOTS / "status-phone.png", full_page=True)
    page.set_viewport_size({"width": 1100, "height": 800})

    banner.get_by_role("link", name="Reconnect Google").click()
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    expect(banner).to_have_count(0)
    drain(web_runtime)
    assert booking_events(fake_google, second) == ["staff@example.com"]
    page.get_by_role("link", name="Status").click()
    expect(page.locator("#recent")).to_contain_text(str(second))
    expect(banner).to_have_count(0)
