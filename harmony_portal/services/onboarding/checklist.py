"""A staff member's onboarding checklist, shown on their role requests.

Three steps (the seeds' "All staff must take the following steps"): an identity account
made, the Harmony Security Agreement signed, the "Introduction to Harmony" training done.
A checklist starts when an Access Coordinator asks for access for the staff member
(``staff_access.request_staff_access``) or when someone first marks a step. While it is
started and incomplete, approving that person's role requests waits
(``decisions.approve_requests`` asks ``waiting_user_ids``) unless an administrator
overrides it with a reason. Steps are marked by the help desk and, at an organization the
staff member belongs to or asks to join, by its Access Coordinators and Security
Officials; nobody marks their own. Every change is audited and refreshes the live Role
Requests rows that show the checklist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from harmony_portal.models import OnboardingChecklist, OrgRole, RoleRequest, User, utc_now
from harmony_portal.services import changes, validation
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.roles.requests import full_name, represented_org_ids
from harmony_portal.vocabulary import PENDING

ACCESS_COORDINATOR = "Access Coordinator"
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
    started: bool = False

    @property
    def done_count(self) -> int:
        return sum(1 for _step, _label, done in self.steps if done)

    @property
    def complete(self) -> bool:
        return self.done_count == len(self.steps)

    @property
    def satisfied(self) -> bool:
        return self.complete or self.overridden

    @property
    def summary(self) -> str:
        """The short form a request row shows: "Checklist: 2 of 3"."""
        text = f"Checklist: {self.done_count} of {len(self.steps)}"
        return text + (", overridden by an administrator" if self.overridden and not self.complete else "")


def _view(user_id: int, row: OnboardingChecklist | None) -> Checklist:
    steps = tuple((step, label, getattr(row, _COLUMNS[step]) if row else None) for step, label in STEPS.items())
    return Checklist(user_id=user_id, steps=steps, overridden=bool(row and row.override_by_id),
                     override_reason=row.override_reason if row else "", started=row is not None)


def coordinator_org_ids(session: Session, actor: User) -> list[str]:
    """Organizations where ``actor`` is an Access Coordinator."""
    return sorted(set(session.exec(select(OrgRole.organization_id).where(
        OrgRole.user_id == actor.id, OrgRole.role == ACCESS_COORDINATOR))))


def _pending_org_ids(session: Session, user_id: int) -> set[str]:
    return set(session.exec(select(RoleRequest.organization_id).where(
        RoleRequest.user_id == user_id, RoleRequest.status == PENDING)))


def may_manage(session: Session, actor: User, user_id: int) -> bool:
    """Whether ``actor`` marks ``user_id``'s steps: the help desk; that person's Access
    Coordinators and Security Officials (where they hold a role or ask for one); never themselves."""
    if actor.id is None or actor.id == user_id or not actor.is_active:
        return False
    if actor.is_admin:
        return True
    mine = set(represented_org_ids(session, actor)) | set(coordinator_org_ids(session, actor))
    if not mine:
        return False
    held = set(session.exec(select(OrgRole.organization_id).where(OrgRole.user_id == user_id)))
    return bool(mine & (held | _pending_org_ids(session, user_id)))


def checklist_of(session: Session, actor: User, user_id: int) -> Checklist:
    """The checklist of ``user_id``: for that user, the help desk and those who mark it."""
    if actor.id != user_id and not may_manage(session, actor, user_id):
        raise NotAllowed("No such user.")
    return _view(user_id, session.get(OnboardingChecklist, user_id))


def own_checklist(session: Session, actor: User) -> Checklist | None:
    """``actor``'s own checklist once it has started (Home shows it: what their access waits for)."""
    found = checklist_of(session, actor, actor.id)
    return found if found.started else None


def checklists_for(session: Session, user_ids: Iterable[int]) -> dict[int, Checklist]:
    """Every listed user's checklist, in one query. No check of who asks: only for reads
    whose caller already chose rows the reader may see (a decider's queue, a PQ's requests)."""
    ids = set(user_ids)
    rows = {r.user_id: r for r in session.exec(select(OnboardingChecklist).where(
        col(OnboardingChecklist.user_id).in_(ids)))} if ids else {}
    return {uid: _view(uid, rows.get(uid)) for uid in ids}


