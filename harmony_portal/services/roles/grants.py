"""Granted roles: the grant itself, the help desk's direct grant, and removal (each audited, the holder told)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from harmony_portal import routes
from harmony_portal.models import Organization, OrgRole, User, utc_now
from harmony_portal.services import validation
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.notifications.email_preferences import ROLE_DECISIONS
from harmony_portal.services.notifications.notify import tell
from harmony_portal.services.passkeys import policy
from harmony_portal.services.reviews.decide import REMOVED_ON_USER_ROLES, close_rows_of_ended_roles
from harmony_portal.services.roles.requests import full_name, may_look_up, roles_changed, security_official_ids
from harmony_portal.vocabulary import ORGANIZATION_ROLES, SECURITY_OFFICIAL


def grant_role(session: Session, holder: User, org_id: str, role: str, *, actor: User | None,
               reason: str, now: datetime | None = None) -> OrgRole:
    """Grant a role directly, audited: the help desk, or an operator (``actor`` None: the
    command line, the demo seed, tests). Officials grant roles by approving requests.

    Raises:
        NotAllowed: the actor is not an administrator.
        Invalid: no such organization or role, or the role is already held.
    """
    now = now or utc_now()
    if actor is not None and not actor.is_admin:
        raise NotAllowed("Only help-desk administrators grant roles directly.")
    if session.get(Organization, org_id) is None:
        raise Invalid("organization", "Choose an Organization.")
    if role not in ORGANIZATION_ROLES:
        raise Invalid("role", "Choose a Role.")
    if session.exec(select(OrgRole.id).where(OrgRole.user_id == holder.id, OrgRole.organization_id == org_id,
                                             OrgRole.role == role)).first():
        raise Invalid("role", f"{full_name(holder)} already holds the {role} role at {org_id}.")
    grant = OrgRole(user_id=holder.id, organization_id=org_id, role=role,
                    granted_by_id=actor.id if actor else None, granted_at=now)
    session.add(grant)
    session.flush()
    audit.record(session, "role.granted", actor_id=actor.id if actor else None, subject_user_id=holder.id,
                 organization_id=org_id, target=f"role:{grant.id}", now=now, role=role, reason=reason)
    roles_changed(session, [grant])
    return grant


def help_desk_grant(session: Session, admin: User, user_id: int, org_id: str, role: str, *, reason: str = "",
                    source: str = "", now: datetime | None = None) -> OrgRole:
    """A help-desk administrator grants a role from a PQ (no role request to approve); audited, the holder told.

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
    roles_changed(session, [grant])
    audit.record(session, "role.granted", actor_id=admin.id, subject_user_id=holder.id, organization_id=org.id,
                 target=source or f"role:{grant.id}", now=now, role=role, role_id=grant.id, reason=reason.strip())
    tell(session, holder, ROLE_DECISIONS, f"You now hold the {role} role at {org.name}",
         email=f"Hello {holder.first_name},\n\nThe Harmony Help Desk granted you the {role} role at {org.name}.\n",
         note=f"The Harmony Help Desk granted you the {role} role at {org.name}.", link=routes.HOME, now=now)
    return grant


def remove_role(session: Session, actor: User, org_role_id: int, *, reason: str = "",
                now: datetime | None = None) -> OrgRole:
    """Take a role away. Officials may not remove an organization's last Security Official;
    the help desk may."""
    now = now or utc_now()
    validation.check_text({"removal_reason": reason}, {"removal_reason": "reason"})
    policy.check_not_held(session, actor)
    grant = session.get(OrgRole, org_role_id)
    if grant is None or not may_look_up(session, actor, grant.organization_id):
        raise NotAllowed("You can only remove roles in organizations you represent.")
    if (grant.role == SECURITY_OFFICIAL and not actor.is_admin
            and len(security_official_ids(session, grant.organization_id)) <= 1):
        raise Conflict("This is the organization's last Security Official. Ask the Harmony Help Desk "
                       "to remove it, or approve another Security Official first.")
    holder = session.get(User, grant.user_id)
    org = session.get(Organization, grant.organization_id)
    session.delete(grant)
    roles_changed(session, [grant])
    close_rows_of_ended_roles(session, [grant.id], REMOVED_ON_USER_ROLES, actor_id=actor.id, now=now)
    audit.record(session, "role.removed", actor_id=actor.id, subject_user_id=holder.id, organization_id=org.id,
                 target=f"role:{grant.id}", now=now, role=grant.role, reason=reason.strip())
    note = f"Your {grant.role} role at {org.name} was removed by {full_name(actor)}."
    if reason.strip():
        note += f" Reason: {reason.strip()}"
    body = f"Hello {holder.first_name},\n\nYour {grant.role} role at {org.name} was removed by {full_name(actor)}.\n"
    if reason.strip():
        body += f"\nReason: {reason.strip()}\n"
    tell(session, holder, ROLE_DECISIONS, f"Your {grant.role} role at {org.name} was removed", email=body,
         note=note, link=routes.HOME, now=now)
    return grant
