"""The Help page's live facts: the help box open or closed (the help desk's own clock), and maintenance ahead."""

from datetime import UTC, datetime, timedelta

import pytest

from harmony_portal.models import MaintenanceWindow
from harmony_portal.services.maintenance.help_info import help_box_status, upcoming_maintenance
from harmony_portal.services.pq import sla


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("now", "is_open", "text"), [
    # Wednesday 9:00 AKST
    (_utc(2026, 11, 18, 18, 0), True, "Open now, until 5:30 PM AKST today."),
    # Wednesday 5:30 PM AKST, the last monitored minute; a minute later it is closed
    (_utc(2026, 11, 19, 2, 30), True, "Open now, until 5:30 PM AKST today."),
    (_utc(2026, 11, 19, 2, 31), False, "Closed now (after hours). Opens Thursday 7:00 AM AKST."),
    # Wednesday 6:00 AKST
    (_utc(2026, 11, 18, 15, 0), False, "Closed now (before hours). Opens today 7:00 AM AKST."),
    # Saturday noon AKST
    (_utc(2026, 11, 21, 21, 0), False, "Closed now (weekend). Opens Monday 7:00 AM AKST."),
    # Seward's Day (Monday, March 30, 2026) 10:00 AKDT
    (_utc(2026, 3, 30, 18, 0), False, "Closed now (Seward's Day). Opens Tuesday 7:00 AM AKDT."),
    # Wednesday evening before Thanksgiving: Thursday is a holiday
    (_utc(2026, 11, 26, 3, 0), False, "Closed now (after hours). Opens Friday 7:00 AM AKST."),
    # Independence Day observed on Friday, July 3, 2026
    (_utc(2026, 7, 3, 18, 0), False, "Closed now (Independence Day (observed)). Opens Monday 7:00 AM AKDT."),
])
def test_help_box_status(now, is_open, text):
    status = help_box_status(now)
    assert (status.is_open, status.text) == (is_open, text)


def test_open_exactly_when_the_help_desk_clock_counts():
    start = _utc(2026, 3, 27, 0, 0)  # a week around Seward's Day and the clocks changing
    for quarter_hours in range(4 * 24 * 9):
        now = start + timedelta(minutes=15 * quarter_hours)
        assert help_box_status(now).is_open == sla.within_business_hours(now), now


def test_upcoming_windows_soonest_first_without_past_or_cancelled(session, clock):
    now = clock.now()
    rows = [
        MaintenanceWindow(starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1), reason="Past"),
        MaintenanceWindow(starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
                          reason="Later"),
        MaintenanceWindow(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=1),
                          reason="Cancelled", cancelled_at=now),
        MaintenanceWindow(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1), reason="Now"),
    ]
    session.add_all(rows)
    session.commit()
    windows = upcoming_maintenance(session, now)
    assert [(w["reason"], w["status"]) for w in windows] == [("Now", "In progress"), ("Later", "Scheduled")]
    assert windows[1]["when"] == "Nov 21, 2026 9:00 AM AKST to Nov 21, 2026 11:00 AM AKST"
