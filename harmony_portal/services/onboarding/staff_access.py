"""Access Coordinators and the access they ask for their staff, on Access Request PQs.

The seeds: a provider "must identify their Access Coordinator by submitting a current
Harmony Access Coordinator Agreement form. Upon receiving permission from SDS, the
provider's Harmony Access Coordinator may then request additional staff permission".
Here the signed agreement is uploaded to an Access Request PQ (on an Access Request
note); the help desk accepts it, naming the person, who then holds the Access Coordinator
role at the PQ's organization (``accept_coordinator_agreement``). An Access Coordinator asks
for a staff member's access from an Access Request PQ of their organization
(``request_staff_access``): a role request that the organization's deciders see in Role
Requests, with the staff member's onboarding checklist started, so that approving it waits
until the checklist is complete (``onboarding``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from harmony_portal.models import PQ, Attachment, Organization, OrgRole, PQNote, RoleRequest, User, utc_now
from harmony_portal.services import changes
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.notifications.notify import queue_email
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.pq.access import is_help_desk, viewable_pq
from harmony_portal.services.pq.access_requests import access_request_pq, grant_access
from harmony_portal.services.roles.requests import (
    decider_ids,
    file_request,
    full_name,
    pending_request,
    represented_org_ids,
)
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import ACCESS_REQUEST, ORGANIZATION_ROLES, SECURITY_OFFICIAL

ACCESS_COORDINATOR = onboarding.ACCESS_COORDINATOR
# What an Access Coordinator asks for their staff: not the roles that decide or name others.
STAFF_ROLES = tuple(r for r in ORGANIZATION_ROLES if r not in (SECURITY_OFFICIAL, ACCESS_COORDINATOR))


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    user_id: str  # the sign-in name


@dataclass(frozen=True)
class StaffRequest:
    """A staff member's role request filed on a PQ, with their checklist."""

    id: int
    staff: Person
    role: str
    status: str
    requested_by: str
    checklist: onboarding.Checklist
    may_mark: bool  # the reader may mark this person's steps


def _person(user: User) -> Person:
    return Person(id=user.id, name=full_name(user), user_id=user.user_id)


def _agreement_files(session: Session, pq: PQ) -> dict[int, int]:
    """{attachment id: uploader} of the files on the PQ's Access Request notes (the signed agreement)."""
    rows = session.exec(select(Attachment.id, Attachment.uploaded_by_id).join(PQNote, PQNote.id == Attachment.note_id)
                        .where(Attachment.pq_id == pq.id, PQNote.note_type == ACCESS_REQUEST))
    return dict(rows.all())


def agreement_candidates(session: Session, admin: User, pq_id: int) -> list[Person]:
    """Whom the help desk may name Access Coordinator from this PQ: its requester and whoever
    uploaded a file to its Access Request notes (active, not the help desk). Empty while no
    agreement is uploaded."""
    return _candidates(session, access_request_pq(session, admin, pq_id))


def _candidates(session: Session, pq: PQ, files: dict[int, int] | None = None) -> list[Person]:
    """``agreement_candidates`` of an Access Request PQ the caller checked the help desk may answer."""
    files = _agreement_files(session, pq) if files is None else files
    if not files or not pq.organization_id:
        return []
    people = users_by_ids(session, {pq.created_by_id, *files.values()})
    return sorted((_person(u) for u in people if u.is_active and not u.is_admin), key=lambda p: (p.name, p.id))


