"""Sign-up rules and profile changes."""

from dataclasses import replace

import pytest
from sqlmodel import select

from harmony_portal.models import AuditEvent, User, UserSession
from harmony_portal.services.accounts import profile as accounts
from harmony_portal.services.accounts import signup
from harmony_portal.services.errors import Invalid
from harmony_portal.services.security import verify_password
from harmony_portal.services.signin.sessions import start_session

GOOD = signup.SignUpForm(
    first_name="Constant", middle_name="J", last_name="Pivinski", date_of_birth="1957-01-01",
    email="Constant.P@example.org", phone="907-555-0100", address_line1="PO Box 1452", city="Anchorage",
    state="ak", zip_code="99501", country="USA", user_id="sbx.test111", password="Spruce tips in the rain",
    confirm_password="Spruce tips in the rain", challenge_question="What city were you born in?",
    challenge_answer="Taylorsville", agree_terms=True,
)


def _problems(session, clock, **changes):
    with pytest.raises(Invalid) as caught:
        signup.sign_up(session, replace(GOOD, **changes), now=clock.now())
    return caught.value.errors


def test_sign_up_creates_account_with_hashed_secrets_and_audit(session, clock):
    user = signup.sign_up(session, GOOD, ip="10.0.0.9", now=clock.now())
    assert user.state == "AK"
    assert user.email_key == "constant.p@example.org"
    assert user.password_hash != GOOD.password and verify_password(user.password_hash, GOOD.password)
    assert "taylorsville" not in user.challenge_answer_hash.lower()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "account.signup")).one()
    assert event.subject_user_id == user.id and event.ip == "10.0.0.9"
    assert GOOD.password not in event.detail


def test_user_id_and_email_are_unique_ignoring_case(session, clock):
    signup.sign_up(session, GOOD, now=clock.now())
    errors = _problems(session, clock, user_id="SBX.TEST111", email="constant.p@EXAMPLE.org")
    assert "taken" in errors["user_id"]
    assert "already registered" in errors["email"]


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("user_id", "a b", "User ID must be"),
    ("email", "not-an-email", "Email Address must look like"),
    ("date_of_birth", "2031-02-01", "in the past"),
    ("date_of_birth", "1990-02-30", "real date"),
    ("state", "Alaska", "two-letter"),
    ("zip_code", "9950", "5 digits"),
    ("zip_extension", "12", "4 digits"),
    ("first_name", "  ", "First Name is required"),
    ("agree_terms", False, "Terms & Conditions"),
    ("challenge_answer", "", "Challenge Answer"),
])
def test_each_field_rule_names_the_field(session, clock, field, value, fragment):
    errors = _problems(session, clock, **{field: value})
    assert fragment in errors[field]


def test_non_us_address_skips_state_and_zip_formats(session, clock):
    user = signup.sign_up(session, replace(GOOD, country="Canada", state="Yukon", zip_code="Y1A 0A1"),
                            now=clock.now())
    assert user.state == "Yukon"


@pytest.mark.parametrize(("password", "fragment"), [
    ("short pass", "at least 12"),
    ("x" * 129, "at most 128"),
    ("password1234", "too common"),
    ("Password123456!", "too common"),
    ("aaaaaaaaaaaaaa", "too easy"),
    ("123456789012", "too easy"),
    ("my sbx.test111 pass", "User ID"),
])
def test_password_rules_follow_nist(session, clock, password, fragment):
    errors = _problems(session, clock, password=password, confirm_password=password)
    assert fragment in errors["password"]


def test_password_may_be_long_with_spaces_and_any_characters(session, clock):
    phrase = "ÿ correct horse, battery staple 🐻 " * 3
    user = signup.sign_up(session, replace(GOOD, password=phrase, confirm_password=phrase), now=clock.now())
    assert verify_password(user.password_hash, phrase)


def test_confirm_password_must_match(session, clock):
    errors = _problems(session, clock, confirm_password="Spruce tips in the sun")
    assert "does not match" in errors["confirm_password"]


def test_change_password_needs_current_and_ends_other_sessions(session, clock, make):
    user = make.user(session)
    start_session(session, user, now=clock.now())
    start_session(session, user, now=clock.now())
    session.flush()
    keep = session.exec(select(UserSession).where(UserSession.user_id == user.id)).first()
    with pytest.raises(Invalid) as wrong:
        accounts.change_password(session, user, "nope", "Totally new passphrase", "Totally new passphrase",
                                 keep_session_id=keep.id, now=clock.now())
    assert "current_password" in wrong.value.errors
    ended = accounts.change_password(session, user, make.PASSWORD, "Totally new passphrase",
                                     "Totally new passphrase", keep_session_id=keep.id, now=clock.now())
    assert ended == 1
    live = session.exec(select(UserSession).where(UserSession.ended_at.is_(None))).all()
    assert [s.id for s in live] == [keep.id]
    assert verify_password(session.get(User, user.id).password_hash, "Totally new passphrase")


@pytest.mark.parametrize(("typed", "says"), [
    ("", "Enter your password to confirm the change."),
    ("not-my-password", "That is not your password."),
])
def test_the_challenge_form_names_its_own_password_field(session, make, typed, says):
    """The field is "Your password, to confirm": no "Current Password" (another form's field), and an
    empty one is asked for, not called wrong."""
    user = make.user(session)
    with pytest.raises(Invalid) as refused:
        accounts.update_challenge(session, user, "What city were you born in?", "Juneau", typed)
    assert refused.value.errors == {"challenge_password": says}
    accounts.update_challenge(session, user, "What city were you born in?", "Juneau", make.PASSWORD)


def test_update_profile_checks_and_saves(session, clock, make):
    user = make.user(session)
    form = accounts.ProfileForm.of(user)
    form.city, form.date_of_birth, form.state, form.country = "Juneau", "1980-05-05", "AK", "USA"
    accounts.update_profile(session, user, form, now=clock.now())
    assert session.get(User, user.id).city == "Juneau"
    form.zip_code = "abc"
    with pytest.raises(Invalid) as caught:
        accounts.update_profile(session, user, form, now=clock.now())
    assert "zip_code" in caught.value.errors


def test_create_admin_refuses_duplicates_and_weak_passwords(session, make):
    make.user(session, "taken.id")
    with pytest.raises(Invalid) as caught:
        signup.create_admin(session, "Taken.ID", "new@example.org", "short")
    assert set(caught.value.errors) == {"user_id", "password"}
    admin = signup.create_admin(session, "desk.one", "desk@example.org", "Aurora borealis tonight")
    assert admin.is_admin
