"""Maintenance windows: the weekly rule (change, skip, off), one-off windows, the banner's phases
and when it changes next, DST, refusals during a window, announcements."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from harmony_portal.models import Announcement, AnnouncementDismissal, AuditEvent
from harmony_portal.services.errors import Conflict, Invalid, Maintenance, NotAllowed
from harmony_portal.services.maintenance import announcements, schedule
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.roles import requests as roles
from tests import factories

AK = ZoneInfo("America/Anchorage")

# These tests stand on a fixed clock and need the default weekly window (other tests have it off).
pytestmark = pytest.mark.weekly_window


def _ak(*args) -> datetime:
    return datetime(*args, tzinfo=AK).astimezone(UTC)


@pytest.fixture
def admin(session):
    return factories.user(session, "mwadmin", is_admin=True)


def test_sunday_afternoon_is_in_progress_with_a_plain_end(session):
    banner = maintenance.banner_at(session, _ak(2026, 11, 22, 15, 0))
    assert banner.phase == "in_progress" and "until today 8:00 PM AKST" in banner.text
    # What really happens: a save is refused (not queued), and what was typed stays.
    assert "saving is refused" in banner.text and "waits" not in banner.text
    assert banner.changes_at == _ak(2026, 11, 22, 20, 0)  # the end: the clock pushes then


def test_the_phases_before_a_window_and_when_each_begins(session):
    start = _ak(2026, 11, 29, 14, 0)
    assert maintenance.banner_at(session, start - timedelta(hours=25)).phase == ""
    assert maintenance.banner_at(session, start - timedelta(hours=25)).changes_at == start - timedelta(hours=24)
    upcoming = maintenance.banner_at(session, _ak(2026, 11, 28, 18, 0))
    assert upcoming.phase == "upcoming" and "tomorrow 2:00-8:00 PM AKST" in upcoming.text
    assert upcoming.changes_at == start - timedelta(minutes=30)
    same_day = maintenance.banner_at(session, _ak(2026, 11, 29, 9, 0))
    assert "today 2:00-8:00 PM AKST" in same_day.text and not same_day.save_warning
    countdown = maintenance.banner_at(session, start - timedelta(minutes=20))
    assert countdown.phase == "countdown" and countdown.changes_at == start - timedelta(minutes=5)
    warned = maintenance.banner_at(session, start - timedelta(minutes=4))
    assert warned.phase == "countdown" and warned.save_warning and warned.changes_at == start
    assert maintenance.banner_at(session, _ak(2026, 11, 29, 20, 0)).phase == ""


def test_the_weekly_window_stays_at_two_pm_across_the_dst_changes(session):
    # DST ends Nov 1 2026 and starts Mar 14 2027: 2:00 PM local is 22:00 UTC in summer, 23:00 UTC in winter.
    summer = maintenance.window_at(session, _ak(2026, 10, 25, 15, 0))
    winter = maintenance.window_at(session, _ak(2026, 11, 1, 15, 0))
    spring = maintenance.window_at(session, _ak(2027, 3, 14, 15, 0))
    assert summer.starts_at.hour == 22 and winter.starts_at.hour == 23 and spring.starts_at.hour == 22
    assert "AKDT" in maintenance.banner_at(session, _ak(2026, 10, 25, 15, 0)).text


def test_a_one_off_window_typed_in_alaska_time_is_stored_in_utc_and_shown_back(session, admin):
    starts = schedule.parse_local("2026-12-02T21:00", "starts")
    ends = schedule.parse_local("2026-12-02 23:30", "ends")
    assert starts == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    schedule.add_window(session, admin, starts, ends, "Database upgrade", now=_ak(2026, 12, 2, 9, 0))
    banner = maintenance.banner_at(session, _ak(2026, 12, 2, 12, 0))
    assert banner.phase == "upcoming" and "today 9:00-11:30 PM AKST. Database upgrade" in banner.text
    assert maintenance.in_maintenance(session, _ak(2026, 12, 2, 22, 0))
    actions = session.exec(select(AuditEvent.action)).all()
    assert "maintenance.window_added" in actions


def test_windows_are_checked_and_only_administrators_change_them(session, admin):
    now = _ak(2026, 12, 2, 9, 0)
    provider = factories.user(session, "mwprovider")
    with pytest.raises(NotAllowed):
        schedule.add_window(session, provider, now + timedelta(hours=1), now + timedelta(hours=2), "", now=now)
    with pytest.raises(Invalid) as refused:
        schedule.add_window(session, admin, now + timedelta(hours=2), now + timedelta(hours=1), "", now=now)
    assert "after the start" in refused.value.errors["ends"]
    with pytest.raises(Invalid):
        schedule.add_window(session, admin, now, now + timedelta(days=4), "", now=now)
    with pytest.raises(Invalid):
        schedule.parse_local("next tuesday", "starts")
    window = schedule.add_window(session, admin, now + timedelta(hours=1), now + timedelta(hours=2), "x",
                                    now=now)
    with pytest.raises(NotAllowed):
        schedule.cancel_window(session, provider, window.id, now=now)
    schedule.cancel_window(session, admin, window.id, now=now)
    with pytest.raises(Conflict):
        schedule.cancel_window(session, admin, window.id, now=now)
    assert not maintenance.in_maintenance(session, now + timedelta(minutes=90))
    with pytest.raises(NotAllowed):
        schedule.skip_next_weekly(session, provider, now=now)
    with pytest.raises(NotAllowed):
        schedule.set_weekly(session, provider, weekday=5, start_minute=60, end_minute=120, active=True,
                               reason="", now=now)


def test_skipping_the_next_weekly_window_leaves_later_weeks(session, admin):
    skipped = schedule.skip_next_weekly(session, admin, now=_ak(2026, 11, 25, 9, 0))
    assert skipped.starts_at == _ak(2026, 11, 29, 14, 0)
    assert not maintenance.in_maintenance(session, _ak(2026, 11, 29, 15, 0))
    assert maintenance.in_maintenance(session, _ak(2026, 12, 6, 15, 0))


def test_changing_and_switching_off_the_weekly_window(session, admin):
    now = _ak(2026, 11, 25, 9, 0)
    schedule.set_weekly(session, admin, weekday=5, start_minute=22 * 60, end_minute=60, active=True,
                           reason="Saturday night upgrades", now=now)  # past midnight
    assert maintenance.in_maintenance(session, _ak(2026, 11, 29, 0, 30))
    assert not maintenance.in_maintenance(session, _ak(2026, 11, 29, 15, 0))
    assert schedule.weekly_text(maintenance.weekly_rule(session)) == "Every Saturday, 10:00 PM to 1:00 AM"
    with pytest.raises(Invalid) as refused:
        schedule.set_weekly(session, admin, weekday=9, start_minute=-1, end_minute=-1, active=True, reason="",
                               now=now)
    assert set(refused.value.errors) == {"weekday", "start", "end"}
    schedule.set_weekly(session, admin, weekday=6, start_minute=14 * 60, end_minute=20 * 60, active=False,
                           reason="", now=now)
    assert maintenance.banner_at(session, _ak(2026, 11, 29, 15, 0)).phase == ""
    with pytest.raises(Invalid):
        schedule.skip_next_weekly(session, admin, now=now)


def test_during_a_window_saves_are_refused_with_when_and_administrators_keep_working(session, admin):
    provider = factories.user(session, "mwsaver")
    factories.org(session, "MW1")
    sunday = _ak(2026, 11, 22, 15, 0)
    with pytest.raises(Maintenance) as refused:
        roles.request_role(session, provider, "MW1", "Staff", "Needs access for the Sunday rota.", now=sunday)
    assert "until today 8:00 PM AKST" in str(refused.value) and "nothing you typed is lost" in str(refused.value)
    maintenance.refuse_while_down(session, admin, sunday)  # no exception
    roles.request_role(session, provider, "MW1", "Staff", "Needs access for the Sunday rota.",
                       now=sunday + timedelta(hours=5))


def test_announcements_for_everyone_or_one_provider_type_and_closed_on_every_device(session, admin):
    now = _ak(2026, 11, 25, 9, 0)
    nurse = factories.user(session, "annnurse")
    org = factories.org(session, "ANN1", provider_type="Nursing Home")
    factories.grant(session, nurse, org, "Staff")
    everyone = announcements.post(session, admin, title="New forms", body="From Monday.", level="info",
                                  audience="Everyone", starts_at=now, ends_at=None, now=now)
    homes = announcements.post(session, admin, title="Nursing homes", body="Census due.", level="warning",
                               audience="Nursing Home", starts_at=now, ends_at=now + timedelta(days=1), now=now)
    later = announcements.post(session, admin, title="Later", body="", level="info", audience="Everyone",
                               starts_at=now + timedelta(hours=2), ends_at=None, now=now)
    assert [a.id for a in announcements.in_force(session, now)] == [homes.id, everyone.id] or \
        {a.id for a in announcements.in_force(session, now)} == {homes.id, everyone.id}
    assert announcements.next_start(session, now) == later.starts_at.replace(tzinfo=UTC)
    types, closed = announcements.audience_of(session, nurse)
    assert types == ["Nursing Home"] and closed == []
    announcements.dismiss(session, nurse, everyone.id, now=now)
    announcements.dismiss(session, nurse, everyone.id, now=now)  # twice is harmless
    assert announcements.audience_of(session, nurse)[1] == [everyone.id]
    assert len(session.exec(select(AnnouncementDismissal)).all()) == 1
    with pytest.raises(NotAllowed):
        announcements.post(session, nurse, title="Hi", body="", level="info", audience="Everyone",
                           starts_at=now, ends_at=None, now=now)
    with pytest.raises(NotAllowed):
        announcements.end(session, nurse, everyone.id, now=now)
    with pytest.raises(Invalid) as refused:
        announcements.post(session, admin, title="", body="", level="loud", audience="Martians", starts_at=now,
                           ends_at=now - timedelta(hours=1), now=now)
    assert set(refused.value.errors) == {"title", "level", "audience", "ends"}
    announcements.end(session, admin, everyone.id, now=now + timedelta(minutes=1))
    assert everyone.id not in {a.id for a in announcements.in_force(session, now + timedelta(minutes=2))}
    assert session.exec(select(Announcement)).all()
