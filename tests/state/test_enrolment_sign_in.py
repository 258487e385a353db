"""Signing in after a help-desk reset: password, then the enrolment code, then a new authenticator.
A password alone reaches no session that may enrol; wrong codes lock the account."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.models import SessionHandoff, TotpDevice, User, UserSession, utc_now
from harmony_portal.server.session_cookie import SESSION_COOKIE
from harmony_portal.services.security import current_totp
from harmony_portal.services.signin import account_control, authentication
from harmony_portal.services.signin.sessions import redeem_handoff
from harmony_portal.state.login import LoginState
from harmony_portal.state.two_factor import TwoFactorSetupState
from tests.factories import PASSWORD
from tests.state.conftest import run_async, state_with_cookie

SIGN_IN = {"user_id": "reset.rosa", "password": PASSWORD, "agree_terms": "on"}


@pytest.fixture
def rosa(app_db, make):
    """A user whose two-factor sign-in the help desk just reset, and the code they were read."""
    with session_scope() as s:
        admin = make.user(s, "desk.rosa", is_admin=True)
        rosa = make.user(s, "reset.rosa")
        make.enrol(s, rosa)
        issued = account_control.reset_two_factor(s, admin, rosa.id)
    return rosa, issued.code


def _handoff(spec) -> tuple[str, str]:
    script = {name._js_expr: value._var_value for name, value in spec.args}["javascript_code"]
    url = urlsplit(re.fullmatch(r'window\.location\.assign\("(.*)"\)', script).group(1))
    assert url.path == routes.SESSION_HANDOFF
    query = parse_qs(url.query)
    return query["code"][0], query["next"][0]


def _cookie_for(handoff: str) -> str:
    with session_scope() as s:
        return f"{SESSION_COOKIE}={redeem_handoff(s, handoff)}"


def test_password_then_enrolment_code_then_a_new_authenticator(rosa):
    user, code = rosa

    async def scenario():
        login = await state_with_cookie(LoginState, path=routes.LOGIN)
        LoginState.load.fn(login)
        await LoginState.submit_password.fn(login, SIGN_IN)
        step = login.step
        await LoginState.submit_enrolment_code.fn(login, {"enrolment_code": "WRNG-WRNG-WRNG"})
        wrong = login.error, login.step
        result = await LoginState.submit_enrolment_code.fn(login, {"enrolment_code": code})
        handoff, next_page = _handoff(result)

        setup = await state_with_cookie(TwoFactorSetupState, _cookie_for(handoff), routes.TWO_FACTOR_SETUP)
        TwoFactorSetupState.load.fn(setup)
        key = setup.setup_key
        await TwoFactorSetupState.confirm.fn(setup, {"security_code": current_totp(key, utc_now())})
        return step, wrong, login.error, next_page, setup.error, setup.step, len(setup.recovery_codes)

    step, wrong, error, next_page, setup_error, setup_step, codes = run_async(scenario())
    assert step == "enrolment"
    assert wrong == (authentication.BAD_ENROLMENT_CODE, "enrolment")
    assert (error, next_page) == ("", routes.TWO_FACTOR_SETUP)
    assert (setup_error, setup_step, codes) == ("", "codes", 10)
    with session_scope() as s:
        assert len(s.exec(select(TotpDevice).where(TotpDevice.user_id == user.id,
                                                   TotpDevice.confirmed_at.is_not(None))).all()) == 1


def test_a_session_opened_with_the_password_alone_cannot_enrol(rosa, signed_in):
    user, _code = rosa
    state_of = signed_in(user, second_factor=False, path=routes.TWO_FACTOR_SETUP)

    async def scenario():
        setup = await state_of(TwoFactorSetupState)
        TwoFactorSetupState.load.fn(setup)
        loaded = setup.error, setup.setup_key
        await TwoFactorSetupState.confirm.fn(setup, {"security_code": "123456"})
        return loaded, setup.error

    (load_error, key), confirm_error = run_async(scenario())
    assert key == "" and "Sign in again" in load_error and "Sign in again" in confirm_error
    with session_scope() as s:
        assert s.exec(select(TotpDevice).where(TotpDevice.user_id == user.id)).all() == []


def test_an_enrolment_code_without_the_password_step_opens_nothing(rosa):
    _user, code = rosa

    async def scenario():
        login = await state_with_cookie(LoginState, path=routes.LOGIN)
        LoginState.load.fn(login)
        result = await LoginState.submit_enrolment_code.fn(login, {"enrolment_code": code})
        return result, login.error, login.step

    result, error, step = run_async(scenario())
    assert result is None and step == "password" and "took too long" in error
    with session_scope() as s:
        assert s.exec(select(SessionHandoff)).all() == []


def test_five_wrong_enrolment_codes_lock_the_account(rosa):
    user, _code = rosa

    async def scenario():
        login = await state_with_cookie(LoginState, path=routes.LOGIN)
        LoginState.load.fn(login)
        await LoginState.submit_password.fn(login, SIGN_IN)
        for _ in range(5):
            await LoginState.submit_enrolment_code.fn(login, {"enrolment_code": "AAAA-AAAA-AAAA"})
        locked = login.error, login.step
        await LoginState.submit_password.fn(login, SIGN_IN)
        return locked, login.error, login.step

    (locked_error, step), again_error, again_step = run_async(scenario())
    assert "locked until" in locked_error and step == "password"
    assert "locked until" in again_error and again_step == "password"  # even the right code must wait
    with session_scope() as s:
        assert s.get(User, user.id).locked_until is not None
        assert s.exec(select(UserSession).where(UserSession.user_id == user.id,
                                                UserSession.ended_at.is_(None))).all() == []
