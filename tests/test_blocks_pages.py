"""What staff see and do of Calendar → Lockme blocks in the web app: the status page's
"Blocks" section (blocks by room name, privacy, conflicts in words, the held plan's button,
history words) and the rooms page's blocks calendars (preview, turn on, turn off), in
English and Polish.

Through Flask's test client, logged in, against a real Redis and the sandbox services; the
blocks are made by the product's own sync (``BlocksSync``) from staff events in the fake
Google, and counted in the fake Lockme.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from app.charts import group_counts
from app.texts import PAGES
from tests import test_web
from tests.conftest import deliver, drain
from tests.test_web import Staff, connect
from worker.domain.booking import Route
from worker.domain.errors import SyncError
from worker.domain.identity import is_block_extid
from worker.flows.blocks.calendar_sync import BlocksSync
from worker.flows.blocks.channels import Channels, ChannelStore
from worker.jobs.blocks_sync import pending_job
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme
from worker.stores.block_rooms import BlockRooms

web_client = test_web.web_client
staff = test_web.staff

# The venue's read-only calendar (``web_runtime``): a blocks calendar need not be writable.
HOLIDAYS = "holidays@group.calendar.google.com"
TOMB, BANK = 101, 102


def _text(page: str) -> str:
    """What a person reads: tags gone, entities decoded, spaces folded."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))


def _local(rt: Runtime, days: int, hour: int) -> datetime:
    day = datetime.now(rt.settings.tz).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=rt.settings.tz)


def _day(rt: Runtime, days: int) -> date:
    return _local(rt, days, 0).date()


def _when_en(day: date, hour: str) -> str:
    return f"{day:%a} {day.day} {day:%b} at {hour}"


def _blocks(lockme: FakeLockme) -> list[dict[str, object]]:
    return [r for r in lockme.live_reservations().values() if is_block_extid(r.get("extid"))]


def _puts(lockme: FakeLockme) -> int:
    return lockme.count("PUT", r"/reservation$")


def _venue(client: FlaskClient, rt: Runtime, *rooms: int) -> None:
    """Both services connected, and the rooms taking blocks from the holidays calendar."""
    connect(client, "lockme")
    connect(client, "google")
    for room in rooms:
        BlockRooms(rt.redis, rt.keys).set(room, HOLIDAYS)


def _section(page: str, marker: str, end: str = "</section>") -> str:
    part = page[page.index(marker) :]
    return part[: part.index(end)]


# --- status page ---------------------------------------------------------------------------
def test_status_lists_blocks_by_room_name_and_hides_titles_at_time_only(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime, TOMB, BANK)
    web_runtime.store.routes.set_route(Route(TOMB, privacy="full", room_name="Pharaoh's Tomb"))
    web_runtime.store.routes.set_route(Route(BANK, privacy="time_only", room_name="Bank Heist"))
    event = fake_google.staff_event(
        HOLIDAYS, "Boiler service", _local(web_runtime, 1, 11), _local(web_runtime, 1, 14)
    )
    BlocksSync(web_runtime).sync(HOLIDAYS)
    assert len(_blocks(fake_lockme)) == 4  # 11:30 and 13:00 in both rooms
    page = client.get("/status").get_data(as_text=True)
    table = _section(page, 'id="blocks-list"', "</table>")
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    day = _day(web_runtime, 1)
    tomb = [_text(r) for r in rows if "Pharaoh" in _text(r)]
    bank = [_text(r) for r in rows if "Bank Heist (#102)" in _text(r)]
    assert len(tomb) == len(bank) == 2
    assert _when_en(day, "11:30") in tomb[0] and _when_en(day, "13:00") in tomb[1]
    assert all("Pharaoh's Tomb (#101)" in r and "Boiler service" in r for r in tomb)
    assert all("Boiler service" not in r for r in bank)
    link = (fake_google.event(HOLIDAYS, event) or {})["htmlLink"]
    assert table.count(f'href="{link}"') == 2  # the link only where the title shows
    assert "Blocks in Lockme (4)" in _text(page)
    cards = _text(_section(page, 'id="blocks-calendars"', "</ul>"))
    assert "Holidays" in cards and HOLIDAYS not in cards  # a read-only calendar, named
    assert "Rooms: Pharaoh's Tomb, Bank Heist" in cards
    assert "every 30 seconds (polling)" in cards and "Last read: " in cards
    # While Google is out, the section agrees with the banner above it.
    web_runtime.store.outages.note_outage("google")
    page = client.get("/status").get_data(as_text=True)
    cards = _text(_section(page, 'id="blocks-calendars"', "</ul>"))
    assert "Google is not answering (see above)" in cards and "(polling)" not in cards
    web_runtime.store.outages.end_outage("google")
    web_runtime.store.connections.set_connection(
        "google", error="Google refused the grant (invalid_grant)"
    )
    page = client.get("/status").get_data(as_text=True)
    cards = _text(_section(page, 'id="blocks-calendars"', "</ul>"))
    assert "stopped until Google is reconnected" in cards and "(polling)" not in cards
    # History rows of the writes read as words.
    history = _text(_section(page, 'id="recent"', "</table>"))
    assert history.count("block a slot") == 4 and history.count("blocked in Lockme") == 4


