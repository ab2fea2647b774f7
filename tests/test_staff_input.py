"""Odd staff input gets a 400 with a clear message, never a 500, and stores nothing bad.

Driven through Flask's test client against a real Redis and the Lockme fake; the fuzz tests
post Hypothesis-generated text to each staff form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import connect_both
from tests.test_web import log_in
from worker.runtime import Runtime
from worker.sandbox import FakeGoogle, FakeLockme

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
odd_text = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60),
    st.sampled_from(["²", "٣", "9" * 5000, "-1", "0", " 7 ", "1e3", "\r\n", "\x00", "１２"]),
)


@pytest.fixture
def staff(web_app: Flask) -> Iterator[tuple[FlaskClient, str]]:
    client = web_app.test_client()
    yield client, log_in(client)


# --- replay ------------------------------------------------------------------------------------
@pytest.mark.parametrize("message_id", ["²", "9" * 5000, "-1", "", "1.5", "9" * 19])
def test_replay_with_an_odd_message_id_is_400(
    staff: tuple[FlaskClient, str], message_id: str
) -> None:
    client, token = staff
    answer = client.post("/status/replay", data={"csrf_token": token, "message_id": message_id})
    assert answer.status_code == 400
    assert "1 to 18 digits" in answer.get_data(as_text=True)


@FUZZ
@given(message_id=odd_text)
def test_fuzz_replay_form(staff: tuple[FlaskClient, str], message_id: str) -> None:
    client, token = staff
    answer = client.post("/status/replay", data={"csrf_token": token, "message_id": message_id})
    assert answer.status_code in (302, 400)


# --- rooms -------------------------------------------------------------------------------------
def _rooms_form(token: str, **row: str) -> dict[str, str]:
    fields = {"calendar": "primary", "duration": "", "color": "", "title": "", "privacy": "full"}
    fields.update(row)
    return {"csrf_token": token, **{f"{k}-101": v for k, v in fields.items()}}


@pytest.fixture
def rooms_staff(
    staff: tuple[FlaskClient, str],
    web_runtime: Runtime,
    fake_lockme: FakeLockme,
    fake_google: FakeGoogle,
) -> tuple[FlaskClient, str, Runtime]:
    client, token = staff
    connect_both(web_runtime, fake_lockme, fake_google)
    assert client.get("/setup/rooms").status_code == 200
    return client, token, web_runtime


@pytest.mark.parametrize("duration", ["²", "٣", "9" * 5000, "0", "1441", "-5", "1.5"])
def test_an_odd_room_duration_is_400_and_saves_nothing(
    rooms_staff: tuple[FlaskClient, str, Runtime], duration: str
) -> None:
    client, token, rt = rooms_staff
    answer = client.post("/setup/rooms", data=_rooms_form(token, duration=duration))
    assert answer.status_code == 400
    assert "1 to 1440" in answer.get_data(as_text=True)
    assert rt.store.routes.routes() == {}


@FUZZ
@given(duration=odd_text, color=odd_text, title=odd_text, privacy=odd_text, calendar=odd_text)
def test_fuzz_rooms_form(
    rooms_staff: tuple[FlaskClient, str, Runtime],
    duration: str,
    color: str,
    title: str,
    privacy: str,
    calendar: str,
) -> None:
    client, token, _ = rooms_staff
    form = _rooms_form(
        token, duration=duration, color=color, title=title, privacy=privacy, calendar=calendar
    )
    assert client.post("/setup/rooms", data=form).status_code in (302, 400)


# --- pasted Lockme token -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "token",
    [
        {"access_token": "abc", "refresh_token": "def", "expires_in": [1]},
        {"access_token": "abc\r\nX-Injected: 1", "refresh_token": "def", "expires_in": 3600},
        {"access_token": "abc", "refresh_token": "de f\n", "expires_in": 3600},
        {"access_token": "abc", "expires_in": float("nan")},
        {"access_token": "abc", "expires": {"a": 1}},
        {"access_token": 7},
        ["access_token"],
    ],
)
def test_an_odd_pasted_token_is_400_and_nothing_is_stored(
    staff: tuple[FlaskClient, str], web_runtime: Runtime, token: object
) -> None:
    client, csrf = staff
    form = {"csrf_token": csrf, "token": json.dumps(token)}
    answer = client.post("/setup/lockme/token", data=form)
    assert answer.status_code == 400
    assert "not a Lockme token" in answer.get_data(as_text=True)
    assert web_runtime.store.tokens.load_token("lockme") is None


def test_a_deeply_nested_paste_is_400(staff: tuple[FlaskClient, str]) -> None:
    client, csrf = staff
    answer = client.post("/setup/lockme/token", data={"csrf_token": csrf, "token": "[" * 5000})
    assert answer.status_code == 400


def test_a_sound_pasted_token_still_connects(
    staff: tuple[FlaskClient, str], web_runtime: Runtime, fake_lockme: FakeLockme
) -> None:
    client, csrf = staff
    token = json.dumps(fake_lockme.issue_token())
    answer = client.post("/setup/lockme/token", data={"csrf_token": csrf, "token": token})
    assert answer.status_code == 302
    assert web_runtime.store.tokens.load_token("lockme") is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | odd_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3),
    max_leaves=6,
)


@FUZZ
@given(
    token=st.one_of(
        odd_text,
        st.fixed_dictionaries(
            {"access_token": json_values},
            optional={"refresh_token": json_values, "expires_in": json_values},
        ).map(json.dumps),
    )
)
def test_fuzz_pasted_token(
    staff: tuple[FlaskClient, str], web_runtime: Runtime, token: str
) -> None:
    client, csrf = staff
    answer = client.post("/setup/lockme/token", data={"csrf_token": csrf, "token": token})
    assert answer.status_code in (302, 400, 502)
    stored = web_runtime.store.tokens.load_token("lockme")
    if stored is not None:
        assert all(
            "\n" not in str(v) and "\r" not in str(v)
            for k, v in stored.items()
            if k != "expires_at"
        )
