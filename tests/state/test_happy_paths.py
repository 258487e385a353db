"""The other side of the forged events: each state doing what its page asks, for the person who may.

Each test calls the handlers the way the page's events would, then checks both what
the page shows (state vars, the event a handler returns) and what the database holds.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.live.queues import QueueFeed
from harmony_portal.models import (
    AuditEvent,
    EmailChange,
    MaintenanceWindow,
    Organization,
    OrgRole,
    OutboxEmail,
    RecoveryCode,
    RoleRequest,
    SessionHandoff,
    TotpDevice,
    User,
    UserSession,
    utc_now,
)
from harmony_portal.services.accounts import email_change, password_reset
from harmony_portal.services.security import current_totp, token_digest, verify_password
from harmony_portal.state.admin import AdminState
from harmony_portal.state.base import AuthState
from harmony_portal.state.email_confirm import EmailConfirmState
from harmony_portal.state.forgot import ForgotState
from harmony_portal.state.home import HomeState
from harmony_portal.state.login import LoginState
from harmony_portal.state.profile import ProfileState
from harmony_portal.state.role_request import RoleRequestState
from harmony_portal.state.role_requests import RoleRequestsState
from harmony_portal.state.shell import ShellState
from harmony_portal.state.signup import SignUpState
from harmony_portal.state.two_factor import TwoFactorSetupState
from harmony_portal.state.user_lookup import UserLookupState
from harmony_portal.state.user_roles import UserRolesState
from harmony_portal.vocabulary import APPROVED, CANCELLED, REJECTED, STAFF
from tests.factories import PASSWORD
from tests.state.conftest import run_async, state_with_cookie

NEW_PASSWORD = "Tongass-Rainforest-Evening-42"
PROFILE = {"first_name": "Nora", "last_name": "Tanana", "date_of_birth": "1982-03-04", "email": "nora@example.org",
           "state": "AK", "country": "USA", "city": "Bethel"}

# ---------------------------------------------------------------------------------------------
# Helpers


def event_args(spec) -> dict[str, object]:
    """The arguments of an event a handler returned (rx.redirect, rx.call_script, rx.download)."""
    return {name._js_expr: value._var_value for name, value in spec.args}


def handoff_of(spec) -> tuple[str, str]:
    """The (code, next page) of the full-page load to the session hand-off route a handler returned."""
    script = event_args(spec)["javascript_code"]
    url = urlsplit(re.fullmatch(r'window\.location\.assign\("(.*)"\)', script).group(1))
    assert url.path == routes.SESSION_HANDOFF
    query = parse_qs(url.query)
    return query["code"][0], query["next"][0]


def redirect_path(spec) -> str:
    return event_args(spec)["path"]


def handoff_session(code: str) -> UserSession:
    """The session an unused hand-off code would open (fails when there is no such hand-off)."""
    with session_scope() as s:
        handoff = s.exec(select(SessionHandoff).where(SessionHandoff.code_hash == token_digest(code))).one()
        assert handoff.used_at is None and handoff.expires_at > utc_now()
        return s.get(UserSession, handoff.session_id)


def fresh(model, key):
    with session_scope() as s:
        return s.get(model, key)


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def official(app_db, make):
    """A Security Official of "Aurora Care (AUR1)" with an authenticator; a staff member and a
    pending request there; a second organization she does not represent."""
    with session_scope() as s:
        aurora = make.org(s, "AUR1", "Aurora Care")
        make.org(s, "BOR1", "Borealis Clinic")
        so = make.user(s, "so.nora", first_name="Nora", last_name="Tanana", email="nora@example.org")
        make.grant(s, so, aurora)
        secret = make.enrol(s, so)
        staff = make.user(s, "staff.sam", first_name="Sam", last_name="Kobuk")
        staff_grant = make.grant(s, staff, aurora, STAFF)
        asker = make.user(s, "asker.ann", first_name="Ann", last_name="Yukon")
        request = make.request(s, asker, aurora)
        return {"so": so, "secret": secret, "staff": staff, "staff_grant": staff_grant.id,
                "asker": asker, "request": request.id}


@pytest.fixture
def help_desk(app_db, make):
    """An administrator with an authenticator, and a locked account with a device."""
    with session_scope() as s:
        admin = make.user(s, "help.desk", is_admin=True)
        make.enrol(s, admin)
        locked = make.user(s, "locked.lou", locked_until=utc_now() + timedelta(hours=1),
                           failed_password_count=5)
        make.enrol(s, locked)
        return admin, locked


# ---------------------------------------------------------------------------------------------
# AuthState


def test_require_login_fills_in_who_is_signed_in(official, signed_in):
    state_of = signed_in(official["so"])

    async def scenario():
        auth = await state_of(AuthState)
        result = await AuthState.require_login.fn(auth)
        return result, auth.signed_in, auth.display_name, auth.is_security_official, auth.pending_count

    result, is_signed_in, name, is_official, pending = run_async(scenario())
    assert result is None
    assert is_signed_in and is_official and pending == 1
    assert "Nora" in name


def test_check_idle_warns_and_stay_signed_in_counts_as_activity(official, signed_in):
    state_of = signed_in(official["so"])
    digest = token_digest(state_of.token)

    def set_last_seen(ago: timedelta) -> None:
        with session_scope() as s:
            record = s.exec(select(UserSession).where(UserSession.token_hash == digest)).one()
            record.last_seen_at = utc_now() - ago
            s.add(record)

    async def scenario():
        auth = await state_of(AuthState)
        await AuthState.require_login.fn(auth)
        set_last_seen(timedelta(minutes=14))
        assert await AuthState.check_idle.fn(auth) is None
        warned = auth.idle_warning
        assert await AuthState.stay_signed_in.fn(auth) is None
        return warned, auth.idle_warning

    warned, after = run_async(scenario())
    assert warned and not after
    with session_scope() as s:
        record = s.exec(select(UserSession).where(UserSession.token_hash == digest)).one()
        assert record.ended_at is None
        last_seen = record.last_seen_at if record.last_seen_at.tzinfo else record.last_seen_at.replace(tzinfo=UTC)
        assert utc_now() - last_seen < timedelta(minutes=1)  # touched: the 14 idle minutes start over


# ---------------------------------------------------------------------------------------------
# LoginState, SignUpState, ForgotState, TwoFactorSetupState


def test_sign_in_goes_from_password_to_code_to_a_handoff(official):
    so, secret = official["so"], official["secret"]

    async def scenario():
        login = await state_with_cookie(LoginState, path=routes.LOGIN)
        LoginState.load.fn(login)
        first = await LoginState.submit_password.fn(
            login, {"user_id": "so.nora", "password": PASSWORD, "agree_terms": "on"})
        step_after_password, error = login.step, login.error
        second = await LoginState.submit_code.fn(login, {"security_code": current_totp(secret, utc_now())})
        return first, step_after_password, error, second, login.error

    first, step, error, second, error_after_code = run_async(scenario())
    assert first is None and step == "code" and error == ""
    assert error_after_code == ""
    code, next_page = handoff_of(second)
    assert next_page == routes.passkey_prompt_url(routes.HOME)  # no passkey yet: offered one first, once
    record = handoff_session(code)
    assert record.user_id == so.id and record.second_factor_at is not None


def test_sign_up_creates_the_account_and_hands_off_to_two_factor_setup(app_db):
    form = {**PROFILE, "email": "new.person@example.org", "user_id": "new.person", "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD, "challenge_question": "What city were you born in?",
            "challenge_answer": "Nome", "agree_terms": "on"}

    async def scenario():
        page = await state_with_cookie(SignUpState, path=routes.SIGNUP)
        SignUpState.load.fn(page)
        result = await SignUpState.submit.fn(page, form)
        return result, page.error, dict(page.errors)

    result, error, errors = run_async(scenario())
    assert (error, errors) == ("", {})
    code, next_page = handoff_of(result)
    assert next_page == routes.TWO_FACTOR_SETUP
    record = handoff_session(code)
    assert record.second_factor_at is None  # good for enrolling an authenticator, nothing else
    with session_scope() as s:
        user = s.get(User, record.user_id)
        assert (user.user_id, user.email, user.city) == ("new.person", "new.person@example.org", "Bethel")
        assert verify_password(user.password_hash, NEW_PASSWORD)


def test_asking_for_a_reset_link_queues_the_email(official):
    async def scenario():
        page = await state_with_cookie(ForgotState, path=routes.FORGOT)
        ForgotState.load.fn(page)
        ForgotState.request_link.fn(page, {"email": "nora@example.org"})
        return page.sent_message, page.error

    sent, error = run_async(scenario())
    assert "reset link is on its way" in sent and error == ""
    with session_scope() as s:
        resets = s.exec(select(OutboxEmail).where(OutboxEmail.subject == "Reset your Harmony Portal password"))
        assert [e.to_address for e in resets] == ["nora@example.org"]


def test_a_reset_with_the_right_answer_and_code_changes_the_password(official, monkeypatch):
    so, secret = official["so"], official["secret"]
    monkeypatch.setattr(password_reset, "new_token", lambda: "reset-token-for-nora")
    with session_scope() as s:
        password_reset.request_reset(s, "nora@example.org", base_url="http://localhost:3000")

    async def scenario():
        page = await state_with_cookie(ForgotState, path=f"{routes.FORGOT}?token=reset-token-for-nora")
        ForgotState.load.fn(page)
        shown = page.token_valid, page.challenge_question
        result = await ForgotState.complete.fn(page, {
            "challenge_answer": "Juneau", "security_code": current_totp(secret, utc_now()),
            "new_password": NEW_PASSWORD, "confirm_new_password": NEW_PASSWORD})
        return shown, result, page.error

    (valid, question), result, error = run_async(scenario())
    assert valid and question == "What city were you born in?"
    assert error == "" and redirect_path(result) == routes.login_url(reason="reset")
    user = fresh(User, so.id)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD)


def test_two_factor_setup_records_the_second_factor_and_shows_recovery_codes(app_db, make, signed_in):
    with session_scope() as s:
        newcomer = make.user(s, "new.comer")
    state_of = signed_in(newcomer, second_factor=False, path=routes.TWO_FACTOR_SETUP)

    async def scenario():
        setup = await state_of(TwoFactorSetupState)
        TwoFactorSetupState.load.fn(setup)
        key, qr = setup.setup_key, setup.qr_code
        result = await TwoFactorSetupState.confirm.fn(
            setup, {"device_name": "Work phone", "security_code": current_totp(key, utc_now())})
        return key, qr, result, setup.error, setup.step, list(setup.recovery_codes), setup.setup_key

    key, qr, result, error, step, codes, key_after = run_async(scenario())
    assert re.fullmatch(r"[A-Z2-7]{16,}", key) and qr.startswith("data:image/")
    assert result is None and error == ""
    assert step == "codes" and len(codes) == 10 and len(set(codes)) == 10
    assert key_after == ""  # shown once
    with session_scope() as s:
        record = s.exec(select(UserSession).where(UserSession.token_hash == token_digest(state_of.token))).one()
        assert record.second_factor_at is not None
        device = s.exec(select(TotpDevice).where(TotpDevice.user_id == newcomer.id)).one()
        assert device.confirmed_at is not None and device.name == "Work phone"
        assert len(s.exec(select(RecoveryCode).where(RecoveryCode.user_id == newcomer.id)).all()) == 10


# ---------------------------------------------------------------------------------------------
# ProfileState


def test_profile_load_shows_my_profile_and_devices(official, signed_in):
    async def scenario():
        profile = await signed_in(official["so"])(ProfileState)
        ProfileState.load.fn(profile)
        return dict(profile.profile), profile.challenge_question, list(profile.devices)

    shown, question, devices = run_async(scenario())
    assert (shown["first_name"], shown["email"]) == ("Nora", "nora@example.org")
    assert question == "What city were you born in?"
    assert [d["name"] for d in devices] == ["Phone"]


def test_saving_the_profile_changes_it(official, signed_in):
    so = official["so"]

    async def scenario():
        profile = await signed_in(so)(ProfileState)
        ProfileState.load.fn(profile)
        ProfileState.edit.fn(profile)
        await ProfileState.save_profile.fn(profile, {**PROFILE, "city": "Kotzebue", "phone": "907-555-0100"})
        return dict(profile.messages), profile.editing, profile.profile["city"]

    messages, editing, city = run_async(scenario())
    assert messages == {"profile_ok": "Profile saved."} and not editing and city == "Kotzebue"
    user = fresh(User, so.id)
    assert (user.city, user.email) == ("Kotzebue", "nora@example.org")


def test_changing_the_challenge_question(official, signed_in):
    so = official["so"]

    async def scenario():
        profile = await signed_in(so)(ProfileState)
        ProfileState.load.fn(profile)
        await ProfileState.change_challenge.fn(profile, {"challenge_question": "What was the name of your first pet?",
                                                         "challenge_answer": "Husky", "challenge_password": PASSWORD})
        return dict(profile.messages), profile.challenge_question

    messages, question = run_async(scenario())
    assert messages == {"challenge_ok": "Challenge question saved."}
    assert question == "What was the name of your first pet?"
    user = fresh(User, so.id)
    assert user.challenge_question == question
    assert not verify_password(user.challenge_answer_hash, "juneau")


def test_renaming_a_device(official, signed_in):
    so = official["so"]

    async def scenario():
        profile = await signed_in(so)(ProfileState)
        ProfileState.load.fn(profile)
        device_id = profile.devices[0]["id"]
        ProfileState.rename_device.fn(profile, {"device_id": device_id, "device_name": "Field tablet"})
        return device_id, dict(profile.messages), list(profile.devices)

    device_id, messages, devices = run_async(scenario())
    assert messages == {"devices_ok": "Device renamed."}
    assert devices == [{"id": device_id, "name": "Field tablet"}]
    assert fresh(TotpDevice, int(device_id)).name == "Field tablet"


# ---------------------------------------------------------------------------------------------
# HomeState, RoleRequestState


def test_home_lists_my_roles_and_requests_and_cancels_my_request(official, make, signed_in):
    staff = official["staff"]
    with session_scope() as s:
        request_id = make.request(s, staff, s.get(Organization, "BOR1"), "Access Coordinator").id

    async def scenario():
        home = await signed_in(staff)(HomeState)
        HomeState.load.fn(home)
        roles, requests = list(home.my_roles), list(home.my_requests)
        await HomeState.cancel_request.fn(home, str(request_id))
        return roles, requests, home.message, home.error, list(home.my_requests)

    roles, requests, message, error, after = run_async(scenario())
    assert [(r["organization"], r["role"]) for r in roles] == [("AUR1", STAFF)]
    assert [(r["id"], r["status"], r["pending"]) for r in requests] == [(str(request_id), "Pending", True)]
    assert (message, error) == ("Your request was cancelled.", "")
    assert [(r["status"], r["pending"]) for r in after] == [("Cancelled", False)]
    assert fresh(RoleRequest, request_id).status == CANCELLED


def test_role_request_lists_organizations_and_files_the_request(official, signed_in):
    staff = official["staff"]
    justification = "I schedule assessments for Borealis residents."

    async def scenario():
        page = await signed_in(staff, path=routes.ROLE_REQUEST)(RoleRequestState)
        RoleRequestState.load.fn(page)
        organizations = list(page.organizations)
        events = [await RoleRequestState.submit.fn(
            page, {"organization": "BOR1", "role": "Access Coordinator", "justification": justification})]
        return organizations, events, page.error, dict(page.errors)

    organizations, events, error, errors = run_async(scenario())
    assert organizations == [{"id": "AUR1", "label": "Aurora Care (AUR1)"},
                             {"id": "BOR1", "label": "Borealis Clinic (BOR1)"}]
    assert (error, errors) == ("", {})
    assert [redirect_path(e) for e in events] == [routes.HOME]
    with session_scope() as s:
        filed = s.exec(select(RoleRequest).where(RoleRequest.user_id == staff.id)).one()
        assert (filed.organization_id, filed.role, filed.justification, filed.status) == (
            "BOR1", "Access Coordinator", justification, "pending")


def test_resubmitting_fills_in_my_earlier_request(official, signed_in):
    asker, request_id = official["asker"], official["request"]

    async def scenario():
        page = await signed_in(asker, path=f"{routes.ROLE_REQUEST}?resubmit={request_id}")(RoleRequestState)
        RoleRequestState.load.fn(page)
        return page.organization, page.role, page.justification, page.error

    organization, role, justification, error = run_async(scenario())
    assert (organization, role, error) == ("AUR1", STAFF, "")
    assert justification == fresh(RoleRequest, request_id).justification != ""


# ---------------------------------------------------------------------------------------------
# RoleRequestsState


async def _queue_page(state_of, request_id: int):
    """The Role Requests page, loaded, with one request selected; returns it and the queue's ids."""
    page = await state_of(RoleRequestsState)
    await RoleRequestsState.load.fn(page)
    feed = await page.get_state(QueueFeed)
    RoleRequestsState.toggle.fn(page, str(request_id), True)
    return page, [r["id"] for r in feed.rows]


