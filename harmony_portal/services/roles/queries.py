"""Read-only views of roles and requests, shaped for pages (plain dicts of strings)."""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import Session, col, func, or_, select

from harmony_portal.models import AuditEvent, Organization, OrgRole, RoleRequest, User, utc_now
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.clock import format_local
from harmony_portal.services.csv_export import to_csv
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.onboarding import checklist as onboarding
from harmony_portal.services.passkeys import policy
from harmony_portal.services.roles import more_time
from harmony_portal.services.roles.organizations import organization_choices
from harmony_portal.services.roles.requests import full_name, lookup_org_ids, may_look_up, represented_org_ids
from harmony_portal.vocabulary import PENDING, REJECTED, SECURITY_OFFICIAL

PAGE_SIZE = 25


def request_label(role: str, more_time_until) -> str:
    """A request's role as lists show it; a request for more time says until when."""
    return f"{role}: more time, until {more_time_until:%b %d, %Y}" if more_time_until else role


def pending_rows(session: Session, org_ids: list[str], *, exclude_user_id: int | None = None) -> list[dict]:
    """Pending requests of these organizations, oldest first."""
    if not org_ids:
        return []
    # The shown columns only: the help desk's queue holds hundreds of rows, and whole users,
    # requests and organizations cost more to build than to read (benchmarks/scale_pages.py).
    query = (select(RoleRequest.id, RoleRequest.user_id, RoleRequest.role, RoleRequest.created_at,
                    RoleRequest.justification, RoleRequest.more_time_until, User.first_name, User.last_name,
                    Organization.id.label("org_id"),
                    Organization.name.label("org_name"))
             .join(User, User.id == RoleRequest.user_id)
             .join(Organization, Organization.id == RoleRequest.organization_id)
             .where(RoleRequest.status == PENDING, col(RoleRequest.organization_id).in_(org_ids))
             .order_by(RoleRequest.created_at, RoleRequest.id))
    found = [r for r in session.exec(query) if r.user_id != exclude_user_id]
    checklists = onboarding.checklists_for(session, {r.user_id for r in found})
    rows = []
    for request in found:
        checklist = checklists[request.user_id]
        rows.append({
            "id": str(request.id), "first_name": request.first_name, "last_name": request.last_name,
            "organization": request.org_id, "organization_name": request.org_name,
            "role": request_label(request.role, request.more_time_until),
            "requested": format_local(request.created_at), "justification": request.justification,
            "user_id": str(request.user_id), "created": request.created_at.isoformat(),
            # Shown only once started (an Access Coordinator's request, or a step marked).
            "checklist": checklist.summary if checklist.started else "",
            "checklist_steps": checklist_lines(checklist) if checklist.started else "",
        })
    return rows


def checklist_lines(checklist: onboarding.Checklist) -> str:
    """Each step and whether it is done, one a line (a queue row holds strings only)."""
    lines = [f"{label}: {'done ' + format_local(done) if done else 'not yet'}"
             for _step, label, done in checklist.steps]
    if checklist.overridden:
        lines.append(f"Overridden by an administrator: {checklist.override_reason}")
    return "\n".join(lines)


def decidable_rows(session: Session, actor: User) -> list[dict]:
    """The actor's Role Requests queue: pending requests they may decide (never their own), oldest first."""
    policy.check_not_held(session, actor)
    return pending_rows(session, represented_org_ids(session, actor), exclude_user_id=actor.id)


def decidable_ids(session: Session, actor: User) -> list[int]:
    """The ids of the requests ``decidable_rows`` lists, oldest first."""
    org_ids = represented_org_ids(session, actor)
    if not org_ids:
        return []
    return list(session.exec(select(RoleRequest.id).where(
        RoleRequest.status == PENDING, col(RoleRequest.organization_id).in_(org_ids), RoleRequest.user_id != actor.id)
        .order_by(RoleRequest.created_at, RoleRequest.id)))


def _check_org(session: Session, actor: User, org_id: str) -> None:
    policy.check_not_held(session, actor)
    if not may_look_up(session, actor, org_id):
        raise NotAllowed("You can only look up users of organizations you represent.")


def lookup_choices(session: Session, actor: User) -> list[dict[str, str]]:
    """The organizations User Lookup offers ``actor`` ("Name (ID)"): represented ones, or all
    for an administrator (read whole, not as a list of every id to look up again)."""
    return organization_choices(session, None if actor.is_admin else lookup_org_ids(session, actor))


