"""What the Help page says that changes: whether the help box is open now, and maintenance ahead.

Open or closed comes from the help desk's own clock (``sla``: 7:00am-5:30pm Monday to
Friday, Alaska time, not on state holidays), so the page and the 24-business-hour
promise never disagree. Maintenance windows are read
through ``maintenance``, the same schedule the banner follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from harmony_portal.models.maintenance import ONE_OFF
from harmony_portal.services.clock import format_local, to_local
from harmony_portal.services.maintenance import schedule
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.pq import sla

WINDOWS_SHOWN = 10


@dataclass(frozen=True)
class HelpBoxStatus:
    """Whether the help box is monitored at a moment, in a sentence."""

    is_open: bool
    text: str


def _clock(local: datetime) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def _closed_because(local: datetime) -> str:
    if name := sla.holiday_name(local.date()):
        return name
    if local.weekday() >= 5:
        return "weekend"
    return "before hours" if local.time() < sla.OPENS else "after hours"


def _opening(now_local: datetime, opens_local: datetime) -> str:
    days = (opens_local.date() - now_local.date()).days
    if days == 0:
        return f"today {_clock(opens_local)}"
    if days < 7:  # within a week the day's name is enough
        return f"{opens_local:%A} {_clock(opens_local)}"
    return f"{opens_local:%A}, {opens_local:%B} {opens_local.day} {_clock(opens_local)}"


def help_box_status(now: datetime) -> HelpBoxStatus:
    """"Open now, until 5:30 PM AKST today." or "Closed now (Seward's Day). Opens Tuesday 7:00 AM AKDT."."""
    local = to_local(now)
    if sla.within_business_hours(now):
        closes = local.replace(hour=sla.CLOSES.hour, minute=sla.CLOSES.minute, second=0, microsecond=0)
        return HelpBoxStatus(True, f"Open now, until {_clock(closes)} today.")
    # No business time added: the moment counting would start, which is the next opening.
    opens = to_local(sla.add_business_time(now, timedelta(0)))
    return HelpBoxStatus(False, f"Closed now ({_closed_because(local)}). Opens {_opening(local, opens)}.")


def upcoming_maintenance(session: Session, now: datetime) -> list[dict[str, str]]:
    """One-off maintenance windows in progress or ahead, soonest first (cancelled ones left out)."""
    windows = [w for w in maintenance.upcoming_windows(session, now, days=365) if w.kind == ONE_OFF]
    return [{"when": f"{format_local(w.starts_at)} to {format_local(w.ends_at)}",
             "status": "In progress" if w.starts_at <= now else "Scheduled",
             "reason": w.reason} for w in windows[:WINDOWS_SHOWN]]


def weekly_maintenance(session: Session) -> str:
    """"Every Sunday, 2:00 PM to 8:00 PM Alaska time", or that there is none (administrators change it)."""
    text = schedule.weekly_text(maintenance.weekly_rule(session))
    return "none at present" if text == "Off" else f"{text} Alaska time"
