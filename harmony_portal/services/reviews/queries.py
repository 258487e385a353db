"""What the review pages read: an official's rows (their organizations', never their own), the help desk's
(organizations with no official but the holder), the administrator's progress, and the finished review as CSV."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, func, or_, update
from sqlmodel import Session, col, select

from harmony_portal.models import AccessReview, Organization, OrgRole, ReviewItem, ReviewOrganization, User, utc_now
from harmony_portal.services.clock import format_local
from harmony_portal.services.csv_export import to_csv
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.guards import require_admin
from harmony_portal.services.passkeys import policy
from harmony_portal.services.reviews.decide import official_org_ids
from harmony_portal.vocabulary import SECURITY_OFFICIAL

RECOMMENDATION = "Not signed in for 90 days"
SHOWN = 500  # rows on one page; the page says when there are more


def _open_rows(where):
    """Undecided rows of open reviews, with the holder's and the organization's names."""
    return (select(ReviewItem.id, ReviewItem.user_id, ReviewItem.organization_id, ReviewItem.role,
                   ReviewItem.granted_at, ReviewItem.last_sign_in_at, ReviewItem.recommended, AccessReview.due_on,
                   User.first_name, User.last_name, Organization.name.label("org_name"))
            .join(AccessReview, AccessReview.id == ReviewItem.review_id)
            .join(User, User.id == ReviewItem.user_id)
            .join(Organization, Organization.id == ReviewItem.organization_id)
            .where(where))


def _waiting_for(session: Session, actor: User):
    """Which undecided rows ``actor`` decides, as a condition (None when they decide none): their organizations'
    (never their own roles); for the help desk, also those of organizations where no official but the holder
    could decide."""
    policy.check_not_held(session, actor)
    mine = official_org_ids(session, actor)
    other_official = exists().where(OrgRole.organization_id == ReviewItem.organization_id,
                                    OrgRole.role == SECURITY_OFFICIAL, OrgRole.user_id != ReviewItem.user_id)
    scope = col(ReviewItem.organization_id).in_(mine) if mine else None
    if actor.is_admin:
        # Only two kinds of row can fall to the help desk: an official's own, and any row of an organization
        # without an official; the NOT EXISTS then runs on those alone (an index finds the officials' rows).
        with_official = select(OrgRole.organization_id).where(OrgRole.role == SECURITY_OFFICIAL)
        candidates = or_(ReviewItem.role == SECURITY_OFFICIAL, col(ReviewItem.organization_id).not_in(with_official))
        fallback = and_(candidates, ~other_official)
        scope = or_(scope, fallback) if scope is not None else fallback
    if scope is None:
        return None
    open_review = select(AccessReview.id).where(col(AccessReview.finished_at).is_(None))
    return and_(ReviewItem.decision == "", col(ReviewItem.review_id).in_(open_review), scope,
                ReviewItem.user_id != actor.id)


def _first_page(session: Session, where) -> list[dict[str, str]]:
    if where is None:
        return []
    found = session.exec(_open_rows(where).order_by(ReviewItem.organization_id, User.last_name, ReviewItem.id)
                         .limit(SHOWN))
    return [{"id": str(r.id), "name": f"{r.first_name} {r.last_name}", "organization": r.organization_id,
             "organization_name": r.org_name, "role": r.role, "granted": format_local(r.granted_at),
             "last_sign_in": format_local(r.last_sign_in_at) if r.last_sign_in_at else "Never",
             "recommendation": RECOMMENDATION if r.recommended else "", "due": f"{r.due_on:%b %d, %Y}"}
            for r in found]


def rows_for(session: Session, actor: User) -> list[dict[str, str]]:
    """The first ``SHOWN`` rows ``actor`` decides, by organization and holder's last name."""
    return _first_page(session, _waiting_for(session, actor))


def waiting(session: Session, actor: User) -> tuple[list[dict[str, str]], int]:
    """``rows_for`` and how many rows wait for ``actor`` in all (counted only when the first page is full: the
    page then says how many more take the decided rows' places)."""
    where = _waiting_for(session, actor)
    rows = _first_page(session, where)
    if len(rows) < SHOWN:
        return rows, len(rows)
    return rows, session.exec(select(func.count()).select_from(ReviewItem).where(where)).one()


