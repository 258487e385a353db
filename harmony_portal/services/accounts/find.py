"""Finding an account by its User ID or email address."""

from __future__ import annotations

from sqlmodel import Session, select

from harmony_portal.models import User


def find_user(session: Session, user_id: str) -> User | None:
    """The account with this User ID, ignoring case."""
    return session.exec(select(User).where(User.user_id_key == user_id.strip().lower())).first()


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account with this email, ignoring case."""
    return session.exec(select(User).where(User.email_key == email.strip().lower())).first()
