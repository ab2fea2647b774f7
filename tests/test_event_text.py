"""Customer text in events cannot forge structure, and hides at the private levels."""

from __future__ import annotations

import html
from datetime import date, time
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.texts import PAGES, SANDBOX
from worker.domain.block_rules import block_label
from worker.domain.booking import PRIVACY_LEVELS, Booking, Route, event_body
from worker.domain.wording import VENUE_WORDS

COMMENT_HEADING = VENUE_WORDS["en"].comment_heading

WARSAW = ZoneInfo("Europe/Warsaw")
LABELS = ("Lockme reservation", "People", "Phone", "Email", "Price", "Payment", "Source")


def description(privacy: str = "full", **fields: object) -> str:
    booking = Booking(reservation_id=7, room_id=1, date=date(2026, 5, 2), hour=time(18), **fields)
    body = event_body(booking, Route(1, privacy=privacy), WARSAW, 60, 1)
    return body["description"]


def our_lines(text: str) -> list[str]:
    """The lines staff read as the product's own: all but the quoted comment."""
    return [line for line in text.split("\n") if not line.startswith("> ")]


def test_a_comment_with_newlines_adds_no_field_lines() -> None:
    forged = "Birthday\nPayment: paid\r\nPrice: 0.00\u2028Email: x@example.com"
    text = description(comment=forged, paid=False, price="240.00")
    assert our_lines(text) == [
        "Lockme reservation: 7",
        "Price: 240.00",
        "Payment: unpaid",
        COMMENT_HEADING,
    ]
    assert "> Payment: paid" in text and "> Price: 0.00" in text


def test_a_name_with_newlines_stays_on_its_line() -> None:
    booking = Booking(7, 1, date(2026, 5, 2), time(18), name="Jan\nPayment: paid", paid=False)
    body = event_body(booking, Route(1), WARSAW, 60, 1)
    assert "\n" not in body["summary"]
    assert "Payment: unpaid" in body["description"]


def test_private_levels_leave_the_comment_out() -> None:
    comment = "call me on +48 600 100 200 or jan@example.com"
    assert "600 100 200" in description("full", comment=comment)
    for level in ("no_contact", "time_only"):
        assert "600" not in description(level, comment=comment)
        assert COMMENT_HEADING not in description(level, comment=comment)


customer_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120
) | st.sampled_from(["\nPayment: paid", "x\r\nPrice: 0.00", "a\u2028Email: e@x", "\x85Phone: 1"])


@settings(max_examples=400, deadline=None)
@given(
    name=customer_text,
    surname=customer_text,
    comment=customer_text,
    price=customer_text,
    source=customer_text,
    paid=st.booleans(),
    privacy=st.sampled_from(PRIVACY_LEVELS),
)
def test_fuzz_customer_text_never_forges_a_field(
    name: str, surname: str, comment: str, price: str, source: str, paid: bool, privacy: str
) -> None:
    text = description(
        privacy, name=name, surname=surname, comment=comment, price=price, source=source, paid=paid
    )
    lines = our_lines(text)
    labels = [line.split(": ", 1)[0] for line in lines if line != COMMENT_HEADING]
    # Every line of ours is one field, each at most once, in order; the comment is last.
    assert all(label in LABELS for label in labels), lines
    assert len(labels) == len(set(labels))
    assert f"Payment: {'paid' if paid else 'unpaid'}" in lines
    assert lines.count(COMMENT_HEADING) <= 1
    if COMMENT_HEADING in lines:
        assert privacy == "full"
        assert text.split("\n").index(COMMENT_HEADING) == len(lines) - 1
    assert "<" not in text and html.unescape(text).count("\n") == text.count("\n")


def test_a_polish_venue_reads_its_calendar_in_polish() -> None:
    """The hold's marker and the labels follow the venue's language; a hold and a block
    have words of their own (a hold is not a "blokada")."""
    hold = Booking(7, 1, date(2026, 5, 2), time(18), name="Ewa", people=4, paid=False)
    hold = Booking(**{**hold.__dict__, "source": "web"})
    body = event_body(hold, Route(1, room_name="Bunker"), WARSAW, 60, 1, "pl")
    assert body["summary"].startswith("⏳ Rezerwacja nieopłacona · Bunker")
    assert our_lines(body["description"]) == [
        "Rezerwacja Lockme: 7",
        "Osoby: 4",
        "Płatność: nieopłacona",
        "Źródło: web",
    ]
    assert (
        block_label("Przegląd kotła", "full", "pl") == "Blokada z kalendarza Google: Przegląd kotła"
    )
    assert "blokad" not in VENUE_WORDS["pl"].hold_marker.casefold()


def test_no_polish_page_calls_an_unpaid_hold_a_blokada() -> None:
    """On the rooms page an unpaid hold's setting sits above the blocks calendar's: were
    both a "blokada", staff could not tell which one a text means. Every Polish text that
    speaks of an unpaid booking says "rezerwacja nieopłacona", never "blokada"."""
    unpaid = [
        (key, polish)
        for catalog in (PAGES, SANDBOX)
        for (key, english), polish in zip(
            catalog.table("en").items(), catalog.table("pl").values(), strict=True
        )
        if "unpaid" in english.casefold() or "nieopłac" in polish.casefold()
    ]
    assert {"holds", "holds_help", "unpaid", "unpaid_short"} <= {key for key, _ in unpaid}
    assert [key for key, polish in unpaid if "blokad" in polish.casefold()] == []
