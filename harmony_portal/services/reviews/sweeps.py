"""The review's clock, on the scheduled-jobs mechanism: reminders 7 days and 1 day before the due date to the
officials with rows left, and at the due date the undecided rows follow the review's setting (kept, or ended),
the review finishes (audited) and, when it repeats, the next one starts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from harmony_portal import routes
from harmony_portal.models import AccessReview, ReviewItem, ReviewOrganization
from harmony_portal.services import changes
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.notifications.email_preferences import ROLE_REQUESTS
from harmony_portal.services.notifications.notify import tell_each
from harmony_portal.services.reviews import decide
from harmony_portal.services.reviews.start import END, open_review
from harmony_portal.services.roles.requests import officials_by_org
from harmony_portal.services.roles.term_jobs import next_run

REMINDERS = (1, 7)  # days before the due date (the nearer first: a review due tomorrow gets one reminder)
KEPT, ENDED = "kept (not reviewed)", "ended (not reviewed)"


def _due(session: Session, *where) -> list[AccessReview]:
    return list(session.exec(select(AccessReview).where(col(AccessReview.finished_at).is_(None), *where)
                             .order_by(AccessReview.id).with_for_update(skip_locked=True)))


def remind(session: Session, _subject: str, now: datetime) -> datetime:
    """Officials with undecided rows hear 7 days and 1 day before the due date (each once)."""
    for days in REMINDERS:
        for review in _due(session, AccessReview.due_at <= now + timedelta(days=days), AccessReview.due_at > now,
                           (AccessReview.reminded_days == 0) | (AccessReview.reminded_days > days)):
            review.reminded_days = days
            session.add(review)
            orgs = set(session.exec(select(ReviewItem.organization_id).where(
                ReviewItem.review_id == review.id, ReviewItem.decision == "").distinct()))
            people = users_by_ids(session, {i for ids in officials_by_org(session, orgs).values() for i in ids})
            what = (f"An access review is due by {review.due_on:%b %d, %Y}: rows of your organization are still "
                    f"undecided. Undecided rows are then {'ended' if review.if_not_reviewed == END else 'kept'}.")
            tell_each(session, people, ROLE_REQUESTS, f"Access review due in {days} day{'s' if days > 1 else ''}",
                      note=what, email=f"Hello,\n\n{what}\n", link=routes.ACCESS_REVIEWS, now=now)
    return next_run(now)


def close_due(session: Session, _subject: str, now: datetime) -> datetime:
    """Reviews past their due date finish: undecided rows are kept or ended as chosen, then the next repeats."""
    for review in _due(session, AccessReview.due_at <= now):
        undecided = list(session.exec(select(ReviewItem).where(ReviewItem.review_id == review.id,
                                                               ReviewItem.decision == "")))
        outcome = ENDED if review.if_not_reviewed == END else KEPT
        session.exec(update(ReviewItem).where(ReviewItem.review_id == review.id, ReviewItem.decision == "")
                     .values(decision=outcome, decided_at=now))
        ended = 0
        if review.if_not_reviewed == END and undecided:
            ended = decide.end_roles(session, undecided, {}, actor=None, now=now,
                                     reason="Access review: not reviewed by the due date.")
        review.finished_at = now
        review.decided_count = review.row_count  # every row has its outcome now
        session.add(review)
        session.exec(update(ReviewOrganization).where(ReviewOrganization.review_id == review.id)
                     .values(decided_count=ReviewOrganization.row_count))
        audit.record(session, "review.finished", organization_id=review.organization_id,
                     target=f"review:{review.id}", now=now, undecided=len(undecided), outcome=outcome, ended=ended)
        changes.reviews_changed(session, {i.organization_id for i in undecided})
        if review.repeat_days:
            open_review(session, review.organization_id, review.due_on + timedelta(days=review.repeat_days),
                        review.if_not_reviewed, review.repeat_days, actor_id=None, now=now)
    return next_run(now)


HANDLERS = {"reviews.remind": remind, "reviews.close_due": close_due}
