"""The staff pages read at a glance: names instead of ids, honest numbers, failures that
explain themselves, the onboarding checklist, the rooms page, Polish, accessibility.

Through Flask's test client against a real Redis and the sandbox services.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from app import create_app
from app.explain import DOCS_URL, POLISH_GUIDES
from tests import test_web
from tests.conftest import deliver, drain, make_settings
from tests.test_web import Staff, connect, log_in
from worker.domain.booking import Route, event_id
from worker.jobs import schedules
from worker.runtime import Runtime, build_runtime
from worker.sandbox import FakeGoogle, FakeLockme

# The web tests' fixtures: a client of the app, and the same logged in with its CSRF token.
web_client = test_web.web_client
staff = test_web.staff

ROOMS_CAL = "rooms-krakow@group.calendar.google.com"
HOLIDAYS = "holidays@group.calendar.google.com"


def _text(html: str) -> str:
    """What a person reads: the page without tags, scripts' and attributes' contents."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _connect_and_book(
    client: FlaskClient, rt: Runtime, lockme: FakeLockme, google: FakeGoogle
) -> tuple[int, int]:
    connect(client, "lockme")
    connect(client, "google")
    rt.store.routes.set_route(Route(101, calendar_id=ROOMS_CAL, room_name="Pharaoh's Tomb"))
    rid, mid = lockme.create_reservation(101, "2026-05-02", "18:30:00")
    deliver(client, mid)
    drain(rt)
    return rid, mid


