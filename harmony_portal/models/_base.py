"""Shared column helpers. Times are timezone-aware UTC (sqlmodel's UTCDateTime columns)."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, timezone-aware: the form every timestamp column takes and returns."""
    return datetime.now(UTC)
