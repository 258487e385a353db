"""Access reviews: every role held at an organization is kept or removed by its officials by a due date."""

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class AccessReview(SQLModel, table=True):
    """One review, of one organization or of all (``organization_id`` None), started by an administrator."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: str | None = Field(default=None, foreign_key="organization.id", max_length=32)
    due_on: date  # the last day to decide (Alaska); undecided rows follow ``if_not_reviewed`` after it
    due_at: datetime = Field(index=True)
    if_not_reviewed: str = Field(max_length=8)  # keep | end
    repeat_days: int | None = None  # started again this many days after the due date
    reminded_days: int = 0  # the last reminder sent (7, then 1); 0: none yet
    # Kept as rows are decided (one atomic UPDATE each time): the progress view reads no rows.
    row_count: int = 0
    decided_count: int = 0
    organization_count: int = 0
    started_by_id: int | None = Field(default=None, foreign_key="user.id")
    started_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None


class ReviewItem(SQLModel, table=True):
    """One role in a review, as it was when the review started (the last sign-in too: a snapshot)."""

    __table_args__ = (
        # An official's page: the undecided rows of their organizations in the open reviews.
        Index("ix_reviewitem_org_decision", "organization_id", "decision", "review_id"),
        Index("ix_reviewitem_review_decision", "review_id", "decision"),
        # The help desk's page: the officials' own undecided rows.
        Index("ix_reviewitem_decision_role", "decision", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="accessreview.id")
    # No foreign key: the role may end or be removed while the review runs (its open rows are then closed).
    org_role_id: int = Field(index=True)
    user_id: int = Field(foreign_key="user.id")
    organization_id: str = Field(foreign_key="organization.id", max_length=32)
    role: str = Field(max_length=40)
    granted_at: datetime
    last_sign_in_at: datetime | None = None
    recommended: bool = False  # "Not signed in for 90 days": the recommendation is to remove
    # "" | keep | remove | kept (not reviewed) | ended (not reviewed) | ended (expired) | removed on User Roles
    decision: str = Field(default="", max_length=24)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    reason: str = Field(default="", max_length=1000)


class ReviewOrganization(SQLModel, table=True):
    """One organization in a review: its "N of M reviewed" (counts kept as rows are decided) and when its
    officials first opened the review (None: never, which the administrator is shown)."""

    review_id: int = Field(foreign_key="accessreview.id", primary_key=True)
    organization_id: str = Field(foreign_key="organization.id", primary_key=True, max_length=32)
    row_count: int = 0
    decided_count: int = 0
    opened_at: datetime | None = None
    opened_by_id: int | None = Field(default=None, foreign_key="user.id")
