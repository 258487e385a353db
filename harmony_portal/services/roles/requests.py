"""Role requests and granted roles: who may ask, who decides, who removes.

Every function that changes data takes the acting user and checks, itself,
that this user may do this to this organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from harmony_portal import routes
from harmony_portal.models import Organization, OrgRole, RoleRequest, User, utc_now
from harmony_portal.services import changes, once, validation
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.clock import format_local
from harmony_portal.services.errors import Conflict, Invalid, NotAllowed
from harmony_portal.services.maintenance import windows as maintenance
from harmony_portal.services.notifications.email_preferences import ROLE_REQUESTS
from harmony_portal.services.notifications.notify import tell_each
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import CANCELLED, ORGANIZATION_ROLES, PENDING, SECURITY_OFFICIAL

JUSTIFICATION_MIN, JUSTIFICATION_MAX = 10, validation.MAX_LENGTHS["justification"]


def full_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip()


def security_official_ids(session: Session, org_id: str) -> list[int]:
    return list(session.exec(select(OrgRole.user_id).where(
        OrgRole.organization_id == org_id, OrgRole.role == SECURITY_OFFICIAL)))


def officials_by_org(session: Session, org_ids: Iterable[str]) -> dict[str, list[int]]:
    """The Security Officials of each of ``org_ids`` (one query however many organizations)."""
    found: dict[str, list[int]] = {org_id: [] for org_id in org_ids}
    if found:
        for org_id, user_id in session.exec(select(OrgRole.organization_id, OrgRole.user_id).where(
                col(OrgRole.organization_id).in_(found), OrgRole.role == SECURITY_OFFICIAL)):
            found[org_id].append(user_id)
    return found


def represented_org_ids(session: Session, actor: User) -> list[str]:
    """Organizations whose requests ``actor`` decides: where they are Security Official,
    plus (for help-desk administrators) every organization that has none."""
    own = set(session.exec(select(OrgRole.organization_id).where(
        OrgRole.user_id == actor.id, OrgRole.role == SECURITY_OFFICIAL)))
    if actor.is_admin:
        own |= orgs_without_official(session)
    return sorted(own)


def orgs_without_official(session: Session) -> set[str]:
    """Organizations with no Security Official: the help desk decides their requests."""
    with_official = select(OrgRole.organization_id).where(OrgRole.role == SECURITY_OFFICIAL)
    return set(session.exec(select(Organization.id).where(col(Organization.id).not_in(with_official))))


def lookup_org_ids(session: Session, actor: User) -> list[str]:
    """Organizations whose users ``actor`` may look up: represented ones; administrators see all."""
    if actor.is_admin:
        return list(session.exec(select(Organization.id).order_by(Organization.id)))
    return represented_org_ids(session, actor)


def may_look_up(session: Session, actor: User, org_id: str) -> bool:
    """Whether ``actor`` may look up the users of ``org_id`` (the rule of ``lookup_org_ids``),
    without listing every organization for an administrator."""
    if actor.is_admin:
        # Whatever a page sent: text PostgreSQL would refuse (a NUL) is simply no organization.
        fits = isinstance(org_id, str) and 0 < len(org_id) <= 32 and org_id.isprintable()
        return fits and session.get(Organization, org_id) is not None
    return org_id in represented_org_ids(session, actor)


def administrator_ids(session: Session) -> list[int]:
    """The active help-desk administrators."""
    return list(session.exec(select(User.id).where(User.is_admin, User.is_active)))


def decider_ids(session: Session, org_id: str) -> list[int]:
    """Who decides this organization's requests (the help desk while it has no Security Official)."""
    return security_official_ids(session, org_id) or administrator_ids(session)


def roles_changed(session: Session, grants: Iterable[OrgRole]) -> None:
    """Granted or removed roles: who decides an organization's requests may have changed.

    The holder's own queue is rebuilt; the organization's queue goes to its deciders
    and to the help desk (a first Security Official takes it over from them, the
    last one leaving hands it back). The holders' open Home pages get their roles again.
    """
    grants = list(grants)
    changes.holders_changed(session, {g.user_id for g in grants})
    grants = [g for g in grants if g.role == SECURITY_OFFICIAL]
    if grants:
        changes.deciders_changed(session, {g.user_id for g in grants})
        changes.requests_changed(session, {g.organization_id for g in grants})


def pending_request(session: Session, user_id: int, org_id: str, role: str) -> RoleRequest | None:
    """The request for ``role`` at ``org_id`` that ``user_id`` is waiting on, if any (there is one at most)."""
    return session.exec(select(RoleRequest).where(
        RoleRequest.user_id == user_id, RoleRequest.organization_id == org_id, RoleRequest.role == role,
        RoleRequest.status == PENDING)).first()


