"""The help desk's clock: 24 business hours to a first response.

Business hours are 7:00am-5:30pm, Monday to Friday, in the portal's time zone
(``HARMONY_TIMEZONE``, America/Anchorage), except Alaska state holidays as the
``holidays`` package lists them (Seward's Day, Alaska Day, and the observed
weekday of a holiday that falls on a weekend).

Everything here takes and returns aware UTC datetimes; only :func:`format_due`
speaks local time. Anchorage changes its clocks at 2:00am, so the opening and
closing times of a day are never skipped or repeated: a business day is always
exactly 10.5 hours long.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays

from harmony_portal.settings import get_settings

OPENS = time(7, 0)
CLOSES = time(17, 30)
FIRST_RESPONSE = timedelta(hours=24)
# No run of closed days is this long; a bound keeps a bad input from looping forever.
_MAX_DAYS = 366


@lru_cache(maxsize=64)
def _holidays_in(year: int) -> Mapping[date, str]:
    # One read-only mapping per year: the library's own object grows itself on lookup,
    # which is not safe to share between threads.
    return MappingProxyType(dict(holidays.US(subdiv="AK", years=year, observed=True)))


def is_holiday(day: date) -> bool:
    """True on an Alaska state holiday, observed dates included."""
    return day in _holidays_in(day.year)


def holiday_name(day: date) -> str | None:
    """The holiday's name ("Seward's Day", "Independence Day (observed)"), or None on other days."""
    return _holidays_in(day.year).get(day)


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a holiday."""
    return day.weekday() < 5 and not is_holiday(day)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # the database hands back naive UTC on some engines
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _open_windows(start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The business-hour windows (UTC opening, UTC closing) from the day of ``start`` on."""
    zone = get_settings().timezone
    day = start.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if is_business_day(day):
            opens = datetime.combine(day, OPENS, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, CLOSES, tzinfo=zone).astimezone(UTC)
            yield opens, closes
        day += timedelta(days=1)
    raise RuntimeError("no business hours within a year")  # pragma: no cover


def add_business_time(start: datetime, amount: timedelta) -> datetime:
    """The moment ``amount`` of business time after ``start`` (UTC in, UTC out).

    Time outside business hours does not count: a start at night begins counting at
    the next opening. A result that falls exactly on a closing time stays there
    (5:30pm is inside), rather than moving to the next morning.
    """
    start = _as_utc(start)
    left = amount
    for opens, closes in _open_windows(start):
        if closes <= start:
            continue
        begin = max(opens, start)
        if begin + left <= closes:
            return begin + left
        left -= closes - begin
    raise AssertionError("unreachable")  # pragma: no cover


def first_response_due(submitted_at: datetime) -> datetime:
    """When the first response to a PQ submitted at ``submitted_at`` is due (UTC)."""
    return add_business_time(submitted_at, FIRST_RESPONSE)


def business_time_between(start: datetime, end: datetime) -> timedelta:
    """How much business time lies between ``start`` and ``end`` (zero if end is first)."""
    start, end = _as_utc(start), _as_utc(end)
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in _open_windows(start):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def within_business_hours(moment: datetime) -> bool:
    """True from 7:00am to 5:30pm (both ends included) on a business day."""
    zone = get_settings().timezone
    local = _as_utc(moment).astimezone(zone)
    return is_business_day(local.date()) and OPENS <= local.time() <= CLOSES


def is_overdue(due: datetime | None, now: datetime) -> bool:
    """True once ``now`` is past ``due`` (a PQ with no due time is never overdue)."""
    return due is not None and _as_utc(now) > _as_utc(due)


def format_due(due: datetime) -> str:
    """``due`` in local time for people: "Wednesday, March 4, 2026 at 9:00 AM AKST"."""
    local = _as_utc(due).astimezone(get_settings().timezone)
    hour = local.hour % 12 or 12
    meridiem = "AM" if local.hour < 12 else "PM"
    return (f"{local:%A}, {local:%B} {local.day}, {local.year} "
            f"at {hour}:{local.minute:02d} {meridiem} {local.tzname()}")


def respond_by_text(due: datetime) -> str:
    """The promise shown to a requester: "We will respond by Wednesday, ... AKST."."""
    return f"We will respond by {format_due(due)}."