def accept_coordinator_agreement(session: Session, admin: User, pq_id: int, user_id: int, *,
                                 now: datetime | None = None) -> PQ:
    """The help desk accepts the Access Coordinator Agreement uploaded to an Access Request PQ:
    ``user_id`` holds the Access Coordinator role at the PQ's organization; audited on the PQ
    (``pq.coordinator_agreement_accepted``), the person emailed, the PQ Resolved.

    Raises:
        NotAllowed: not the help desk, or a PQ the actor can't see.
        Invalid: not an Access Request, no agreement uploaded, or a person the PQ doesn't name.
        Conflict: they already hold the role there, or their checklist is waiting.
    """
    now = now or utc_now()
    pq = access_request_pq(session, admin, pq_id)
    files = _agreement_files(session, pq)
    if not files or not pq.organization_id:
        raise Invalid("agreement", "Upload the signed Access Coordinator Agreement on an Access Request note first.")
    if user_id not in {p.id for p in _candidates(session, pq, files)}:
        raise Invalid("user", "Name the PQ's requester or whoever uploaded the agreement.")
    held = session.exec(select(OrgRole.id).where(OrgRole.user_id == user_id, OrgRole.organization_id ==
                                                 pq.organization_id, OrgRole.role == ACCESS_COORDINATOR)).first()
    if held:
        raise Conflict("They are already this organization's Access Coordinator.")
    return grant_access(session, admin, pq, pq.organization_id, ACCESS_COORDINATOR, user_id,
                        action="pq.coordinator_agreement_accepted", now=now, agreement_files=sorted(files))


@dataclass(frozen=True)
class OnboardingPart:
    """What a PQ page's onboarding part shows its reader."""

    may_request_staff: bool
    requests: list[StaffRequest]
    candidates: list[Person]  # the help desk's: whom an uploaded agreement may name


def onboarding_part(session: Session, actor: User, pq_id: int) -> OnboardingPart:
    """The onboarding part of PQ ``pq_id`` as ``actor`` may see it. Staff requests and agreements
    belong to Access Request PQs alone (a PQ's type never changes), so any other PQ has none
    and nothing more is read for it.

    Raises:
        NotAllowed: "No such PQ." when the actor may not see it.
    """
    pq = viewable_pq(session, actor, pq_id)
    if pq.inquiry_type != ACCESS_REQUEST:
        return OnboardingPart(may_request_staff=False, requests=[], candidates=[])
    return OnboardingPart(may_request_staff=may_request_staff(session, actor, pq),
                          requests=_requests_on(session, actor, pq),
                          candidates=_candidates(session, pq) if is_help_desk(actor) else [])


def may_request_staff(session: Session, actor: User, pq: PQ) -> bool:
    """An Access Coordinator of the PQ's organization, on an Access Request PQ."""
    return (pq.inquiry_type == ACCESS_REQUEST and pq.organization_id is not None
            and pq.organization_id in onboarding.coordinator_org_ids(session, actor))


def _staff_member(session: Session, user_id: str, email: str) -> User:
    """The active account with both this User ID and this email (both, so one guess finds nobody)."""
    staff = session.exec(select(User).where(User.user_id_key == user_id.strip().lower(),
                                            User.email_key == email.strip().lower(), User.is_active)).first()
    if staff is None:
        raise Invalid("staff_user_id", "No account has that User ID and Email Address. Ask your staff member "
                                       "to sign up first, then to tell you both.")
    return staff


