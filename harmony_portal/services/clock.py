"""Time helpers: store UTC, show the portal's timezone."""

from __future__ import annotations

from datetime import UTC, datetime

from harmony_portal.models import utc_now
from harmony_portal.settings import get_settings

__all__ = ["format_local", "to_local", "utc_now"]


def to_local(moment: datetime) -> datetime:
    """A stored (UTC) time in the portal's timezone."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(get_settings().timezone)


def format_local(moment: datetime | None) -> str:
    """``Nov 22, 2026 3:05 PM AKST`` or an empty string."""
    if moment is None:
        return ""
    local = to_local(moment)
    return local.strftime("%b %d, %Y %I:%M %p %Z").replace(" 0", " ")
