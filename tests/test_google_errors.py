"""How Google's errors are classed, and the in-place retries of a failed call.

Every case runs against the Google fake on loopback through google-api-python-client, with
the error bodies in Google's classic form (``error.errors[]``), its newer form (an
``ErrorInfo`` in ``error.details[]``) or both.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rq.registry import ScheduledJobRegistry

from tests.test_pipeline import PRIMARY, only_event, sync
from worker.domain.errors import PermanentError, TransientError
from worker.gateways.google_calendar import (
    QUOTA_EXCEEDED_WAIT_S,
    QUOTA_RESET_SPREAD_S,
    RETRY_ATTEMPTS,
    GoogleCalendar,
    until_quota_reset,
)
from worker.jobs.queue import job_id
from worker.sandbox.google_errors import ERROR_FORMS, google_error_body

EVENTS = r"/events$"
PACIFIC = ZoneInfo("America/Los_Angeles")


def event_body(eid: str, rid: int = 42, hour: int = 10) -> dict[str, Any]:
    """A minimal event of ours, as the sync writes it."""
    return {
        "id": eid,
        "summary": "Booking",
        "start": {"dateTime": f"2026-04-10T{hour:02d}:00:00", "timeZone": "Europe/Warsaw"},
        "end": {"dateTime": f"2026-04-10T{hour + 1:02d}:00:00", "timeZone": "Europe/Warsaw"},
        "extendedProperties": {"private": {"lockmeReservationId": str(rid)}},
    }


def error(code: int, reason: str, form: str) -> dict[str, Any]:
    return google_error_body(code, reason, reason, form=form)


@pytest.mark.parametrize("form", ERROR_FORMS)
@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_a_403_rate_limit_in_either_form_is_retried_in_place(runtime, fake_google, reason, form):
    fake_google.faults.add("POST", EVENTS, status=403, body=error(403, reason, form), times=2)
    runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert fake_google.count("POST", EVENTS) == 3
    assert [e["id"] for e in fake_google.events(PRIMARY)] == ["lockme42"]


@pytest.mark.parametrize("form", ERROR_FORMS)
def test_the_daily_limit_waits_for_the_pacific_midnight_reset(runtime, fake_google, form):
    fake_google.faults.add("POST", EVENTS, status=403, body=error(403, "dailyLimitExceeded", form))
    now = datetime.now(PACIFIC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=PACIFIC)
    to_reset = midnight.timestamp() - now.timestamp()
    with pytest.raises(TransientError) as raised:
        runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert raised.value.status == 403
    assert to_reset - 5 <= raised.value.retry_after <= to_reset + QUOTA_RESET_SPREAD_S
    assert fake_google.count("POST", EVENTS) == 1  # no use retrying before the reset


def test_the_quota_reset_is_counted_in_elapsed_time_across_a_dst_change():
    # 00:30 PDT on the night the US falls back: the next midnight is 24.5 hours away.
    now = datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert 88200 <= until_quota_reset(now) <= 88200 + QUOTA_RESET_SPREAD_S


@pytest.mark.parametrize("form", ERROR_FORMS)
def test_the_calendar_usage_limit_backs_off_long(runtime, fake_google, form):
    fake_google.faults.add("POST", EVENTS, status=403, body=error(403, "quotaExceeded", form))
    with pytest.raises(TransientError) as raised:
        runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert raised.value.retry_after >= QUOTA_EXCEEDED_WAIT_S
    assert fake_google.count("POST", EVENTS) == 1


@pytest.mark.parametrize("form", ERROR_FORMS)
def test_a_403_without_a_rate_reason_is_permanent(runtime, fake_google, form):
    fake_google.faults.add("POST", EVENTS, status=403, body=error(403, "forbidden", form))
    with pytest.raises(PermanentError) as raised:
        runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert not isinstance(raised.value, TransientError) and raised.value.status == 403
    assert fake_google.count("POST", EVENTS) == 1


def test_each_in_place_attempt_takes_a_slot_of_the_rate_limiter(settings, runtime, fake_google):
    slots: list[int] = []
    calendar = GoogleCalendar(settings, runtime.store, throttle=lambda: slots.append(1))
    fake_google.faults.add("POST", EVENTS, status=503, times=2)
    calendar.insert(PRIMARY, event_body("lockme42"))
    assert len(slots) == fake_google.count("POST", EVENTS) == 3


def test_an_outage_ends_the_call_after_a_bounded_number_of_attempts(runtime, fake_google):
    fake_google.faults.add("POST", EVENTS, status=503)
    with pytest.raises(TransientError) as raised:
        runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert raised.value.status == 503
    assert fake_google.count("POST", EVENTS) == RETRY_ATTEMPTS


def test_a_short_retry_after_is_honoured_in_place(runtime, fake_google):
    fake_google.faults.add("POST", EVENTS, status=429, times=1, headers={"Retry-After": "1"})
    runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert fake_google.count("POST", EVENTS) == 2


def test_a_long_retry_after_goes_to_the_jobs_backoff(runtime, fake_google):
    fake_google.faults.add("POST", EVENTS, status=503, headers={"Retry-After": "120"})
    with pytest.raises(TransientError) as raised:
        runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert raised.value.retry_after == 120
    assert fake_google.count("POST", EVENTS) == 1


def test_a_dropped_connection_is_retried_in_place(runtime, fake_google):
    fake_google.faults.add("GET", r"/events/lockme42$", drop_after_apply=True, times=1)
    runtime.calendar.insert(PRIMARY, event_body("lockme42"))
    assert runtime.calendar.get(PRIMARY, "lockme42")["id"] == "lockme42"
    assert fake_google.count("GET", r"/events/lockme42$") == 2


def test_an_insert_applied_but_answered_503_ends_as_one_event(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00", name="Jan")
    fake_google.faults.add("POST", EVENTS, status=503, drop_after_apply=True, times=1)
    sync(client, runtime, m_add)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"] == "2026-04-10T17:00:00+02:00"
    assert "Jan" in event["summary"]
    assert [s for m, _, s in fake_google.requests if m == "POST"] == [503, 409]
    assert m_add in fake_lockme.acked


def test_an_update_applied_but_answered_503_is_repeated_harmlessly(
    client, runtime, fake_lockme, fake_google
):
    rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    sync(client, runtime, m_add)
    fake_google.faults.add("PUT", r"/events/", status=503, drop_after_apply=True, times=1)
    m_edit = fake_lockme.edit_reservation(rid, hour="19:00:00")
    sync(client, runtime, m_edit)
    _, event = only_event(fake_google, rid)
    assert event["start"]["dateTime"] == "2026-04-10T19:00:00+02:00"
    assert fake_google.count("PUT", r"/events/") == 2
    assert m_edit in fake_lockme.acked


def test_a_message_meeting_the_daily_limit_waits_and_is_no_dead_letter(
    client, runtime, fake_lockme, fake_google
):
    _rid, m_add = fake_lockme.create_reservation(5, "2026-04-10", "17:00:00")
    body = error(403, "dailyLimitExceeded", "details")
    fake_google.faults.add("POST", EVENTS, status=403, body=body)
    sync(client, runtime, m_add)
    assert m_add not in fake_lockme.acked
    assert runtime.store.failures.failure(m_add) is None
    assert ScheduledJobRegistry(queue=runtime.queue).get_job_ids() == [job_id(m_add)]
    # The retry waits for the quota reset, not for the first step of the schedule (~5 s).
    run_at = ScheduledJobRegistry(queue=runtime.queue).get_scheduled_time(job_id(m_add))
    wait = (run_at - datetime.now(UTC)).total_seconds()
    spread = QUOTA_RESET_SPREAD_S + 60
    assert until_quota_reset() - spread <= wait <= until_quota_reset() + spread
