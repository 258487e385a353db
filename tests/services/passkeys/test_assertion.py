"""Signing in and stepping up with a passkey: what verifies, and every replay and forgery that must not."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, EmailChange, Passkey, User, UserSession
from harmony_portal.services.accounts import profile as accounts
from harmony_portal.services.errors import Invalid, Locked
from harmony_portal.services.passkeys import assertion, manage
from harmony_portal.services.security import current_totp
from harmony_portal.services.signin import step_up, two_factor
from tests.passkey_device import SoftPasskey


def _audit(session, action) -> list[dict]:
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return [json.loads(row.detail) for row in rows]


def _sign_in(session, clock, user, device, **answer_options):
    challenge_id, options = assertion.begin_sign_in(session, user.id, now=clock.now())
    answer = device.sign_in(options, **answer_options)
    return assertion.finish_second_step(session, challenge_id, user.id, answer, now=clock.now()), answer


def test_a_passkey_passes_the_second_step_and_is_audited_by_name(session, clock, make, passkeys):
    user = make.user(session)
    device, row = passkeys.add(user, name="Desk key")
    signed_in, _ = _sign_in(session, clock, user, device)
    assert signed_in.id == user.id
    session.refresh(row)
    assert row.sign_count == 1 and row.last_used_at == clock.now()
    assert _audit(session, "auth.passkey_used")[-1]["name"] == "Desk key"
    assert _audit(session, "auth.signed_in")[-1]["method"] == "passkey"


def test_a_replayed_answer_is_refused(session, clock, make, passkeys):
    user = make.user(session)
    device, _ = passkeys.add(user)
    _, answer = _sign_in(session, clock, user, device)
    challenge_id, _options = assertion.begin_sign_in(session, user.id, now=clock.now())
    with pytest.raises(Invalid):
        assertion.finish_second_step(session, challenge_id, user.id, answer, now=clock.now())
    assert "challenge" in _audit(session, "auth.passkey_failed")[-1]["reason"].lower()


def test_an_answer_to_another_users_challenge_is_refused(session, clock, make, passkeys):
    alice, mallory = make.user(session), make.user(session)
    alice_device, _ = passkeys.add(alice)
    mallory_device, _ = passkeys.add(mallory)
    alice_challenge, _ = assertion.begin_sign_in(session, alice.id, now=clock.now())
    _mallory_challenge, mallory_options = assertion.begin_sign_in(session, mallory.id, now=clock.now())
    # Mallory's own passkey, answering the challenge made for Alice's sign-in.
    with pytest.raises(Invalid, match="not registered to this account"):
        assertion.finish_second_step(session, alice_challenge, alice.id, mallory_device.sign_in(mallory_options),
                                     now=clock.now())
    # Alice's challenge id claimed for Mallory's sign-in.
    alice_challenge, alice_options = assertion.begin_sign_in(session, alice.id, now=clock.now())
    with pytest.raises(Invalid, match="expired or was already used"):
        assertion.finish_second_step(session, alice_challenge, mallory.id, alice_device.sign_in(alice_options),
                                     now=clock.now())


def test_a_wrong_origin_or_missing_user_verification_is_refused(session, clock, make, passkeys):
    user = make.user(session)
    device, _ = passkeys.add(user)
    with pytest.raises(Invalid):
        _sign_in(session, clock, user, device, at_origin="https://harmony-portal.example.net")
    with pytest.raises(Invalid):
        _sign_in(session, clock, user, device, uv=False)
    assert len(_audit(session, "auth.passkey_failed")) == 2


def test_a_cloned_passkey_whose_counter_went_back_is_refused(session, clock, make, passkeys):
    user = make.user(session)
    device, row = passkeys.add(user)
    _sign_in(session, clock, user, device, counter=5)
    with pytest.raises(Invalid):
        _sign_in(session, clock, user, device, counter=3)
    with pytest.raises(Invalid):  # a non-zero counter that did not grow
        _sign_in(session, clock, user, device, counter=5)
    assert "cloned" in _audit(session, "auth.passkey_failed")[-1]["reason"]
    session.refresh(row)
    assert row.sign_count == 5


def test_a_synced_passkey_that_never_counts_is_accepted_and_its_backup_flags_follow_it(session, clock, make,
                                                                                       passkeys):
    user = make.user(session)
    device, row = passkeys.add(user, SoftPasskey(counts=False, backup_eligible=True, backed_up=False))
    _sign_in(session, clock, user, device)
    device.backed_up = True  # it synced since
    _sign_in(session, clock, user, device)
    session.refresh(row)
    assert (row.sign_count, row.backup_eligible, row.backed_up) == (0, True, True)


def test_passwordless_sign_in_needs_the_passkey_turned_on_for_it(session, clock, make, passkeys):
    user = make.user(session)
    device, row = passkeys.add(user)
    challenge_id, options = assertion.begin_passwordless(session, now=clock.now())
    with pytest.raises(Invalid, match="not set to sign in without a password"):
        assertion.finish_passwordless(session, challenge_id, device.sign_in(options), now=clock.now())
    manage.set_passwordless(session, user, row.id, True, now=clock.now())
    challenge_id, options = assertion.begin_passwordless(session, now=clock.now())
    assert json.loads(options)["allowCredentials"] == []  # the browser offers whichever passkey it has
    assert assertion.finish_passwordless(session, challenge_id, device.sign_in(options), now=clock.now()).id == user.id
    assert _audit(session, "auth.signed_in")[-1]["method"] == "passkey without password"
    assert _audit(session, "account.passkey_changed")[-1]["passwordless"] is True


def test_passwordless_sign_in_refuses_a_user_handle_that_is_not_the_owners(session, clock, make, passkeys):
    user = make.user(session)
    device, row = passkeys.add(user)
    manage.set_passwordless(session, user, row.id, True, now=clock.now())
    device.user_handle = b"someone else's handle"
    challenge_id, options = assertion.begin_passwordless(session, now=clock.now())
    with pytest.raises(Invalid):
        assertion.finish_passwordless(session, challenge_id, device.sign_in(options), now=clock.now())


def test_a_locked_or_disabled_account_does_not_sign_in_with_a_passkey(session, clock, make, passkeys):
    user = make.user(session)
    device, row = passkeys.add(user)
    manage.set_passwordless(session, user, row.id, True, now=clock.now())
    user.locked_until = clock.now() + timedelta(minutes=10)
    session.add(user)
    with pytest.raises(Locked):
        _sign_in(session, clock, user, device)
    challenge_id, options = assertion.begin_passwordless(session, now=clock.now())
    with pytest.raises(Locked):
        assertion.finish_passwordless(session, challenge_id, device.sign_in(options), now=clock.now())
    user.locked_until, user.is_active = None, False
    session.add(user)
    challenge_id, options = assertion.begin_passwordless(session, now=clock.now())
    with pytest.raises(Invalid, match="disabled"):
        assertion.finish_passwordless(session, challenge_id, device.sign_in(options), now=clock.now())


def test_a_passkey_step_up_serves_one_change_in_its_own_session_within_two_minutes(session, clock, make, passkeys):
    user = make.user(session)
    device, _ = passkeys.add(user)
    active, other = passkeys.signed_in(user), passkeys.signed_in(user)
    challenge_id, options = assertion.begin_step_up(session, active, now=clock.now())
    with pytest.raises(Invalid):  # another session can't use this session's challenge
        assertion.finish_step_up(session, other, challenge_id, device.sign_in(options), now=clock.now())
    challenge_id, options = assertion.begin_step_up(session, active, now=clock.now())
    assertion.finish_step_up(session, active, challenge_id, device.sign_in(options), now=clock.now())
    assert session.get(UserSession, active.record.id).passkey_step_up_at == clock.now()
    with pytest.raises(Invalid):  # not the other session's
        step_up.verify_step_up(session, user, "", purpose="test", session_id=other.record.id, now=clock.now())
    assert step_up.verify_step_up(session, user, "", purpose="test", session_id=active.record.id,
                                  now=clock.now()) == "passkey"
    with pytest.raises(Invalid):  # once
        step_up.verify_step_up(session, user, "", purpose="test", session_id=active.record.id, now=clock.now())
    challenge_id, options = assertion.begin_step_up(session, active, now=clock.now())
    assertion.finish_step_up(session, active, challenge_id, device.sign_in(options), now=clock.now())
    with pytest.raises(Invalid):  # stale after two minutes
        step_up.verify_security_code(session, user, "", purpose="test", session_id=active.record.id,
                                     now=clock.advance(minutes=2, seconds=1))
    challenge_id, options = assertion.begin_step_up(session, active, now=clock.now())
    assertion.finish_step_up(session, active, challenge_id, device.sign_in(options), now=clock.now())
    # What a signature of the Access Request asks for: a code, or this session's fresh passkey.
    step_up.verify_security_code(session, user, "", purpose="access_form_signed", session_id=active.record.id,
                                 now=clock.now())


def test_failed_uses_never_lock_the_account(session, clock, make, passkeys):
    user = make.user(session)
    device, _ = passkeys.add(user)
    for _ in range(8):
        with pytest.raises(Invalid):
            _sign_in(session, clock, user, device, uv=False)
    fresh = session.get(User, user.id)
    assert fresh.locked_until is None and fresh.failed_code_count == 0
    assert len(session.exec(select(Passkey)).all()) == 1


def test_a_passkey_step_up_confirms_a_new_email_address_and_a_new_authenticator(session, clock, make, passkeys):
    user = make.user(session)
    make.enrol(session, user, now=clock.now())
    device, _ = passkeys.add(user)
    active = passkeys.signed_in(user)

    def step_up_with_passkey():
        challenge_id, options = assertion.begin_step_up(session, active, now=clock.now())
        assertion.finish_step_up(session, active, challenge_id, device.sign_in(options), now=clock.now())

    form = accounts.ProfileForm.of(session.get(User, user.id))
    form.date_of_birth, form.state, form.country, form.email = "1980-05-05", "AK", "USA", "new@example.net"
    with pytest.raises(Invalid):  # no passkey step-up yet, and no password typed
        accounts.update_profile(session, user, form, session_id=active.record.id, now=clock.now())
    step_up_with_passkey()
    accounts.update_profile(session, user, form, session_id=active.record.id, now=clock.now())
    assert session.exec(select(EmailChange).where(EmailChange.user_id == user.id)).one().new_email == \
        "new@example.net"
    new_device, secret = two_factor.begin_device(session, user, "Tablet")
    step_up_with_passkey()
    two_factor.confirm_device(session, user, new_device.id, current_totp(secret, clock.now()),
                              session_id=active.record.id, now=clock.now())
    assert len(two_factor.list_devices(session, user)) == 2
