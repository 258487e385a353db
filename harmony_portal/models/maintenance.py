"""Maintenance windows and announcements shown in the page banner."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class MaintenanceWindow(SQLModel, table=True):
    """A one-off maintenance window (the weekly Sunday window is a rule, not a row)."""

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    reason: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)
    cancelled_at: datetime | None = None


class Announcement(SQLModel, table=True):
    """A notice shown to everyone between two times."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=2000)
    starts_at: datetime
    ends_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)
