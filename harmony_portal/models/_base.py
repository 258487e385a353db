"""Shared column helpers. Times are timezone-aware UTC (sqlmodel's UTCDateTime columns)."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, timezone-aware: the form every timestamp column takes and returns."""
    return datetime.now(UTC)


# The partial unique indexes of saves made once per form (services/once.py): rows without a key
# (made by the portal itself, or before keys) are not constrained.
HAS_CLIENT_KEY = "client_key IS NOT NULL"
