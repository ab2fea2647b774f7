"""In headless Chromium against ``lockme-sync dev`` with its sandbox, what staff see while
the sync works: a Google outage shown on the status page as it happens and cleared by
itself, with the booking waiting as a row of its own; a revoked grant, reconnected from the
status page, leaving no anonymous history row; the Blocks section saying, as the banner does,
that reading the blocks calendar has stopped; and a search of the history by a customer's
name typed without its Polish letters. The status page is never reloaded by the test: it
updates itself.

Walked in English and Polish, at desktop and phone widths. Run with
``SCREENSHOTS_DIR=docs/screenshots`` to refresh the README's pictures of the status page.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

import pytest

from app.texts import PAGES
from tests.browser.test_sandbox_flow import SCREENSHOTS, VIEWPORTS, browser  # noqa: F401
from tests.browser.test_setup_flow import CHROMIUM
from tests.conftest import ADMIN_PASSWORD
from tests.test_sandbox import dev_sandbox  # noqa: F401 (a fixture)

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

CUSTOMERS = {
    ("en", "desktop"): ("Anna Kowalska", "Jakub Mazur"),
    ("en", "phone"): ("Marek Lewandowski", "Ewa Dąbrowska"),
    ("pl", "desktop"): ("Zofia Wójcik", "Piotr Zieliński"),
    ("pl", "phone"): ("Tomasz Kamiński", "Alicja Szymańska"),
}
# A Google call is retried in place for up to 8 s before its job waits; the outage's end
# is noticed by a check every 20 s.
OUTAGE_MS = 60_000


def _book(sandbox: Page, day: str, hour: str, customer: str) -> str:
    sandbox.locator("#new-room").select_option("5101")
    sandbox.locator("#new-date").fill(day)
    sandbox.locator("#new-hour").fill(hour)
    sandbox.locator("#new-name").fill(customer)
    sandbox.locator("#new-booking button[type=submit]").click()
    flash = sandbox.locator(".flash.ok")
    expect(flash).to_be_visible()
    return re.search(r"\d{6,}", flash.inner_text())[0]  # type: ignore[index]


def _trouble(sandbox: Page, kind: str) -> None:
    sandbox.locator(f'button[name=kind][value="{kind}"]').click()
    expect(sandbox.locator(".flash.ok")).to_be_visible()


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_status_page_shows_what_happens_while_it_happens(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    dev_sandbox: dict[str, Any],  # noqa: F811
    lang: str,
    width: str,
) -> None:
    base, text = dev_sandbox["base"], PAGES.table(lang)
    shots = width == "desktop" or lang == "en"
    suffix = {("en", "desktop"): "", ("pl", "desktop"): "-pl"}.get((lang, width), "-phone")
    context = browser.new_context(
        viewport=VIEWPORTS[width], locale="pl-PL" if lang == "pl" else "en-GB"
    )
    status = context.new_page()
    status.set_default_timeout(15_000)
    day = (date.today() + timedelta(days=1)).isoformat()
    first, second = CUSTOMERS[lang, width]

    status.goto(f"{base}/setup?lang={lang}")
    status.locator("input[name=password]").fill(ADMIN_PASSWORD)
    status.locator("form:has(input[name=password]) button[type=submit]").click()
    for provider in ("lockme", "google"):
        status.locator(f'a[href$="/setup/{provider}/connect"]').first.click()
        status.locator("#allow").click()
    sandbox = context.new_page()
    sandbox.set_default_timeout(15_000)
    sandbox.goto(f"{base}/sandbox")

    # Google fails: the status page, left open, says so and shows the booking waiting.
    status.goto(f"{base}/status")
    google = status.locator("#state-card-google .conn-state")
    expect(google).to_have_attribute("data-state", "ok")
    _trouble(sandbox, "google_down")
    waiting = _book(sandbox, day, "17:30", first)
    row = status.locator(f'tr.underway:has(a:text-is("{waiting}"))')
    expect(row).to_contain_text(first, timeout=OUTAGE_MS)
    expect(row).to_contain_text(f"{day} 17:30")
    expect(row).to_contain_text(text["state_retrying"])
    expect(google).to_have_attribute("data-state", "down")
    expect(google).to_contain_text(text["conn_down_since"].split("{")[0] or "Google")
    # The Blocks section does not promise a push within seconds while Google is out.
    blocks = status.locator("#blocks")
    expect(blocks).to_contain_text(text["blocks_via_down"])
    expect(blocks).not_to_contain_text(text["blocks_via_push"])
    if shots:
        status.screenshot(path=SCREENSHOTS / f"live-outage{suffix}.png", full_page=True)
    _trouble(sandbox, "clear")
    synced = status.locator(f'tr.result-created:has(a:text-is("{waiting}"))')
    expect(synced).to_contain_text(first, timeout=OUTAGE_MS)
    expect(row).to_have_count(0)
    expect(google).to_have_attribute("data-state", "ok", timeout=OUTAGE_MS)
    expect(blocks).to_contain_text(text["blocks_via_push"])

    # The grant is revoked: the booking waits for a reconnect, which the page offers.
    _trouble(sandbox, "google_revoked")
    parked = _book(sandbox, day, "20:30", second)
    row = status.locator(f'tr.underway:has(a:text-is("{parked}"))')
    expect(row).to_contain_text(second, timeout=OUTAGE_MS)
    expect(row).to_contain_text(text["state_parked"])
    expect(google).to_have_attribute("data-state", "reconnect")
    reconnect = text["reconnect"].format(provider="Google")
    expect(status.locator("#reconnect-banner")).to_contain_text(reconnect)
    expect(blocks).to_contain_text(text["blocks_via_reconnect"])
    expect(blocks).not_to_contain_text(text["blocks_via_push"])
    if shots:
        status.screenshot(path=SCREENSHOTS / f"live-revoked{suffix}.png", full_page=True)
    status.locator("#state-card-google").get_by_role("link", name=reconnect).click()
    status.locator("#allow").click()
    status.goto(f"{base}/status")
    synced = status.locator(f'tr.result-created:has(a:text-is("{parked}"))')
    expect(synced).to_contain_text(second, timeout=OUTAGE_MS)
    expect(status.locator("tr.underway")).to_have_count(0)
    # Every history row names its booking: no anonymous "waiting" rows from redeliveries.
    rows = status.locator("#recent tbody tr")
    expect(rows).to_have_count(2)
    for n in range(2):
        expect(rows.nth(n).locator("td.who a")).to_have_count(1)
    if shots:
        status.screenshot(path=SCREENSHOTS / f"live-synced{suffix}.png", full_page=True)

    # Find a booking by its customer's name, typed in capitals without its Polish letters.
    typed = unicodedata.normalize("NFKD", first.split()[1]).encode("ascii", "ignore").decode()
    status.locator("#q").fill(typed.upper())
    status.locator("form.search button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(first)
    expect(rows.first.locator("td.who a")).to_have_text(waiting)
    if shots:
        status.screenshot(path=SCREENSHOTS / f"live-search{suffix}.png", full_page=True)
    if width == "phone":  # a compact row, not a card of seven labelled lines
        box = rows.first.bounding_box()
        assert box is not None and box["height"] < 160, box  # the card was about 310 px
    context.close()
