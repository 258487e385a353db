"""Passkey events as a forged websocket client could send them: nothing the page sends names a challenge,
so an answer arriving without its ceremony, or replayed, or a held official's decision is refused."""

import json
import re
import time

from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import AuditEvent, Passkey, PortalPolicy, RoleRequest
from harmony_portal.services.passkeys import assertion, registration
from harmony_portal.services.signin.sessions import resolve_session
from harmony_portal.state.login import LoginState
from harmony_portal.state.passkey_add import PasskeyAddState
from harmony_portal.state.role_requests import RoleRequestsState
from tests.passkey_device import SoftPasskey
from tests.state.conftest import run_async, state_with_cookie


def _options_of(spec) -> str:
    """The options JSON that ``ask_browser``'s script hands to the browser."""
    script = json.loads(str(spec.args[0][1]))
    return json.loads(re.search(r"harmonyPasskeys\.\w+\((\".*\")\) : ", script).group(1))


def _registered(user, signed_in_token) -> SoftPasskey:
    """A passkey registered for ``user`` through the service, as the profile would."""
    device = SoftPasskey()
    with session_scope() as s:
        active = resolve_session(s, signed_in_token)
        challenge_id, options = registration.begin(s, active, "Phone")
        registration.finish(s, active, challenge_id, device.register(options))
    return device


def test_an_answer_sent_without_starting_to_add_a_passkey_is_refused(app_db, make, signed_in):
    with session_scope() as s:
        user = make.user(s, "forger")
        make.enrol(s, user)
    state_of = signed_in(user)
    with session_scope() as s:
        active = resolve_session(s, state_of.token)
        _challenge_id, options = registration.begin(s, active, "")  # a real challenge, never handed to this tab
    answer = SoftPasskey().register(options)

    async def scenario():
        state = await state_of(PasskeyAddState)
        await PasskeyAddState.finish.fn(state, answer)
        return state.error

    assert "expired or was already used" in run_async(scenario())
    with session_scope() as s:
        assert s.exec(select(Passkey)).all() == []


def test_a_replayed_sign_in_answer_is_refused(app_db, make, signed_in):
    with session_scope() as s:
        user = make.user(s, "replayed")
        make.enrol(s, user)
    device = _registered(user, signed_in(user).token)

    async def sign_in_with(answer_of):
        state = await state_with_cookie(LoginState, path="/login")
        state._pending_user_id, state._pending_since = user.id, time.time()
        answer = answer_of(_options_of(await LoginState.use_passkey.fn(state)))
        result = await LoginState.finish_passkey.fn(state, answer)
        return state, result, answer

    first_state, first_result, first_answer = run_async(sign_in_with(lambda o: device.sign_in(o)))
    assert first_state.error == "" and "/auth/session" in str(first_result)
    second_state, second_result, _ = run_async(sign_in_with(lambda _o: first_answer))
    assert second_state.error and second_result is None


def test_a_held_officials_forged_decision_is_refused(app_db, make, signed_in):
    with session_scope() as s:
        org = make.org(s, "HP1")
        official = make.user(s, "held.so")
        make.grant(s, official, org)
        make.enrol(s, official)
        request = make.request(s, make.user(s, "asker"), org)
        s.add(PortalPolicy(id=1, require_passkey_for_grantors=True))
    state_of = signed_in(official)

    async def scenario():
        state = await state_of(RoleRequestsState)
        state.selected = [str(request.id)]
        await RoleRequestsState.approve.fn(state, {})
        return state.error

    assert "requires a passkey" in run_async(scenario())
    with session_scope() as s:
        assert s.get(RoleRequest, request.id).status == "pending"


def _passwordless(user, signed_in_token) -> SoftPasskey:
    """A passkey of ``user`` that may sign in alone ("Sign in without a password" ticked)."""
    device = _registered(user, signed_in_token)
    with session_scope() as s:
        [passkey] = s.exec(select(Passkey).where(Passkey.user_id == user.id)).all()
        passkey.passwordless = True
        s.add(passkey)
    return device


def _failures() -> int:
    with session_scope() as s:
        return len(s.exec(select(AuditEvent).where(AuditEvent.action == "auth.passkey_failed")).all())


def test_a_passkey_picked_from_autofill_before_the_terms_box_signs_in_once_it_is_ticked(app_db, make, signed_in):
    with session_scope() as s:
        user = make.user(s, "autofill")
        make.enrol(s, user)
    device = _passwordless(user, signed_in(user).token)

    async def scenario():
        state = await state_with_cookie(LoginState, path="/login")
        early = device.sign_in(_options_of(await LoginState.start_autofill.fn(state)))
        refused = await LoginState.finish_autofill.fn(state, early)
        assert refused is None and "Terms & Conditions" in state.terms_error
        offered_again = LoginState.set_agreed.fn(state, True)
        assert offered_again.fn is LoginState.start_autofill.fn and state.terms_error == ""
        signed = await LoginState.finish_autofill.fn(
            state, device.sign_in(_options_of(await LoginState.start_autofill.fn(state))))
        assert state.error == "" and "/auth/session" in str(signed)
        # The answer picked before the box was ticked never signs anyone in: it answers a challenge that is gone.
        await LoginState.start_autofill.fn(state)
        assert await LoginState.finish_autofill.fn(state, early) is None and state.error == assertion.REFUSED

    run_async(scenario())


def test_an_autofill_request_nobody_answered_is_neither_an_error_nor_a_failure(app_db, make):
    async def scenario():
        state = await state_with_cookie(LoginState, path="/login")
        LoginState.set_agreed.fn(state, True)
        await LoginState.start_autofill.fn(state)
        stopped = await LoginState.finish_autofill.fn(state, '{"error": "AbortError"}')  # a dialog opened instead
        unsupported = await LoginState.finish_autofill.fn(state, '{"error": "NotSupportedError"}')
        assert stopped is None and unsupported is None and state.error == state.terms_error == ""
        renewed = await LoginState.finish_autofill.fn(state, '{"error": "TimeoutError"}')  # before its challenge ends
        assert renewed.fn is LoginState.start_autofill.fn
        # Some browsers end the request at once when they have no passkey to offer.
        assert await LoginState.finish_autofill.fn(state, '{"error": "NotAllowedError"}') is None
        assert state.error == "" and _failures() == 0
        # Anything else the page sends is an answer to check: refused, audited and counted.
        assert await LoginState.finish_autofill.fn(state, '{"id": 1}') is None
        assert "was not used" in state.error and _failures() == 1
        # "Sign in with a passkey" stops the autofill request; a cancelled dialog has the field offer passkeys again.
        await LoginState.sign_in_with_passkey.fn(state)
        again = await LoginState.finish_passwordless.fn(state, '{"error": "NotAllowedError"}')
        assert again.fn is LoginState.start_autofill.fn and "was not used" in state.error and _failures() == 2

    run_async(scenario())


def test_an_autofill_answer_this_tab_never_asked_for_is_refused(app_db, make, signed_in):
    with session_scope() as s:
        user = make.user(s, "autoforger")
        make.enrol(s, user)
    device = _passwordless(user, signed_in(user).token)
    with session_scope() as s:
        _challenge_id, options = assertion.begin_passwordless(s)  # a real challenge, never handed to this tab
    answer = device.sign_in(options)

    async def scenario():
        state = await state_with_cookie(LoginState, path="/login")
        LoginState.set_agreed.fn(state, True)
        return await LoginState.finish_autofill.fn(state, answer), state.error

    result, error = run_async(scenario())
    assert result is None and "expired or was already used" in error
