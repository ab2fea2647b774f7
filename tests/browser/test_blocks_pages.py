"""End to end in headless Chromium: a person turns a room's blocks on from the rooms page
(preview first), sees the block on the status page, and turns them off again, in English
and in Polish. Screenshots go where ``test_setup_flow`` puts them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_setup_flow
from tests.conftest import ADMIN_PASSWORD, drain
from worker.domain.identity import is_block_extid
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

pytestmark = pytest.mark.browser

base_url = test_setup_flow.base_url
page = test_setup_flow.page
SCREENSHOTS = test_setup_flow.SCREENSHOTS
HOLIDAYS = "holidays@group.calendar.google.com"

# The words each language's pages use for the steps walked here.
WORDS = {
    "en": {
        "calendar": "Pharaoh's Tomb – Blocks calendar",
        "preview": "Preview: Pharaoh's Tomb",
        "to_block": "Slots it would block (2)",
        "turn_on": "Turn on",
        "on": "Blocks on for Pharaoh's Tomb from Holidays",
        "status": "Status",
        "blocks": "Blocks from Google Calendar",
        "turn_off": "Turn off…: Pharaoh's Tomb",
        "confirm_off": "Turn off and remove 2 block(s)",
        "off": "2 block(s) removed from Lockme",
    },
    "pl": {
        "calendar": "Pharaoh's Tomb – Kalendarz blokad",
        "preview": "Podgląd: Pharaoh's Tomb",
        "to_block": "Terminy do zablokowania (2)",
        "turn_on": "Włącz",
        "on": "Włączono blokady dla pokoju Pharaoh's Tomb z kalendarza Holidays",
        "status": "Stan",
        "blocks": "Blokady z Kalendarza Google",
        "turn_off": "Wyłącz…: Pharaoh's Tomb",
        "confirm_off": "Wyłącz i usuń blokady (2)",
        "off": "Usunięte z Lockme: 2",
    },
}


def _blocks(fake: FakeLockme) -> int:
    return sum(is_block_extid(r.get("extid")) for r in fake.live_reservations().values())


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_turning_blocks_on_and_off(
    page: Page,
    base_url: str,
    web_runtime: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
    lang: str,
) -> None:
    words = WORDS[lang]
    tz = web_runtime.settings.tz
    day = datetime.now(tz).date() + timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 11, tzinfo=tz)
    fake_google.staff_event(HOLIDAYS, "Boiler service", start, start + timedelta(hours=3))

    page.goto(f"{base_url}/setup?lang={lang}")
    page.locator("input[type=password]").fill(ADMIN_PASSWORD)
    page.locator("form button[type=submit]").click()
    for provider in ("lockme", "google"):
        page.locator(f"#conn-{provider} a[href='/setup/{provider}/connect']").click()
        expect(page.locator(f"#conn-{provider} p.ok")).to_be_visible()

    page.goto(f"{base_url}/setup/rooms")
    page.get_by_label(words["calendar"]).select_option(label="Holidays")
    page.get_by_role("button", name=words["preview"]).click()
    expect(page.locator("#blocks-to-block")).to_contain_text(words["to_block"])
    page.screenshot(path=SCREENSHOTS / f"blocks-preview-{lang}.png", full_page=True)
    assert _blocks(fake_lockme) == 0  # a preview writes nothing
    page.get_by_role("button", name=words["turn_on"], exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(words["on"])
    drain(web_runtime)
    assert _blocks(fake_lockme) == 2

    page.get_by_role("link", name=words["status"], exact=True).click()
    section = page.locator("#blocks")
    expect(section).to_contain_text(words["blocks"])
    expect(page.locator("#blocks-list tbody tr")).to_have_count(2)
    page.screenshot(path=SCREENSHOTS / f"blocks-status-{lang}.png", full_page=True)

    page.goto(f"{base_url}/setup/rooms")
    page.get_by_role("link", name=words["turn_off"]).click()
    page.get_by_role("button", name=words["confirm_off"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["off"])
    assert _blocks(fake_lockme) == 0
    page.screenshot(path=SCREENSHOTS / f"blocks-rooms-{lang}.png", full_page=True)