def test_the_queue_loads_and_approving_grants_the_role(official, signed_in):
    state_of, request_id = signed_in(official["so"]), official["request"]

    async def scenario():
        page, queued = await _queue_page(state_of, request_id)
        await RoleRequestsState.approve.fn(page, {})
        return queued, page.message, page.error, list(page.selected), list(page.sole_official_of)

    queued, message, error, selected, sole = run_async(scenario())
    assert queued == [str(request_id)] and sole == ["Aurora Care"]
    assert (message, error, selected) == ("1 request approved.", "", [])
    with session_scope() as s:
        request = s.get(RoleRequest, request_id)
        assert (request.status, request.decided_by_id) == (APPROVED, official["so"].id)
        assert s.exec(select(OrgRole).where(OrgRole.user_id == official["asker"].id,
                                            OrgRole.organization_id == "AUR1", OrgRole.role == STAFF)).one()


def test_rejecting_with_a_reason_records_it(official, signed_in):
    state_of, request_id = signed_in(official["so"]), official["request"]

    async def scenario():
        page, _queued = await _queue_page(state_of, request_id)
        RoleRequestsState.open_reject.fn(page)
        opened = page.reject_open
        await RoleRequestsState.reject.fn(page, {"rejection_reason": "Please use your work email first."})
        return opened, page.reject_open, page.message, page.error, page.reject_error

    opened, still_open, message, error, reject_error = run_async(scenario())
    assert opened and not still_open
    assert (message, error, reject_error) == ("1 request rejected.", "", "")
    with session_scope() as s:
        request = s.get(RoleRequest, request_id)
        assert (request.status, request.reason) == (REJECTED, "Please use your work email first.")
        assert s.exec(select(OrgRole).where(OrgRole.user_id == official["asker"].id)).all() == []


