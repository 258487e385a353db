"""Role requests and granted roles: who may ask, who decides, who removes.

Every function that changes data takes the acting user and checks, itself,
that this user may do this to this organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from harmony_portal.models import Organization, OrgRole, RoleRequest, User, utc_now
from harmony_portal.services import audit, changes, onboarding, validation
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.notify import queue_email
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import ORGANIZATION_ROLES, SECURITY_OFFICIAL

JUSTIFICATION_MIN, JUSTIFICATION_MAX = 10, validation.MAX_LENGTHS["justification"]
PENDING, APPROVED, REJECTED, CANCELLED = "pending", "approved", "rejected", "cancelled"


def full_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip()


def security_official_ids(session: Session, org_id: str) -> list[int]:
    return list(session.exec(select(OrgRole.user_id).where(
        OrgRole.organization_id == org_id, OrgRole.role == SECURITY_OFFICIAL)))


def represented_org_ids(session: Session, actor: User) -> list[str]:
    """Organizations whose requests ``actor`` decides: where they are Security Official,
    plus (for help-desk administrators) every organization that has none."""
    own = set(session.exec(select(OrgRole.organization_id).where(
        OrgRole.user_id == actor.id, OrgRole.role == SECURITY_OFFICIAL)))
    if actor.is_admin:
        with_official = select(OrgRole.organization_id).where(OrgRole.role == SECURITY_OFFICIAL)
        own |= set(session.exec(select(Organization.id).where(col(Organization.id).not_in(with_official))))
    return sorted(own)


def lookup_org_ids(session: Session, actor: User) -> list[str]:
    """Organizations whose users ``actor`` may look up: represented ones; administrators see all."""
    if actor.is_admin:
        return list(session.exec(select(Organization.id).order_by(Organization.id)))
    return represented_org_ids(session, actor)


def decider_ids(session: Session, org_id: str) -> list[int]:
    """Who decides this organization's requests (the help desk while it has no Security Official)."""
    officials = security_official_ids(session, org_id)
    if officials:
        return officials
    return list(session.exec(select(User.id).where(User.is_admin, User.is_active)))


def request_role(session: Session, actor: User, org_id: str, role: str, justification: str, *,
                 now: datetime | None = None) -> RoleRequest:
    """File a role request; the organization's deciders are emailed."""
    now = now or utc_now()
    problems: dict[str, str] = {}
    org = session.get(Organization, org_id) if org_id else None
    if org is None:
        problems["organization"] = "Choose an Organization."
    if role not in ORGANIZATION_ROLES:
        problems["role"] = "Choose a Role."
    text = justification.strip()
    if not JUSTIFICATION_MIN <= len(text) <= JUSTIFICATION_MAX:
        problems["justification"] = (f"Justification must be {JUSTIFICATION_MIN} to {JUSTIFICATION_MAX} "
                                     f"characters (it is {len(text)}).")
    elif problem := validation.text_problem("justification", text):
        problems["justification"] = problem
    if problems:
        raise Invalid(problems)
    held = session.exec(select(OrgRole.id).where(OrgRole.user_id == actor.id, OrgRole.organization_id == org_id,
                                                 OrgRole.role == role)).first()
    if held:
        raise Invalid("role", f"You already hold the {role} role at {org.name}.")
    pending = session.exec(select(RoleRequest.id).where(
        RoleRequest.user_id == actor.id, RoleRequest.organization_id == org_id, RoleRequest.role == role,
        RoleRequest.status == PENDING)).first()
    if pending:
        raise Invalid("role", f"You already have a pending request for {role} at {org.name}.")
    request = RoleRequest(user_id=actor.id, organization_id=org_id, role=role, justification=text, created_at=now)
    session.add(request)
    session.flush()
    audit.record(session, "role.requested", actor_id=actor.id, subject_user_id=actor.id, organization_id=org_id,
                 target=f"request:{request.id}", now=now, role=role)
    base = get_settings().harmony_base_url.rstrip("/")
    for decider in session.exec(select(User).where(col(User.id).in_(decider_ids(session, org_id)))):
        if decider.id != actor.id:
            queue_email(session, decider.email, f"Role request waiting: {role} at {org.name}",
                        f"{full_name(actor)} ({actor.user_id}) asks for the {role} role at {org.name}.\n\n"
                        f"Justification: {text}\n\nReview it: {base}/security-official/requests\n")
    return request


