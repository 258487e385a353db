"""Adding a passkey: the step-up, the checks on the browser's answer, names, uniqueness, audit and mail."""

import json

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, OutboxEmail, Passkey, PasskeyChallenge
from harmony_portal.services.errors import Invalid, RateLimited
from harmony_portal.services.passkeys import registration
from tests.factories import PASSWORD
from tests.passkey_device import SoftPasskey


def _audit(session, action) -> list[dict]:
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    return [json.loads(row.detail) for row in rows]


def test_a_passkey_added_right_after_sign_in_is_saved_with_its_facts_audited_and_mailed(session, clock, make,
                                                                                         passkeys):
    user = make.user(session)
    device, row = passkeys.add(user, SoftPasskey(backup_eligible=True, backed_up=True))
    assert row.user_id == user.id and row.credential_id == device.id
    assert row.name == "Chromium Browser"  # from the shipped AAGUID table
    assert (row.backup_eligible, row.backed_up, row.sign_count) == (True, True, 0)
    assert row.transports == "internal"
    added = _audit(session, "account.passkey_added")[-1]
    assert added["name"] == "Chromium Browser" and added["aaguid"] == device.aaguid
    assert added["backed_up"] is True and device.id not in json.dumps(added)  # a digest, never the id
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == user.email)).all()[-1]
    assert "A passkey was added: Chromium Browser" in mail.body


def test_a_stale_session_must_pass_the_step_up_first(session, clock, make, passkeys):
    user = make.user(session)
    make.enrol(session, user, now=clock.now())
    active = passkeys.signed_in(user, minutes_ago=6)
    with pytest.raises(Invalid) as caught:
        registration.begin(session, active, "Laptop", now=clock.now())
    assert "step_up" in caught.value.errors
    with pytest.raises(Invalid):
        registration.begin(session, active, "Laptop", step_up="wrong password here", now=clock.now())
    challenge_id, options = registration.begin(session, active, "Laptop", step_up=PASSWORD, now=clock.now())
    row = registration.finish(session, active, challenge_id, SoftPasskey().register(options), now=clock.now())
    assert row.name == "Laptop"


def test_names_are_unique_per_user_and_the_default_name_counts_up(session, clock, make, passkeys):
    user = make.user(session)
    passkeys.add(user, name="Work laptop")
    with pytest.raises(Invalid) as caught:
        registration.begin(session, passkeys.signed_in(user), "work LAPTOP", now=clock.now())
    assert "already have a passkey named" in caught.value.errors["passkey_name"]
    _, second = passkeys.add(user)
    _, third = passkeys.add(user)
    assert (second.name, third.name) == ("Chromium Browser", "Chromium Browser 2")
    with pytest.raises(Invalid):
        registration.begin(session, passkeys.signed_in(user), "x" * 61, now=clock.now())


def test_another_persons_credential_can_not_be_registered_again(session, clock, make, passkeys):
    alice, mallory = make.user(session), make.user(session)
    device, _ = passkeys.add(alice)
    active = passkeys.signed_in(mallory)
    challenge_id, options = registration.begin(session, active, "", now=clock.now())
    with pytest.raises(Invalid) as caught:
        registration.finish(session, active, challenge_id, device.register(options), now=clock.now())
    assert "already registered" in str(caught.value)
    assert session.exec(select(Passkey).where(Passkey.user_id == mallory.id)).all() == []


@pytest.mark.parametrize("attack", ["wrong origin", "other rp", "no user verification", "other challenge",
                                    "cancelled", "garbage"])
def test_answers_that_do_not_verify_are_refused_and_audited(session, clock, make, passkeys, attack):
    user = make.user(session)
    active = passkeys.signed_in(user)
    challenge_id, options = registration.begin(session, active, "", now=clock.now())
    device = SoftPasskey()
    other_options = registration.begin(session, active, "", now=clock.now())[1]
    answer = {
        "wrong origin": lambda: device.register(options, at_origin="https://harmony-portal.example.net"),
        "other rp": lambda: device.register(options, for_rp="example.net"),
        "no user verification": lambda: device.register(options, uv=False),
        "other challenge": lambda: device.register(other_options),
        "cancelled": lambda: json.dumps({"error": "NotAllowedError"}),
        "garbage": lambda: "{not json",
    }[attack]()
    with pytest.raises(Invalid):
        registration.finish(session, active, challenge_id, answer, now=clock.now())
    assert session.exec(select(Passkey)).all() == []
    assert _audit(session, "auth.passkey_failed")[-1]["purpose"] == "register"


def test_a_challenge_works_once_for_its_own_session_within_two_minutes(session, clock, make, passkeys):
    user = make.user(session)
    active, other = passkeys.signed_in(user), passkeys.signed_in(user)
    challenge_id, options = registration.begin(session, active, "", now=clock.now())
    answer = SoftPasskey().register(options)
    with pytest.raises(Invalid, match="expired or was already used"):  # another session of the same user
        registration.finish(session, other, challenge_id, answer, now=clock.now())
    with pytest.raises(Invalid, match="expired or was already used"):  # two minutes later
        registration.finish(session, active, challenge_id, answer, now=clock.advance(minutes=2, seconds=1))
    challenge_id, options = registration.begin(session, active, "", now=clock.now())
    answer = SoftPasskey().register(options)
    registration.finish(session, active, challenge_id, answer, now=clock.now())
    with pytest.raises(Invalid, match="expired or was already used"):  # replayed
        registration.finish(session, active, challenge_id, answer, now=clock.now())
    assert session.exec(select(PasskeyChallenge).where(PasskeyChallenge.id == challenge_id)).first() is None


def test_failures_feed_the_rate_limit_not_the_lockout(session, clock, make, passkeys):
    user = make.user(session)
    active = passkeys.signed_in(user)
    refusals = []
    for _ in range(11):
        challenge_id, _options = registration.begin(session, active, "", now=clock.now())
        with pytest.raises((Invalid, RateLimited)) as caught:
            registration.finish(session, active, challenge_id, json.dumps({"error": "NotAllowedError"}),
                                now=clock.now())
        refusals.append(type(caught.value))
    assert refusals[:10] == [Invalid] * 10 and refusals[10] is RateLimited
    session.refresh(user)
    assert user.locked_until is None and user.failed_code_count == 0 and user.failed_password_count == 0