def request_staff_access(session: Session, coordinator: User, pq_id: int, staff_user_id: str, staff_email: str,
                         role: str, *, now: datetime | None = None) -> RoleRequest:
    """An Access Coordinator asks for ``role`` at the PQ's organization for a staff member.

    The request goes to the organization's deciders (emailed), the staff member's checklist
    starts (approval waits for it) and they are told what it asks of them. Audited on the PQ.

    Raises:
        NotAllowed: not an Access Coordinator of the PQ's organization (or not an Access Request PQ).
        Invalid: unknown staff member, a role they may not ask for, the coordinator themselves,
            or a role the staff member holds or already waits for.
    """
    now = now or utc_now()
    pq = viewable_pq(session, coordinator, pq_id)
    if not may_request_staff(session, coordinator, pq):
        raise NotAllowed("Only the organization's Access Coordinator requests access for its staff, "
                         "from an Access Request PQ.")
    if role not in STAFF_ROLES:
        raise Invalid("staff_role", "Choose a Role.")
    staff = _staff_member(session, staff_user_id, staff_email)
    org = session.get(Organization, pq.organization_id)
    if staff.id == coordinator.id:
        raise Invalid("staff_user_id", "Ask for your own roles on Request a role.")
    if session.exec(select(OrgRole.id).where(OrgRole.user_id == staff.id, OrgRole.organization_id == org.id,
                                             OrgRole.role == role)).first():
        raise Invalid("staff_role", f"{full_name(staff)} already holds the {role} role at {org.name}.")
    waiting = f"{full_name(staff)} already has a pending request for {role} at {org.name}"
    if first := pending_request(session, staff.id, org.id, role):
        raise Invalid("staff_role", f"{waiting}, filed {format_local(first.created_at)}.")
    request = file_request(session, RoleRequest(
        user_id=staff.id, organization_id=org.id, role=role, created_at=now, pq_id=pq.id,
        requested_by_id=coordinator.id,
        justification=f"Requested by {full_name(coordinator)}, Access Coordinator, on PQ {pq.id}."),
        "staff_role", waiting + ".")
    onboarding.start(session, staff.id, now=now)
    audit.record(session, "pq.staff_access_requested", actor_id=coordinator.id, subject_user_id=staff.id,
                 organization_id=org.id, target=f"pq:{pq.id}", now=now, request_id=request.id, role=role)
    changes.requests_changed(session, [org.id])
    _tell(session, coordinator, staff, org, role, pq)
    return request


def _tell(session: Session, coordinator: User, staff: User, org: Organization, role: str, pq: PQ) -> None:
    base = get_settings().harmony_base_url.rstrip("/")
    for decider in users_by_ids(session, set(decider_ids(session, org.id)) - {coordinator.id, staff.id}):
        queue_email(session, decider.email, f"Role request waiting: {role} at {org.name}",
                    f"{full_name(coordinator)}, Access Coordinator, asks for the {role} role at {org.name} for "
                    f"{full_name(staff)} ({staff.user_id}). Approval waits until their onboarding checklist is "
                    f"complete.\n\nReview it: {base}/security-official/requests\n")
    steps = "\n".join(f"- {label}" for label in onboarding.STEPS.values())
    queue_email(session, staff.email, f"Your access to Harmony at {org.name}",
                f"Hello {staff.first_name},\n\n{full_name(coordinator)} asked for the {role} role at {org.name} "
                f"for you (PQ {pq.id}). Before it is approved:\n{steps}\n\nYour requests are on your Home page: "
                f"{base}/\n")


def staff_requests_on(session: Session, actor: User, pq_id: int) -> list[StaffRequest]:
    """The staff requests filed on a PQ, with checklists: all of them for the help desk and the
    organization's Access Coordinators and deciders; a staff member sees only their own."""
    return _requests_on(session, actor, viewable_pq(session, actor, pq_id))


def _requests_on(session: Session, actor: User, pq: PQ) -> list[StaffRequest]:
    """``staff_requests_on`` a PQ the caller checked ``actor`` may see."""
    query = select(RoleRequest).where(RoleRequest.pq_id == pq.id)
    org_wide = is_help_desk(actor) or pq.organization_id in (
        set(onboarding.coordinator_org_ids(session, actor)) | set(represented_org_ids(session, actor)))
    if not org_wide:
        query = query.where(RoleRequest.user_id == actor.id)
    requests = list(session.exec(query.order_by(col(RoleRequest.id))))
    people = {u.id: u for u in users_by_ids(session, {r.user_id for r in requests} |
                                             {r.requested_by_id for r in requests if r.requested_by_id})}
    checklists = onboarding.checklists_for(session, {r.user_id for r in requests})
    return [StaffRequest(id=r.id, staff=_person(people[r.user_id]), role=r.role, status=r.status,
                         requested_by=full_name(people[r.requested_by_id]) if r.requested_by_id in people else "",
                         checklist=checklists[r.user_id], may_mark=onboarding.may_manage(session, actor, r.user_id))
            for r in requests]