# ---------------------------------------------------------------------------------------------
# UserLookupState, UserRolesState


def test_user_lookup_lists_the_first_organization_and_finds_a_user(official, signed_in):
    async def scenario():
        lookup = await signed_in(official["so"])(UserLookupState)
        UserLookupState.load.fn(lookup)
        listed = lookup.organization, list(lookup.organizations), sorted(r["user_id"] for r in lookup.rows)
        await UserLookupState.search.fn(lookup, {"organization": "AUR1", "user_id_or_email": "STAFF.sam"})
        return listed, [r["user_id"] for r in lookup.rows], lookup.total, lookup.error

    (organization, organizations, everyone), found, total, error = run_async(scenario())
    assert organization == "AUR1" and organizations == [{"id": "AUR1", "label": "Aurora Care (AUR1)"}]
    assert everyone == ["so.nora", "staff.sam"]
    assert (found, total, error) == (["staff.sam"], 1, "")


def test_user_lookup_exports_the_organization_as_csv(official, signed_in):
    async def scenario():
        lookup = await signed_in(official["so"])(UserLookupState)
        UserLookupState.load.fn(lookup)
        return UserLookupState.export_csv.fn(lookup), lookup.error

    download, error = run_async(scenario())
    assert error == ""
    args = event_args(download)
    assert args["filename"] == "AUR1-users-and-roles.csv"
    csv = base64.b64decode(args["url"].split("base64,", 1)[1]).decode()
    lines = csv.splitlines()
    assert lines[0].startswith("Organization,User ID")
    assert sorted(line.split(",")[1] for line in lines[1:]) == ["so.nora", "staff.sam"]


