"""A tab whose session vanished (cookie cleared, ended elsewhere, idle): on a page open to everyone it
forgets the session quietly and nothing typed is touched; elsewhere it signs out with the true reason."""

from datetime import timedelta

from sqlmodel import select

from harmony_portal import routes
from harmony_portal.db import session_scope
from harmony_portal.models import UserSession, utc_now
from harmony_portal.services.security import token_digest
from harmony_portal.services.signin.sessions import end_session
from harmony_portal.state.base import AuthState
from harmony_portal.state.login import LoginState
from tests.state.conftest import run_async


def _user(make):
    with session_scope() as s:
        return make.user(s, "vanishing.tab")


def _idle(token: str) -> None:
    with session_scope() as s:
        record = s.exec(select(UserSession).where(UserSession.token_hash == token_digest(token))).one()
        record.last_seen_at = utc_now() - timedelta(minutes=16)
        s.add(record)


def test_a_session_ended_elsewhere_signs_a_protected_page_out_as_ended_not_idle(app_db, make, signed_in):
    state_of = signed_in(_user(make), path=routes.HOME)

    async def scenario():
        auth = await state_of(AuthState)
        await AuthState.require_login.fn(auth)
        with session_scope() as s:
            end_session(s, state_of.token)  # signed out in another tab, or revoked
        return str(await AuthState.check_idle.fn(auth)), auth.signed_in

    script, still_signed_in = run_async(scenario())
    assert "reason=ended" in script and "reason=idle" not in script and not still_signed_in


def test_a_session_that_idled_out_says_so(app_db, make, signed_in):
    state_of = signed_in(_user(make), path=routes.HOME)

    async def scenario():
        auth = await state_of(AuthState)
        await AuthState.require_login.fn(auth)
        _idle(state_of.token)
        return str(await AuthState.check_idle.fn(auth))

    assert "reason=idle" in run_async(scenario())


def test_on_the_login_page_a_vanished_session_is_forgotten_quietly_and_the_form_kept(app_db, make, signed_in):
    state_of = signed_in(_user(make), path=routes.LOGIN)

    async def scenario():
        login = await state_of(LoginState)
        login.signed_in = True  # the tab still remembers being signed in
        login.step, login.message = "password", "typed-while-waiting"
        with session_scope() as s:
            end_session(s, state_of.token)
        result = await AuthState.check_idle.fn(login)
        return result, login.signed_in, login.step, login.message

    result, signed_in_after, step, message = run_async(scenario())
    assert result is None  # no redirect: nothing on the page is wiped
    assert not signed_in_after and (step, message) == ("password", "typed-while-waiting")


def test_opening_the_login_page_forgets_a_session_that_is_gone(app_db, make, signed_in):
    state_of = signed_in(_user(make), path=routes.LOGIN)

    async def scenario():
        login = await state_of(LoginState)
        login.signed_in = True
        with session_scope() as s:
            end_session(s, state_of.token)
        return LoginState.load.fn(login), login.signed_in

    assert run_async(scenario()) == (None, False)
