"""Creating accounts and keeping their profile and password."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime

from sqlmodel import Session

from harmony_portal.models import User, utc_now
from harmony_portal.services import validation
from harmony_portal.services.accounts.email_change import request_email_change
from harmony_portal.services.accounts.find import find_user_by_email
from harmony_portal.services.accounts.passwords import password_problem
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.notifications.email_preferences import SECURITY
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.security import hash_password, normalise_answer, verify_password
from harmony_portal.services.signin.sessions import end_other_sessions
from harmony_portal.services.signin.step_up import verify_step_up

PROFILE_FIELDS = (
    "first_name", "middle_name", "last_name", "date_of_birth", "email", "phone", "address_line1",
    "address_line2", "city", "state", "zip_code", "zip_extension", "country",
)


@dataclass
class ProfileForm:
    """Profile Information as typed (strings, straight from the form)."""

    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    date_of_birth: str = ""
    email: str = ""
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    zip_extension: str = ""
    country: str = "USA"

    @classmethod
    def of(cls, user: User) -> ProfileForm:
        values = {f.name: getattr(user, f.name) for f in fields(cls)}
        values["date_of_birth"] = user.date_of_birth.isoformat() if user.date_of_birth else ""
        return cls(**{k: v or "" for k, v in values.items()})


def profile_problems(session: Session, form: ProfileForm, today: date, *, self_id: int | None) -> dict[str, str]:
    # Length and control-character problems first: the format checks below assume sane text.
    # (Date of Birth is parsed as a date, which bounds it.)
    problems = validation.text_problems({name: getattr(form, name) for name in PROFILE_FIELDS
                                         if name != "date_of_birth"})
    for name, label in (("first_name", "First Name"), ("last_name", "Last Name")):
        if not getattr(form, name).strip():
            problems.setdefault(name, f"{label} is required.")
    for name, check in (
        ("email", validation.email_problem(form.email)),
        ("date_of_birth", validation.date_of_birth_problem(form.date_of_birth, today)),
        ("phone", validation.phone_problem(form.phone)),
    ):
        if check:
            problems.setdefault(name, check)
    for name, check in validation.address_problems(form.state, form.zip_code, form.zip_extension,
                                                   form.country).items():
        problems.setdefault(name, check)
    if "email" not in problems:
        other = find_user_by_email(session, form.email)
        if other is not None and other.id != self_id:
            problems["email"] = "That Email Address is already registered to an account."
    return problems


def apply_profile(user: User, form: ProfileForm) -> None:
    for name in PROFILE_FIELDS:
        value = getattr(form, name).strip()
        if name == "date_of_birth":
            user.date_of_birth = date.fromisoformat(value)
        elif name == "state" and validation.is_usa(form.country):
            user.state = value.upper()
        else:
            setattr(user, name, value)
    user.email_key = user.email.lower()


def update_profile(session: Session, actor: User, form: ProfileForm, *, step_up: str = "", ip: str = "",
                   session_id: int | None = None, now: datetime | None = None) -> User:
    """Save Profile Information for the acting user (nobody edits someone else's).

    Every field but the email address is saved at once. A new email address needs
    the step-up (current password or a fresh security code) and then waits for
    the link emailed to it (services/email_change); the old address is told.
    """
    now = now or utc_now()
    user = session.get(User, actor.id)
    if user is None:
        raise NotAllowed()
    problems = profile_problems(session, form, now.date(), self_id=user.id)
    if problems:
        raise Invalid(problems)
    maintenance.refuse_while_down(session, user, now)
    new_email = form.email.strip()
    changing_email = new_email.lower() != user.email_key
    proved = None
    if changing_email:
        proved = verify_step_up(session, user, step_up, purpose="email_change", ip=ip, session_id=session_id,
                                now=now)
    apply_profile(user, replace(form, email=user.email if changing_email else new_email))
    session.add(user)
    audit.record(session, "account.profile_updated", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now,
                 **({"step_up": proved} if proved else {}))
    if changing_email:
        request_email_change(session, user, new_email, ip=ip, now=now)
    return user


def change_password(
    session: Session, actor: User, current: str, new: str, confirm: str, *,
    keep_session_id: int | None, now: datetime | None = None,
) -> int:
    """Change the acting user's password and sign out their other sessions.

    Returns how many other sessions were ended.
    """
    now = now or utc_now()
    user = session.get(User, actor.id)
    if user is None:
        raise NotAllowed()
    if not verify_password(user.password_hash, current):
        raise Invalid("current_password", "Current Password is not correct.")
    if problem := password_problem(new, user_id=user.user_id, email=user.email):
        raise Invalid("new_password", problem)
    if new != confirm:
        raise Invalid("confirm_new_password", "Confirm New Password does not match New Password.")
    if verify_password(user.password_hash, new):
        raise Invalid("new_password", "New Password must differ from the current one.")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    session.add(user)
    ended = end_other_sessions(session, user.id, keep_id=keep_session_id, now=now)
    audit.record(session, "account.password_changed", actor_id=user.id, subject_user_id=user.id, now=now,
                 other_sessions_ended=ended)
    tell(session, user, SECURITY, "Your Harmony Portal password was changed",
         email=f"Hello {user.first_name},\n\nThe password of User ID {user.user_id} was changed, and every other "
               "session was signed out.\n\nIf this was not you, call the Harmony Help Desk at once.\n",
         note="Your password was changed and your other sessions were signed out.", now=now)
    return ended


def update_challenge(session: Session, actor: User, question: str, answer: str, current_password: str, *,
                     now: datetime | None = None) -> None:
    """Replace the challenge question and answer (the password confirms it is them)."""
    user = session.get(User, actor.id)
    if user is None:
        raise NotAllowed()
    # The form's field is "Your password, to confirm": its errors say so, and an empty one is not "wrong".
    if not current_password:
        raise Invalid("challenge_password", "Enter your password to confirm the change.")
    if not verify_password(user.password_hash, current_password):
        raise Invalid("challenge_password", "That is not your password.")
    if not question.strip():
        raise Invalid("challenge_question", "Choose a Challenge Question.")
    if len(answer.strip()) < 2:
        raise Invalid("challenge_answer", "Challenge Answer is required.")
    validation.check_text({"challenge_question": question, "challenge_answer": answer})
    user.challenge_question = question.strip()
    user.challenge_answer_hash = hash_password(normalise_answer(answer))
    session.add(user)
    audit.record(session, "account.challenge_changed", actor_id=user.id, subject_user_id=user.id, now=now)


