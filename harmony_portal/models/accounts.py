"""People and how they prove who they are."""

from datetime import date, datetime

from sqlalchemy import Index, literal_column
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now

# Administration's user search (services/admin_users.py) matches the start of a User ID, an
# email, a last name or "first last". The pattern operator classes let PostgreSQL answer
# LIKE 'text%' from these indexes whatever the database's collation (migration 0016); SQLite
# ignores them. The full name is grouped as PostgreSQL prints it back, so the migration check
# compares like with like; it is the same expression the search's "first || ' ' || last" is.
LAST_NAME_KEY_SQL = "lower(last_name)"
FULL_NAME_KEY_SQL = "((lower(first_name) || ' ') || lower(last_name))"


class User(SQLModel, table=True):
    """A HARP-style account. ``user_id`` is the sign-in name people type."""

    __table_args__ = (
        Index("ix_user_user_id_key_prefix", "user_id_key", postgresql_ops={"user_id_key": "varchar_pattern_ops"}),
        Index("ix_user_email_key_prefix", "email_key", postgresql_ops={"email_key": "varchar_pattern_ops"}),
        Index("ix_user_last_name_prefix", literal_column(LAST_NAME_KEY_SQL).label("last_name_key"),
              postgresql_ops={"last_name_key": "text_pattern_ops"}),
        Index("ix_user_full_name_prefix", literal_column(FULL_NAME_KEY_SQL).label("full_name_key"),
              postgresql_ops={"full_name_key": "text_pattern_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64)
    # Lower-cased copies make uniqueness and look-ups case-insensitive on every engine.
    user_id_key: str = Field(max_length=64, unique=True, index=True)
    email: str = Field(max_length=254)
    email_key: str = Field(max_length=254, unique=True, index=True)
    first_name: str = Field(max_length=80)
    middle_name: str = Field(default="", max_length=80)
    last_name: str = Field(max_length=80)
    date_of_birth: date | None = None
    phone: str = Field(default="", max_length=32)
    address_line1: str = Field(default="", max_length=120)
    address_line2: str = Field(default="", max_length=120)
    city: str = Field(default="", max_length=80)
    state: str = Field(default="", max_length=40)
    zip_code: str = Field(default="", max_length=10)
    zip_extension: str = Field(default="", max_length=4)
    country: str = Field(default="USA", max_length=60)
    challenge_question: str = Field(default="", max_length=200)
    challenge_answer_hash: str = Field(default="", max_length=255)
    password_hash: str = Field(max_length=255)
    password_changed_at: datetime = Field(default_factory=utc_now)
    is_admin: bool = False
    is_demo: bool = False
    is_active: bool = True
    failed_password_count: int = 0
    failed_code_count: int = 0
    failure_window_start: datetime | None = None
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utc_now)
    # When "Add a passkey?" was last offered after a sign-in (asked again 30 days later).
    passkey_prompted_at: datetime | None = None
    # The account's WebAuthn user handle (base64url of random bytes, never the id): made with its first passkey.
    passkey_user_handle: str | None = Field(default=None, max_length=100)


class TotpDevice(SQLModel, table=True):
    """An authenticator app. ``last_used_step`` stops a code being replayed."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="Authenticator app", max_length=60)
    secret: str = Field(max_length=255)
    confirmed_at: datetime | None = None
    last_used_step: int = 0
    created_at: datetime = Field(default_factory=utc_now)


class RecoveryCode(SQLModel, table=True):
    """A single-use recovery code, stored hashed."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=255)
    used_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the token's hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utc_now)
    last_seen_at: datetime = Field(default_factory=utc_now)
    ended_at: datetime | None = None
    ip: str = Field(default="", max_length=64)
    # When this browser proved the second factor. None: opened with the password alone
    # (no authenticator yet), good for enrolling one and nothing else, whatever the
    # account does elsewhere later.
    second_factor_at: datetime | None = None
    # A passkey just confirmed it is the person (a step-up), good for one sensitive change soon after.
    passkey_step_up_at: datetime | None = None


class SessionHandoff(SQLModel, table=True):
    """A single-use code that turns into the HttpOnly session cookie on a full page load.

    The websocket can't set an HttpOnly cookie; an HTTP route can, and any worker
    may answer it, so the code lives (briefly) in the database.
    """

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="usersession.id", index=True)
    code_hash: str = Field(max_length=64, unique=True, index=True)
    expires_at: datetime
    used_at: datetime | None = None


class PasswordReset(SQLModel, table=True):
    """A single-use password reset link."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    used_at: datetime | None = None


class EmailChange(SQLModel, table=True):
    """A requested new email address, applied only when its emailed link is opened.

    Only the link token's hash is stored; the link works once, until ``expires_at``.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    new_email: str = Field(max_length=254)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    used_at: datetime | None = None


class OnboardingChecklist(SQLModel, table=True):
    """A staff member's steps before a role is granted; an administrator may override."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    identity_account_at: datetime | None = None
    security_agreement_at: datetime | None = None
    training_at: datetime | None = None
    override_by_id: int | None = Field(default=None, foreign_key="user.id")
    override_reason: str = Field(default="", max_length=1000)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utc_now)


class EnrolmentCode(SQLModel, table=True):
    """A one-time code the help desk issues with a two-factor reset.

    The owner types it after their password before enrolling a new authenticator, so a
    stolen password alone can't enrol one. Only a keyed hash is stored; it works once,
    until ``expires_at``. ``session_id`` is the session its use opened: the only one that
    may enrol the account's first device.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    issued_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime
    used_at: datetime | None = None
    session_id: int | None = Field(default=None, foreign_key="usersession.id")
