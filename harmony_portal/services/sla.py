"""First-response due time (placeholder: a flat 24 hours until the business-hours clock lands)."""

from __future__ import annotations

from datetime import datetime, timedelta


def first_response_due(submitted_at: datetime) -> datetime:
    """When the help desk owes a first response to a PQ submitted at ``submitted_at``."""
    return submitted_at + timedelta(hours=24)