def mark_opened(session: Session, actor: User, *, now: datetime | None = None) -> None:
    """The actor's organizations have now opened their open reviews (the administrator sees who never did)."""
    mine = official_org_ids(session, actor)
    if not mine:
        return
    open_reviews = select(AccessReview.id).where(col(AccessReview.finished_at).is_(None))
    session.exec(update(ReviewOrganization).where(
        col(ReviewOrganization.organization_id).in_(mine), col(ReviewOrganization.review_id).in_(open_reviews),
        col(ReviewOrganization.opened_at).is_(None)).values(opened_at=now or utc_now(), opened_by_id=actor.id))


ORGANIZATIONS_SHOWN = 50


def progress(session: Session, actor: User) -> list[dict[str, str]]:
    """Each review, newest first: "N of M reviewed" (every role in it, the officials' own included), its
    setting, how many organizations never opened it, and the organizations with rows left (first 50)."""
    require_admin(session, actor)
    reviews = list(session.exec(select(AccessReview).order_by(col(AccessReview.id).desc()).limit(20)))
    rows = []
    for review in reviews:
        unopened = session.exec(select(func.count()).select_from(ReviewOrganization).where(
            ReviewOrganization.review_id == review.id, col(ReviewOrganization.opened_at).is_(None))).one()
        left = session.exec(select(ReviewOrganization).where(
            ReviewOrganization.review_id == review.id,
            ReviewOrganization.decided_count < ReviewOrganization.row_count)
            .order_by(ReviewOrganization.organization_id).limit(ORGANIZATIONS_SHOWN)) if not review.finished_at else []
        rows.append({"id": str(review.id), "scope": review.organization_id or "All organizations",
                     "due": f"{review.due_on:%b %d, %Y}",
                     "progress": f"{review.decided_count} of {review.row_count} reviewed",
                     "setting": "Keep access" if review.if_not_reviewed == "keep" else "End access",
                     "status": f"Finished {format_local(review.finished_at)}" if review.finished_at else "Open",
                     "never_opened": str(unopened),
                     "organizations": "\n".join(
                         f"{o.organization_id}: {o.decided_count} of {o.row_count} reviewed"
                         + ("" if o.opened_at else " (never opened)") for o in left)})
    return rows


def never_opened(session: Session, actor: User, review_id: int) -> list[str]:
    """The organizations of a review whose officials have not opened it."""
    require_admin(session, actor)
    return list(session.exec(select(ReviewOrganization.organization_id).where(
        ReviewOrganization.review_id == review_id, col(ReviewOrganization.opened_at).is_(None))
        .order_by(ReviewOrganization.organization_id)))


def export_csv(session: Session, actor: User, review_id: int) -> str:
    """The review as CSV (formula-safe): every row, its decision (kept, removed, or what the due date did)."""
    require_admin(session, actor)
    if session.get(AccessReview, review_id) is None:
        raise NotAllowed("No such review.")
    decider = User.__table__.alias("decider")
    rows = session.exec(select(ReviewItem, User.user_id, User.first_name, User.last_name, decider.c.user_id)
                        .join(User, User.id == ReviewItem.user_id)
                        .outerjoin(decider, decider.c.id == ReviewItem.decided_by_id)
                        .where(ReviewItem.review_id == review_id)
                        .order_by(ReviewItem.organization_id, User.last_name, ReviewItem.id))
    return to_csv(["Organization", "User ID", "First Name", "Last Name", "Role", "Granted (UTC)",
                   "Last sign-in (UTC)", "Recommendation", "Decision", "Decided by", "Decided (UTC)", "Reason"],
                  ([i.organization_id, uid, first, last, i.role, i.granted_at.isoformat(),
                    i.last_sign_in_at.isoformat() if i.last_sign_in_at else "", RECOMMENDATION if i.recommended
                    else "", i.decision or "undecided", by or "", i.decided_at.isoformat() if i.decided_at else "",
                    i.reason] for i, uid, first, last, by in rows))
