"""Starting an access review: every role held at the organization (or at all of them) becomes a row, with
its holder's last sign-in as of now (a snapshot: the page stays fast and the recommendation stays put)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, literal
from sqlmodel import Session, col, select

from harmony_portal import routes
from harmony_portal.models import (
    AccessReview,
    Organization,
    OrgRole,
    ReviewItem,
    ReviewOrganization,
    User,
    UserSession,
    utc_now,
)
from harmony_portal.services import changes
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid
from harmony_portal.services.guards import require_admin
from harmony_portal.services.notifications.email_preferences import ROLE_REQUESTS
from harmony_portal.services.notifications.notify import tell_each
from harmony_portal.services.roles import terms
from harmony_portal.services.roles.requests import officials_by_org
from harmony_portal.vocabulary import REVIEW_OUTCOMES

KEEP, END = "keep", "end"
CHOICES = dict(zip(REVIEW_OUTCOMES, (KEEP, END), strict=True))
STALE_AFTER = timedelta(days=90)  # "Not signed in for 90 days": recommended for removal
ALL = ""  # the Organization choice "All organizations"


def _repeat(value: object) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 7 <= int(text) <= 366:
        raise Invalid("repeat_days", "Repeat every must be a whole number of days from 7 to 366, or empty.")
    return int(text)


def start_review(session: Session, actor: User, organization: object, due_on: object, if_not_reviewed: object,
                 *, repeat_days: object = "", now: datetime | None = None) -> AccessReview:
    """An administrator starts a review ("Start review"): of ``organization`` (its id, or "" for all), due on
    ``due_on`` (the last day to decide), undecided rows then kept or ended as ``if_not_reviewed`` says.

    Raises:
        NotAllowed: not an administrator.
        Invalid: an unknown organization, a due date not after today (or past 5 years), an unknown choice.
    """
    now = now or utc_now()
    actor = require_admin(session, actor)
    org_id = organization.strip() if isinstance(organization, str) else ""
    problems: dict[str, str] = {}
    if org_id and session.get(Organization, org_id[:32]) is None:
        problems["organization"] = "Choose an Organization, or All organizations."
    try:
        last_day = terms.parse_ends_on(due_on, now)
        if last_day is None or last_day <= terms.today(now):
            problems["due_on"] = "The Due date must be after today."
    except Invalid as exc:
        problems["due_on"] = exc.errors[terms.FIELD].replace("Access ends on", "The Due date")
        last_day = None
    setting = CHOICES.get(if_not_reviewed if isinstance(if_not_reviewed, str) else "")
    if setting is None:
        problems["if_not_reviewed"] = "Choose Keep access or End access."
    try:
        repeat = _repeat(repeat_days)
    except Invalid as exc:
        problems.update(exc.errors)
    if problems:
        raise Invalid(problems)
    return open_review(session, org_id or None, last_day, setting, repeat, actor_id=actor.id, now=now)


def open_review(session: Session, org_id: str | None, last_day, setting: str, repeat: int | None, *,
                actor_id: int | None, now: datetime) -> AccessReview:
    """The review and its rows (one INSERT ... SELECT, however many roles), audited; officials are told."""
    review = AccessReview(organization_id=org_id, due_on=last_day, due_at=terms.ends_at_for(last_day),
                          if_not_reviewed=setting, repeat_days=repeat, started_by_id=actor_id, started_at=now)
    session.add(review)
    session.flush()
    last_sign_in = (select(UserSession.user_id, func.max(UserSession.created_at).label("at"))
                    .where(col(UserSession.second_factor_at).is_not(None)).group_by(UserSession.user_id).subquery())
    roles = (select(literal(review.id), OrgRole.id, OrgRole.user_id, OrgRole.organization_id, OrgRole.role,
                    OrgRole.granted_at, last_sign_in.c.at,
                    func.coalesce(last_sign_in.c.at < now - STALE_AFTER, True), literal(""), literal(""))
             .select_from(OrgRole).outerjoin(last_sign_in, last_sign_in.c.user_id == OrgRole.user_id))
    if org_id:
        roles = roles.where(OrgRole.organization_id == org_id)
    session.execute(insert(ReviewItem).from_select(
        ["review_id", "org_role_id", "user_id", "organization_id", "role", "granted_at", "last_sign_in_at",
         "recommended", "decision", "reason"], roles))
    per_org = (select(literal(review.id), ReviewItem.organization_id, func.count(), literal(0))
               .where(ReviewItem.review_id == review.id).group_by(ReviewItem.organization_id))
    session.execute(insert(ReviewOrganization).from_select(
        ["review_id", "organization_id", "row_count", "decided_count"], per_org))
    rows, orgs = session.exec(select(func.coalesce(func.sum(ReviewOrganization.row_count), 0), func.count())
                              .where(ReviewOrganization.review_id == review.id)).one()
    review.row_count, review.organization_count = rows, orgs
    session.add(review)
    audit.record(session, "review.started", actor_id=actor_id, organization_id=org_id, target=f"review:{review.id}",
                 now=now, due_on=last_day.isoformat(), if_not_reviewed=setting, repeat_days=repeat, rows=rows)
    _tell_officials(session, review, now)
    changes.reviews_changed(session, _orgs_of(session, review))
    return review


def _orgs_of(session: Session, review: AccessReview) -> set[str]:
    return set(session.exec(select(ReviewOrganization.organization_id).where(
        ReviewOrganization.review_id == review.id)))


def _tell_officials(session: Session, review: AccessReview, now: datetime) -> None:
    """Each organization's officials hear of the review (one message for all of them)."""
    officials = {i for ids in officials_by_org(session, _orgs_of(session, review)).values() for i in ids}
    people = users_by_ids(session, officials)
    what = f"An access review of your organization's roles is due by {review.due_on:%b %d, %Y}."
    tell_each(session, people, ROLE_REQUESTS, "Access review started", note=what, link=routes.ACCESS_REVIEWS,
              email=f"Hello,\n\n{what} Keep or remove each role under Security Official > Access Reviews.\n",
              now=now)


