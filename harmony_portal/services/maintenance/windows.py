"""Maintenance windows: the weekly rule (changeable, skippable), one-off windows, and the banner.

Everything takes ``now``. Times are entered and shown in the portal's timezone (Alaska) and
stored in UTC; the weekly rule is kept in local wall-clock minutes, so "Sunday 2:00 PM" stays
2:00 PM across the DST changes. The banner says what is coming and when it changes next, so
the app can push the change at that moment instead of asking every second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from harmony_portal.models import MaintenanceWindow, User, WeeklyMaintenance
from harmony_portal.models.maintenance import ONE_OFF, SKIP
from harmony_portal.services.clock import to_local
from harmony_portal.services.errors import Maintenance
from harmony_portal.settings import get_settings

UPCOMING_NOTICE = timedelta(hours=24)  # the banner appears a day before
COUNTDOWN = timedelta(minutes=30)  # then counts down
SAVE_WARNING = timedelta(minutes=5)  # open forms are told to save
LONGEST_WINDOW = timedelta(days=3)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REPORT_OF_HARM = "/maintenance/report-of-harm"


@dataclass(frozen=True)
class Window:
    starts_at: datetime  # UTC
    ends_at: datetime
    reason: str
    kind: str  # "weekly" or "one-off"
    id: int | None = None  # the row of a one-off window


@dataclass(frozen=True)
class Banner:
    """What every page shows at one moment, and when that changes next."""

    phase: str  # "" | "upcoming" | "countdown" | "in_progress"
    text: str
    starts_at: datetime | None
    ends_at: datetime | None
    save_warning: bool  # within SAVE_WARNING of the start, or in progress
    changes_at: datetime | None  # the next moment the banner is different (None: nothing scheduled)

    @property
    def key(self) -> tuple:
        """What a page shows: equal keys need no push."""
        return (self.phase, self.text, self.starts_at, self.save_warning)


NO_BANNER = Banner("", "", None, None, False, None)


# ---- reading the schedule -----------------------------------------------------------------


def weekly_rule(session: Session) -> WeeklyMaintenance:
    """The weekly window's rule (the default Sunday 2:00-8:00 PM when nobody changed it)."""
    return session.get(WeeklyMaintenance, 1) or WeeklyMaintenance(id=1)


def _local_at(day: date, minute: int) -> datetime:
    zone = get_settings().timezone
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)


def weekly_between(rule: WeeklyMaintenance, start: datetime, end: datetime) -> list[Window]:
    if not rule.active:
        return []
    first = to_local(start).date() - timedelta(days=1)
    windows = []
    for offset in range((end - start).days + 3):
        day = first + timedelta(days=offset)
        if day.weekday() != rule.weekday:
            continue
        begins = _local_at(day, rule.start_minute)
        ends = _local_at(day + timedelta(days=1) if rule.end_minute <= rule.start_minute else day, rule.end_minute)
        begins, ends = begins.astimezone(start.tzinfo), ends.astimezone(start.tzinfo)
        if ends > start and begins < end:
            windows.append(Window(begins, ends, rule.reason, "weekly"))
    return windows


def windows_between(session: Session, start: datetime, end: datetime) -> list[Window]:
    """Every window that overlaps [start, end), weekly occurrences less the skipped ones, by start."""
    rows = list(session.exec(select(MaintenanceWindow).where(
        MaintenanceWindow.cancelled_at.is_(None), MaintenanceWindow.ends_at > start,
        MaintenanceWindow.starts_at < end + LONGEST_WINDOW)))
    skipped = {as_utc(r.starts_at) for r in rows if r.kind == SKIP}
    weekly = [w for w in weekly_between(weekly_rule(session), start, end) if w.starts_at not in skipped]
    one_off = [Window(as_utc(r.starts_at), as_utc(r.ends_at), r.reason, ONE_OFF, r.id)
               for r in rows if r.kind == ONE_OFF and as_utc(r.starts_at) < end]
    return sorted(weekly + one_off, key=lambda w: (w.starts_at, w.ends_at))


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window_at(session: Session, now: datetime) -> Window | None:
    """The window in progress at ``now`` (the one that ends last, when they overlap)."""
    now = as_utc(now)
    current = [w for w in windows_between(session, now - LONGEST_WINDOW, now + timedelta(seconds=1))
               if w.starts_at <= now < w.ends_at]
    return max(current, key=lambda w: w.ends_at) if current else None


