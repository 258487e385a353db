"""Administration, Users: search, view, unlock, reset two-factor (the enrolment code shown once),
disable and enable; forged events from non-administrators and garbage ids change nothing."""

from datetime import timedelta

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import AuditEvent, EnrolmentCode, TotpDevice, User, UserSession, utc_now
from harmony_portal.services.errors import Invalid
from harmony_portal.services.security import token_digest
from harmony_portal.services.signin import authentication
from harmony_portal.state.admin_users import NO_SUCH_USER, AdminUsersState
from tests.state.conftest import run_async, state_with_cookie


@pytest.fixture
def desk(app_db, make):
    """An administrator, a locked user with a device and a role, and a plain provider."""
    with session_scope() as s:
        admin = make.user(s, "help.desk", first_name="Dana", last_name="Desk", is_admin=True)
        make.enrol(s, admin)
        locked = make.user(s, "locked.lou", first_name="Lou", last_name="Lockwood",
                           locked_until=utc_now() + timedelta(hours=1), failed_password_count=5)
        make.enrol(s, locked)
        make.grant(s, locked, make.org(s, "NOM1", "Nome Care"), "Staff")
        provider = make.user(s, "plain.pat")
        make.enrol(s, provider)
    return admin, locked, provider


def _user(user_id: int) -> User:
    with session_scope() as s:
        return s.get(User, user_id)


def _snapshot(user_id: int) -> tuple:
    """What an action could change about an account."""
    with session_scope() as s:
        user = s.get(User, user_id)
        devices = len(s.exec(select(TotpDevice).where(TotpDevice.user_id == user_id)).all())
        codes = len(s.exec(select(EnrolmentCode).where(EnrolmentCode.user_id == user_id)).all())
        open_sessions = len(s.exec(select(UserSession).where(UserSession.user_id == user_id,
                                                             UserSession.ended_at.is_(None))).all())
        return user.is_active, user.locked_until, devices, codes, open_sessions


async def _page(state_of) -> AdminUsersState:
    page = await state_of(AdminUsersState)
    AdminUsersState.load.fn(page)
    return page


def test_find_view_and_unlock(desk, signed_in):
    admin, locked, _provider = desk

    async def scenario():
        page = await _page(signed_in(admin))
        AdminUsersState.find_users.fn(page, {"account": "lou lock"})
        found = [(u["user_id"], u["state"].startswith("Locked until")) for u in page.users]
        AdminUsersState.view.fn(page, found and page.users[0]["id"])
        viewed = dict(page.user), list(page.roles), [e["event"] for e in page.events]
        AdminUsersState.unlock.fn(page, str(locked.id))
        return found, viewed, page.message, page.error, dict(page.user), [u["state"] for u in page.users]

    found, (user, roles, events), message, error, after, states = run_async(scenario())
    assert found == [("locked.lou", True)]
    assert (user["user_id"], user["name"], user["locked"], user["devices"]) == \
        ("locked.lou", "Lou Lockwood", "yes", "1")
    assert [(r["organization"], r["role"]) for r in roles] == [("Nome Care (NOM1)", "Staff")]
    assert "Device set up by an operator" in events
    assert (message, error) == ("Account unlocked.", "")
    assert after["locked"] == "" and after["sign_in"] == "Not locked" and states == ["Active"]
    assert _user(locked.id).locked_until is None


def test_a_search_that_finds_nobody_says_so(desk, signed_in):
    async def scenario():
        page = await _page(signed_in(desk[0]))
        AdminUsersState.find_users.fn(page, {"account": "nobody-by-that-name"})
        return list(page.users), page.message, page.error

    assert run_async(scenario()) == ([], "No account matches that search.", "")


def test_reset_two_factor_shows_the_enrolment_code_once(desk, signed_in):
    admin, locked, _provider = desk
    victim = signed_in(locked)

    async def scenario():
        page = await _page(signed_in(admin))
        AdminUsersState.view.fn(page, str(locked.id))
        AdminUsersState.reset_two_factor.fn(page, str(locked.id))
        shown = page.enrolment_code, page.enrolment_code_note, page.message, page.user["devices"]
        AdminUsersState.hide_code.fn(page)
        hidden = page.enrolment_code
        AdminUsersState.reset_two_factor.fn(page, str(locked.id))
        second = page.enrolment_code
        AdminUsersState.load.fn(page)  # leaving and coming back: gone
        return shown, hidden, second, page.enrolment_code

    (code, note, message, devices), hidden, second, after_load = run_async(scenario())
    assert len(code) == 14 and second != code and hidden == after_load == ""
    assert "Lou Lockwood (locked.lou)" in note and "shown only now" in note
    assert message.startswith("Two-factor sign-in reset") and devices == "0"
    with session_scope() as s:
        rows = s.exec(select(EnrolmentCode).where(EnrolmentCode.user_id == locked.id)).all()
        assert len(rows) == 2 and all(code not in r.code_hash for r in rows)
        blob = " ".join(e.detail for e in s.exec(select(AuditEvent)))
        assert code not in blob and second not in blob
        assert s.exec(select(UserSession).where(UserSession.token_hash == token_digest(victim.token))).one().ended_at
        s.get(User, locked.id).locked_until = None
    # The first code stopped working when the second was issued; the second works.
    with pytest.raises(Invalid), session_scope() as s:
        authentication.redeem_enrolment_code(s, locked.id, code)
    with session_scope() as s:
        assert authentication.redeem_enrolment_code(s, locked.id, second)


