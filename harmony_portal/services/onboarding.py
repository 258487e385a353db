"""A staff member's onboarding checklist, shown on their role requests.

Three steps: an identity account made, the Harmony Security Agreement signed, the
"Introduction to Harmony" training done. While a staff member's checklist is started
and incomplete, approving their role requests waits (``decisions.approve_requests`` asks
``waiting_user_ids``) unless an administrator overrides it. Marking steps is for the
help desk and for whoever decides requests at an organization the staff member
belongs to or asks to join; every change is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from harmony_portal.models import OnboardingChecklist, OrgRole, RoleRequest, User, utc_now
from harmony_portal.services import audit, validation
from harmony_portal.services.errors import Invalid, NotAllowed

STEPS = {
    "identity_account": "Identity account made",
    "security_agreement": "Harmony Security Agreement signed",
    "training": "\"Introduction to Harmony\" training done",
}
_COLUMNS = {"identity_account": "identity_account_at", "security_agreement": "security_agreement_at",
            "training": "training_at"}


@dataclass(frozen=True)
class Checklist:
    """What a request shows: each step's label and when it was done (None: not yet)."""

    user_id: int
    steps: tuple[tuple[str, str, datetime | None], ...]  # (step, label, done at)
    overridden: bool
    override_reason: str

    @property
    def complete(self) -> bool:
        return all(done for _step, _label, done in self.steps)

    @property
    def satisfied(self) -> bool:
        return self.complete or self.overridden


def _view(user_id: int, row: OnboardingChecklist | None) -> Checklist:
    steps = tuple((step, label, getattr(row, _COLUMNS[step]) if row else None) for step, label in STEPS.items())
    return Checklist(user_id=user_id, steps=steps, overridden=bool(row and row.override_by_id),
                     override_reason=row.override_reason if row else "")


def _may_manage(session: Session, actor: User, user_id: int) -> bool:
    """The help desk; the staff member's own deciders (where they hold a role or ask for one)."""
    if actor.is_admin and actor.is_active:
        return True
    from harmony_portal.services.roles import represented_org_ids

    represented = set(represented_org_ids(session, actor))
    held = select(OrgRole.organization_id).where(OrgRole.user_id == user_id)
    asked = select(RoleRequest.organization_id).where(RoleRequest.user_id == user_id,
                                                      RoleRequest.status == "pending")
    return bool(represented & (set(session.exec(held)) | set(session.exec(asked))))


def checklist_of(session: Session, actor: User, user_id: int) -> Checklist:
    """The checklist of ``user_id``: for that user, the help desk and their deciders."""
    if actor.id != user_id and not _may_manage(session, actor, user_id):
        raise NotAllowed("No such user.")
    return _view(user_id, session.get(OnboardingChecklist, user_id))


def _row(session: Session, user_id: int) -> OnboardingChecklist:
    if session.get(User, user_id) is None:
        raise NotAllowed("No such user.")
    return session.get(OnboardingChecklist, user_id) or OnboardingChecklist(user_id=user_id)


def mark_step(session: Session, actor: User, user_id: int, step: str, done: bool = True, *,
              now: datetime | None = None) -> Checklist:
    """Tick (or untick) one step of a staff member's checklist; audited."""
    now = now or utc_now()
    if step not in STEPS:
        raise Invalid("step", "Unknown checklist step.")
    if not _may_manage(session, actor, user_id):
        raise NotAllowed("No such user.")
    row = _row(session, user_id)
    setattr(row, _COLUMNS[step], now if done else None)
    row.updated_by_id, row.updated_at = actor.id, now
    session.add(row)
    audit.record(session, "onboarding.step_marked", actor_id=actor.id, subject_user_id=user_id,
                 target=f"user:{user_id}", now=now, step=step, done=done)
    return _view(user_id, row)


def override(session: Session, admin: User, user_id: int, reason: str, *, now: datetime | None = None) -> Checklist:
    """An administrator lets approval go ahead before the checklist is complete; audited."""
    now = now or utc_now()
    if not (admin.is_admin and admin.is_active):
        raise NotAllowed("Only an administrator overrides the onboarding checklist.")
    reason = reason.strip()
    if not reason:
        raise Invalid("reason", "A reason is required to override the checklist.")
    validation.check_text({"justification": reason}, {"justification": "reason"})
    row = _row(session, user_id)
    row.override_by_id, row.override_reason, row.updated_by_id, row.updated_at = admin.id, reason, admin.id, now
    session.add(row)
    audit.record(session, "onboarding.overridden", actor_id=admin.id, subject_user_id=user_id,
                 target=f"user:{user_id}", now=now, reason=reason)
    return _view(user_id, row)


def waiting_user_ids(session: Session, user_ids: Iterable[int]) -> set[int]:
    """Of ``user_ids``, those whose checklist is started but neither complete nor overridden."""
    ids = set(user_ids)
    if not ids:
        return set()
    rows = session.exec(select(OnboardingChecklist).where(col(OnboardingChecklist.user_id).in_(ids))).all()
    return {row.user_id for row in rows if not _view(row.user_id, row).satisfied}
