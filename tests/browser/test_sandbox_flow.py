"""End to end in headless Chromium, as a newcomer meets the product: ``lockme-sync dev``
with the built-in sandbox, log in, connect both services through their consent screens,
test the calendars, book on the sandbox page, see the booking in the calendar view (which
updates by itself) and in the history, move it to another room, survive a Google outage,
cancel it. On the way, the small things a newcomer trips over: the help's guides in the
page's language, an hour off the room's slots refused in plain words, an unpaid hold read
as a hold and drawn readably, buttons that look like what they do, and no page asking for
a file that is not there (a favicon).

Walked in English and Polish, at desktop and phone widths, with one browser. Run with
``SCREENSHOTS_DIR=docs/screenshots`` to refresh the README's pictures of the sandbox.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.texts import SANDBOX
from tests.browser.test_setup_flow import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import ADMIN_PASSWORD
from tests.test_sandbox import dev_sandbox, sandbox_cli  # noqa: F401 (a fixture)

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect, sync_playwright

pytestmark = pytest.mark.browser

CUSTOMERS = {
    ("en", "desktop"): "Anna Kowalska",
    ("en", "phone"): "Marek Lewandowski",
    ("pl", "desktop"): "Zofia Wójcik",
    ("pl", "phone"): "Tomasz Kamiński",
}
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="screens-"))
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1100, "height": 800},
    "phone": {"width": 390, "height": 844},
}
FRONT_DESK = "front-desk@sandbox.example"
HAUNTED_MANOR = "haunted-manor@sandbox.example"
# The demo rooms' slots: every 90 minutes from 10:00.
SLOT_HOURS = r"^(10:00|11:30|13:00|14:30|16:00|17:30|19:00|20:30|22:00)$"
# Sync is seconds, redelivery after an outage up to ~20 s (RETRY_BACKOFF_SCALE is small).
SYNC_MS = 30_000
# The WCAG AA contrast of normal text.
READABLE = 4.5
# The contrast of an element's text with what is drawn behind it: its own background,
# blended over its parent's where it is translucent.
CONTRAST_JS = """el => {
  const rgba = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const [r, g, b] = rgba(getComputedStyle(el).color);
  const [br, bg, bb, ba = 1] = rgba(getComputedStyle(el).backgroundColor);
  const [pr, pg, pb] = rgba(getComputedStyle(el.parentElement).backgroundColor);
  const mix = (own, under) => own * ba + under * (1 - ba);
  const lum = ([x, y, z]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(x) + 0.7152 * f(y) + 0.0722 * f(z);
  };
  const text = lum([r, g, b]), back = lum([mix(br, pr), mix(bg, pg), mix(bb, pb)]);
  return (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05);
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser: Browser, lang: str, width: str) -> BrowserContext:
    """A browser profile in ``lang`` at ``width``, its pages waiting up to 15 s."""
    context = browser.new_context(
        viewport=VIEWPORTS[width], locale="pl-PL" if lang == "pl" else "en-GB"
    )
    context.set_default_timeout(15_000)
    return context


def log_in_and_connect(page: Page, base: str, lang: str) -> None:
    """Log in (every page then carries the sandbox banner) and connect both services: each
    is a Connect link and the sandbox's one-click consent screen."""
    page.goto(f"{base}/setup?lang={lang}")
    page.locator("input[name=password]").fill(ADMIN_PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator("#sandbox-banner")).to_contain_text(SANDBOX.table(lang)["banner"][:40])
    for provider, account in (("lockme", "escape-sandbox"), ("google", "staff@sandbox.example")):
        page.locator(f'a[href$="/setup/{provider}/connect"]').first.click()
        page.locator("#allow").click()
        expect(page.locator("main")).to_contain_text(account)


def _colours(page: Page, selector: str) -> tuple[str, str]:
    """An element's text and background colours, as the browser draws them."""
    return tuple(
        page.locator(selector).first.evaluate(
            "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
        )
    )


