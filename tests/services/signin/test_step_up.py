"""Step-up before what makes a takeover permanent: devices and the email address."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from harmony_portal.db import session_scope
from harmony_portal.models import AuditEvent, EmailChange, OutboxEmail, TotpDevice, User
from harmony_portal.services.accounts import email_change
from harmony_portal.services.accounts import profile as accounts
from harmony_portal.services.errors import Conflict, Invalid, Locked, NotAllowed
from harmony_portal.services.security import current_totp
from harmony_portal.services.signin import authentication as auth
from harmony_portal.services.signin import two_factor


def _actions(session):
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def _two_devices(session, make, clock):
    """A user with two confirmed devices; returns (user, first secret, second device id)."""
    user = make.user(session, "stepper", email="old@example.org")
    secret = make.enrol(session, user, now=clock.now())
    second, _ = two_factor.begin_device(session, user, "Tablet")
    second.confirmed_at = clock.now()
    session.add(second)
    session.flush()
    return user, secret, second.id


def _new_device(session, user):
    device, secret = two_factor.begin_device(session, user, "New phone")
    return device, secret


def _link_token(session, to: str) -> str:
    body = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == to)
                        .order_by(OutboxEmail.id.desc())).first().body
    return re.search(r"/profile/confirm-email\?token=([\w-]+)", body).group(1)


def _form(user) -> accounts.ProfileForm:
    form = accounts.ProfileForm.of(user)
    form.date_of_birth, form.state, form.country = "1980-05-05", "AK", "USA"
    return form


def _change_email(session, user, new: str, clock, proof) -> None:
    form = _form(session.get(User, user.id))
    form.email = new
    accounts.update_profile(session, user, form, step_up=proof, now=clock.now())


# Devices ---------------------------------------------------------------------------------------


def test_adding_a_device_without_the_step_up_is_refused(session, clock, make):
    user = make.user(session)
    make.enrol(session, user, now=clock.now())
    device, secret = _new_device(session, user)
    with pytest.raises(Invalid) as caught:
        two_factor.confirm_device(session, user, device.id, current_totp(secret, clock.now()), now=clock.now())
    assert "step_up" in caught.value.errors
    assert session.get(TotpDevice, device.id).confirmed_at is None
    assert "account.step_up_refused" in _actions(session)


def test_adding_a_device_with_a_wrong_password_counts_towards_lockout(session, clock, make):
    user = make.user(session)
    make.enrol(session, user, now=clock.now())
    device, secret = _new_device(session, user)
    with pytest.raises(Invalid) as caught:
        two_factor.confirm_device(session, user, device.id, current_totp(secret, clock.now()),
                                  step_up="not my password at all", now=clock.now())
    assert "not your current password" in caught.value.errors["step_up"]
    assert session.get(User, user.id).failed_password_count == 1
    assert session.get(TotpDevice, device.id).confirmed_at is None
    assert {"auth.password_failed", "account.step_up_refused"} <= set(_actions(session))


def test_adding_a_device_with_the_password_or_a_code_from_an_old_one_works(session, clock, make):
    user = make.user(session)
    old_secret = make.enrol(session, user, now=clock.now())
    device, secret = _new_device(session, user)
    assert two_factor.confirm_device(session, user, device.id, current_totp(secret, clock.now()),
                                     step_up=make.PASSWORD, now=clock.now()) == []
    later = clock.advance(minutes=2)
    third, third_secret = _new_device(session, user)
    two_factor.confirm_device(session, user, third.id, current_totp(third_secret, later),
                              step_up=current_totp(old_secret, later), now=later)
    assert len(two_factor.list_devices(session, user)) == 3
    added = session.exec(select(AuditEvent).where(AuditEvent.action == "account.device_added")
                         .order_by(AuditEvent.id)).all()
    assert "security code" in added[-1].detail and "password" in added[-2].detail


def test_the_new_device_own_code_is_no_step_up(session, clock, make):
    user = make.user(session)
    make.enrol(session, user, now=clock.now())
    device, secret = _new_device(session, user)
    code = current_totp(secret, clock.now())
    with pytest.raises(Invalid) as caught:
        two_factor.confirm_device(session, user, device.id, code, step_up=code, now=clock.now())
    assert "step_up" in caught.value.errors
    assert session.get(User, user.id).failed_code_count == 1


def test_removing_a_device_wrong_code_then_reused_code_are_refused(session, clock, make):
    user, secret, second_id = _two_devices(session, make, clock)
    with pytest.raises(Invalid) as wrong:
        two_factor.remove_device(session, user, second_id, step_up="000000", now=clock.now())
    assert "step_up" in wrong.value.errors
    assert session.get(User, user.id).failed_code_count == 1
    code = current_totp(secret, clock.now())
    auth.check_security_code(session, user.id, code, now=clock.now())  # used to sign in
    with pytest.raises(Invalid) as reused:
        two_factor.remove_device(session, user, second_id, step_up=code, now=clock.now())
    assert "step_up" in reused.value.errors
    assert session.get(TotpDevice, second_id) is not None


def test_removing_a_device_without_the_step_up_is_refused_then_works_with_it(session, clock, make):
    user, secret, second_id = _two_devices(session, make, clock)
    with pytest.raises(Invalid) as caught:
        two_factor.remove_device(session, user, second_id, now=clock.now())
    assert "step_up" in caught.value.errors
    assert session.get(TotpDevice, second_id) is not None
    two_factor.remove_device(session, user, second_id, step_up=current_totp(secret, clock.now()), now=clock.now())
    assert session.get(TotpDevice, second_id) is None
    # That code is now used up.
    third, third_secret = _new_device(session, user)
    with pytest.raises(Invalid):
        two_factor.confirm_device(session, user, third.id, current_totp(third_secret, clock.now()),
                                  step_up=current_totp(secret, clock.now()), now=clock.now())


def test_someone_elses_device_is_refused_even_with_a_good_step_up(session, clock, make):
    owner, _, second_id = _two_devices(session, make, clock)
    other = make.user(session)
    make.enrol(session, other, now=clock.now())
    with pytest.raises(NotAllowed):
        two_factor.remove_device(session, other, second_id, step_up=make.PASSWORD, now=clock.now())
    assert session.get(TotpDevice, second_id) is not None


def test_a_refused_step_up_is_kept_and_the_fifth_locks(app_db, clock, make):
    with session_scope() as session:
        user, _, second_id = _two_devices(session, make, clock)
    with pytest.raises(Invalid), session_scope() as session:
        two_factor.remove_device(session, user, second_id, step_up="wrong password here", now=clock.now())
    with session_scope() as session:
        assert session.get(User, user.id).failed_password_count == 1
        assert "account.step_up_refused" in _actions(session)
    for _ in range(4):
        with pytest.raises((Invalid, Locked)), session_scope() as session:
            two_factor.remove_device(session, user, second_id, step_up="wrong password here", now=clock.now())
    with session_scope() as session:
        assert session.get(User, user.id).locked_until is not None
        assert session.get(TotpDevice, second_id) is not None
    with pytest.raises(Locked), session_scope() as session:
        two_factor.remove_device(session, user, second_id, step_up=make.PASSWORD, now=clock.now())


# Email address ----------------------------------------------------------------------------------


def test_email_change_without_or_with_a_wrong_step_up_is_refused(session, clock, make):
    user = make.user(session, email="old@example.org")
    make.enrol(session, user, now=clock.now())
    with pytest.raises(Invalid) as missing:
        _change_email(session, user, "thief@example.net", clock, "")
    assert "step_up" in missing.value.errors
    with pytest.raises(Invalid) as wrong:
        _change_email(session, user, "thief@example.net", clock, "a guessed password")
    assert "step_up" in wrong.value.errors
    assert session.get(User, user.id).failed_password_count == 1
    assert session.get(User, user.id).email == "old@example.org"
    assert session.exec(select(EmailChange)).all() == []
    assert session.exec(select(OutboxEmail)).all() == []


def test_new_email_waits_for_its_link_and_the_old_address_is_told_twice(session, clock, make, monkeypatch):
    monkeypatch.setenv("HARMONY_BASE_URL", "https://portal.example.org/")
    from harmony_portal.settings import get_settings
    get_settings.cache_clear()
    try:
        user = make.user(session, email="old@example.org")
        form = _form(user)
        form.email, form.city = "New@Example.org", "Kodiak"
        accounts.update_profile(session, user, form, step_up=make.PASSWORD, now=clock.now())
    finally:
        get_settings.cache_clear()
    fresh = session.get(User, user.id)
    assert fresh.email == "old@example.org" and fresh.city == "Kodiak"  # other fields at once
    assert email_change.pending_email(session, user.id, now=clock.now()) == "New@Example.org"
    to_new = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "New@Example.org")).one()
    assert "https://portal.example.org/profile/confirm-email?token=" in to_new.body
    token = _link_token(session, "New@Example.org")
    assert token not in session.exec(select(EmailChange.token_hash)).one()  # stored hashed
    to_old = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "old@example.org")).one()
    assert "New@Example.org" in to_old.body and token not in to_old.body

    assert email_change.confirm_email_change(session, token, actor=user, now=clock.now()).email == "New@Example.org"
    fresh = session.get(User, user.id)
    assert (fresh.email, fresh.email_key) == ("New@Example.org", "new@example.org")
    told = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "old@example.org")).all()
    assert len(told) == 2 and "is now New@Example.org" in told[-1].body
    assert email_change.pending_email(session, user.id, now=clock.now()) == ""
    assert {"account.email_change_requested", "account.email_changed"} <= set(_actions(session))


def test_email_link_works_once(session, clock, make):
    user = make.user(session, email="old@example.org")
    _change_email(session, user, "new@example.org", clock, make.PASSWORD)
    token = _link_token(session, "new@example.org")
    email_change.confirm_email_change(session, token, now=clock.now())
    with pytest.raises(Invalid):
        email_change.confirm_email_change(session, token, now=clock.now())


def test_email_link_expires_after_a_day(session, clock, make):
    user = make.user(session, email="old@example.org")
    _change_email(session, user, "new@example.org", clock, make.PASSWORD)
    token = _link_token(session, "new@example.org")
    with pytest.raises(Invalid):
        email_change.confirm_email_change(session, token, now=clock.now() + timedelta(hours=24, seconds=1))
    assert session.get(User, user.id).email == "old@example.org"
    assert email_change.pending_email(session, user.id, now=clock.now() + timedelta(hours=25)) == ""


def test_email_link_for_another_user_is_refused_when_signed_in_as_someone_else(session, clock, make):
    owner = make.user(session, email="owner@example.org")
    other = make.user(session, email="other@example.org")
    _change_email(session, owner, "owner.new@example.org", clock, make.PASSWORD)
    token = _link_token(session, "owner.new@example.org")
    with pytest.raises(NotAllowed):
        email_change.confirm_email_change(session, token, actor=other, now=clock.now())
    assert session.get(User, other.id).email == "other@example.org"
    assert session.get(User, owner.id).email == "owner@example.org"
    # Still good for its owner (or opened signed out).
    email_change.confirm_email_change(session, token, now=clock.now())
    assert session.get(User, owner.id).email == "owner.new@example.org"
    assert session.get(User, other.id).email == "other@example.org"


def test_a_newer_request_replaces_the_older_link_and_a_taken_address_is_refused(session, clock, make):
    user = make.user(session, email="old@example.org")
    _change_email(session, user, "first@example.org", clock, make.PASSWORD)
    first = _link_token(session, "first@example.org")
    _change_email(session, user, "second@example.org", clock, make.PASSWORD)
    with pytest.raises(Invalid):
        email_change.confirm_email_change(session, first, now=clock.now())
    second = _link_token(session, "second@example.org")
    make.user(session, email="second@example.org")  # someone registered it meanwhile
    with pytest.raises(Conflict):
        email_change.confirm_email_change(session, second, now=clock.now())


def test_profile_without_an_email_change_needs_no_step_up(session, clock, make):
    user = make.user(session, email="Same@example.org")
    form = _form(user)
    form.email, form.city = "same@EXAMPLE.org", "Nome"
    accounts.update_profile(session, user, form, now=clock.now())
    assert session.get(User, user.id).city == "Nome"
    assert session.exec(select(EmailChange)).all() == []
