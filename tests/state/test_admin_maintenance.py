"""Maintenance and announcement handlers: administrators only, forged arguments refused, and the
banner clock's reading and push."""

from datetime import timedelta

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live import banner as live_banner
from harmony_portal.models import Announcement, AnnouncementDismissal, MaintenanceWindow, User, utc_now
from harmony_portal.services.clock import to_local
from harmony_portal.state.admin_maintenance import AdminMaintenanceState
from harmony_portal.state.shell import ShellState
from tests.state.conftest import run_async


def _local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def people(app_db, make):
    with session_scope() as s:
        admin, provider = make.user(s, "mw.admin", is_admin=True), make.user(s, "mw.provider")
        make.enrol(s, admin)
        make.enrol(s, provider)
    with session_scope() as s:
        return {u.user_id: u for u in s.exec(select(User))}


def test_an_administrator_adds_and_cancels_a_window_and_posts_an_announcement(people, signed_in):
    state_of = signed_in(people["mw.admin"])
    start = utc_now() + timedelta(hours=2)

    async def scenario():
        state = await state_of(AdminMaintenanceState)
        AdminMaintenanceState.load.fn(state)
        AdminMaintenanceState.add_window.fn(state, {"mw_starts": _local(start), "mw_ends": _local(
            start + timedelta(hours=1)), "mw_reason": "Upgrade"})
        added = (state.window_message, [w["reason"] for w in state.windows if w["kind"] == "One-off"])
        window_id = next(w["id"] for w in state.windows if w["kind"] == "One-off")
        AdminMaintenanceState.cancel_window.fn(state, window_id)
        AdminMaintenanceState.post_notice.fn(state, {"ann_title": "New forms", "ann_body": "From Monday.",
                                                     "ann_level": "Info", "ann_audience": "Everyone"})
        return added, state.window_message, state.notice_message, [n["title"] for n in state.notices]

    added, cancelled, posted, titles = run_async(scenario())
    assert added[0].startswith("Maintenance window added") and added[1] == ["Upgrade"]
    assert cancelled == "Maintenance window cancelled." and posted == "Announcement posted."
    assert titles == ["New forms"]
    with session_scope() as s:
        assert s.exec(select(MaintenanceWindow)).one().cancelled_at is not None


def test_a_refused_window_names_the_fields(people, signed_in):
    state_of = signed_in(people["mw.admin"])

    async def scenario():
        state = await state_of(AdminMaintenanceState)
        AdminMaintenanceState.add_window.fn(state, {"mw_starts": "soon", "mw_ends": ""})
        return state.window_errors, state.window_form_key

    errors, key = run_async(scenario())
    assert set(errors) == {"starts", "ends"} and key == 0  # the form is not reset: what was typed stays


@pytest.mark.parametrize("forged", [None, [], {"x": 1}, "abc", -1, 10**12, "1 OR 1=1"])
def test_forged_events_from_a_provider_change_nothing(people, signed_in, forged):
    state_of = signed_in(people["mw.provider"])
    with session_scope() as s:
        s.add(MaintenanceWindow(starts_at=utc_now() + timedelta(hours=1), ends_at=utc_now() + timedelta(hours=2)))
        s.add(Announcement(title="Kept", starts_at=utc_now()))

    async def scenario():
        state = await state_of(AdminMaintenanceState)
        AdminMaintenanceState.load.fn(state)
        AdminMaintenanceState.add_window.fn(state, forged)
        AdminMaintenanceState.add_window.fn(state, {"mw_starts": _local(utc_now() + timedelta(hours=3)),
                                                    "mw_ends": _local(utc_now() + timedelta(hours=4))})
        AdminMaintenanceState.cancel_window.fn(state, forged)
        AdminMaintenanceState.cancel_window.fn(state, "1")
        AdminMaintenanceState.save_weekly.fn(state, {"mw_weekday": "Monday", "mw_weekly_start": "01:00",
                                                     "mw_weekly_end": "02:00"})
        AdminMaintenanceState.skip_next_weekly.fn(state)
        AdminMaintenanceState.post_notice.fn(state, {"ann_title": "Forged", "ann_level": "info",
                                                     "ann_audience": "Everyone"})
        AdminMaintenanceState.end_notice.fn(state, forged)
        AdminMaintenanceState.end_notice.fn(state, "1")
        return state.windows, state.notices, state.window_error

    windows, notices, error = run_async(scenario())
    assert windows == [] and notices == [] and error
    with session_scope() as s:
        assert len(s.exec(select(MaintenanceWindow)).all()) == 1
        assert s.exec(select(MaintenanceWindow)).one().cancelled_at is None
        assert [a.title for a in s.exec(select(Announcement))] == ["Kept"]
        assert s.exec(select(Announcement)).one().ends_at is None


def test_the_clock_reading_and_what_a_page_shows(people, signed_in):
    with session_scope() as s:
        s.add(MaintenanceWindow(starts_at=utc_now() + timedelta(minutes=10), ends_at=utc_now() + timedelta(hours=1),
                                reason="Upgrade"))
        s.add(Announcement(title="Nursing homes only", starts_at=utc_now(), provider_type="Nursing Home"))
        s.add(Announcement(title="All", starts_at=utc_now()))
    showing = live_banner.read_showing()
    assert showing.banner.phase == "countdown" and "Upgrade" in showing.banner.text
    assert showing.changes_at is not None and showing.changes_at <= utc_now() + timedelta(minutes=5)
    state_of = signed_in(people["mw.provider"])

    async def scenario():
        shell = await state_of(ShellState)
        await ShellState.load.fn(shell)
        before = [n["title"] for n in shell.my_notices]
        all_id = next(n["id"] for n in shell.notices if n["title"] == "All")
        await ShellState.close_notice.fn(shell, all_id)
        await ShellState.close_notice.fn(shell, {"forged": True})
        return shell.banner_phase, shell.banner_starts, before, [n["title"] for n in shell.my_notices]

    phase, starts, before, after = run_async(scenario())
    assert phase == "countdown" and starts
    assert before == ["All"]  # the provider belongs to no nursing home
    assert after == []
    with session_scope() as s:
        assert len(s.exec(select(AnnouncementDismissal)).all()) == 1  # remembered for every device