def lookup_users(session: Session, actor: User, org_id: str, query: str = "", *, page: int = 1,
                 page_size: int = PAGE_SIZE) -> tuple[list[dict], int]:
    """Users holding a role at ``org_id``; ``query`` is an exact, case-insensitive
    User ID or email match. Returns (rows of this page, total)."""
    _check_org(session, actor, org_id)
    members = select(OrgRole.user_id).where(OrgRole.organization_id == org_id)
    where = [col(User.id).in_(members)]
    if query.strip():
        key = query.strip().lower()
        where.append(or_(User.user_id_key == key, User.email_key == key))
    total = session.exec(select(func.count()).select_from(User).where(*where)).one()
    users = session.exec(select(User).where(*where).order_by(User.last_name, User.first_name, User.id)
                         .offset((max(page, 1) - 1) * page_size).limit(page_size))
    rows = [{"id": str(u.id), "first_name": u.first_name, "last_name": u.last_name, "user_id": u.user_id,
             "email": u.email} for u in users]
    return rows, total


def _current_ties(session: Session, user_id: int) -> set[str]:
    """Organizations the user holds a role at or has a pending request with, right now.

    A rejected, cancelled or approved-then-removed past is no tie: once it ends, the
    organization's officials lose sight of the person's profile.
    """
    held = session.exec(select(OrgRole.organization_id).where(OrgRole.user_id == user_id))
    asked = session.exec(select(RoleRequest.organization_id).where(
        RoleRequest.user_id == user_id, RoleRequest.status == PENDING))
    return set(held) | set(asked)


def _visible_orgs_of_user(session: Session, actor: User, user_id: int) -> tuple[User, set[str] | None]:
    """The user, and the organizations of theirs ``actor`` may see (None: all, for administrators).

    A Security Official sees a user only while the user holds a role at, or has a pending request with,
    one of the official's organizations; administrators see everyone.

    Raises:
        NotAllowed: the user does not exist or is not (or no longer) tied to the actor's organizations.
    """
    policy.check_not_held(session, actor)
    user = session.get(User, user_id)
    # Administrators see every organization: no list of them all to filter by.
    visible = None if actor.is_admin else set(represented_org_ids(session, actor))
    if user is None or not (visible is None or visible & _current_ties(session, user_id)):
        raise NotAllowed("You can only view users of organizations you represent.")
    return user, visible


def user_roles(session: Session, actor: User, user_id: int) -> tuple[User, list[dict]]:
    """A user's full profile and their roles in the organizations ``actor`` may see (``_visible_orgs_of_user``)."""
    user, visible = _visible_orgs_of_user(session, actor, user_id)
    return user, _grants_of(session, user_id, visible)


def user_page(session: Session, actor: User, user_id: int) -> tuple[User, list[dict], list[dict[str, str]]]:
    """User Roles at once: ``user_roles`` and ``role_history``, who may see what checked once."""
    user, visible = _visible_orgs_of_user(session, actor, user_id)
    return user, _grants_of(session, user_id, visible), _history_of(session, user_id, visible)


def _grants_of(session: Session, user_id: int, visible: set[str] | None) -> list[dict]:
    grants = select(OrgRole, Organization).join(Organization).where(OrgRole.user_id == user_id)
    if visible is not None:
        grants = grants.where(col(OrgRole.organization_id).in_(visible))
    grants = session.exec(grants.order_by(OrgRole.organization_id, OrgRole.role))
    return [{"id": str(g.id), "organization": o.id, "organization_name": o.name, "role": g.role,
             "granted": format_local(g.granted_at), "ends_on": _last_day(g)} for g, o in grants]


# How a role came and went, as "Role history" names each audit action (an ending by date is not a removal).
ROLE_EVENTS = {"role.request_approved": "Granted (request approved)", "role.granted": "Granted by the help desk",
               "role.term_changed": "End date changed", "role.expired": "Ended (expired)", "role.removed": "Removed"}
HISTORY_SHOWN = 25


def role_history(session: Session, actor: User, user_id: int) -> list[dict[str, str]]:
    """The last ``HISTORY_SHOWN`` changes to a user's roles at the organizations ``actor`` may see, newest first:
    granted, end date changed, ended (expired), removed (by whom, in an access review or not, and why)."""
    _user, visible = _visible_orgs_of_user(session, actor, user_id)
    return _history_of(session, user_id, visible)