def test_user_roles_shows_a_member_and_removes_a_role_with_a_reason(official, signed_in):
    staff, grant_id = official["staff"], official["staff_grant"]
    state_of = signed_in(official["so"], path=routes.user_roles_url(staff.id))

    async def scenario():
        page = await state_of(UserRolesState)
        UserRolesState.load.fn(page)
        shown = page.profile.get("User ID"), [(g["id"], g["role"]) for g in page.grants]
        UserRolesState.ask_remove.fn(page, str(grant_id))
        await UserRolesState.remove.fn(page, {"reason": "Left the agency."})
        return shown, page.message, page.error, list(page.grants), page.confirm_id

    (user_id, grants), message, error, grants_after, confirm_id = run_async(scenario())
    assert user_id == "staff.sam" and grants == [(str(grant_id), STAFF)]
    assert (message, error, confirm_id) == ("Removed the Staff role at AUR1.", "", "")
    assert grants_after == []
    assert fresh(OrgRole, grant_id) is None
    with session_scope() as s:
        removal = s.exec(select(AuditEvent).where(AuditEvent.action == "role.removed")).one()
        assert (removal.subject_user_id, removal.target) == (staff.id, f"role:{grant_id}")
        assert json.loads(removal.detail)["reason"] == "Left the agency."