def cancel_request(session: Session, actor: User, request_id: int, *, now: datetime | None = None) -> RoleRequest:
    """The requester withdraws a pending request."""
    now = now or utc_now()
    request = session.get(RoleRequest, request_id)
    if request is None or request.user_id != actor.id:
        raise NotAllowed("That request is not yours.")
    result = session.execute(update(RoleRequest).where(
        RoleRequest.id == request_id, RoleRequest.status == PENDING).values(
        status=CANCELLED, decided_at=now, version=RoleRequest.version + 1))
    if result.rowcount != 1:
        raise Conflict("That request was already decided.")
    session.refresh(request)
    audit.record(session, "role.request_cancelled", actor_id=actor.id, subject_user_id=actor.id,
                 organization_id=request.organization_id, target=f"request:{request.id}", now=now)
    return request


@dataclass
class DecisionResult:
    """What happened to each selected request."""

    decided: list[RoleRequest] = field(default_factory=list)
    # (request id, requester name, who decided it first)
    already: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def org_ids(self) -> set[str]:
        return {r.organization_id for r in self.decided}


def decide(session: Session, actor: User, request_ids: Iterable[int], *, approve: bool, reason: str = "",
           now: datetime | None = None, as_help_desk: bool = False) -> DecisionResult:
    """Approve or reject requests in one transaction.

    Every id must belong to an organization the actor represents (a forged id
    refuses the whole batch). A request someone else decided first is reported
    in ``already``; exactly one decision per request ever counts.
    ``as_help_desk``: an administrator deciding from an Access Request PQ, for
    any organization (the help desk's queue otherwise holds only organizations
    without a Security Official).
    """
    now = now or utc_now()
    ids = sorted({int(i) for i in request_ids})
    if not ids:
        raise Invalid("selection", "Select at least one request.")
    reason = reason.strip()
    if not approve and not reason:
        raise Invalid("rejection_reason", "A Rejection Reason is required to reject a request.")
    validation.check_text({"rejection_reason": reason})
    requests = {r.id: r for r in session.exec(select(RoleRequest).where(col(RoleRequest.id).in_(ids)))}
    allowed = set(lookup_org_ids(session, actor) if as_help_desk and actor.is_admin
                  else represented_org_ids(session, actor))
    if len(requests) != len(ids) or any(r.organization_id not in allowed for r in requests.values()):
        raise NotAllowed("You can only decide requests for organizations you represent.")
    if any(r.user_id == actor.id for r in requests.values()):
        raise NotAllowed("Nobody decides their own request.")
    if approve and (waiting := onboarding.waiting_user_ids(session, {r.user_id for r in requests.values()})):
        names = sorted(full_name(u) for u in session.exec(select(User).where(col(User.id).in_(waiting))))
        raise Conflict(f"Approval waits until the onboarding checklist is complete for {', '.join(names)} "
                       "(or an administrator overrides it).")
    status = APPROVED if approve else REJECTED
    # One conditional UPDATE: a row still pending is decided here, atomically; a row a
    # concurrent decision got first does not match and is not returned.
    won = set(session.execute(
        update(RoleRequest).where(col(RoleRequest.id).in_(ids), RoleRequest.status == PENDING)
        .values(status=status, decided_by_id=actor.id, decided_at=now, reason=reason,
                version=RoleRequest.version + 1)
        .returning(RoleRequest.id)
        .execution_options(synchronize_session=False)).scalars())
    for request_id in ids:
        if request_id not in won:
            session.refresh(requests[request_id])  # to learn who decided it first
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(
        {r.user_id for r in requests.values()} | {r.decided_by_id for r in requests.values() if r.decided_by_id})))}
    orgs = {o.id: o for o in session.exec(select(Organization).where(
        col(Organization.id).in_({r.organization_id for r in requests.values()})))}
    result = DecisionResult()
    for request_id in ids:
        request = requests[request_id]
        if request_id not in won:
            first = users.get(request.decided_by_id)
            result.already.append((request.id, full_name(users[request.user_id]),
                                   full_name(first) if first else "its requester"))
            continue
        # Mirror what the UPDATE wrote without marking the rows dirty (no second UPDATE each).
        for name, value in (("status", status), ("decided_by_id", actor.id), ("decided_at", now),
                            ("reason", reason), ("version", request.version + 1)):
            set_committed_value(request, name, value)
        result.decided.append(request)
    if approve:
        _grant_approved(session, actor, result.decided, now)
    base = get_settings().harmony_base_url.rstrip("/")
    for request in result.decided:
        requester, org = users[request.user_id], orgs[request.organization_id]
        audit.record(session, f"role.request_{status}", actor_id=actor.id, subject_user_id=requester.id,
                     organization_id=org.id, target=f"request:{request.id}", now=now, role=request.role,
                     reason=reason)
        verdict = "approved" if approve else "denied"
        body = (f"Hello {requester.first_name},\n\nYour request for the {request.role} role at {org.name} "
                f"was {verdict}.\n")
        if not approve:
            body += (f"\nReason: {reason}\n\nYou can resubmit the request with the details filled in: "
                     f"{base}/roles/request?resubmit={request.id}\n")
        queue_email(session, requester.email, f"Your role request was {verdict}", body)
    session.flush()
    return result


