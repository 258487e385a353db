"""In-app notifications and each person's choice of emails."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class Notification(SQLModel, table=True):
    """One thing a person was told inside the portal (Home lists them; the navigation counts the unread).

    Written in the same transaction as the change it tells about, with the email (if any).
    """

    __table_args__ = (
        # A person's newest first (Home), and their unread count (the navigation badge).
        Index("ix_notification_user_id_id", "user_id", "id"),
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    category: str = Field(max_length=30)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=1000)
    link: str = Field(default="", max_length=300)  # a path inside the portal, or ""
    created_at: datetime = Field(default_factory=utc_now)
    read_at: datetime | None = None


class EmailPreference(SQLModel, table=True):
    """Whether a person gets the emails of one category; no row means the category's default (on).

    Security emails have no row and no choice: they are always sent.
    """

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    category: str = Field(max_length=30, primary_key=True)
    send: bool = True
    updated_at: datetime = Field(default_factory=utc_now)