# ---------------------------------------------------------------------------------------------
# AdminState


def _admin_page(state_of):
    async def opened():
        page = await state_of(AdminState)
        AdminState.load.fn(page)
        return page
    return opened


def test_admin_load_and_add_an_organization(help_desk, signed_in):
    admin, _locked = help_desk
    opened = _admin_page(signed_in(admin))

    async def scenario():
        page = await opened()
        before = page.error, list(page.organizations)
        AdminState.add_organization.fn(page, {"org_id": "GLA1", "org_name": "Glacier Home",
                                              "provider_type": "Nursing Home"})
        return before, page.message, page.error, list(page.organizations)

    (load_error, orgs_before), message, error, orgs_after = run_async(scenario())
    assert load_error == "" and orgs_before == []
    assert (message, error) == ("Organization GLA1 added.", "")
    assert orgs_after == [{"id": "GLA1", "name": "Glacier Home", "type": "Nursing Home"}]
    assert fresh(Organization, "GLA1").name == "Glacier Home"


# ---------------------------------------------------------------------------------------------
# EmailConfirmState, ShellState


def test_opening_the_email_link_signed_out_changes_the_address(official, monkeypatch):
    so = official["so"]
    monkeypatch.setattr(email_change, "new_token", lambda: "email-token-for-nora")
    with session_scope() as s:
        email_change.request_email_change(s, s.get(User, so.id), "nora.new@example.org", now=utc_now())

    async def scenario():
        page = await state_with_cookie(EmailConfirmState, path=routes.confirm_email_url("email-token-for-nora"))
        EmailConfirmState.load.fn(page)
        ready = page.status, page.new_email
        await EmailConfirmState.confirm.fn(page)
        return ready, page.status, page.new_email, page.error

    (ready, shown), status, new_email, error = run_async(scenario())
    assert (ready, shown) == ("ready", "nora.new@example.org")
    assert (status, new_email, error) == ("done", "nora.new@example.org", "")
    assert fresh(User, so.id).email == "nora.new@example.org"
    with session_scope() as s:
        assert s.exec(select(EmailChange)).one().used_at is not None


def test_the_banner_shows_maintenance_in_progress(app_db):
    now = utc_now()
    with session_scope() as s:
        s.add(MaintenanceWindow(starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1),
                                reason="Database upgrade"))

    async def scenario():
        shell = await state_with_cookie(ShellState)
        await ShellState.load.fn(shell)
        return shell.banner_text, shell.banner_phase

    text, phase = run_async(scenario())
    assert phase == "in_progress"
    assert text.startswith("Harmony is in maintenance until ") and "Database upgrade" in text