def _history_of(session: Session, user_id: int, visible: set[str] | None) -> list[dict[str, str]]:
    query = select(AuditEvent).where(AuditEvent.subject_user_id == user_id,
                                     col(AuditEvent.action).in_(list(ROLE_EVENTS)))
    if visible is not None:
        query = query.where(col(AuditEvent.organization_id).in_(visible))
    events = list(session.exec(query.order_by(col(AuditEvent.id).desc()).limit(HISTORY_SHOWN)))
    names = {u.id: full_name(u) for u in users_by_ids(session, {e.actor_id for e in events if e.actor_id})}
    rows = []
    for event in events:
        detail = _detail(event.detail)
        what = ROLE_EVENTS[event.action]
        if event.action == "role.removed" and detail.get("via") == "access review":
            what = "Removed in an access review"
        elif event.action in ("role.term_changed", "role.expired"):
            what += f": last day {_day(detail.get('ends_on'))}" if detail.get("ends_on") else ": until removed"
        rows.append({"id": str(event.id), "at": format_local(event.at), "what": what,
                     "role": str(detail.get("role", "")), "organization": event.organization_id or "",
                     "by": names.get(event.actor_id, "" if event.actor_id else "The portal"),
                     "reason": str(detail.get("reason") or "")})
    return rows


def _day(iso: object) -> str:
    try:
        return f"{date.fromisoformat(str(iso)):%b %d, %Y}".replace(" 0", " ")
    except ValueError:
        return str(iso)


def _detail(text: str) -> dict:
    try:
        values = json.loads(text or "{}")
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def _last_day(grant: OrgRole) -> str:
    """"Access ends on" as shown: the last day of access, or "Until removed"."""
    return f"{grant.ends_on:%b %d, %Y}".replace(" 0", " ") if grant.ends_on else "Until removed"


def export_csv(session: Session, actor: User, org_id: str) -> str:
    """The organization's users and roles, for its own access review."""
    _check_org(session, actor, org_id)
    rows = session.exec(select(OrgRole, User).join(User, User.id == OrgRole.user_id)
                        .where(OrgRole.organization_id == org_id).order_by(User.last_name, OrgRole.role))
    return to_csv(["Organization", "User ID", "First Name", "Last Name", "Email", "Role", "Granted (UTC)"],
                  ([org_id, user.user_id, user.first_name, user.last_name, user.email, grant.role,
                    grant.granted_at.isoformat()] for grant, user in rows))


def my_roles(session: Session, user: User) -> list[dict]:
    rows = session.exec(select(OrgRole, Organization).join(Organization).where(OrgRole.user_id == user.id)
                        .order_by(Organization.name, OrgRole.role))
    now = utc_now()
    return [{"id": str(g.id), "organization": o.id, "organization_name": o.name, "role": g.role,
             "granted": format_local(g.granted_at), "ends_on": _last_day(g),
             "more_time": "yes" if more_time.may_ask(g, now) else ""} for g, o in rows]


def my_requests(session: Session, user: User, limit: int = 50) -> list[dict]:
    rows = session.exec(select(RoleRequest, Organization).join(Organization).where(
        RoleRequest.user_id == user.id).order_by(col(RoleRequest.created_at).desc()).limit(limit))
    return [{"id": str(r.id), "organization": o.id, "organization_name": o.name,
             "role": request_label(r.role, r.more_time_until), "status": r.status.capitalize(), "reason": r.reason,
             "requested": format_local(r.created_at),
             "pending": r.status == PENDING, "rejected": r.status == REJECTED} for r, o in rows]


def sole_official_orgs(session: Session, actor: User) -> list[str]:
    """Organizations where ``actor`` is the only Security Official (the seeds' nudge)."""
    own = select(OrgRole.organization_id).where(OrgRole.user_id == actor.id, OrgRole.role == SECURITY_OFFICIAL)
    counts = session.exec(select(Organization.name, func.count(OrgRole.id)).join(OrgRole).where(
        col(OrgRole.organization_id).in_(own), OrgRole.role == SECURITY_OFFICIAL).group_by(Organization.name))
    return [name for name, count in counts if count == 1]
