"""Passkeys (WebAuthn credentials), the one-use challenges of their ceremonies, and the policy that
requires them of the people who grant access."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from harmony_portal.models._base import utc_now


class Passkey(SQLModel, table=True):
    """A registered passkey. The credential id is unique across every account; a name, per account."""

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_passkey_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=60)
    credential_id: str = Field(max_length=1400, unique=True, index=True)  # base64url of the raw id
    public_key: str = Field(max_length=2000)  # base64url of the COSE key
    # An authenticator's counter is 32-bit unsigned: past PostgreSQL's integer.
    sign_count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    aaguid: str = Field(default="", max_length=36)
    transports: str = Field(default="", max_length=200)  # comma-separated, as the browser reported
    backup_eligible: bool = False
    backed_up: bool = False
    passwordless: bool = False  # "Sign in without a password": a discoverable sign-in with this one
    created_at: datetime = Field(default_factory=utc_now)
    last_used_at: datetime | None = None


class PasskeyChallenge(SQLModel, table=True):
    """One ceremony's challenge: used once (the row is deleted), within two minutes, by the session or
    sign-in it was made for.

    ``user_id`` is whom it is for (None: a passwordless sign-in, where the passkey says who);
    ``session_id`` the signed-in session it belongs to (adding a passkey, a step-up).
    """

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=20)  # register | sign_in | passwordless | step_up
    challenge: str = Field(max_length=100)  # base64url; verified against, never taken from the client
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="usersession.id", index=True)
    passkey_name: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utc_now)
    expires_at: datetime


class PortalPolicy(SQLModel, table=True):
    """Portal-wide security settings an administrator changes on /admin (one row, id 1)."""

    id: int | None = Field(default=None, primary_key=True)
    require_passkey_for_grantors: bool = False  # Security Officials and the help desk
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utc_now)