def start(session: Session, user_id: int, *, now: datetime | None = None) -> Checklist:
    """Start ``user_id``'s checklist (nothing done yet) unless it already is; part of the
    caller's change, which the caller audits."""
    row = session.get(OnboardingChecklist, user_id)
    if row is None:
        row = OnboardingChecklist(user_id=user_id, updated_at=now or utc_now())
        session.add(row)
    return _view(user_id, row)


def _row(session: Session, user_id: int) -> OnboardingChecklist:
    if session.get(User, user_id) is None:
        raise NotAllowed("No such user.")
    return session.get(OnboardingChecklist, user_id) or OnboardingChecklist(user_id=user_id)


def mark_step(session: Session, actor: User, user_id: int, step: str, done: bool = True, *,
              now: datetime | None = None) -> Checklist:
    """Tick (or untick) one step of a staff member's checklist; audited.

    Raises:
        Invalid: an unknown step.
        NotAllowed: the actor does not mark this person's steps (or they are the actor's own).
    """
    now = now or utc_now()
    if step not in STEPS:
        raise Invalid("step", "Unknown checklist step.")
    if not may_manage(session, actor, user_id):
        raise NotAllowed("No such user.")
    row = _row(session, user_id)
    if row in session and bool(getattr(row, _COLUMNS[step])) == bool(done):
        return _view(user_id, row)  # already so (a second click): keep the first time, no second audit row
    setattr(row, _COLUMNS[step], now if done else None)
    row.updated_by_id, row.updated_at = actor.id, now
    session.add(row)
    audit.record(session, "onboarding.step_marked", actor_id=actor.id, subject_user_id=user_id,
                 target=f"user:{user_id}", now=now, step=step, done=bool(done))
    changes.requests_changed(session, _pending_org_ids(session, user_id))
    return _view(user_id, row)


def override(session: Session, admin: User, user_id: int, reason: str, *, now: datetime | None = None) -> Checklist:
    """An administrator lets approval go ahead before the checklist is complete; audited."""
    now = now or utc_now()
    if not (admin.is_admin and admin.is_active):
        raise NotAllowed("Only an administrator overrides the onboarding checklist.")
    if admin.id == user_id:
        raise NotAllowed("Nobody overrides their own onboarding checklist.")
    reason = reason.strip()
    if not reason:
        raise Invalid("reason", "A reason is required to override the checklist.")
    validation.check_text({"justification": reason}, {"justification": "reason"})
    row = _row(session, user_id)
    row.override_by_id, row.override_reason, row.updated_by_id, row.updated_at = admin.id, reason, admin.id, now
    session.add(row)
    audit.record(session, "onboarding.overridden", actor_id=admin.id, subject_user_id=user_id,
                 target=f"user:{user_id}", now=now, reason=reason)
    changes.requests_changed(session, _pending_org_ids(session, user_id))
    return _view(user_id, row)


def require_satisfied(session: Session, user_ids: Iterable[int]) -> None:
    """Refuse a grant while any of these users' checklists is started and neither complete nor overridden.

    Raises:
        Conflict: naming whose checklist is waiting.
    """
    if waiting := waiting_user_ids(session, user_ids):
        names = sorted(full_name(u) for u in users_by_ids(session, waiting))
        raise Conflict(f"Approval waits until the onboarding checklist is complete for {', '.join(names)} "
                       "(or an administrator overrides it).")


def waiting_user_ids(session: Session, user_ids: Iterable[int]) -> set[int]:
    """Of ``user_ids``, those whose checklist is started but neither complete nor overridden."""
    ids = set(user_ids)
    if not ids:
        return set()
    rows = session.exec(select(OnboardingChecklist).where(col(OnboardingChecklist.user_id).in_(ids))).all()
    return {row.user_id for row in rows if not _view(row.user_id, row).satisfied}