def _grant_approved(session: Session, actor: User, approved: list[RoleRequest], now: datetime) -> None:
    """Add the roles approved requests ask for (one query for those already held)."""
    if not approved:
        return
    held = set(session.exec(select(OrgRole.user_id, OrgRole.organization_id, OrgRole.role).where(
        col(OrgRole.user_id).in_({r.user_id for r in approved}))).all())
    for request in approved:
        key = (request.user_id, request.organization_id, request.role)
        if key not in held:
            held.add(key)
            session.add(OrgRole(user_id=request.user_id, organization_id=request.organization_id, role=request.role,
                                granted_by_id=actor.id, granted_at=now))


def grant_role(session: Session, admin: User, user_id: int, org_id: str, role: str, *, reason: str = "",
               source: str = "", now: datetime | None = None) -> OrgRole:
    """A help-desk administrator grants a role directly (no role request to approve); audited.

    Args:
        source: what the grant answers, for the audit row (e.g. ``"pq:12"``).
    """
    now = now or utc_now()
    if not (admin.is_admin and admin.is_active):
        raise NotAllowed("Only the Harmony Help Desk may grant a role directly.")
    validation.check_text({"justification": reason}, {"justification": "reason"})
    holder = session.get(User, user_id)
    org = session.get(Organization, org_id) if org_id else None
    problems = {}
    if holder is None or not holder.is_active:
        problems["user"] = "Choose an active user."
    if org is None:
        problems["organization"] = "Choose an Organization."
    if role not in ORGANIZATION_ROLES:
        problems["role"] = "Choose a Role."
    if problems:
        raise Invalid(problems)
    if session.exec(select(OrgRole.id).where(OrgRole.user_id == holder.id, OrgRole.organization_id == org.id,
                                             OrgRole.role == role)).first():
        raise Conflict(f"{full_name(holder)} already holds the {role} role at {org.name}.")
    grant = OrgRole(user_id=holder.id, organization_id=org.id, role=role, granted_by_id=admin.id, granted_at=now)
    session.add(grant)
    session.flush()
    audit.record(session, "role.granted", actor_id=admin.id, subject_user_id=holder.id, organization_id=org.id,
                 target=source or f"role:{grant.id}", now=now, role=role, role_id=grant.id, reason=reason.strip())
    queue_email(session, holder.email, f"You now hold the {role} role at {org.name}",
                f"Hello {holder.first_name},\n\nThe Harmony Help Desk granted you the {role} role at {org.name}.\n")
    if role == SECURITY_OFFICIAL:
        changes.requests_changed(session, {org.id})  # the organization leaves the help desk's queue
        changes.deciders_changed(session, {holder.id})
    return grant


def remove_role(session: Session, actor: User, org_role_id: int, *, reason: str = "",
                now: datetime | None = None) -> OrgRole:
    """Take a role away. Officials may not remove an organization's last Security Official;
    the help desk may."""
    now = now or utc_now()
    validation.check_text({"removal_reason": reason}, {"removal_reason": "reason"})
    grant = session.get(OrgRole, org_role_id)
    if grant is None or grant.organization_id not in lookup_org_ids(session, actor):
        raise NotAllowed("You can only remove roles in organizations you represent.")
    if (grant.role == SECURITY_OFFICIAL and not actor.is_admin
            and len(security_official_ids(session, grant.organization_id)) <= 1):
        raise Conflict("This is the organization's last Security Official. Ask the Harmony Help Desk "
                       "to remove it, or approve another Security Official first.")
    holder = session.get(User, grant.user_id)
    org = session.get(Organization, grant.organization_id)
    session.delete(grant)
    audit.record(session, "role.removed", actor_id=actor.id, subject_user_id=holder.id, organization_id=org.id,
                 target=f"role:{grant.id}", now=now, role=grant.role, reason=reason.strip())
    body = f"Hello {holder.first_name},\n\nYour {grant.role} role at {org.name} was removed by {full_name(actor)}.\n"
    if reason.strip():
        body += f"\nReason: {reason.strip()}\n"
    queue_email(session, holder.email, f"Your {grant.role} role at {org.name} was removed", body)
    return grant


def pending_count(session: Session, actor: User) -> int:
    """How many requests wait for this actor (the navigation badge)."""
    orgs = represented_org_ids(session, actor)
    if not orgs:
        return 0
    return session.exec(select(func.count()).select_from(RoleRequest).where(
        RoleRequest.status == PENDING, col(RoleRequest.organization_id).in_(orgs),
        RoleRequest.user_id != actor.id)).one()