def test_status_has_no_blocks_section_without_blocks(staff: Staff, web_runtime: Runtime) -> None:
    client, _ = staff
    page = client.get("/status").get_data(as_text=True)
    assert 'id="blocks"' not in page and "Blocks from Google Calendar" not in page


def test_a_conflict_reads_in_plain_words_and_the_calendars_error_too(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime, TOMB, BANK)
    web_runtime.store.routes.set_route(Route(BANK, privacy="time_only", room_name="Bank Heist"))
    day = _day(web_runtime, 2)
    fake_lockme.create_reservation(TOMB, day.isoformat(), "13:00:00", name="Ada")
    fake_lockme.create_reservation(BANK, day.isoformat(), "13:00:00", name="Ada")
    fake_google.staff_event(
        HOLIDAYS, "Boiler service", _local(web_runtime, 2, 12), _local(web_runtime, 2, 14)
    )
    report = BlocksSync(web_runtime).sync(HOLIDAYS)
    assert report.conflicts == 2
    text = _text(client.get("/status").get_data(as_text=True))
    when = _when_en(day, "13:00")
    assert (
        f"A customer's booking holds Pharaoh's Tomb on {when}; the staff event “Boiler "
        "service” covers it. The slot stays booked; it will be blocked if the booking is "
        "cancelled."
    ) in text
    # Time only: the event is not named.
    assert f"holds Bank Heist on {when}; a staff event in Holidays covers it." in text
    assert "Ada" not in text
    history = _text(client.get("/status").get_data(as_text=True).split('id="recent"')[1])
    assert history.count("left alone: a customer holds the slot") == 2
    # The calendar stops being readable: its last error in words, the raw text behind.
    with fake_google.lock:
        del fake_google.calendars[HOLIDAYS]
    with pytest.raises(SyncError):
        BlocksSync(web_runtime).sync(HOLIDAYS)
    page = client.get("/status").get_data(as_text=True)
    cards = _section(page, 'id="blocks-calendars"', "</ul>")
    assert "The last read failed: the calendar no longer exists or is not shared" in _text(cards)
    assert re.search(r'<pre class="raw">Google [^<]*404', cards)  # the raw text, behind


