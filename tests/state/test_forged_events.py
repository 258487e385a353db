"""A client can send any event with any arguments: every handler re-checks on the server."""



import pytest
from reflex.state import State
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.live.queues import QueueFeed
from harmony_portal.models import OrgRole, RoleRequest, TotpDevice, User
from harmony_portal.state.admin_users import AdminUsersState
from harmony_portal.state.home import HomeState
from harmony_portal.state.profile import ProfileState
from harmony_portal.state.role_requests import RoleRequestsState
from harmony_portal.state.two_factor import TwoFactorSetupState
from harmony_portal.state.user_lookup import UserLookupState
from harmony_portal.state.user_roles import UserRolesState
from tests.factories import PASSWORD
from tests.state.conftest import run_async


@pytest.fixture
def world(app_db, make):
    with session_scope() as s:
        a, b = make.org(s, "A1"), make.org(s, "B1")
        so_a, so_b = make.user(s, "so.a"), make.user(s, "so.b")
        make.grant(s, so_a, a)
        make.grant(s, so_b, b)
        make.enrol(s, so_a)
        make.enrol(s, so_b)
        staff_a = make.user(s, "staff.a")
        grant_a = make.grant(s, staff_a, a, "Staff")
        make.enrol(s, staff_a)
        req_a = make.request(s, make.user(s, "req.a"), a)
        ids = dict(req_a=req_a.id, grant_a=grant_a.id, staff_a=staff_a.id)
    with session_scope() as s:
        users = {u.user_id: u for u in s.exec(select(User))}
    return users, ids



def test_official_of_b_cannot_approve_or_reject_a_by_forged_ids(world, signed_in):
    users, ids = world
    state_of = signed_in(users["so.b"])

    async def scenario():
        state = await state_of(RoleRequestsState)
        state.selected = [str(ids["req_a"])]
        await RoleRequestsState.approve.fn(state, {})
        approve_error = state.error
        state.selected = [str(ids["req_a"])]
        await RoleRequestsState.reject.fn(state, {"rejection_reason": "forged"})
        return approve_error, state.error

    approve_error, reject_error = run_async(scenario())
    assert "organizations you represent" in approve_error
    assert "organizations you represent" in reject_error
    with session_scope() as s:
        assert s.get(RoleRequest, ids["req_a"]).status == "pending"


def test_official_of_b_cannot_remove_lookup_or_export_a(world, signed_in):
    users, ids = world
    state_of = signed_in(users["so.b"])

    async def scenario():
        roles_state = await state_of(UserRolesState)
        roles_state.confirm_id = str(ids["grant_a"])
        await UserRolesState.remove.fn(roles_state, {"reason": ""})
        lookup = await state_of(UserLookupState)
        await UserLookupState.search.fn(lookup, {"organization": "A1", "user_id_or_email": "staff.a"})
        search_error, rows = lookup.error, list(lookup.rows)
        lookup.organization = "A1"
        UserLookupState.export_csv.fn(lookup)
        return roles_state.error, search_error, rows, lookup.error

    remove_error, search_error, rows, export_error = run_async(scenario())
    assert "organizations you represent" in remove_error
    assert "organizations you represent" in search_error and rows == []
    assert "organizations you represent" in export_error
    with session_scope() as s:
        assert s.get(OrgRole, ids["grant_a"]) is not None


def test_nobody_cancels_or_sees_someone_elses_request(world, signed_in):
    users, ids = world
    state_of = signed_in(users["so.b"])

    async def scenario():
        home = await state_of(HomeState)
        await HomeState.cancel_request.fn(home, str(ids["req_a"]))
        return home.error

    assert "not yours" in run_async(scenario())
    with session_scope() as s:
        assert s.get(RoleRequest, ids["req_a"]).status == "pending"


def test_someone_elses_device_and_admin_tools_are_refused(world, signed_in):
    users, ids = world
    state_of = signed_in(users["so.b"])
    with session_scope() as s:
        device_id = s.exec(select(TotpDevice.id).where(TotpDevice.user_id == ids["staff_a"])).one()

    async def scenario():
        profile = await state_of(ProfileState)
        # Forged: the dialog is never opened for a device that is not listed; the event says it anyway.
        profile.removing_id = str(device_id)
        await ProfileState.remove_device.fn(profile, {"step_up": PASSWORD})
        admin = await state_of(AdminUsersState)
        AdminUsersState.unlock.fn(admin, str(ids["staff_a"]))
        return dict(profile.messages), admin.error

    messages, admin_error = run_async(scenario())
    assert "not yours" in messages["devices"]
    assert "administrators" in admin_error
    with session_scope() as s:
        assert s.get(TotpDevice, device_id) is not None


def test_events_without_a_session_do_nothing(world):
    users, ids = world

    async def scenario():
        state = await State().get_state(RoleRequestsState)
        state.selected = [str(ids["req_a"])]
        await RoleRequestsState.approve.fn(state, {})
        return state.error

    assert "session has ended" in run_async(scenario())
    with session_scope() as s:
        assert s.get(RoleRequest, ids["req_a"]).status == "pending"


def test_a_password_only_session_can_do_nothing_but_enrol(app_db, make, signed_in):
    with session_scope() as s:
        org = make.org(s, "C1")
        newcomer = make.user(s, "no.device")
        make.grant(s, newcomer, org)
        req = make.request(s, make.user(s, "asker"), org)
        req_id = req.id

    state_of = signed_in(newcomer, second_factor=False)

    async def scenario():
        state = await state_of(RoleRequestsState)
        state.selected = [str(req_id)]
        await RoleRequestsState.approve.fn(state, {})
        return state.error

    assert "security code" in run_async(scenario())
    with session_scope() as s:
        assert s.get(RoleRequest, req_id).status == "pending"


def test_enrolling_elsewhere_does_not_promote_a_password_only_session(app_db, make, signed_in):
    """The second factor belongs to the session: the owner enrolling a device on their own
    browser must not turn an attacker's password-only session into a full one."""
    with session_scope() as s:
        org = make.org(s, "C2")
        official = make.user(s, "late.enrol")
        make.grant(s, official, org)
        req_id = make.request(s, make.user(s, "asker2"), org).id
    attacker = signed_in(official, second_factor=False)
    with session_scope() as s:
        make.enrol(s, s.get(User, official.id))  # the owner, elsewhere

    async def scenario():
        state = await attacker(RoleRequestsState)
        await RoleRequestsState.load.fn(state)
        feed = await state.get_state(QueueFeed)
        state.selected = [str(req_id)]
        await RoleRequestsState.approve.fn(state, {})
        setup = await attacker(TwoFactorSetupState)
        TwoFactorSetupState.load.fn(setup)  # a second device for the attacker: refused too
        return state.error, list(feed.rows), setup.setup_key

    error, rows, setup_key = run_async(scenario())
    assert "security code" in error
    assert rows == []
    assert setup_key == ""
    with session_scope() as s:
        assert s.get(RoleRequest, req_id).status == "pending"
        assert len(s.exec(select(TotpDevice).where(TotpDevice.user_id == official.id)).all()) == 1
