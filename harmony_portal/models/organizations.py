"""Provider organizations."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class Organization(SQLModel, table=True):
    """A certified or enrolled provider (its id is the one people know it by)."""

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200, index=True)
    provider_type: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utc_now)