def test_a_held_plan_is_shown_and_its_button_applies_it_with_the_csrf_token(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    _venue(client, web_runtime, TOMB)
    ids = [
        fake_google.staff_event(
            HOLIDAYS, "Closed", _local(web_runtime, d, 9), _local(web_runtime, d, 23)
        )
        for d in (1, 2, 3)
    ]
    BlocksSync(web_runtime).sync(HOLIDAYS)
    made = len(_blocks(fake_lockme))
    assert made == 27  # 9 slots a day
    for eid in ids:
        fake_google.delete_staff_event(HOLIDAYS, eid)
    fake_google.invalidate_sync_tokens()
    assert BlocksSync(web_runtime).sync(HOLIDAYS).held
    page = client.get("/status").get_data(as_text=True)
    held = _text(_section(page, 'id="blocks-held-1"', "</div>"))
    assert (
        "27 blocks would be removed at once after a full re-read of the calendar. "
        "Nothing was removed."
    ) in held
    assert "Calendar: Holidays · for Pharaoh's Tomb" in held
    form = {"room_id": str(TOMB)}
    refused = client.post("/status/blocks/confirm", data=form)
    assert refused.status_code == 400 and len(_blocks(fake_lockme)) == made
    done = client.post("/status/blocks/confirm", data={**form, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/status#blocks")
    assert (
        _blocks(fake_lockme) == [] and BlockRooms(web_runtime.redis, web_runtime.keys).held() == []
    )
    after = _text(client.get("/status").get_data(as_text=True))
    assert "Done: 27 block(s) removed, 0 slot(s) blocked." in after
    assert "would be removed at once" not in after
    assert after.count("block removed from Lockme") == 27 and "free a slot" in after
    # Nothing held any more: the button does nothing, and says so.
    again = client.post("/status/blocks/confirm", data={**form, "csrf_token": token})
    assert again.status_code == 302
    assert "Nothing waits for a confirmation" in _text(client.get("/status").get_data(as_text=True))
    assert client.post("/status/blocks/confirm", data={"csrf_token": token}).status_code == 400


def test_a_held_creation_reads_in_plain_words_and_its_button_blocks_the_slots(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    _venue(client, web_runtime, TOMB)
    BlocksSync(web_runtime).sync(HOLIDAYS)  # turned on, read: nothing to block yet
    fake_google.staff_event(
        HOLIDAYS, "Closed", _local(web_runtime, 1, 0), _local(web_runtime, 11, 0)
    )
    assert BlocksSync(web_runtime).sync(HOLIDAYS).held and _blocks(fake_lockme) == []
    page = client.get("/status").get_data(as_text=True)
    card = _text(_section(page, 'id="blocks-held-1"', "</form>"))
    assert (
        "90 slots would be blocked at once: more than the app blocks for one event without "
        "asking (50 slots, or a week or more of one room). Nothing was blocked yet."
    ) in card
    assert "change or delete the event in Google" in card and "Block 90 slots now" in card
    assert "If those events really went" not in card  # the removals' advice
    polish = _text(_section(client.get("/status?lang=pl").get_data(as_text=True), 'id="blocks"'))
    assert "Trzeba by naraz zablokować terminy (liczba: 90)" in polish
    assert "Zablokuj terminy (90)" in polish
    client.get("/status?lang=en")
    done = client.post("/status/blocks/confirm", data={"room_id": str(TOMB), "csrf_token": token})
    assert done.status_code == 302
    assert len(_blocks(fake_lockme)) == 90
    after = _text(client.get("/status").get_data(as_text=True))
    assert "Done: 0 block(s) removed, 90 slot(s) blocked." in after
    assert "would be blocked at once" not in after


def test_the_echo_of_a_block_folds_into_the_blocks_own_row(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime, TOMB)
    before = set(fake_lockme.messages)
    fake_google.staff_event(
        HOLIDAYS, "Party", _local(web_runtime, 1, 10), _local(web_runtime, 1, 11)
    )
    BlocksSync(web_runtime).sync(HOLIDAYS)
    echoes = sorted(set(fake_lockme.messages) - before)
    assert echoes
    for mid in echoes:
        deliver(client, mid)
    drain(web_runtime)
    history = _text(client.get("/status").get_data(as_text=True).split('id="recent"')[1])
    # One row per block; Lockme's echo of it adds none (it flooded the last fifty).
    assert history.count("blocked in Lockme") == len(echoes)
    assert "the app's own block" not in history
    # Nor does the day's chart count a block twice: the echo wrote nothing.
    day = web_runtime.store.history.recent(1)[0]["at"][:10]
    grouped = group_counts(web_runtime.store.history.daily_counts([day])[day])
    assert grouped["written"] == len(echoes) and grouped["nothing"] == len(echoes)


# --- rooms page ----------------------------------------------------------------------------
def test_rooms_page_preview_writes_nothing_then_turn_on_and_off(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    _venue(client, web_runtime)
    rooms = BlockRooms(web_runtime.redis, web_runtime.keys)
    page = client.get("/setup/rooms").get_data(as_text=True)
    section = _section(page, 'id="blocks"')
    # Any readable calendar is offered, the read-only one too; the note links the help.
    assert f'<option value="{HOLIDAYS}"' in section and "Holidays" in section
    assert 'href="/help#blocks-lockme"' in section
    assert "Lockme's own Google Calendar integration" in _text(section)
    assert 'id="blocks-lockme"' in client.get("/help").get_data(as_text=True)
    day = _day(web_runtime, 1)
    fake_lockme.create_reservation(TOMB, day.isoformat(), "13:00:00", name="Ada")
    fake_google.staff_event(
        HOLIDAYS, "Boiler service", _local(web_runtime, 1, 11), _local(web_runtime, 1, 14)
    )
    puts = _puts(fake_lockme)
    preview = client.get(f"/setup/rooms/blocks?room={TOMB}&calendar={HOLIDAYS}")
    assert preview.status_code == 200
    text = _text(preview.get_data(as_text=True))
    assert "Slots it would block (1)" in text and _when_en(day, "11:30") in text
    assert "Slots customers hold already, left alone (1)" in text
    assert _when_en(day, "13:00") in text and "Ada" not in text
    assert _puts(fake_lockme) == puts and rooms.calendar_of(TOMB) is None
    assert 'name="calendar"' in preview.get_data(as_text=True)
    # A calendar that is not offered, or a room Lockme does not list: refused.
    assert client.get(f"/setup/rooms/blocks?room={TOMB}&calendar=nope").status_code == 400
    assert client.get(f"/setup/rooms/blocks?room=999&calendar={HOLIDAYS}").status_code == 400
    # Turn on: set, and a sync of the calendar queued (it runs in the worker).
    form = {"room": str(TOMB), "calendar": HOLIDAYS}
    assert client.post("/setup/rooms/blocks/on", data=form).status_code == 400  # no CSRF
    assert rooms.calendar_of(TOMB) is None
    on = client.post("/setup/rooms/blocks/on", data={**form, "csrf_token": token})
    assert on.status_code == 302 and rooms.calendar_of(TOMB) == HOLIDAYS
    assert web_runtime.queue.job_ids == [pending_job(web_runtime, HOLIDAYS)]
    assert _puts(fake_lockme) == puts
    drain(web_runtime)
    assert len(_blocks(fake_lockme)) == 1
    page = client.get("/setup/rooms").get_data(as_text=True)
    assert "Blocks on for Pharaoh's Tomb from Holidays: syncing now." in _text(page)
    assert "On, from Holidays: 1 block(s) in Lockme." in _text(_section(page, 'id="blocks"'))
    # Previewing another calendar says what happens to this one's blocks.
    other = client.get(
        f"/setup/rooms/blocks?room={TOMB}&calendar=rooms-krakow%40group.calendar.google.com"
    )
    assert "The room takes blocks from Holidays now; turning this calendar on removes those." in (
        _text(other.get_data(as_text=True))
    )
    again = _text(
        client.get(f"/setup/rooms/blocks?room={TOMB}&calendar={HOLIDAYS}").get_data(as_text=True)
    )
    assert "already" in again and "Slots it would block (0)" in again
    # Turn off: asks first, saying how many blocks go; then removes them.
    ask = client.get(f"/setup/rooms/blocks/off?room={TOMB}")
    assert "the 1 block(s) the app made for it are removed" in _text(ask.get_data(as_text=True))
    assert len(_blocks(fake_lockme)) == 1 and rooms.calendar_of(TOMB) == HOLIDAYS
    off = client.post("/setup/rooms/blocks/off", data={"room": str(TOMB), "csrf_token": token})
    assert off.status_code == 302
    assert _blocks(fake_lockme) == [] and rooms.calendar_of(TOMB) is None
    assert fake_lockme.live_reservations()  # the customer's booking stays
    page = _text(client.get("/setup/rooms").get_data(as_text=True))
    assert "Blocks off for Pharaoh's Tomb: 1 block(s) removed from Lockme." in page
    history = _text(client.get("/status").get_data(as_text=True).split('id="recent"')[1])
    assert "free a slot" in history and "block removed from Lockme" in history


# --- Polish --------------------------------------------------------------------------------
def _english_leftovers(text: str) -> list[str]:
    """Pieces (12+ characters between placeholders) of the new English texts found in a
    page that should be Polish."""
    new = {
        k: v
        for k, v in PAGES.table("en").items()
        if k.startswith("blocks_")
        or k in ("action_block", "action_unblock", "cancel")
        or k in ("result_blocked", "result_freed", "result_conflict", "result_own_block")
    }
    pieces = {p.strip(" .,:;") for v in new.values() for p in re.split(r"\{\w+\}", v)}
    return sorted(p for p in pieces if len(p) >= 12 and p in text)


def test_polish_pages_have_no_english_leftovers_of_the_new_texts(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime, TOMB)
    day = _day(web_runtime, 1)
    fake_lockme.create_reservation(TOMB, day.isoformat(), "13:00:00", name="Ada")
    fake_google.staff_event(
        HOLIDAYS, "Boiler service", _local(web_runtime, 1, 11), _local(web_runtime, 1, 14)
    )
    BlocksSync(web_runtime).sync(HOLIDAYS)
    status = _text(client.get("/status?lang=pl").get_data(as_text=True))
    assert "Blokady z Kalendarza Google" in status and "Rezerwacja klienta zajmuje" in status
    assert "zablokowano w Lockme" in status and "blokada terminu" in status
    rooms = _text(client.get("/setup/rooms?lang=pl").get_data(as_text=True))
    assert "Kalendarz blokad" in rooms
    preview = _text(
        client.get(f"/setup/rooms/blocks?room={BANK}&calendar={HOLIDAYS}&lang=pl").get_data(
            as_text=True
        )
    )
    assert "Terminy do zablokowania (2)" in preview
    off = _text(client.get(f"/setup/rooms/blocks/off?room={TOMB}&lang=pl").get_data(as_text=True))
    assert "Wyłączyć blokady" in off
    help_page = _text(client.get("/help?lang=pl").get_data(as_text=True))
    for text in (status, rooms, preview, off, help_page):
        assert _english_leftovers(text) == []
    # The check finds English where it is.
    assert _english_leftovers(_text(client.get("/status?lang=en").get_data(as_text=True)))


def test_the_rooms_page_says_an_invitation_blocks_only_once_accepted(
    staff: Staff, web_runtime: Runtime
) -> None:
    client, _ = staff
    _venue(client, web_runtime)
    english = _text(_section(client.get("/setup/rooms").get_data(as_text=True), 'id="blocks"'))
    assert "An invitation from someone else blocks only once the calendar's owner accepts" in (
        english
    )
    assert "answered Maybe, closes no slot" in english
    polish = client.get("/setup/rooms?lang=pl").get_data(as_text=True)
    assert "Zaproszenie od kogoś innego blokuje dopiero wtedy, gdy właściciel kalendarza" in (
        _text(_section(polish, 'id="blocks"'))
    )


def test_a_blocks_calendar_the_account_cannot_read_any_more_says_so(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime, TOMB)
    with fake_google.lock:
        del fake_google.calendars[HOLIDAYS]
    section = _section(client.get("/setup/rooms").get_data(as_text=True), 'id="blocks"')
    assert re.search(
        rf'<option value="{HOLIDAYS}" selected>[^<]*\(the account cannot read it any more\)',
        section,
    )
    # Previewing it is refused in words, not with a calendar the page did not offer.
    refused = client.get(f"/setup/rooms/blocks?room={TOMB}&calendar={HOLIDAYS}")
    assert refused.status_code == 400
    assert "choose one of the listed calendars" in _text(refused.get_data(as_text=True))


def test_a_calendar_google_will_not_push_for_reads_as_polling_and_why(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _venue(client, web_runtime, TOMB)
    # A deployment behind plain http: Google refuses to push there.
    settings = replace(web_runtime.settings, public_url="http://sync.example.com")
    store = ChannelStore(web_runtime.redis, web_runtime.keys)
    assert Channels(web_runtime.calendar, store, settings).ensure(HOLIDAYS) is None
    cards = _section(client.get("/status").get_data(as_text=True), 'id="blocks-calendars"', "</ul>")
    assert "Google refused to send changes to this app's address (it must be https)" in _text(cards)
    assert "Not read yet." in _text(cards)
