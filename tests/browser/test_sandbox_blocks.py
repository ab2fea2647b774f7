"""Blocks end to end in headless Chromium, as a newcomer tries them in the sandbox: a busy
staff event added on the sandbox calendar page closes the covered Lockme slots of the
rooms whose blocks calendar it is in; moving it opens the old slot and closes the new one;
deleting it opens the slot again; an event over a customer's booking leaves the booking
as it is; and the status page's history has a row per block made or freed, none for Lockme's
echo of it.

Walked in English and Polish, at desktop and phone widths (``SCREENSHOTS_DIR`` keeps the
English pictures). The app works on its own (a push
from the sandbox Google, a job, a Lockme write), so the sandbox page is reloaded until the
slot shows what is expected, for at most ``SLOT_WAIT_S``.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from app.texts import SANDBOX
from tests.browser.test_sandbox_flow import (  # noqa: F401 (browser: a fixture)
    SCREENSHOTS,
    browser,
    log_in_and_connect,
    new_context,
)
from tests.browser.test_setup_flow import CHROMIUM
from tests.test_sandbox import dev_sandbox  # noqa: F401 (a fixture)

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

SLOT_WAIT_S = 20.0
# The demo's Closed calendar blocks these two rooms; Haunted Manor takes no blocks.
TOMB, PRISON, MANOR = "5101", "5102", "5103"
CUSTOMERS = {
    ("en", "desktop"): "Anna Kowalska",
    ("en", "phone"): "Marek Lewandowski",
    ("pl", "desktop"): "Zofia Wójcik",
    ("pl", "phone"): "Tomasz Kamiński",
}


def wait_for_slots(page: Page, url: str, wanted: dict[tuple[str, str], str]) -> None:
    """Reload the sandbox page until every (room, HH:MM) slot is in the wanted state."""
    deadline = time.monotonic() + SLOT_WAIT_S
    while True:
        page.goto(url)
        seen = {
            key: page.locator(f"#slot-{key[0]}-{key[1].replace(':', '')}").get_attribute(
                "data-state"
            )
            for key in wanted
        }
        if seen == wanted:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"slots not as wanted within {SLOT_WAIT_S} s: {seen}")
        page.wait_for_timeout(500)


def fill_times(page: Page, prefix: str, start: str, end: str) -> None:
    page.locator(f"#{prefix}-from").fill(start)
    page.locator(f"#{prefix}-to").fill(end)


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_staff_events_block_and_free_lockme_slots(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    dev_sandbox: dict[str, Any],  # noqa: F811 (the fixture imported above)
    lang: str,
    width: str,
) -> None:
    base, text = dev_sandbox["base"], SANDBOX.table(lang)
    context = new_context(browser, lang, width)
    page = context.new_page()
    day = (date.today() + timedelta(days=2)).isoformat()
    customer = CUSTOMERS[lang, width]
    slots_url = f"{base}/sandbox?day={day}"
    log_in_and_connect(page, base, lang)

    # Lockme's side before anything: every slot free, the rooms' blocks calendars named.
    page.goto(slots_url)
    tomb = page.locator(f'.slot-room[data-room="{TOMB}"]')
    expect(tomb).to_contain_text(text["blocks_from"].format(calendar="Closed"))
    expect(page.locator(f'.slot-room[data-room="{MANOR}"]')).to_contain_text(text["no_blocks"])
    expect(page.locator(f"#slot-{TOMB}-1300")).to_contain_text(text["slot_free"])

    # A customer books 19:00 in Pharaoh's Tomb on the sandbox page.
    page.locator("#new-room").select_option(TOMB)
    page.locator("#new-date").fill(day)
    page.locator("#new-hour").fill("19:00")
    page.locator("#new-name").fill(customer)
    page.locator("#new-booking button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_be_visible()

    # Staff close 12:30–14:00 in the Closed calendar: the 13:00 slots of both rooms close.
    page.goto(f"{base}/sandbox/calendar?week={day}")
    expect(page.locator("#staff-calendar")).to_have_value("closed@sandbox.example")
    # The hint names the rooms that take blocks from Closed now (the settings, not a text).
    expect(page.locator("#staff-help")).to_contain_text("Pharaoh's Tomb, Prison Break")
    page.locator("#staff-title-input").fill("Boiler repair")
    page.locator("#staff-date").fill(day)
    fill_times(page, "staff", "12:30", "14:00")
    page.locator("#new-staff-event button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(text["staff_added"])
    drawn = page.locator('section[data-calendar="closed@sandbox.example"] .event.staff')
    expect(drawn).to_contain_text("Boiler repair")
    expect(drawn).to_contain_text("12:30–14:00")
    event_id = drawn.get_attribute("data-staff")
    wait_for_slots(page, slots_url, {(TOMB, "13:00"): "blocked", (PRISON, "13:00"): "blocked"})
    expect(page.locator(f"#slot-{TOMB}-1300")).to_contain_text(text["slot_blocked"])
    expect(page.locator(f"#slot-{MANOR}-1300")).to_contain_text(text["slot_free"])
    expect(page.locator(f"#slot-{TOMB}-1430")).to_contain_text(text["slot_free"])
    expect(page.locator(".sandbox-booking")).to_have_count(1)  # blocks are no bookings
    if lang == "en":
        page.locator("#slots").screenshot(path=SCREENSHOTS / f"sandbox-slots-{width}.png")

    # Move it to 15:30–17:00: 13:00 opens, 16:00 closes.
    page.goto(f"{base}/sandbox/calendar?week={day}")
    if lang == "en":
        page.screenshot(path=SCREENSHOTS / f"sandbox-staff-{width}.png", full_page=True)
    item = page.locator(f"#staff-{event_id}")
    item.locator("summary").click()
    fill_times(page, f"move-{event_id}", "15:30", "17:00")
    item.locator("form.move-staff-event button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(text["staff_moved"])
    wait_for_slots(
        page,
        slots_url,
        {
            (TOMB, "13:00"): "free",
            (PRISON, "13:00"): "free",
            (TOMB, "16:00"): "blocked",
            (PRISON, "16:00"): "blocked",
        },
    )

    # Delete it: 16:00 opens again.
    page.goto(f"{base}/sandbox/calendar?week={day}")
    page.locator(f"#staff-{event_id} form.delete-staff-event button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(text["staff_deleted"])
    expect(page.locator(f'[data-staff="{event_id}"]')).to_have_count(0)
    wait_for_slots(page, slots_url, {(TOMB, "16:00"): "free", (PRISON, "16:00"): "free"})

    # An event over the customer's 19:00 closes Prison Break's 19:00 and leaves the booking.
    page.goto(f"{base}/sandbox/calendar?week={day}")
    page.locator("#staff-date").fill(day)
    fill_times(page, "staff", "18:30", "20:00")
    page.locator("#new-staff-event button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(text["staff_added"])
    wait_for_slots(page, slots_url, {(PRISON, "19:00"): "blocked", (TOMB, "19:00"): "booked"})
    expect(page.locator(f"#slot-{TOMB}-1900")).to_contain_text(
        text["slot_booked"].format(name=customer)
    )
    expect(page.locator(".sandbox-booking")).to_contain_text(customer)
    page.goto(f"{base}/status")
    blocks = page.locator("#blocks")
    if blocks.count():  # the status page's Blocks section, where there is one
        expect(blocks).to_contain_text("Pharaoh's Tomb")
    # The history has one row per block made (13:00 twice, 16:00 twice, 19:00 once) and
    # freed (13:00 and 16:00 twice each); Lockme's echo of each adds none.
    history = page.locator("#recent tbody")
    expect(history.locator("tr.result-blocked")).to_have_count(5)
    expect(history.locator("tr.result-freed")).to_have_count(4)
    expect(history.locator("tr.result-own_block")).to_have_count(0)
    context.close()
