"""The maintenance banner: weekly Sunday 2-8pm Alaska time, plus one-off windows."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from harmony_portal.models import MaintenanceWindow
from harmony_portal.services.maintenance import notice_at

AK = ZoneInfo("America/Anchorage")


def _ak(*args) -> datetime:
    return datetime(*args, tzinfo=AK).astimezone(UTC)


def test_sunday_afternoon_is_in_progress(session):
    notice = notice_at(session, _ak(2026, 11, 22, 15, 0))
    assert notice.in_progress and "8:00 PM" in notice.text and "not be recoverable" in notice.text


def test_saturday_evening_warns_of_sunday(session):
    notice = notice_at(session, _ak(2026, 11, 21, 18, 0))
    assert notice is not None and not notice.in_progress


def test_midweek_shows_nothing_and_sunday_night_is_over(session):
    assert notice_at(session, _ak(2026, 11, 18, 9, 0)) is None
    assert notice_at(session, _ak(2026, 11, 22, 20, 0)) is None


def test_a_one_off_window_shows_and_a_cancelled_one_does_not(session):
    start = _ak(2026, 11, 18, 12, 0)
    session.add(MaintenanceWindow(starts_at=start, ends_at=start + timedelta(hours=1), reason="Database upgrade"))
    session.add(MaintenanceWindow(starts_at=start - timedelta(hours=3), ends_at=start - timedelta(hours=2),
                                  cancelled_at=start))
    session.flush()
    upcoming = notice_at(session, start - timedelta(hours=2, minutes=30))
    assert upcoming is not None and not upcoming.in_progress and "Database upgrade" in upcoming.text
    assert notice_at(session, start + timedelta(minutes=5)).in_progress
