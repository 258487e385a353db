"""The 24-business-hour clock: properties over any moment, and the awkward days by name."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from harmony_portal.services.pq import sla

AK = ZoneInfo("America/Anchorage")
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(UTC))


def ak(*parts) -> datetime:
    """A local Alaska wall-clock time as aware UTC."""
    return datetime(*parts, tzinfo=AK).astimezone(UTC)


def open_time_between(start: datetime, end: datetime) -> timedelta:
    """Counted independently of the module: day by day, straight from the holiday list."""
    closed = holidays.US(subdiv="AK", years=range(start.year - 1, end.year + 2))
    total = timedelta(0)
    day = start.astimezone(AK).date() - timedelta(days=1)
    while day <= end.astimezone(AK).date():
        if day.weekday() < 5 and day not in closed:
            opens = datetime(day.year, day.month, day.day, 7, 0, tzinfo=AK)
            closes = datetime(day.year, day.month, day.day, 17, 30, tzinfo=AK)
            overlap = min(closes, end) - max(opens, start)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(moments, moments)
def test_a_later_submission_is_never_due_earlier(a, b):
    first, second = sorted((a, b))
    assert sla.first_response_due(first) <= sla.first_response_due(second)


@settings(max_examples=300, deadline=None)
@given(moments)
def test_the_due_time_is_inside_business_hours_and_at_least_a_day_later(submitted):
    due = sla.first_response_due(submitted)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    assert sla.within_business_hours(due)
    assert due - submitted >= timedelta(hours=24)


@settings(max_examples=300, deadline=None)
@given(moments)
def test_exactly_24_business_hours_lie_between_submission_and_due(submitted):
    due = sla.first_response_due(submitted)
    assert open_time_between(submitted, due) == timedelta(hours=24)
    assert sla.business_time_between(submitted, due) == timedelta(hours=24)


def test_a_friday_evening_submission_is_due_on_wednesday():
    due = sla.first_response_due(ak(2026, 2, 27, 18, 0))  # Friday
    # Monday 10.5 h + Tuesday 10.5 h + 3 h on Wednesday.
    assert due == ak(2026, 3, 4, 10, 0)
    assert sla.format_due(due) == "Wednesday, March 4, 2026 at 10:00 AM AKST"
    assert sla.respond_by_text(due) == "We will respond by Wednesday, March 4, 2026 at 10:00 AM AKST."


def test_a_submission_during_the_night_starts_counting_at_opening():
    assert sla.first_response_due(ak(2026, 3, 3, 2, 0)) == sla.first_response_due(ak(2026, 3, 3, 7, 0))
    assert sla.first_response_due(ak(2026, 3, 3, 7, 0)) == ak(2026, 3, 5, 10, 0)


def test_a_due_time_on_the_closing_minute_stays_there():
    # 7:00 Monday + 24 h: Monday 10.5, Tuesday 10.5, Wednesday 3 h. From 14:30 Monday:
    # 3 h Monday, 10.5 Tuesday, 10.5 Wednesday = 17:30 Wednesday, not Thursday morning.
    assert sla.first_response_due(ak(2026, 3, 2, 14, 30)) == ak(2026, 3, 4, 17, 30)
    assert sla.within_business_hours(ak(2026, 3, 4, 17, 30))
    assert not sla.within_business_hours(ak(2026, 3, 4, 17, 30, 1))
    assert not sla.within_business_hours(ak(2026, 3, 4, 6, 59))


def test_sewards_day_is_skipped():
    assert date(2026, 3, 30) in holidays.US(subdiv="AK", years=2026)
    due = sla.first_response_due(ak(2026, 3, 27, 18, 0))  # Friday before Seward's Day
    assert due == ak(2026, 4, 2, 10, 0)  # Tuesday, Wednesday, then Thursday morning


def test_alaska_day_observed_on_monday_is_skipped():
    # Alaska Day 2026 is a Sunday: observed Monday October 19.
    due = sla.first_response_due(ak(2026, 10, 16, 18, 0))
    assert due == ak(2026, 10, 22, 10, 0)


def test_july_fourth_observed_on_friday_is_skipped():
    # July 4, 2026 is a Saturday: observed Friday July 3.
    due = sla.first_response_due(ak(2026, 7, 1, 17, 30))
    assert due == ak(2026, 7, 7, 10, 0)  # Thursday 10.5, Monday 10.5, Tuesday 3


def test_the_march_switch_to_daylight_time():
    submitted = ak(2026, 3, 6, 12, 0)  # Friday, AKST; clocks go forward Sunday March 8
    due = sla.first_response_due(submitted)
    assert due == ak(2026, 3, 10, 15, 0)  # 5.5 Friday + 10.5 Monday + 8 Tuesday
    assert sla.format_due(due) == "Tuesday, March 10, 2026 at 3:00 PM AKDT"
    assert due - submitted == timedelta(days=4, hours=2)  # an hour of the weekend never happened


def test_the_november_switch_back_to_standard_time():
    submitted = ak(2026, 10, 30, 12, 0)  # Friday, AKDT; clocks go back Sunday November 1
    due = sla.first_response_due(submitted)
    assert due == ak(2026, 11, 3, 15, 0)
    assert sla.format_due(due) == "Tuesday, November 3, 2026 at 3:00 PM AKST"
    assert due - submitted == timedelta(days=4, hours=4)


def test_overdue_only_after_the_due_time():
    due = ak(2026, 3, 4, 10, 0)
    assert not sla.is_overdue(due, due)
    assert sla.is_overdue(due, due + timedelta(seconds=1))
    assert not sla.is_overdue(None, due)
    assert sla.is_overdue(due.replace(tzinfo=None), due + timedelta(minutes=1))  # naive UTC from the database


def test_business_time_between_counts_only_open_hours():
    assert sla.business_time_between(ak(2026, 2, 27, 17, 0), ak(2026, 3, 2, 8, 0)) == timedelta(hours=1.5)
    assert sla.business_time_between(ak(2026, 3, 2, 8, 0), ak(2026, 3, 2, 7, 0)) == timedelta(0)