def test_disable_and_enable(desk, signed_in):
    admin, locked, _provider = desk
    victim = signed_in(locked)

    async def scenario():
        page = await _page(signed_in(admin))
        AdminUsersState.view.fn(page, str(locked.id))
        AdminUsersState.disable.fn(page, str(locked.id))
        disabled = page.message, page.user["account"], page.user["active"], _user(locked.id).is_active
        AdminUsersState.enable.fn(page, str(locked.id))
        return disabled, page.message, page.error, page.user["account"]

    (message, account, active, is_active), enabled, error, account_after = run_async(scenario())
    assert message.startswith("Account disabled") and (account, active, is_active) == ("Disabled", "", False)
    assert (enabled, error, account_after) == ("Account enabled.", "", "Active")
    with session_scope() as s:
        record = s.exec(select(UserSession).where(UserSession.token_hash == token_digest(victim.token))).one()
        assert record.ended_at is not None


def test_an_administrator_cannot_disable_themselves(desk, signed_in):
    admin = desk[0]

    async def scenario():
        page = await _page(signed_in(admin))
        AdminUsersState.disable.fn(page, str(admin.id))
        return page.error

    assert run_async(scenario()) == "You can't disable your own account."
    assert _user(admin.id).is_active


_ACTIONS = ("view", "unlock", "reset_two_factor", "disable", "enable")


def _forge(page: AdminUsersState, target: object) -> list[str]:
    errors = []
    AdminUsersState.find_users.fn(page, {"account": "locked"})
    errors.append(page.error)
    for name in _ACTIONS:
        getattr(AdminUsersState, name).fn(page, target)
        errors.append(page.error)
    return errors


def _leaks(page: AdminUsersState) -> list:
    return [page.users, page.user, page.roles, page.events, page.enrolment_code]


def test_forged_events_from_a_provider_change_nothing_and_show_nothing(desk, signed_in):
    _admin, locked, provider = desk
    before = _snapshot(locked.id)

    async def scenario():
        page = await _page(signed_in(provider))
        return _forge(page, str(locked.id)), _leaks(page)

    errors, leaks = run_async(scenario())
    assert all("administrators" in e for e in errors), errors
    assert leaks == [[], {}, [], [], ""]
    assert _snapshot(locked.id) == before


def test_forged_events_without_a_session_change_nothing(desk):
    _admin, locked, _provider = desk
    before = _snapshot(locked.id)

    async def scenario():
        page = await state_with_cookie(AdminUsersState, "")
        return _forge(page, str(locked.id)), _leaks(page)

    errors, leaks = run_async(scenario())
    assert all("session has ended" in e for e in errors), errors
    assert leaks == [[], {}, [], [], ""]
    assert _snapshot(locked.id) == before


@pytest.mark.parametrize("garbage", [None, "", "abc", "-1", -1, 0, 1.5, "1e3", "²", [], {}, True,
                                     10**12, "99999999999", "1; DROP TABLE user"])
def test_garbage_ids_are_no_such_user(desk, signed_in, garbage):
    admin, locked, _provider = desk
    before = _snapshot(locked.id)

    async def scenario():
        page = await _page(signed_in(admin))
        errors = []
        for name in _ACTIONS:
            getattr(AdminUsersState, name).fn(page, garbage)
            errors.append(page.error)
        return errors, page.enrolment_code, dict(page.user)

    errors, code, user = run_async(scenario())
    assert errors == [NO_SUCH_USER] * len(_ACTIONS) and code == "" and user == {}
    assert _snapshot(locked.id) == before


def test_an_id_of_nobody_is_no_such_user(desk, signed_in):
    admin = desk[0]

    async def scenario():
        page = await _page(signed_in(admin))
        errors = []
        for name in _ACTIONS:
            getattr(AdminUsersState, name).fn(page, "987654")
            errors.append(page.error)
        return errors, page.enrolment_code

    errors, code = run_async(scenario())
    assert errors == ["No such user."] * len(_ACTIONS) and code == ""
