"""Keep or Remove: an organization's officials (never for their own roles) or the help desk decide rows of an
open review, in bulk. Two deciding the same row at once: one wins (a conditional UPDATE), the other is told
who did. A removal takes effect at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from harmony_portal import routes
from harmony_portal.models import AccessReview, Organization, OrgRole, ReviewItem, ReviewOrganization, User, utc_now
from harmony_portal.services import changes, validation
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.notifications.email_preferences import ROLE_DECISIONS
from harmony_portal.services.notifications.notify import News, tell_many
from harmony_portal.services.passkeys import policy
from harmony_portal.services.roles.requests import roles_changed
from harmony_portal.vocabulary import SECURITY_OFFICIAL

KEEP, REMOVE = "keep", "remove"
# Rows whose role ended outside the review: by its end date, or removed by someone on User Roles.
EXPIRED, REMOVED_ON_USER_ROLES = "ended (expired)", "removed on User Roles"


@dataclass
class Decided:
    """What a Keep or Remove came to: the rows decided now, and those someone else had decided first."""

    decided: list[ReviewItem] = field(default_factory=list)
    already: list[tuple[str, str]] = field(default_factory=list)  # (holder's name, who decided it)


def official_org_ids(session: Session, actor: User) -> set[str]:
    return set(session.exec(select(OrgRole.organization_id).where(OrgRole.user_id == actor.id,
                                                                  OrgRole.role == SECURITY_OFFICIAL)))


def _authorized(session: Session, actor: User, ids: list[int]) -> list[ReviewItem]:
    """The rows, if the actor may decide every one (a forged id refuses the whole batch)."""
    policy.check_not_held(session, actor)
    items = list(session.exec(select(ReviewItem).where(col(ReviewItem.id).in_(ids))))
    open_reviews = set(session.exec(select(AccessReview.id).where(
        col(AccessReview.id).in_({i.review_id for i in items}), col(AccessReview.finished_at).is_(None))))
    mine = official_org_ids(session, actor)
    if len(items) != len(ids) or any(i.review_id not in open_reviews for i in items):
        raise NotAllowed("Those rows are not in an open review.")
    if any(i.user_id == actor.id for i in items):
        raise NotAllowed("Nobody reviews their own roles: another official or the help desk does.")
    if not actor.is_admin and any(i.organization_id not in mine for i in items):
        raise NotAllowed("You can only review the roles of organizations you represent.")
    return items


def decide(session: Session, actor: User, item_ids: Iterable[int], decision: str, reason: str = "", *,
           now: datetime | None = None) -> Decided:
    """Keep or remove the selected rows (Remove needs a reason and ends each role at once, audited).

    Raises:
        Invalid: nothing selected, or Remove without a fit reason.
        NotAllowed: a row of another organization, an own role, a closed review, or held by the passkey policy.
    """
    now = now or utc_now()
    ids = sorted({int(i) for i in item_ids})
    if not ids:
        raise Invalid("selection", "Select at least one row.")
    reason = reason.strip() if isinstance(reason, str) else ""
    if decision == REMOVE:
        if not reason:
            raise Invalid("removal_reason", "A Removal reason is required to remove access.")
        validation.check_text({"removal_reason": reason}, {"removal_reason": "reason"})
    elif decision != KEEP:
        raise Invalid("decision", "Choose Keep or Remove.")
    items = {i.id: i for i in _authorized(session, actor, ids)}
    maintenance.refuse_while_down(session, actor, now)
    won = set(session.exec(update(ReviewItem).where(col(ReviewItem.id).in_(ids), ReviewItem.decision == "")
                           .values(decision=decision, decided_by_id=actor.id, decided_at=now, reason=reason)
                           .returning(ReviewItem.id)).scalars())
    result = Decided(decided=[items[i] for i in ids if i in won])
    lost = [items[i] for i in ids if i not in won]
    for item in lost:
        session.refresh(item)  # who decided it first
    people = {u.id: u for u in users_by_ids(session, {i.user_id for i in items.values()}
                                            | {i.decided_by_id for i in lost if i.decided_by_id})}
    for item in lost:
        by = people.get(item.decided_by_id)
        holder = people[item.user_id]
        result.already.append((f"{holder.first_name} {holder.last_name}",
                               f"{by.first_name} {by.last_name}" if by else "the review's due date"))
    count_decided(session, result.decided)
    for item in result.decided:
        audit.record(session, "review.decided", actor_id=actor.id, subject_user_id=item.user_id,
                     organization_id=item.organization_id, target=f"review:{item.review_id}", now=now,
                     decision=decision, role=item.role, reason=reason)
    if decision == REMOVE:
        end_roles(session, result.decided, people, reason=f"Access review: {reason}", actor=actor, now=now)
    changes.reviews_changed(session, {i.organization_id for i in items.values()})
    return result


def end_roles(session: Session, items: list[ReviewItem], people: dict[int, User], *, reason: str,
              actor: User | None, now: datetime) -> int:
    """End the roles of ``items`` still held (audited as removed by the review); each holder is told."""
    grants = list(session.exec(select(OrgRole).where(col(OrgRole.id).in_([i.org_role_id for i in items]))))
    if not grants:
        return 0
    orgs = {o.id: o for o in session.exec(select(Organization).where(
        col(Organization.id).in_({g.organization_id for g in grants})))}
    missing = {g.user_id for g in grants} - set(people)
    people = {**people, **{u.id: u for u in users_by_ids(session, missing)}}
    news = []
    for grant in grants:
        holder, org = people[grant.user_id], orgs[grant.organization_id]
        session.delete(grant)
        audit.record(session, "role.removed", actor_id=actor.id if actor else None, subject_user_id=holder.id,
                     organization_id=org.id, target=f"role:{grant.id}", now=now, role=grant.role, reason=reason,
                     via="access review")
        what = f"Your {grant.role} role at {org.name} was removed in an access review. {reason}"
        news.append(News(holder, f"Your {grant.role} role at {org.name} was removed", what, link=routes.HOME,
                         email=f"Hello {holder.first_name},\n\n{what}\n\nIf you still need it, request it again.\n"))
    session.flush()
    roles_changed(session, grants)
    tell_many(session, news, ROLE_DECISIONS, now=now)
    return len(grants)


def count_decided(session: Session, decided: list[ReviewItem]) -> None:
    """Move the decided counts of each review and organization on (atomically: officials decide side by side)."""
    per_org: dict[tuple[int, str], int] = {}
    for item in decided:
        key = (item.review_id, item.organization_id)
        per_org[key] = per_org.get(key, 0) + 1
    per_review: dict[int, int] = {}
    for (review_id, org_id), n in per_org.items():
        per_review[review_id] = per_review.get(review_id, 0) + n
        session.exec(update(ReviewOrganization).where(ReviewOrganization.review_id == review_id,
                                                      ReviewOrganization.organization_id == org_id)
                     .values(decided_count=ReviewOrganization.decided_count + n))
    for review_id, n in per_review.items():
        session.exec(update(AccessReview).where(AccessReview.id == review_id)
                     .values(decided_count=AccessReview.decided_count + n))


def close_rows_of_ended_roles(session: Session, role_ids: list[int], outcome: str, *, actor_id: int | None = None,
                              now: datetime) -> None:
    """Roles that ended outside a review (``EXPIRED`` or ``REMOVED_ON_USER_ROLES``): their rows in open reviews
    take that outcome, so they leave the officials' lists (live), count as reviewed, and the CSV says which.
    A row an official decided first keeps their decision (the same conditional UPDATE as ``decide``)."""
    open_reviews = select(AccessReview.id).where(col(AccessReview.finished_at).is_(None))
    closed = list(session.exec(update(ReviewItem).where(
        col(ReviewItem.org_role_id).in_(role_ids), ReviewItem.decision == "",
        col(ReviewItem.review_id).in_(open_reviews))
        .values(decision=outcome, decided_by_id=actor_id, decided_at=now)
        .returning(ReviewItem.review_id, ReviewItem.organization_id)))
    if closed:
        count_decided(session, closed)
        changes.reviews_changed(session, {row.organization_id for row in closed})
