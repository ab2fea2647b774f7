"""Pure rules: message parsing, event content, privacy, time zones. Fuzzed where it counts."""

from __future__ import annotations

import html
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.domain.booking import (
    Booking,
    MalformedMessage,
    Route,
    event_body,
    event_id,
    event_matches,
    local_span,
    parse_message,
    render_title,
)

WARSAW = ZoneInfo("Europe/Warsaw")


def booking(**overrides) -> Booking:
    fields = {
        "reservation_id": 48211930,
        "room_id": 1398,
        "date": date(2026, 3, 14),
        "hour": time(18, 30),
        "name": "Jan",
        "surname": "Kowalski",
        "email": "jan@example.com",
        "phone": "+48600100200",
        "people": 4,
        "price": "240.00",
        "comment": "Urodziny",
        "paid": True,
        "source": "web",
    }
    return Booking(**{**fields, **overrides})


def test_event_id_is_base32hex_and_long_enough():
    for rid in (1, 7, 10**17):
        eid = event_id(rid)
        assert len(eid) >= 5 and set(eid) <= set("0123456789abcdefghijklmnopqrstuv")


@pytest.mark.parametrize(
    ("privacy", "visible", "hidden"),
    [
        ("full", ["Jan", "jan@example.com", "+48600100200", "240.00", "Urodziny"], []),
        # The comment is free text that may carry contact data: shown only at "full".
        ("no_contact", ["Jan"], ["jan@example.com", "+48600100200", "240.00", "Urodziny"]),
        ("time_only", [], ["Jan", "Kowalski", "jan@example.com", "+48600100200", "Urodziny"]),
    ],
)
def test_privacy_levels(privacy, visible, hidden):
    body = event_body(booking(), Route(1398, privacy=privacy, room_name="Bunker"), WARSAW, 60, 1)
    text = body["summary"] + "\n" + body["description"]
    assert all(v in text for v in visible)
    assert not any(h in text for h in hidden)
    assert "Bunker" in body["summary"]


def test_title_template_and_unknown_placeholders_stay_literal():
    values = {"room": "Bunker", "name": "Jan", "surname": "K", "people": "4", "reservation": "1"}
    assert render_title("{room} – {name} ({people})", values) == "Bunker – Jan (4)"
    assert render_title("{name.__class__} {nope}", values) == "{name.__class__} {nope}"


def test_html_in_names_is_escaped_in_the_description():
    route = Route(1, privacy="full")  # the comment shows only at the full level
    body = event_body(booking(comment="<script>alert(1)</script>"), route, WARSAW, 60, 1)
    assert "<script>" not in body["description"]
    assert html.escape("<script>alert(1)</script>") in body["description"]


def test_span_uses_elapsed_minutes_across_dst():
    start, end = local_span(date(2026, 3, 29), time(1, 30), WARSAW, 60)
    assert start.isoformat() == "2026-03-29T01:30:00+01:00"
    assert end.isoformat() == "2026-03-29T03:30:00+02:00"


def test_event_matches_detects_differences():
    body = event_body(booking(), Route(1398), WARSAW, 60, 5)
    assert event_matches({**body, "status": "confirmed"}, body)
    assert not event_matches({**body, "summary": "edited by hand"}, body)
    moved = {
        **body,
        "start": {"dateTime": "2026-03-14T19:30:00+01:00", "timeZone": "Europe/Warsaw"},
    }
    assert not event_matches(moved, body)


def test_delete_needs_only_ids():
    message = parse_message(
        9, {"action": "delete", "roomid": 1, "reservationid": 2, "data": {"extid": ""}}
    )
    assert (message.action, message.room_id, message.reservation_id, message.booking) == (
        "delete",
        1,
        2,
        None,
    )


def test_room_id_falls_back_to_data():
    message = parse_message(
        9,
        {
            "action": "add",
            "reservationid": 2,
            "data": {"roomid": "11", "date": "2026-01-02", "hour": "10:00"},
        },
    )
    assert message.room_id == 11


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=3000)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
data_fields = st.fixed_dictionaries(
    {},
    optional={
        k: st.one_of(values, st.sampled_from(["2026-03-29", "02:30", "25:99", "<b>x</b>", "1"]))
        for k in (
            "date",
            "hour",
            "name",
            "surname",
            "email",
            "phone",
            "people",
            "price",
            "comment",
            "status",
            "roomid",
        )
    },
)
payloads = st.one_of(
    values,
    st.fixed_dictionaries(
        {},
        optional={
            "action": st.one_of(st.sampled_from(["add", "edit", "delete", "test", "nope"]), values),
            "roomid": st.one_of(st.integers(-3, 10**19), st.text(max_size=20), values),
            "reservationid": st.one_of(st.integers(-3, 10**19), st.text(max_size=20), values),
            "data": st.one_of(data_fields, values),
        },
    ),
)


@settings(max_examples=600, deadline=None)
@given(payload=payloads)
def test_parser_fuzz_clear_error_or_sound_event(payload):
    try:
        message = parse_message(1, payload)
    except MalformedMessage as exc:
        assert str(exc) and len(str(exc)) < 200
        return
    if message.booking is None:
        return
    body = event_body(message.booking, Route(message.booking.room_id), WARSAW, 60, 1)
    assert len(body["summary"]) <= 200
    assert "<" not in body["description"]
    start = datetime.fromisoformat(body["start"]["dateTime"])
    end = datetime.fromisoformat(body["end"]["dateTime"])
    assert (end - start).total_seconds() == 3600


@pytest.mark.parametrize("rid", ["¹", "٣", "１２"])
def test_an_id_of_non_ascii_digits_is_a_clear_error(rid: str) -> None:
    """str.isdigit() accepts these, int() does not (or reads them unlike Lockme)."""
    with pytest.raises(MalformedMessage, match="reservationid"):
        parse_message(1, {"action": "delete", "reservationid": rid, "roomid": 5})
