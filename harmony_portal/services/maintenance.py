"""Maintenance windows: the weekly Sunday window plus one-off windows from the table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from harmony_portal.models import Announcement, MaintenanceWindow
from harmony_portal.services.clock import format_local, to_local

NOTICES_SHOWN = 5

WEEKLY_START = time(14, 0)
WEEKLY_END = time(20, 0)
SUNDAY = 6
UPCOMING_NOTICE = timedelta(hours=24)


@dataclass(frozen=True)
class MaintenanceNotice:
    """What the banner says. ``in_progress`` picks role=alert over role=status."""

    in_progress: bool
    starts_at: datetime
    ends_at: datetime
    reason: str

    @property
    def text(self) -> str:
        span = f"{format_local(self.starts_at)} to {format_local(self.ends_at)}"
        if self.in_progress:
            return (f"Harmony is down for maintenance until {format_local(self.ends_at)}. "
                    "Work you have not saved will not be recoverable.")
        return f"Scheduled maintenance {span}: save your work before it starts. {self.reason}".strip()


def _weekly_window_around(now: datetime) -> tuple[datetime, datetime]:
    """The weekly window that is in progress, or the next one."""
    local = to_local(now)
    days_ahead = (SUNDAY - local.weekday()) % 7
    start = datetime.combine(local.date() + timedelta(days=days_ahead), WEEKLY_START, tzinfo=local.tzinfo)
    end = datetime.combine(start.date(), WEEKLY_END, tzinfo=local.tzinfo)
    if end <= local:  # this Sunday's window is over: next week's
        start, end = start + timedelta(days=7), end + timedelta(days=7)
    return start, end


def notice_at(session: Session | None, now: datetime) -> MaintenanceNotice | None:
    """The banner to show at ``now``: a window in progress first, else one starting within a day."""
    start, end = _weekly_window_around(now)
    windows = [(start, end, "Weekly maintenance every Sunday, 2:00pm to 8:00pm.")]
    if session is not None:
        for row in session.exec(select(MaintenanceWindow).where(
                MaintenanceWindow.cancelled_at.is_(None), MaintenanceWindow.ends_at > now)):
            windows.append((row.starts_at, row.ends_at, row.reason))
    windows.sort(key=lambda w: w[0])
    for starts, ends, reason in windows:
        if starts <= now < ends:
            return MaintenanceNotice(True, starts, ends, reason)
    for starts, ends, reason in windows:
        if now < starts <= now + UPCOMING_NOTICE:
            return MaintenanceNotice(False, starts, ends, reason)
    return None




def current_notices(session: Session, now: datetime) -> list[str]:
    """Announcements in force at ``now``, newest first, as one line each ("Title: body")."""
    announcements = session.exec(select(Announcement).where(Announcement.starts_at <= now)
                                 .order_by(col(Announcement.starts_at).desc()).limit(NOTICES_SHOWN)).all()
    return [f"{a.title}: {a.body}".strip(": ") for a in announcements if a.ends_at is None or a.ends_at > now]