def _event(tab: Page, calendar: str, reservation: str) -> Any:
    return tab.locator(
        f'section[data-calendar="{calendar}"] .event[data-reservation="{reservation}"]'
    )


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "pl"])
def test_sandbox_walkthrough(
    browser: Browser,
    dev_sandbox: dict[str, Any],  # noqa: F811 (the fixture imported above)
    lang: str,
    width: str,
) -> None:
    base, text = dev_sandbox["base"], SANDBOX.table(lang)
    shots = lang == "en" and width == "desktop"
    context = new_context(browser, lang, width)
    page = context.new_page()
    day = (date.today() + timedelta(days=1)).isoformat()
    customer = CUSTOMERS[lang, width]  # one per run, so no run finds another's booking

    missing: list[str] = []  # every answer of 400 or more (a favicon's 404 on every page)
    context.on(
        "response", lambda answer: missing.append(answer.url) if answer.status >= 400 else None
    )
    posts: list[str] = []
    context.on("request", lambda sent: posts.append(sent.url) if sent.method == "POST" else None)
    log_in_and_connect(page, base, lang)

    # Test calendars, then reload: the result stays, and no test event is written again.
    page.locator("form[action$='/setup/test-calendars'] button[type=submit]").click()
    expect(page.locator("#calendar-test li").first).to_be_visible()
    tested = len([url for url in posts if url.endswith("/setup/test-calendars")])
    page.reload()
    assert len([url for url in posts if url.endswith("/setup/test-calendars")]) == tested == 1
    # The help's guides open in the page's language (Polish ones under docs/pl/).
    page.goto(f"{base}/help")
    guide = "docs/pl/troubleshooting.md" if lang == "pl" else "docs/troubleshooting.md"
    expect(page.locator("#grant-revoked a[href*='troubleshooting.md']")).to_have_attribute(
        "href", re.compile(re.escape(guide) + "#grant-revoked$")
    )

    # The calendar view, open in a second tab before the booking: it must update by itself.
    calendar = context.new_page()
    calendar.goto(f"{base}/sandbox/calendar?week={day}")
    expect(calendar.get_by_role("heading", level=1)).to_have_text(text["calendar_title"])

    if shots:  # company for the README's pictures, in the other rooms
        for room, hour, name in (
            ("5102", "16:00", "Piotr Wiśniewski"),
            ("5103", "20:30", "Ola Nowak"),
        ):
            made = sandbox_cli(
                dev_sandbox, "book", "--room", room, "--date", day, "--hour", hour, "--name", name
            )
            assert made.returncode == 0, made.stderr
        # A staff event in the Closed calendar, for blocks in the pictures.
        made = sandbox_cli(
            dev_sandbox, "staff-event", "add", "--title", "Boiler repair", "--date", day,
            "--from", "12:30", "--to", "14:00",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr

    # Book on the sandbox page.
    page.locator("#sandbox-banner").get_by_role("link", name=text["nav_sandbox"]).click()
    # The form's defaults sit on the room's slots; its Unpaid box sits beside its label.
    expect(page.locator("#new-hour")).to_have_value(re.compile(SLOT_HOURS))
    unpaid = page.locator("#new-unpaid").bounding_box()
    assert unpaid is not None and unpaid["width"] < 40
    # An hour off the room's slots is refused in the page's words, naming the slots.
    page.locator("#new-room").select_option("5101")
    page.locator("#new-date").fill(day)
    page.locator("#new-hour").fill("18:00")
    page.locator("#new-booking button[type=submit]").click()
    slots = "10:00, 11:30, 13:00, 14:30, 16:00, 17:30, 19:00, 20:30, 22:00"
    expect(page.locator(".flash.error")).to_contain_text(
        text["off_slot"].format(room="Pharaoh's Tomb", hour="18:00", day=day, slots=slots)
    )
    # An unpaid hold, its box ticked through its label: listed and shown as a hold.
    page.locator("#new-room").select_option("5102")
    page.locator("#new-date").fill(day)
    page.locator("#new-hour").fill("19:00")
    page.locator("#new-name").fill("Jan Nowicki")
    page.get_by_text(text["unpaid"]).click()
    expect(page.locator("#new-unpaid")).to_be_checked()
    page.locator("#new-booking button[type=submit]").click()
    held = re.search(r"\d{6,}", page.locator(".flash.ok").inner_text())[0]  # type: ignore[index]
    expect(page.locator(f"#booking-{held}")).to_contain_text(text["unpaid_short"])
    page.goto(f"{base}/sandbox?day={day}")
    expect(page.locator("#slot-5102-1900")).to_have_attribute("data-state", "held")
    expect(page.locator("#slot-5102-1900")).to_contain_text(
        text["slot_held"].format(name="Jan Nowicki")
    )
    # Its striped tentative event keeps its text readable.
    hold = _event(calendar, FRONT_DESK, held)
    expect(hold).to_have_class(re.compile(r"\btentative\b"), timeout=SYNC_MS)
    assert hold.locator(".event-title").evaluate(CONTRAST_JS) >= READABLE
    # Destructive buttons are red on white, secondary ones plain, primary ones filled.
    primary = _colours(page, "#new-booking button[type=submit]")
    cancel = _colours(page, f"#booking-{held} form.cancel-booking button[type=submit]")
    secondary = _colours(page, "#send-test")
    assert cancel[1] == secondary[1] == "rgb(255, 255, 255)" != primary[1]
    assert cancel[0] == "rgb(179, 38, 30)" and secondary[0] == primary[1]
    page.locator("#new-room").select_option("5101")
    page.locator("#new-date").fill(day)
    page.locator("#new-hour").fill("17:30")
    page.locator("#new-name").fill(customer)
    page.locator("#new-booking button[type=submit]").click()
    flash = page.locator(".flash.ok")
    expect(flash).to_contain_text(text["booked"].split("{id}")[0].strip())
    reservation = re.search(r"\d{6,}", flash.inner_text())[0]  # type: ignore[index]
    booking = page.locator(f"#booking-{reservation}")
    expect(booking).to_contain_text(customer)
    # The confirmation links to the booking's week, where the calendar page now opens.
    see = page.locator("#see-booking a")
    expect(see).to_contain_text(text["see_in_calendar"].split("{date}")[0].strip())
    expect(see).to_have_attribute("href", f"/sandbox/calendar?week={day}")
    opened = context.new_page()
    opened.goto(f"{base}/sandbox/calendar")
    expect(_event(opened, FRONT_DESK, reservation)).to_have_count(1, timeout=SYNC_MS)
    opened.close()

    event = _event(calendar, FRONT_DESK, reservation)
    expect(event).to_contain_text(f"Pharaoh's Tomb: {customer}", timeout=SYNC_MS)
    expect(event).to_contain_text("17:30")
    if shots:
        page.reload()  # the webhooks table, with the booking acknowledged
        expect(page.locator("#slot-5101-1300")).to_have_attribute(
            "data-state", "blocked", timeout=SYNC_MS
        )
        page.screenshot(path=SCREENSHOTS / "sandbox.png", full_page=True)
        calendar.screenshot(path=SCREENSHOTS / "sandbox-calendar.png", full_page=True)

    # The history on the status page shows it.
    page.goto(f"{base}/status")
    expect(page.locator("main")).to_contain_text(re.compile(f"{reservation}|Pharaoh's Tomb"))
    if shots:
        page.screenshot(path=SCREENSHOTS / "sandbox-status.png", full_page=True)

    # Move it to another room (another calendar) and another hour.
    page.goto(f"{base}/sandbox")
    booking.locator("summary").click()
    booking.locator(f"#edit-{reservation}-room").select_option("5103")
    booking.locator(f"#edit-{reservation}-hour").fill("19:00")
    booking.locator("form.edit-booking button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(reservation)
    moved = _event(calendar, HAUNTED_MANOR, reservation)
    expect(moved).to_contain_text("19:00", timeout=SYNC_MS)
    expect(_event(calendar, FRONT_DESK, reservation)).to_have_count(0)

    # Google fails: a change waits (Lockme keeps redelivering), then arrives once it ends.
    page.locator('button[name=kind][value="google_down"]').click()
    expect(page.locator('#active-trouble [data-kind="google_down"]')).to_be_visible()
    booking.locator("summary").click()
    booking.locator(f"#edit-{reservation}-hour").fill("22:00")
    booking.locator("form.edit-booking button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text(reservation)
    listed = sandbox_cli(dev_sandbox, "events", "--json")
    assert listed.returncode == 0 and f"{day}T22:00" not in listed.stdout  # Google is down
    latest = page.locator("#webhooks tbody tr").first
    expect(latest).to_contain_text(text["waiting"])  # not acknowledged, so Lockme resends it
    page.locator('button[name=kind][value="clear"]').click()
    expect(page.locator("#active-trouble [data-kind]")).to_have_count(0)
    expect(moved).to_contain_text("22:00", timeout=SYNC_MS)
    page.reload()
    expect(latest).to_contain_text(f"✓ {text['yes']}")

    # Cancel: the event leaves the calendar.
    booking.locator("form.cancel-booking button[type=submit]").click()
    expect(page.locator(f"#booking-{reservation}")).to_have_count(0)
    expect(moved).to_have_count(0, timeout=SYNC_MS)
    assert missing == []
    context.close()