# --- history -------------------------------------------------------------------------------
def test_history_shows_room_booking_time_calendar_name_and_link(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    rid, _ = _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    html = client.get("/status").get_data(as_text=True)
    row = html[html.index('id="recent"') :]
    assert "Pharaoh&#39;s Tomb" in row and "#101" not in row  # the room's name, no id
    assert "2026-05-02 18:30" in row
    assert "Rooms Kraków" in row and ROOMS_CAL not in row  # the calendar's name, not its id
    assert "new booking" in row and "added to calendar" in row
    link = fake_google.event(ROOMS_CAL, event_id(rid))["htmlLink"]
    assert f'href="{link}"' in row and "Open in Google Calendar" in row
    assert "Jan Kowalski" in row  # the room shows names (no contact details): so does this
    assert "+48600100200" not in html


def test_reconnecting_drops_cached_names(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    assert "Rooms Kraków" in client.get("/status").get_data(as_text=True)
    fake_google.calendars[ROOMS_CAL]["summary"] = "Sale Kraków"
    assert "Sale Kraków" not in client.get("/status").get_data(as_text=True)  # cached
    connect(client, "google")
    assert "Sale Kraków" in client.get("/status").get_data(as_text=True)


def test_history_search_by_reservation_number(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    rid, _ = _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    other, mid = fake_lockme.create_reservation(102, "2026-05-03", "10:00:00")
    deliver(client, mid)
    drain(web_runtime)
    found = client.get(f"/status?q=%23{rid}").get_data(as_text=True)
    rows = found[found.index('id="recent"') :]
    assert f">{rid}</a>" in rows and f">{other}</a>" not in rows
    assert "Syncs found" in found
    assert "No sync in the kept history fits" in client.get("/status?q=99").get_data(as_text=True)
    assert client.get("/status?day=tomorrow").status_code == 400
    assert client.get("/status?room=5x").status_code == 400


def test_history_search_by_customer_name_day_and_room(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    rid, _ = _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    web_runtime.store.routes.set_route(Route(103, privacy="time_only"))
    other, mid = fake_lockme.create_reservation(102, "2026-05-03", "10:00:00", surname="Nowak")
    hidden, mid2 = fake_lockme.create_reservation(103, "2026-05-03", "11:00:00", surname="Nowak")
    polish, mid3 = fake_lockme.create_reservation(
        102, "2026-05-04", "12:00:00", name="Łucja", surname="Wiśniewska"
    )
    for message in (mid, mid2, mid3):
        deliver(client, message)
    drain(web_runtime)

    def found(query: str) -> set[str]:
        html = client.get(f"/status?{query}").get_data(as_text=True)
        if 'id="recent"' not in html:
            return set()
        rows = re.findall(r'<tr class="result-.*?</tr>', html, re.S)
        return {m.group(1) for r in rows if (m := re.search(r'class="who"><a[^>]*>(\d+)<', r))}

    assert found("q=nowak") == {str(other)}  # not the time-only room's booking
    assert found("q=jan+KOWALSKI") == {str(rid)}
    assert found("day=2026-05-03") == {str(other), str(hidden)}
    assert found("day=2026-05-03&room=103") == {str(hidden)}
    assert found("q=nobody") == set()
    # Neither case nor diacritics matter: typed on any keyboard, or as heard on the phone.
    assert found("q=wisniewska") == found("q=LUCJA+WIŚNIEWSKA") == {str(polish)}


# --- honest numbers ------------------------------------------------------------------------
def test_fresh_install_reads_not_set_up_and_no_retries(staff: Staff, web_runtime: Runtime) -> None:
    client, _ = staff
    schedules.ensure(web_runtime)  # the nightly reconcile, the alert check, the blocks poll
    html = client.get("/status").get_data(as_text=True)
    assert html.count("Not set up yet") == 2 and "✗" not in html
    counts = dict(re.findall(r"<dt[^>]*>([^<]+)</dt><dd[^>]*>(\d+)</dd>", html))
    assert counts["waiting to retry"] == "0"
    assert counts["scheduled maintenance (nightly re-sync, alert check, outage check)"] == str(
        len(schedules.PERIODIC)
    )
    assert "Next nightly run: " in html and "Has not run yet." in html


def test_revoked_service_is_red_with_its_error(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    connect(client, "google")
    web_runtime.store.connections.set_connection("google", error="invalid_grant: reconnect needed")
    html = client.get("/status").get_data(as_text=True)
    box = html[html.index('id="state-card-google"') :]
    box = box[: box.index("</section>")]
    assert "✗ Google no longer accepts the app&#39;s access" in box
    assert 'href="/help#grant-revoked"' in box and "Reconnect Google" in box
    # The API's own words only under a fold, never as the headline.
    assert re.search(r"<details[^>]*><summary>[^<]*</summary><pre class=\"raw\">invalid_grant", box)
    assert "Connected as" not in box
    assert html.count("Not set up yet") == 1  # Lockme only


# --- failures ------------------------------------------------------------------------------
def test_failure_explains_itself_with_booking_room_next_step_and_help(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    connect(client, "lockme")
    connect(client, "google")
    bad = fake_lockme.put_message(
        {
            "action": "add",
            "roomid": 101,
            "reservationid": 990001,
            "data": {"date": "2026-05-02", "hour": "25:99"},
        }
    )
    deliver(client, bad)
    drain(web_runtime)
    html = client.get("/status").get_data(as_text=True)
    card = html[html.index(f'id="failure-{bad}"') :]
    card = card[: card.index("</li>")]
    assert "Lockme sent a booking message the app cannot read." in card
    assert "Booking 990001" in card and "Pharaoh&#39;s Tomb" in card and "#101" not in card
    assert "Open the booking in Lockme and correct it" in card
    assert 'href="/help#bad-message"' in card
    assert re.search(r"<details><summary>Details</summary><pre class=\"raw\">[^<]*25:99", card)
    row = html[html.index('<tr class="result-failed"') :]
    row = row[: row.index("</tr>")]
    assert ">990001</a>" in row and "Pharaoh&#39;s Tomb" in row and "unreadable" in row
    help_page = client.get("/help").get_data(as_text=True)
    assert 'id="bad-message"' in help_page and 'id="calendar-forbidden"' in help_page


def test_a_lockme_404_and_a_google_403_read_as_their_causes(
    staff: Staff, web_runtime: Runtime
) -> None:
    client, _ = staff
    store = web_runtime.store
    store.failures.record_failure(7012, "Lockme GET /message/7012: 404 Not Found", kind="permanent")
    store.failures.record_failure(7013, "Google insert: 403 Forbidden", kind="permanent")
    html = client.get("/status").get_data(as_text=True)
    assert "Lockme no longer has this message." in html
    assert "The connected Google account may not write to this calendar." in html
    assert "Lockme GET /message/7012: 404 Not Found</pre>" in html  # raw text kept


def test_help_speaks_in_symptoms_and_links_the_guides(staff: Staff) -> None:
    client, _ = staff
    docs = Path(__file__).resolve().parent.parent / "docs"
    guides = {"en": docs / "troubleshooting.md", "pl": docs / "pl" / "troubleshooting.md"}
    for lang, guide in guides.items():
        html = client.get(f"/help?lang={lang}").get_data(as_text=True)
        anchors = re.findall(r'<section class="card" id="([a-z-]+)"', html)
        assert {"grant-revoked", "service-down", "unreachable"} <= set(anchors)
        for anchor in anchors:
            if anchor not in ("oauth-apps", "public-url", "guides"):
                assert f'<a id="{anchor}"></a>' in guide.read_text(), anchor  # the guide's too
                if anchor != "blocks-lockme":  # a cause: it links the guide in the page's language
                    link = f'href="{DOCS_URL}{guide.relative_to(docs)}#{anchor}"'
                    assert link in html, (lang, anchor)
        text = _text(html[html.index("<main") :])
        assert not re.search(r"\b(HTTP|[45]\d\d|5xx)\b|docs/", text), lang
        assert html.count('href="https://github.com/') >= 5
        # A guide with no Polish version says it is English, rather than surprise.
        assert ("(po angielsku)" in text) is (lang == "pl"), lang
    english = re.findall(r'<a id="[a-z-]+"></a>', guides["en"].read_text())
    assert re.findall(r'<a id="[a-z-]+"></a>', guides["pl"].read_text()) == english
    # Every guide the help page calls Polish is there; the blocks guide is one of them.
    html = client.get("/help?lang=pl").get_data(as_text=True)
    for guide in POLISH_GUIDES:
        assert (docs / "pl" / f"{guide}.md").is_file(), guide
        assert f'href="{DOCS_URL}pl/{guide}.md"' in html, guide
    assert "blocks" in POLISH_GUIDES


# --- chart ---------------------------------------------------------------------------------
def test_per_day_chart_is_svg_with_outcomes_and_latency(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    web_runtime.store.failures.record_failure(1, "boom")
    web_runtime.store.history.record_sync({"message_id": 1, "action": "fail", "result": "failed"})
    html = client.get("/status").get_data(as_text=True)
    assert html.count('<svg class="chart"') == 2
    assert re.search(r'<rect [^>]*fill="#1b7a3d"><title>[\d-]+: written 1</title>', html)
    assert re.search(r'fill="#b3261e"><title>[\d-]+: failed 1</title>', html)
    assert re.search(r"<title>[\d-]+: half of the syncs within ≤\S+ (s|min)</title>", html)
    assert "<table" in html[html.index("The numbers") :]  # the values for screen readers
    # Scaled into a phone's 390 px (less the page's padding), every label stays legible.
    for width, sizes in re.findall(
        r'<svg class="chart" viewBox="0 0 (\d+) \d+"(.*?)</svg>', html, re.S
    ):
        for size in re.findall(r'font-size="(\d+)"', sizes):
            assert int(size) * 350 / int(width) >= 11


# --- setup checklist -----------------------------------------------------------------------
def test_checklist_marks_each_step(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff

    def states() -> dict[str, str]:
        html = client.get("/setup").get_data(as_text=True)
        found = re.findall(r'<li class="(\w+)" id="step-(\w+)">', html)
        return {key: state for state, key in found}

    assert states() == {
        "client_ids": "done",
        "lockme": "todo",
        "google": "todo",
        "webhook": "warn",  # http://localhost: Lockme cannot reach it
        "first_message": "todo",
        "rooms": "todo",
        "test": "todo",
    }
    _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    posted = client.post("/setup/test-calendars", data={"csrf_token": token})
    # Post/redirect/get: a reload of the page shown shows the page, writing nothing again.
    assert posted.status_code == 302 and posted.location.endswith("/setup#calendar-test")
    html = client.get("/setup").get_data(as_text=True)
    assert "✓ Rooms Kraków: a test event was written and removed." in html
    assert 'id="calendar-test"' not in client.get("/setup").get_data(as_text=True)
    assert all(state == "done" for key, state in states().items() if key != "webhook")
    test_events = [
        e
        for e in fake_google.events(ROOMS_CAL, include_cancelled=True)
        if "test event" in e["summary"]
    ]
    assert len(test_events) == 1 and test_events[0]["status"] == "cancelled"
    web_runtime.store.routes.set_route(Route(102, calendar_id=HOLIDAYS))  # read-only calendar
    html = client.post(
        "/setup/test-calendars", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "✗ Holidays:" in html and "403" in html  # a read-only calendar is named too
    assert states()["test"] == "todo"


def test_public_https_webhook_is_done(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle, web_runtime: Runtime
) -> None:
    settings = make_settings(
        redis_url, fake_lockme, fake_google, PUBLIC_URL="https://sync.example.com"
    )
    client = create_app(settings, build_runtime(settings)).test_client()
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"  # as the platform's router sends
    log_in(client)
    html = client.get("/setup").get_data(as_text=True)
    assert '<li class="done" id="step-webhook">' in html


def test_sandbox_webhook_on_loopback_is_done(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    settings = make_settings(redis_url, fake_lockme, fake_google, SANDBOX_URL=fake_lockme.url)
    client = create_app(settings, build_runtime(settings)).test_client()
    log_in(client)
    html = client.get("/setup").get_data(as_text=True)
    assert '<li class="done" id="step-webhook">' in html


def test_connect_is_disabled_without_client_ids(
    redis_url: str, fake_lockme: FakeLockme, fake_google: FakeGoogle, web_runtime: Runtime
) -> None:
    settings = make_settings(redis_url, fake_lockme, fake_google, LOCKME_CLIENT_ID="")
    client = create_app(settings, build_runtime(settings)).test_client()
    log_in(client)
    html = client.get("/setup").get_data(as_text=True)
    assert '<li class="todo" id="step-client_ids">' in html
    assert "Set LOCKME_CLIENT_ID and restart" in html
    assert "http://localhost/oauth/lockme/callback" in html  # the redirect URI to register
    assert 'href="/setup/lockme/connect"' not in html and 'href="/setup/google/connect"' in html
    assert 'aria-describedby="disabled-lockme"' in html and 'href="/help#oauth-apps"' in html


# --- rooms page ----------------------------------------------------------------------------
def test_rooms_page_swatches_preview_privacy_and_invalid_fields(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    connect(client, "lockme")
    connect(client, "google")
    html = client.get("/setup/rooms").get_data(as_text=True)
    assert 'name="color-101" value="11"' in html and "Tomato" in html
    # Unsaved rooms are offered "no contact details"; the preview shows the sample booking.
    assert re.search(r'<option value="no_contact" selected>', html)
    assert "Pharaoh&#39;s Tomb: Anna Nowak" in html
    assert "like Lockme&#39;s RODO mode" in html
    form = {
        "csrf_token": token,
        "calendar-101": ROOMS_CAL,
        "duration-101": "0",
        "color-101": "3",
        "title-101": "{room} {nope}",
        "privacy-101": "time_only",
        "calendar-102": "primary",
        "duration-102": "",
        "color-102": "",
        "title-102": "",
        "privacy-102": "full",
    }
    bad = client.post("/setup/rooms", data=form)
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    invalid = set(re.findall(r'id="([\w-]+)"[^>]*aria-invalid="true"', page, re.S))
    assert invalid == {"duration-101", "title-101"}
    good = client.post("/setup/rooms", data={**form, "duration-101": "90", "title-101": ""})
    assert good.status_code == 302 and "moved=101" in good.headers["Location"]
    prompt = client.get(good.headers["Location"]).get_data(as_text=True)
    assert 'id="resync-prompt"' in prompt and "Pharaoh&#39;s Tomb" in prompt
    assert "Pharaoh&#39;s Tomb" in _text(prompt[prompt.index("resync-prompt") :])[:200]
    again = client.post("/setup/rooms", data={**form, "duration-101": "90", "title-101": ""})
    assert "moved" not in again.headers["Location"]  # nothing moved this time


def test_rooms_page_sets_whether_holds_show(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, token = staff
    connect(client, "lockme")
    connect(client, "google")
    html = client.get("/setup/rooms").get_data(as_text=True)
    assert '<select id="holds-101" name="holds-101"' in html
    assert re.search(r'<option value="show" selected>Show as tentative', html)
    assert "Unpaid holds" in client.get("/setup/rooms?lang=en").get_data(as_text=True)
    assert "Rezerwacje nieopłacone" in client.get("/setup/rooms?lang=pl").get_data(as_text=True)
    form = {"csrf_token": token}
    for rid in ("101", "102"):
        form |= {f"calendar-{rid}": "primary", f"privacy-{rid}": "no_contact"}
    bad = client.post("/setup/rooms", data={**form, "holds-101": "sometimes"})
    assert bad.status_code == 400
    invalid = set(re.findall(r'id="([\w-]+)"[^>]*aria-invalid="true"', bad.get_data(as_text=True)))
    assert invalid == {"holds-101"}
    saved = client.post("/setup/rooms", data={**form, "holds-101": "hide"})
    assert saved.status_code == 302
    assert web_runtime.store.routes.route(101).holds == "hide"
    assert web_runtime.store.routes.route(102).holds == "show"  # a form without the field keeps it
    html = client.get("/setup/rooms").get_data(as_text=True)
    assert re.search(r'<option value="hide" selected>', html)


# --- Polish, language switch, error pages ---------------------------------------------------
def test_polish_status_page_has_no_english_words(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    web_runtime.store.failures.record_failure(5, "Google insert: 403 Forbidden")
    text = _text(client.get("/status?lang=pl").get_data(as_text=True))
    assert "dodano do kalendarza" in text and "nowa rezerwacja" in text
    english = ["created", "Retry", "primary", "Booking", "Result", "Action", "add ", "Failures"]
    assert [word for word in english if word in text] == []


def test_language_switch_never_lands_on_a_405(staff: Staff) -> None:
    client, token = staff
    html = client.post("/setup/check", data={"csrf_token": token}).get_data(as_text=True)
    switch = re.search(r'<a href="([^"]+)" hreflang="pl"', html)
    assert switch and switch.group(1) == "/setup?lang=pl"
    assert client.get(switch.group(1)).status_code == 200
    rooms = client.post("/setup/rooms", data={"csrf_token": token}).get_data(as_text=True)
    assert re.search(r'<a href="/setup/rooms\?lang=en" hreflang="en"', rooms)  # GET exists


def test_error_pages_in_polish(staff: Staff) -> None:
    client, _ = staff
    missing = client.get("/nope?lang=pl")
    assert missing.status_code == 404 and "Pod tym adresem nie ma strony." in missing.get_data(
        as_text=True
    )
    wrong = client.get("/status/replay")
    assert wrong.status_code == 405 and "Ten adres nie przyjmuje" in wrong.get_data(as_text=True)


# --- accessibility and CSP -------------------------------------------------------------------
def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_focus_ring_contrast_is_at_least_3_to_1() -> None:
    css = (Path(__file__).parent.parent / "app" / "static" / "style.css").read_text()
    ring = re.search(r"^:focus-visible \{ outline: 3px solid (#\w{6})", css, re.M)
    top = re.search(r"^\.top :focus-visible \{ outline-color: (#\w{6})", css, re.M)
    banner = re.search(r"^\.banner :focus-visible \{ outline-color: (#\w{6})", css, re.M)
    assert ring and top and banner
    for background in (
        "#f5f6f8",
        "#ffffff",
        "#e6f0fb",
        "#e4f4ea",
        "#fde8e7",
    ):  # page, cards, flashes
        assert _contrast(ring.group(1), background) >= 3, background
    assert _contrast(top.group(1), "#1d2430") >= 3  # the header bar
    assert _contrast(banner.group(1), "#b3261e") >= 3  # the red banner


def test_pages_have_a_skip_link_and_no_inline_script_or_style(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    client, _ = staff
    _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    for path in ("/setup", "/setup/rooms", "/status", "/help"):
        html = client.get(path).get_data(as_text=True)
        assert '<a class="skip-link" href="#content">' in html and 'id="content"' in html
        assert " style=" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path


def test_pages_carry_their_icon_and_mark_destructive_buttons(
    staff: Staff, web_runtime: Runtime, fake_lockme: FakeLockme, fake_google: FakeGoogle
) -> None:
    """The icon is inline (a browser asked /favicon.ico on every page: a 404 each time), and
    Disconnect reads as what it is, not as the page's main action."""
    client, _ = staff
    _connect_and_book(client, web_runtime, fake_lockme, fake_google)
    html = client.get("/setup").get_data(as_text=True)
    assert '<link rel="icon" href="data:image/svg+xml,' in html
    assert '<button type="submit" class="secondary danger">Disconnect</button>' in html
