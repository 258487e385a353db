"""Having trouble logging in: emailed single-use link, challenge answer, second factor."""

import re

import pytest
from sqlmodel import select

from harmony_portal.models import OutboxEmail, User
from harmony_portal.services.accounts import password_reset as reset
from harmony_portal.services.errors import Invalid, Locked
from harmony_portal.services.notifications.notify import rendered_body
from harmony_portal.services.security import current_totp, verify_password
from harmony_portal.services.signin.sessions import resolve_session, start_session

NEW = "Brand new kayak passphrase"


def _token(session) -> str:
    email = session.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all()[-1]
    return re.search(r"token=([\w-]+)", rendered_body(email)).group(1)


def test_same_answer_whether_or_not_the_email_is_known(session, clock, make):
    make.user(session, "known", email="known@example.org")
    known = reset.request_reset(session, "KNOWN@example.org", base_url="http://x", now=clock.now())
    unknown = reset.request_reset(session, "ghost@example.org", base_url="http://x", now=clock.now())
    assert known == unknown
    assert [e.to_address for e in session.exec(select(OutboxEmail))] == ["known@example.org"]


def test_full_reset_signs_out_everywhere_and_link_is_single_use(session, clock, make):
    user = make.user(session, "resetme", email="r@example.org")
    secret = make.enrol(session, user)
    old_session = start_session(session, user, now=clock.now())
    reset.request_reset(session, "r@example.org", base_url="http://x", now=clock.now())
    token = _token(session)
    assert reset.reset_user(session, token, now=clock.now()).id == user.id
    with pytest.raises(Invalid, match="Challenge Answer or the security code"):
        reset.complete_reset(session, token, answer="Sitka", code="000000", new_password=NEW,
                             confirm_password=NEW, now=clock.now())
    reset.complete_reset(session, token, answer=" JUNEAU ", code=current_totp(secret, clock.now()),
                         new_password=NEW, confirm_password=NEW, now=clock.now())
    assert verify_password(session.get(User, user.id).password_hash, NEW)
    assert resolve_session(session, old_session, now=clock.now()) is None
    with pytest.raises(Invalid, match="expired or was already used"):
        reset.reset_user(session, token, now=clock.now())


def test_link_expires_after_thirty_minutes(session, clock, make):
    make.user(session, "late", email="late@example.org")
    reset.request_reset(session, "late@example.org", base_url="http://x", now=clock.now())
    token = _token(session)
    with pytest.raises(Invalid):
        reset.reset_user(session, token, now=clock.advance(minutes=31))


def test_wrong_code_refuses_the_reset(session, clock, make):
    user = make.user(session, "coded", email="c@example.org")
    make.enrol(session, user)
    reset.request_reset(session, "c@example.org", base_url="http://x", now=clock.now())
    with pytest.raises(Invalid):
        reset.complete_reset(session, _token(session), answer="juneau", code="123456", new_password=NEW,
                             confirm_password=NEW, now=clock.now())
    assert verify_password(session.get(User, user.id).password_hash, make.PASSWORD)


def _request(session, clock, email: str) -> str:
    reset.request_reset(session, email, base_url="http://x", now=clock.now())
    return _token(session)


def test_a_wrong_answer_and_a_wrong_code_get_one_message(session, clock, make):
    user = make.user(session, "oracle", email="o@example.org")
    secret = make.enrol(session, user)
    token = _request(session, clock, "o@example.org")
    with pytest.raises(Invalid) as wrong_answer:
        reset.complete_reset(session, token, answer="Sitka", code=current_totp(secret, clock.now()),
                             new_password=NEW, confirm_password=NEW, now=clock.now())
    with pytest.raises(Invalid) as wrong_code:
        reset.complete_reset(session, token, answer="juneau", code="000000", new_password=NEW,
                             confirm_password=NEW, now=clock.now())
    assert wrong_answer.value.errors == wrong_code.value.errors == {
        "challenge_answer": reset.WRONG_ANSWER_OR_CODE}


def test_wrong_challenge_answers_lock_the_account(session, clock, make):
    user = make.user(session, "guessed", email="g@example.org")
    make.enrol(session, user)
    token = _request(session, clock, "g@example.org")
    for _ in range(4):
        with pytest.raises(Invalid):
            reset.complete_reset(session, token, answer="Anchorage", code="000000", new_password=NEW,
                                 confirm_password=NEW, now=clock.now())
    with pytest.raises(Locked):
        reset.complete_reset(session, token, answer="Nome", code="000000", new_password=NEW,
                             confirm_password=NEW, now=clock.now())
    assert session.get(User, user.id).locked_until is not None
    assert verify_password(session.get(User, user.id).password_hash, make.PASSWORD)


def test_a_completed_reset_invalidates_the_other_links(session, clock, make):
    user = make.user(session, "twice", email="t@example.org")
    secret = make.enrol(session, user)
    older = _request(session, clock, "t@example.org")
    newer = _request(session, clock, "t@example.org")
    reset.complete_reset(session, newer, answer="juneau", code=current_totp(secret, clock.now()),
                         new_password=NEW, confirm_password=NEW, now=clock.now())
    with pytest.raises(Invalid, match="expired or was already used"):
        reset.reset_user(session, older, now=clock.now())


def test_the_outbox_does_not_hold_a_usable_reset_link(session, clock, make):
    make.user(session, "sealed", email="s@example.org")
    token = _request(session, clock, "s@example.org")
    stored = session.exec(select(OutboxEmail)).one()
    assert token not in stored.body and token not in stored.sealed and "token=" not in stored.body
