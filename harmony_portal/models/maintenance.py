"""Maintenance windows, the weekly rule, and announcements shown to everyone."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now

ONE_OFF = "one-off"
SKIP = "skip"  # a row that skips one occurrence of the weekly window (starts_at = that occurrence's start)


class MaintenanceWindow(SQLModel, table=True):
    """A one-off maintenance window, or the skip of one weekly occurrence."""

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    reason: str = Field(default="", max_length=500)
    kind: str = Field(default=ONE_OFF, max_length=10)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)
    cancelled_at: datetime | None = None


class WeeklyMaintenance(SQLModel, table=True):
    """The weekly window (one row, id 1). No row: the default, Sunday 2:00-8:00 PM Alaska time.

    Kept as local wall-clock minutes, so the window stays at 2:00 PM across the DST changes.
    """

    id: int | None = Field(default=None, primary_key=True)
    weekday: int = 6  # Monday 0 .. Sunday 6
    start_minute: int = 14 * 60
    end_minute: int = 20 * 60
    active: bool = True
    reason: str = Field(default="Weekly maintenance.", max_length=500)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utc_now)


class Announcement(SQLModel, table=True):
    """A notice shown between two times, to everyone or to the users of one provider type."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=2000)
    level: str = Field(default="info", max_length=10)  # info | warning
    provider_type: str | None = Field(default=None, max_length=100)  # None: everyone
    starts_at: datetime
    ends_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)


class AnnouncementDismissal(SQLModel, table=True):
    """A user closed an announcement: it stays closed on every device."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id", primary_key=True)
    dismissed_at: datetime = Field(default_factory=utc_now)
