"""New accounts: the Sign Up page, and the accounts operators create from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from harmony_portal.models import User, utc_now
from harmony_portal.services import validation
from harmony_portal.services.accounts.find import find_user, find_user_by_email
from harmony_portal.services.accounts.passwords import password_problem
from harmony_portal.services.accounts.profile import ProfileForm, apply_profile, profile_problems
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.security import hash_password, normalise_answer
from harmony_portal.services.signin import rate_limits


@dataclass
class SignUpForm(ProfileForm):
    """Everything the Sign Up page asks for."""

    user_id: str = ""
    password: str = ""
    confirm_password: str = ""
    challenge_question: str = ""
    challenge_answer: str = ""
    agree_terms: bool = False


def sign_up(session: Session, form: SignUpForm, *, ip: str = "", now: datetime | None = None) -> User:
    """Create an account; raises Invalid with every problem found, keyed by field.

    Every attempt counts towards the per-IP limit, refused ones too: "That User ID
    is taken" would otherwise let a script list the accounts.
    """
    now = now or utc_now()
    rate_limits.check(session, "sign_up", ip=ip, now=now)
    problems = profile_problems(session, form, now.date(), self_id=None)
    if problem := validation.user_id_problem(form.user_id):
        problems["user_id"] = problem
    elif find_user(session, form.user_id):
        problems["user_id"] = "That User ID is taken. Choose another."
    if problem := password_problem(form.password, user_id=form.user_id, email=form.email):
        problems["password"] = problem
    elif form.password != form.confirm_password:
        problems["confirm_password"] = "Confirm Password does not match Password."  # noqa: S105 - a field name, not a secret
    if not form.challenge_question.strip():
        problems["challenge_question"] = "Choose a Challenge Question."
    if len(form.challenge_answer.strip()) < 2:
        problems["challenge_answer"] = "Challenge Answer is required."
    for name, problem in validation.text_problems({"user_id": form.user_id,
                                                   "challenge_question": form.challenge_question,
                                                   "challenge_answer": form.challenge_answer}).items():
        problems.setdefault(name, problem)
    if not form.agree_terms:
        problems["agree_terms"] = "You must agree to the Terms & Conditions."
    if problems:
        raise Invalid(problems)
    maintenance.refuse_while_down(session, None, now)
    user = User(
        user_id=form.user_id.strip(),
        user_id_key=form.user_id.strip().lower(),
        email="",
        email_key="",
        first_name="",
        last_name="",
        password_hash=hash_password(form.password),
        password_changed_at=now,
        challenge_question=form.challenge_question.strip(),
        challenge_answer_hash=hash_password(normalise_answer(form.challenge_answer)),
        created_at=now,
    )
    apply_profile(user, form)
    session.add(user)
    session.flush()
    audit.record(session, "account.signup", actor_id=user.id, subject_user_id=user.id, ip=ip, now=now)
    return user


def _identity_problems(session: Session, user_id: str, email: str) -> dict[str, str]:
    """A malformed or taken User ID or email, by field."""
    problems: dict[str, str] = {}
    if problem := validation.user_id_problem(user_id):
        problems["user_id"] = problem
    elif find_user(session, user_id):
        problems["user_id"] = f"User ID {user_id!r} already exists."
    if problem := validation.email_problem(email):
        problems["email"] = problem
    elif find_user_by_email(session, email):
        problems["email"] = f"Email {email!r} is already registered."
    return problems


def create_account(session: Session, *, user_id: str, email: str, first_name: str, last_name: str,
                   password_hash: str, challenge_question: str = "", challenge_answer_hash: str = "",
                   is_admin: bool = False, is_demo: bool = False, reason: str,
                   now: datetime | None = None, **profile: object) -> User:
    """An account from already-hashed secrets, audited: for the demo seed, tests and benchmarks.

    People sign up through :func:`sign_up` and administrators come from :func:`create_admin`;
    this is the path for callers that create many accounts and hash the shared password
    once. User ID and email must be free; ``reason`` goes into the audit row.

    Raises:
        Invalid: the User ID or email is malformed or taken.
    """
    now = now or utc_now()
    problems = _identity_problems(session, user_id, email)
    if problems:
        raise Invalid(problems)
    user = User(user_id=user_id, user_id_key=user_id.lower(), email=email, email_key=email.lower(),
                first_name=first_name, last_name=last_name, password_hash=password_hash,
                challenge_question=challenge_question, challenge_answer_hash=challenge_answer_hash,
                is_admin=is_admin, is_demo=is_demo, created_at=now, password_changed_at=now, **profile)
    session.add(user)
    session.flush()
    audit.record(session, "account.created", subject_user_id=user.id, now=now, reason=reason,
                 **({"admin": True} if is_admin else {}))
    return user


def create_admin(session: Session, user_id: str, email: str, password: str, *, first_name: str = "Help",
                 last_name: str = "Desk", is_demo: bool = False, now: datetime | None = None) -> User:
    """A help-desk administrator (the CLI's create-admin). No device yet: see two_factor."""
    now = now or utc_now()
    problems = _identity_problems(session, user_id, email)
    if problem := password_problem(password, user_id=user_id, email=email):
        problems["password"] = problem
    for name, problem in validation.text_problems({"first_name": first_name, "last_name": last_name}).items():
        problems.setdefault(name, problem)
    if problems:
        raise Invalid(problems)
    user = User(user_id=user_id, user_id_key=user_id.lower(), email=email, email_key=email.lower(),
                first_name=first_name, last_name=last_name, password_hash=hash_password(password),
                is_admin=True, is_demo=is_demo, created_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    audit.record(session, "account.admin_created", subject_user_id=user.id, now=now)
    return user