def in_maintenance(session: Session, now: datetime) -> bool:
    return window_at(session, now) is not None


# ---- the banner ---------------------------------------------------------------------------


def _clock(moment: datetime) -> str:
    return to_local(moment).strftime("%I:%M %p").lstrip("0")


def _day(moment: datetime, now: datetime) -> str:
    days = (to_local(moment).date() - to_local(now).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return to_local(moment).strftime("%A %b %d").replace(" 0", " ")


def plain_span(starts: datetime, ends: datetime, now: datetime) -> str:
    """"today 2:00-8:00 PM AKST", "Sunday Nov 29 2:00 PM AKST to Monday Nov 30 1:00 AM AKST"."""
    local_start, local_end = to_local(starts), to_local(ends)
    zone = local_end.strftime("%Z")
    if local_start.date() == local_end.date():
        if local_start.strftime("%p%Z") == local_end.strftime("%p%Z"):
            begin = local_start.strftime("%I:%M").lstrip("0")
        else:
            begin = f"{_clock(starts)} {local_start.strftime('%Z')}"
        return f"{_day(starts, now)} {begin}-{_clock(ends)} {zone}"
    return (f"{_day(starts, now)} {_clock(starts)} {local_start.strftime('%Z')} "
            f"to {_day(ends, now)} {_clock(ends)} {zone}")


def banner_at(session: Session, now: datetime) -> Banner:
    """The banner at ``now``: a window in progress, else the next one starting within a day."""
    now = as_utc(now)
    windows = windows_between(session, now - LONGEST_WINDOW, now + UPCOMING_NOTICE + LONGEST_WINDOW)
    moments = sorted({m for w in windows for m in (w.starts_at - UPCOMING_NOTICE, w.starts_at - COUNTDOWN,
                                                   w.starts_at - SAVE_WARNING, w.starts_at, w.ends_at)
                      if m > now})
    changes_at = moments[0] if moments else None
    current = [w for w in windows if w.starts_at <= now < w.ends_at]
    if current:
        window = max(current, key=lambda w: w.ends_at)
        reason = f" {window.reason}" if window.reason else ""
        text = (f"Harmony is in maintenance until {_day(window.ends_at, now)} {_clock(window.ends_at)} "
                f"{to_local(window.ends_at).strftime('%Z')}.{reason} Until then saving is refused; "
                "what you type stays on the page to save afterwards.")
        return Banner("in_progress", text, window.starts_at, window.ends_at, True, changes_at)
    coming = [w for w in windows if now < w.starts_at <= now + UPCOMING_NOTICE]
    if not coming:
        return replace(NO_BANNER, changes_at=changes_at)
    window = coming[0]
    reason = f" {window.reason}" if window.reason else ""
    text = f"Scheduled maintenance {plain_span(window.starts_at, window.ends_at, now)}.{reason}"
    phase = "countdown" if window.starts_at - now <= COUNTDOWN else "upcoming"
    return Banner(phase, text, window.starts_at, window.ends_at, window.starts_at - now <= SAVE_WARNING, changes_at)


def back_at_text(session: Session, now: datetime) -> str:
    """When saving works again, for a refusal: "8:00 PM AKST" (empty outside a window)."""
    window = window_at(session, now)
    if window is None:
        return ""
    return f"{_day(window.ends_at, now)} {_clock(window.ends_at)} {to_local(window.ends_at).strftime('%Z')}"


# ---- administering the schedule ----------------------------------------------------------


def upcoming_windows(session: Session, now: datetime, *, days: int = 28) -> list[Window]:
    """The schedule ahead (and the window in progress), for the admin page, the CLI and Help."""
    now = as_utc(now)
    return [w for w in windows_between(session, now - LONGEST_WINDOW, now + timedelta(days=days)) if w.ends_at > now]


def refuse_while_down(session: Session, actor: User | None, now: datetime, *, kept: str = "") -> None:
    """Refuse a save or a submission during a window (administrators keep working).

    ``kept`` says where the typed work waits, e.g. " and in your draft".

    Raises:
        Maintenance: a window is in progress.
    """
    window = window_at(session, now)
    if window is None or (actor is not None and actor.is_admin and actor.is_active):
        return
    back = back_at_text(session, now)
    raise Maintenance(f"Harmony is in maintenance until {back}: nothing was saved, and nothing you typed is "
                      f"lost. It stays on this page{kept}; save again after {back}.")
