"""Announcements: administrators post a message to everyone or to one provider type; each
user may close one, and it stays closed on every device."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from harmony_portal.models import Announcement, AnnouncementDismissal, Organization, OrgRole, User
from harmony_portal.services import changes
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Conflict, Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.vocabulary import PROVIDER_TYPES

LEVELS = ("info", "warning")
EVERYONE = "Everyone"
SHOWN_AT_ONCE = 5


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def post(session: Session, actor: User, *, title: str, body: str, level: str, audience: str,
         starts_at: datetime, ends_at: datetime | None, now: datetime) -> Announcement:
    """Raises Invalid naming every refused field."""
    require_admin(session, actor)
    title, body = " ".join((title or "").split()), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Enter a title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if len(body) > 2000:
        errors["body"] = "Keep the message under 2,000 characters."
    if level not in LEVELS:
        errors["level"] = "Choose Info or Warning."
    if audience != EVERYONE and audience not in PROVIDER_TYPES:
        errors["audience"] = "Choose Everyone or a provider type."
    if ends_at is not None and _utc(ends_at) <= max(_utc(starts_at), _utc(now)):
        errors["ends"] = "The end must be after the start and in the future."
    if errors:
        raise Invalid(errors)
    row = Announcement(title=title, body=body, level=level, provider_type=None if audience == EVERYONE else audience,
                       starts_at=_utc(starts_at), ends_at=_utc(ends_at) if ends_at else None, created_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, "announcement.posted", actor_id=actor.id, target=str(row.id), now=now,
                 audience=audience, level=level)
    changes.maintenance_changed(session)
    return row


def end(session: Session, actor: User, announcement_id: int, *, now: datetime) -> None:
    require_admin(session, actor)
    row = session.get(Announcement, announcement_id)
    if row is None or (row.ends_at is not None and _utc(row.ends_at) <= _utc(now)):
        raise Conflict("That announcement has already ended.")
    row.ends_at = _utc(now)
    session.add(row)
    audit.record(session, "announcement.ended", actor_id=actor.id, target=str(row.id), now=now)
    changes.maintenance_changed(session)


def in_force(session: Session, now: datetime) -> list[Announcement]:
    """Announcements showing at ``now``, newest first."""
    now = _utc(now)
    rows = session.exec(select(Announcement).where(Announcement.starts_at <= now)
                        .where((col(Announcement.ends_at).is_(None)) | (col(Announcement.ends_at) > now))
                        .order_by(col(Announcement.starts_at).desc()).limit(50)).all()
    return list(rows)


def scheduled(session: Session, now: datetime) -> list[Announcement]:
    """In force or starting later: what the admin page lists."""
    now = _utc(now)
    return list(session.exec(select(Announcement)
                             .where((col(Announcement.ends_at).is_(None)) | (col(Announcement.ends_at) > now))
                             .order_by(col(Announcement.starts_at).desc()).limit(100)))


def next_start(session: Session, now: datetime) -> datetime | None:
    """When the next scheduled announcement (or the end of one) changes what pages show."""
    now = _utc(now)
    starts = session.exec(select(Announcement.starts_at).where(Announcement.starts_at > now)
                          .order_by(Announcement.starts_at).limit(1)).first()
    ends = session.exec(select(Announcement.ends_at).where(col(Announcement.ends_at) > now)
                        .order_by(Announcement.ends_at).limit(1)).first()
    moments = [_utc(m) for m in (starts, ends) if m is not None]
    return min(moments) if moments else None


def audience_of(session: Session, user: User | None) -> tuple[list[str], list[int]]:
    """The provider types of the user's organizations and the announcements they closed."""
    if user is None:
        return [], []
    types = session.exec(select(Organization.provider_type).join(OrgRole, col(OrgRole.organization_id) ==
                                                                 col(Organization.id))
                         .where(OrgRole.user_id == user.id).distinct()).all()
    closed = session.exec(select(AnnouncementDismissal.announcement_id)
                          .where(AnnouncementDismissal.user_id == user.id)).all()
    return sorted(types), list(closed)


def dismiss(session: Session, user: User, announcement_id: int, *, now: datetime) -> None:
    """Close an announcement for ``user`` on every device (closing twice is harmless)."""
    if session.get(Announcement, announcement_id) is None:
        raise Conflict("That announcement no longer exists.")
    if session.get(AnnouncementDismissal, (user.id, announcement_id)) is None:
        session.add(AnnouncementDismissal(user_id=user.id, announcement_id=announcement_id, dismissed_at=_utc(now)))


def as_row(a: Announcement) -> dict[str, str]:
    """What a page needs of one announcement (the audience filter runs per page)."""
    return {"id": str(a.id), "title": a.title, "body": a.body, "level": a.level,
            "audience": a.provider_type or EVERYONE}
