"""Administering the maintenance schedule: one-off windows added and cancelled, the weekly rule changed or skipped."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from harmony_portal.models import MaintenanceWindow, User, WeeklyMaintenance
from harmony_portal.models.maintenance import ONE_OFF, SKIP
from harmony_portal.services import changes
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Conflict, Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.services.maintenance.windows import (
    LONGEST_WINDOW,
    WEEKDAYS,
    Window,
    as_utc,
    weekly_between,
    weekly_rule,
)
from harmony_portal.settings import get_settings


def parse_local(text: str, field: str) -> datetime:
    """A time typed in the portal's timezone ("2026-11-29T14:00" or "2026-11-29 14:00"), or
    with an explicit offset; returned in UTC.

    Raises:
        Invalid: not a date and time.
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise Invalid(field, "Enter a date and time, for example 2026-11-29 14:00.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=get_settings().timezone)
    return as_utc(moment)


def _check_span(starts: datetime, ends: datetime, now: datetime) -> None:
    errors = {}
    if ends <= starts:
        errors["ends"] = "The end must be after the start."
    elif ends - starts > LONGEST_WINDOW:
        errors["ends"] = "A window can last at most 3 days."
    if ends <= now:
        errors.setdefault("ends", "That time has already passed.")
    if errors:
        raise Invalid(errors)


def _reason(text: str) -> str:
    reason = " ".join((text or "").split())
    if len(reason) > 500:
        raise Invalid("reason", "Keep the reason under 500 characters.")
    return reason


def add_window(session: Session, actor: User | None, starts_at: datetime, ends_at: datetime, reason: str,
               *, now: datetime) -> MaintenanceWindow:
    """A one-off window. ``actor`` None: the command line (the operator of the machine)."""
    if actor is not None:
        require_admin(session, actor)
    _check_span(as_utc(starts_at), as_utc(ends_at), as_utc(now))
    row = MaintenanceWindow(starts_at=as_utc(starts_at), ends_at=as_utc(ends_at), reason=_reason(reason),
                            kind=ONE_OFF, created_by_id=actor.id if actor else None)
    session.add(row)
    session.flush()
    audit.record(session, "maintenance.window_added", actor_id=actor.id if actor else None, target=str(row.id),
                 now=now, starts_at=row.starts_at.isoformat(), ends_at=row.ends_at.isoformat())
    changes.maintenance_changed(session)
    return row


def cancel_window(session: Session, actor: User | None, window_id: int, *, now: datetime) -> MaintenanceWindow:
    if actor is not None:
        require_admin(session, actor)
    row = session.get(MaintenanceWindow, window_id)
    if row is None or row.kind != ONE_OFF or row.cancelled_at is not None:
        raise Conflict("No such maintenance window (it may have been cancelled already).")
    row.cancelled_at = as_utc(now)
    session.add(row)
    audit.record(session, "maintenance.window_cancelled", actor_id=actor.id if actor else None,
                 target=str(row.id), now=now)
    changes.maintenance_changed(session)
    return row


def set_weekly(session: Session, actor: User, *, weekday: int, start_minute: int, end_minute: int,
               active: bool, reason: str, now: datetime) -> WeeklyMaintenance:
    """Change (or switch off, ``active`` False) the weekly window."""
    require_admin(session, actor)
    errors = {}
    if weekday not in range(7):
        errors["weekday"] = "Choose a day of the week."
    if start_minute not in range(24 * 60):
        errors["start"] = "Enter a start time such as 14:00."
    if end_minute not in range(24 * 60 + 1) or end_minute == start_minute:
        errors["end"] = "Enter an end time such as 20:00, not the start time."
    if errors:
        raise Invalid(errors)
    rule = session.get(WeeklyMaintenance, 1) or WeeklyMaintenance(id=1)
    rule.weekday, rule.start_minute, rule.end_minute = weekday, start_minute, end_minute % (24 * 60)
    rule.active, rule.reason = bool(active), _reason(reason)
    rule.updated_by_id, rule.updated_at = actor.id, as_utc(now)
    session.add(rule)
    audit.record(session, "maintenance.weekly_changed", actor_id=actor.id, now=now, weekday=WEEKDAYS[weekday],
                 start=_minutes_text(start_minute), end=_minutes_text(end_minute), active=bool(active))
    changes.maintenance_changed(session)
    return rule


def skip_next_weekly(session: Session, actor: User, *, now: datetime) -> Window:
    """Skip the next (or current) weekly occurrence; later weeks are untouched."""
    require_admin(session, actor)
    now = as_utc(now)
    skipped = {as_utc(r.starts_at) for r in session.exec(select(MaintenanceWindow).where(
        MaintenanceWindow.kind == SKIP, MaintenanceWindow.cancelled_at.is_(None)))}
    upcoming = [w for w in weekly_between(weekly_rule(session), now, now + timedelta(days=8))
                if w.ends_at > now and w.starts_at not in skipped]
    if not upcoming:
        raise Invalid("weekday", "There is no weekly window to skip (the weekly window is off).")
    window = upcoming[0]
    session.add(MaintenanceWindow(starts_at=window.starts_at, ends_at=window.ends_at, kind=SKIP,
                                  reason="Weekly window skipped", created_by_id=actor.id))
    audit.record(session, "maintenance.weekly_skipped", actor_id=actor.id, now=now,
                 starts_at=window.starts_at.isoformat())
    changes.maintenance_changed(session)
    return window


def _minutes_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minutes(text: str) -> int:
    """"14:00" -> 840; -1 for anything else (the caller's check turns it into a field error)."""
    try:
        hours, minutes = (int(p) for p in (text or "").strip().split(":"))
    except ValueError:
        return -1
    return hours * 60 + minutes if 0 <= hours <= 24 and 0 <= minutes < 60 else -1


def weekly_text(rule: WeeklyMaintenance) -> str:
    """"Every Sunday, 2:00 PM to 8:00 PM" or "Off"."""
    if not rule.active:
        return "Off"
    start, end = (time(m // 60 % 24, m % 60).strftime("%I:%M %p").lstrip("0")
                  for m in (rule.start_minute, rule.end_minute))
    return f"Every {WEEKDAYS[rule.weekday]}, {start} to {end}"
