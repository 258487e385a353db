"""The Audit Log section's handlers, called as a (possibly forged) websocket event would call them."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from harmony_portal.db import session_scope
from harmony_portal.services.audit import trail as audit
from harmony_portal.state.admin_audit import AdminAuditState
from tests.state.conftest import run_async, state_with_cookie

START = datetime(2025, 5, 1, 20, tzinfo=UTC)  # noon in Alaska
HUGE = "A" * 100_000


@pytest.fixture
def logged(app_db, make):
    """An administrator, a provider, and 60 events of one action (more than a page)."""
    with session_scope() as s:
        admin = make.user(s, "desk.log", is_admin=True)
        make.enrol(s, admin)
        provider = make.user(s, "provider.log")
        make.enrol(s, provider)
        for n in range(60):
            audit.record(s, "test.logged", actor_id=provider.id, organization_id="ORG-L", target=f"n{n}",
                         now=START + timedelta(hours=n))
    return admin, provider


def _opened(state_of):
    async def opened():
        page = await state_of(AdminAuditState)
        AdminAuditState.load.fn(page)
        return page
    return opened


def _targets(page) -> list[str]:
    return [r["target"] for r in page.rows]


def test_load_filter_page_and_clear(logged, signed_in):
    admin, _ = logged

    async def scenario():
        page = await _opened(signed_in(admin))()
        loaded = len(page.rows), page.has_newer, page.error
        AdminAuditState.apply_filters.fn(page, {"audit_action": "test.logged", "audit_actor": "provider.log",
                                                "audit_organization": "ORG-L", "audit_from": "2025-05-01",
                                                "audit_to": "2025-05-03"})
        filtered = _targets(page), page.has_newer, page.has_older, dict(page.applied), page.errors
        AdminAuditState.older.fn(page)
        older = _targets(page), page.has_newer, page.has_older
        AdminAuditState.newer.fn(page)
        newer = _targets(page)
        AdminAuditState.clear_filters.fn(page)
        return loaded, filtered, older, newer, (dict(page.applied), len(page.rows), page.form_key)

    loaded, filtered, older, newer, cleared = run_async(scenario())
    assert loaded == (50, False, "")
    # 2025-05-01 12:00 to 2025-05-03 23:59 in Alaska: hours 0-59, all 60 events.
    targets, has_newer, has_older, applied, errors = filtered
    assert targets == [f"n{n}" for n in range(59, 9, -1)] and (has_newer, has_older, errors) == (False, True, {})
    assert applied == {"from": "2025-05-01", "to": "2025-05-03", "actor": "provider.log",
                       "organization": "ORG-L", "action": "test.logged"}
    assert older == ([f"n{n}" for n in range(9, -1, -1)], True, False)
    assert newer == targets
    assert cleared[0] == {} and cleared[1] == 50 and cleared[2] == 1


def test_a_bad_filter_shows_field_errors_and_keeps_the_page(logged, signed_in):
    admin, _ = logged

    async def scenario():
        page = await _opened(signed_in(admin))()
        shown = list(page.rows)
        AdminAuditState.apply_filters.fn(page, {"audit_from": "May 1", "audit_actor": "nobody.at.all"})
        return shown == page.rows, dict(page.errors), dict(page.applied)

    kept, errors, applied = run_async(scenario())
    assert kept and applied == {}
    assert set(errors) == {"from", "actor"}


def test_export_points_the_browser_at_the_route_with_the_filter(logged, signed_in):
    admin, _ = logged

    async def scenario():
        page = await _opened(signed_in(admin))()
        AdminAuditState.apply_filters.fn(page, {"audit_action": "test.logged", "audit_to": "2025-05-02"})
        return AdminAuditState.export_csv.fn(page), page.error

    spec, error = run_async(scenario())
    script = {name._js_expr: value._var_value for name, value in spec.args}["javascript_code"]
    url = urlsplit(re.fullmatch(r'window\.location\.assign\("(.*)"\)', script).group(1))
    assert error == "" and url.path == "/admin/audit-log.csv"
    assert parse_qs(url.query) == {"to": ["2025-05-02"], "action": ["test.logged"]}


def test_a_provider_sees_nothing(logged, signed_in):
    _, provider = logged

    async def scenario():
        page = await _opened(signed_in(provider))()
        loaded = list(page.rows), page.error
        AdminAuditState.apply_filters.fn(page, {"audit_actor": "desk.log"})
        filtered = list(page.rows), page.error, dict(page.errors)
        AdminAuditState.older.fn(page)
        exported = AdminAuditState.export_csv.fn(page)
        return loaded, filtered, list(page.rows), exported, page.error

    loaded, filtered, paged, exported, error = run_async(scenario())
    assert loaded == ([], "Only help-desk administrators can do that.")
    assert filtered == ([], "Only help-desk administrators can do that.", {})  # nor which User IDs exist
    assert paged == [] and exported is None and error == "Only help-desk administrators can do that."


def test_signed_out_sees_nothing(logged):
    async def scenario():
        page = await state_with_cookie(AdminAuditState, "")
        AdminAuditState.load.fn(page)
        return list(page.rows), page.error, AdminAuditState.export_csv.fn(page)

    rows, error, exported = run_async(scenario())
    assert rows == [] and "Sign in again" in error and exported is None


@pytest.mark.parametrize("form", [
    None, [], ["audit_from", "2025-05-01"], 42, "audit_action=test.logged", {"audit_from": HUGE},
    {"audit_actor": "\x00desk.log"}, {"audit_action": ["test.logged"]}, {"audit_to": {"$gt": ""}},
    {"audit_from": "2025-05-01T00:00:00", "audit_to": "9999-12-31"}, {"audit_organization": "' OR 1=1 --"},
    {"audit_action": "%"}, {"audit_from": float("nan"), "audit_to": 10**30}, {"__class__": "x", "": None},
])
def test_forged_filter_events_never_raise(logged, signed_in, form):
    admin, _ = logged

    async def scenario():
        page = await _opened(signed_in(admin))()
        AdminAuditState.apply_filters.fn(page, form)
        AdminAuditState.older.fn(page)
        AdminAuditState.newer.fn(page)
        return page.error, dict(page.applied), len(page.rows)

    error, applied, shown = run_async(scenario())
    assert error == "" and shown > 0
    assert all(isinstance(v, str) and len(v) <= 64 for v in applied.values())