def file_request(session: Session, request: RoleRequest, field: str, duplicate: str) -> RoleRequest:
    """Add ``request``; the same one arriving at the same moment is refused with ``duplicate`` on ``field``.

    The unique index on pending requests decides a race that the look-up before could not see;
    a savepoint keeps the rest of the caller's transaction. The same form's save racing itself
    (same ``client_key``) gets the request that won.
    """
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:
        if earlier := once.filed_with(session, RoleRequest, RoleRequest.user_id, request.user_id,
                                      request.client_key):
            return earlier
        raise Invalid(field, duplicate) from None
    return request


def request_role(session: Session, actor: User, org_id: str, role: str, justification: str, *,
                 now: datetime | None = None, client_key: str | None = None) -> RoleRequest:
    """File a role request; the organization's deciders are emailed.

    ``client_key`` (made when the form opened): the same form's save sent again, after its answer
    was lost, returns the request the first one filed (``services.once``).
    """
    now = now or utc_now()
    if earlier := once.filed_with(session, RoleRequest, RoleRequest.user_id, actor.id, client_key):
        return earlier
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
    maintenance.refuse_while_down(session, actor, now)
    held = session.exec(select(OrgRole.id).where(OrgRole.user_id == actor.id, OrgRole.organization_id == org_id,
                                                 OrgRole.role == role)).first()
    if held:
        raise Invalid("role", f"You already hold the {role} role at {org.name}.")
    if first := pending_request(session, actor.id, org_id, role):
        raise Invalid("role", f"You already asked for the {role} role at {org.name} on "
                              f"{format_local(first.created_at)}; that request is still waiting (see My role "
                              "requests on Home).")
    new = RoleRequest(user_id=actor.id, organization_id=org_id, role=role, justification=text, created_at=now,
                      client_key=client_key or None)
    request = file_request(session, new, "role",
                           f"You already asked for the {role} role at {org.name}; that request is still waiting "
                           "(see My role requests on Home).")
    if request is not new:
        return request  # the same form's save, filed a moment ago by its twin
    audit.record(session, "role.requested", actor_id=actor.id, subject_user_id=actor.id, organization_id=org_id,
                 target=f"request:{request.id}", now=now, role=role)
    changes.requests_changed(session, [org_id])
    base = get_settings().harmony_base_url.rstrip("/")
    deciders = [u for u in session.exec(select(User).where(col(User.id).in_(decider_ids(session, org_id))))
                if u.id != actor.id]
    tell_each(session, deciders, ROLE_REQUESTS, f"Role request waiting: {role} at {org.name}",
              email=(f"{full_name(actor)} ({actor.user_id}) asks for the {role} role at {org.name}.\n\n"
                     f"Justification: {text}\n\nReview it: {base}{routes.ROLE_REQUESTS}\n"),
              note=f"{full_name(actor)} ({actor.user_id}) asks for the {role} role at {org.name}.",
              link=routes.ROLE_REQUESTS, now=now)
    return request


@dataclass(frozen=True)
class Resubmission:
    """What a resubmitted request's form starts with."""

    organization: str
    role: str
    justification: str


def resubmission_of(session: Session, actor: User, request_id: int) -> Resubmission:
    """The fields of one of the actor's own earlier requests, to file it again.

    Raises:
        NotAllowed: no such request, or it is someone else's (their data is never shown).
    """
    earlier = session.get(RoleRequest, request_id)
    if earlier is None or earlier.user_id != actor.id:
        raise NotAllowed("That request is not yours.")
    return Resubmission(earlier.organization_id, earlier.role, earlier.justification)


def cancel_request(session: Session, actor: User, request_id: int, *, now: datetime | None = None) -> RoleRequest:
    """The requester withdraws a pending request."""
    now = now or utc_now()
    request = session.get(RoleRequest, request_id)
    if request is None or request.user_id != actor.id:
        raise NotAllowed("That request is not yours.")
    result = session.execute(update(RoleRequest).where(
        RoleRequest.id == request_id, RoleRequest.status == PENDING).values(
        status=CANCELLED, decided_at=now))
    if result.rowcount != 1:
        raise Conflict("That request was already decided.")
    session.refresh(request)
    audit.record(session, "role.request_cancelled", actor_id=actor.id, subject_user_id=actor.id,
                 organization_id=request.organization_id, target=f"request:{request.id}", now=now)
    changes.requests_changed(session, [request.organization_id])
    return request


def pending_count(session: Session, actor: User) -> int:
    """How many requests wait for this actor (the navigation badge)."""
    orgs = represented_org_ids(session, actor)
    if not orgs:
        return 0
    return session.exec(select(func.count()).select_from(RoleRequest).where(
        RoleRequest.status == PENDING, col(RoleRequest.organization_id).in_(orgs),
        RoleRequest.user_id != actor.id)).one()
