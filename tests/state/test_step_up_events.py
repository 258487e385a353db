"""Forged profile events: skipping the step-up on the page does not skip it on the server."""

import re

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import EmailChange, OutboxEmail, TotpDevice, User, utc_now
from harmony_portal.services.security import current_totp
from harmony_portal.services.signin import two_factor
from harmony_portal.state.email_confirm import EmailConfirmState
from harmony_portal.state.profile import ProfileState
from harmony_portal.state.two_factor import TwoFactorSetupState
from tests.factories import PASSWORD
from tests.state.conftest import run_async

PROFILE = {"first_name": "Ada", "last_name": "Kenai", "date_of_birth": "1980-05-05", "email": "ada@example.org",
           "state": "AK", "country": "USA", "city": "Sitka"}


@pytest.fixture
def ada(app_db, make):
    with session_scope() as s:
        user = make.user(s, "ada", email="ada@example.org")
        make.enrol(s, user)
        second, _ = two_factor.begin_device(s, user, "Tablet")
        second.confirmed_at = user.created_at
        s.add(second)
        s.flush()
        return user, second.id


def test_forged_email_change_without_the_step_up_is_refused(ada, signed_in):
    user, _ = ada
    state_of = signed_in(user)

    async def scenario():
        profile = await state_of(ProfileState)
        await ProfileState.save_profile.fn(profile, {**PROFILE, "email": "thief@example.net"})
        missing = dict(profile.errors)
        await ProfileState.save_profile.fn(profile, {**PROFILE, "email": "thief@example.net",
                                                     "step_up": "guessing a password"})
        return missing, dict(profile.errors)

    missing, wrong = run_async(scenario())
    assert "step_up" in missing and "step_up" in wrong
    with session_scope() as s:
        fresh = s.get(User, user.id)
        assert fresh.email == "ada@example.org" and fresh.failed_password_count == 1
        assert s.exec(select(EmailChange)).all() == []


def test_email_change_with_the_password_is_pending_until_the_link(ada, signed_in, monkeypatch):
    user, _ = ada
    state_of = signed_in(user)

    async def change():
        profile = await state_of(ProfileState)
        await ProfileState.save_profile.fn(profile, {**PROFILE, "email": "ada.new@example.org",
                                                     "step_up": PASSWORD})
        return profile.pending_email, profile.profile["email"], dict(profile.messages)

    pending, shown, messages = run_async(change())
    assert (pending, shown) == ("ada.new@example.org", "ada@example.org")
    assert "confirmation link" in messages["profile_ok"]
    with session_scope() as s:
        body = s.exec(select(OutboxEmail).where(OutboxEmail.to_address == "ada.new@example.org")).one().body
        assert s.get(User, user.id).email == "ada@example.org"
    token = re.search(r"token=([\w-]+)", body).group(1)
    monkeypatch.setattr(EmailConfirmState, "_token", lambda self: token)

    async def confirm():
        page = await state_of(EmailConfirmState)
        EmailConfirmState.load.fn(page)
        ready = page.status
        await EmailConfirmState.confirm.fn(page)
        first = page.status
        await EmailConfirmState.confirm.fn(page)  # the link again
        return ready, first, page.status, page.error

    ready, first, again, error = run_async(confirm())
    assert (ready, first, again) == ("ready", "done", "refused")
    assert "not valid" in error
    with session_scope() as s:
        assert s.get(User, user.id).email == "ada.new@example.org"


def test_someone_else_signed_in_cannot_confirm_the_link(ada, make, signed_in, monkeypatch):
    user, _ = ada
    with session_scope() as s:
        other = make.user(s, "other", email="other@example.org")
        make.enrol(s, other)
    run_async(_save_with_password(signed_in(user), "ada.new@example.org"))
    with session_scope() as s:
        body = s.exec(select(OutboxEmail).where(OutboxEmail.to_address == "ada.new@example.org")).one().body
    token = re.search(r"token=([\w-]+)", body).group(1)
    monkeypatch.setattr(EmailConfirmState, "_token", lambda self: token)

    async def confirm():
        page = await signed_in(other)(EmailConfirmState)
        await EmailConfirmState.confirm.fn(page)
        return page.status, page.error

    status, error = run_async(confirm())
    assert status == "refused" and "another account" in error
    with session_scope() as s:
        assert s.get(User, user.id).email == "ada@example.org"
        assert s.get(User, other.id).email == "other@example.org"


async def _save_with_password(state_of, email):
    profile = await state_of(ProfileState)
    await ProfileState.save_profile.fn(profile, {**PROFILE, "email": email, "step_up": PASSWORD})


def test_forged_remove_without_the_step_up_is_refused(ada, signed_in):
    user, second_id = ada
    state_of = signed_in(user)

    async def scenario():
        profile = await state_of(ProfileState)
        profile.removing_id = str(second_id)  # as if the dialog had been opened
        await ProfileState.remove_device.fn(profile, {})
        missing = dict(profile.errors)
        await ProfileState.remove_device.fn(profile, {"step_up": "000000"})
        wrong = dict(profile.errors)
        still_open = profile.removing_id
        await ProfileState.remove_device.fn(profile, {"step_up": PASSWORD})
        return missing, wrong, still_open, dict(profile.messages), profile.removing_id

    missing, wrong, still_open, messages, closed = run_async(scenario())
    assert "step_up" in missing and "step_up" in wrong
    assert still_open == str(second_id)
    assert messages == {"devices_ok": "Device removed. Your other sessions were signed out."} and closed == ""
    with session_scope() as s:
        assert s.get(TotpDevice, second_id) is None
        assert s.get(User, user.id).failed_code_count == 1


def test_forged_device_confirmation_without_the_step_up_is_refused(ada, signed_in):
    user, _ = ada
    state_of = signed_in(user)

    async def scenario():
        setup = await state_of(TwoFactorSetupState)
        TwoFactorSetupState.load.fn(setup)
        needs = setup.needs_step_up
        code = current_totp(setup.setup_key, utc_now())
        await TwoFactorSetupState.confirm.fn(setup, {"security_code": code, "device_name": "Attacker phone"})
        missing = setup.step_up_error
        await TwoFactorSetupState.confirm.fn(setup, {"security_code": code, "device_name": "Attacker phone",
                                                     "step_up": "not the password"})
        return needs, missing, setup.step_up_error

    needs, missing, wrong = run_async(scenario())
    assert needs is True
    assert "confirm it is you" in missing and "not your current password" in wrong
    with session_scope() as s:
        names = [d.name for d in s.exec(select(TotpDevice).where(TotpDevice.user_id == user.id,
                                                                 TotpDevice.confirmed_at.is_not(None)))]
        assert "Attacker phone" not in names
        assert s.get(User, user.id).failed_password_count == 1
