"""In-app notifications: written with the change they tell about, listed on Home, counted in the navigation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session, col, func, select

from harmony_portal.models import Notification, User, utc_now
from harmony_portal.services import changes
from harmony_portal.services.clock import format_local
from harmony_portal.services.notifications.email_preferences import LABELS

SHOWN = 20  # the newest this many are listed on Home


def _fit(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _inside_portal(link: str) -> bool:
    """A path of this site: "//host/..." would leave it, so a link is kept only when it can't."""
    return link.startswith("/") and not link.startswith("//") and "\\" not in link and len(link) <= 300


def add_each(session: Session, user_ids: Iterable[int], category: str, title: str, body: str = "",
             link: str = "", *, now: datetime | None = None) -> None:
    """The same notification for each of ``user_ids``, in one statement (an organization's
    hundreds of officials told of one request cost one insert, not hundreds)."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    values = {"category": category, "title": _fit(" ".join(title.split()), 200), "body": _fit(body, 1000),
              "link": link if _inside_portal(link) else "", "created_at": now or utc_now(), "read_at": None}
    session.execute(insert(Notification), [{"user_id": uid, **values} for uid in user_ids])
    changes.notifications_changed(session, user_ids)


def add_many(session: Session, notes: list[tuple[int, str, str, str]], category: str, *,
             now: datetime | None = None) -> None:
    """Different notifications (user id, title, body, link) in one statement: a sweep that tells
    thousands of people each their own news costs one insert."""
    if not notes:
        return
    at = now or utc_now()
    session.execute(insert(Notification), [
        {"user_id": uid, "category": category, "title": _fit(" ".join(title.split()), 200), "body": _fit(body, 1000),
         "link": link if _inside_portal(link) else "", "created_at": at, "read_at": None}
        for uid, title, body, link in notes])
    changes.notifications_changed(session, {n[0] for n in notes})


def unread_count(session: Session, user_id: int) -> int:
    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, col(Notification.read_at).is_(None))).one()


def recent_rows(session: Session, user_id: int, limit: int = SHOWN) -> list[dict[str, str]]:
    """A person's newest notifications, as Home shows them."""
    notes = session.exec(select(Notification).where(Notification.user_id == user_id)
                         .order_by(col(Notification.id).desc()).limit(limit))
    return [_row(n) for n in notes]


def _row(n) -> dict[str, str]:
    """A notification (the model, or a row of its columns) as Home lists it."""
    return {"id": str(n.id), "title": n.title, "body": n.body, "link": n.link,
            "category": LABELS.get(n.category, ""), "at": format_local(n.created_at),
            "unread": "" if n.read_at else "yes"}


def feed_of(session: Session, user_id: int) -> tuple[int, list[dict[str, str]]]:
    """The unread count and the newest rows: what a live feed holds."""
    return unread_count(session, user_id), recent_rows(session, user_id)


def feeds_of(session: Session, user_ids: Iterable[int]) -> dict[int, tuple[int, list[dict[str, str]]]]:
    """``feed_of`` for many people in two statements: {user id: (unread count, newest rows)}."""
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    unread = {uid: count for uid, count in session.exec(
        select(Notification.user_id, func.count(col(Notification.id))).where(
            col(Notification.user_id).in_(user_ids), col(Notification.read_at).is_(None))
        .group_by(Notification.user_id)).all()}
    place = func.row_number().over(partition_by=Notification.user_id, order_by=col(Notification.id).desc())
    newest = select(Notification.id, place.label("place")).where(col(Notification.user_id).in_(user_ids)).subquery()
    # Columns, not whole rows: a push to hundreds of people reads thousands of them.
    notes = session.exec(select(Notification.id, Notification.user_id, Notification.title, Notification.body,
                                Notification.link, Notification.category, Notification.created_at,
                                Notification.read_at)
                         .join(newest, newest.c.id == Notification.id)
                         .where(newest.c.place <= SHOWN).order_by(col(Notification.id).desc()))
    feeds: dict[int, tuple[int, list[dict[str, str]]]] = {uid: (unread.get(uid, 0), []) for uid in user_ids}
    for note in notes:
        feeds[note.user_id][1].append(_row(note))
    return feeds


def mark_all_read(session: Session, actor: User, *, now: datetime | None = None) -> int:
    """Mark the actor's own unread notifications read (nobody else's: there is no user argument)."""
    result = session.execute(update(Notification).where(
        Notification.user_id == actor.id, col(Notification.read_at).is_(None)).values(read_at=now or utc_now()))
    if result.rowcount:
        changes.notifications_changed(session, [actor.id])  # the badge in every open tab
    return result.rowcount
