"""Authenticator devices: the one place that asks which of a user's devices work."""

from __future__ import annotations

from sqlmodel import Session, select

from harmony_portal.models import TotpDevice


def confirmed_devices(session: Session, user_id: int) -> list[TotpDevice]:
    """The user's working (confirmed) authenticators, oldest first."""
    return list(session.exec(
        select(TotpDevice).where(TotpDevice.user_id == user_id, TotpDevice.confirmed_at.is_not(None))
        .order_by(TotpDevice.id)
    ))


def has_confirmed_device(session: Session, user_id: int) -> bool:
    """Whether the user has at least one working authenticator."""
    return session.exec(select(TotpDevice.id).where(
        TotpDevice.user_id == user_id, TotpDevice.confirmed_at.is_not(None)).limit(1)).first() is not None


def unconfirmed_devices(session: Session, user_id: int) -> list[TotpDevice]:
    """Devices whose enrolment was started and never finished."""
    return list(session.exec(select(TotpDevice).where(
        TotpDevice.user_id == user_id, TotpDevice.confirmed_at.is_(None)).order_by(TotpDevice.id)))
