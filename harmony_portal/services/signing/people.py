"""Who may be named on an Access Request form, and who may sign for the organization.

"Access for" is the filer or an account holding a role at the PQ's organization (the person the
access is for: they sign as the Requester, and the grant goes to them). "Direct supervisor" is any
account at that organization; "Agency authorized signer" must hold Security Official or Access
Coordinator there. Three different people: nobody signs twice, nobody supervises themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from harmony_portal.models import PQ, OrgRole, User
from harmony_portal.services.accounts.find import find_user, find_user_by_email
from harmony_portal.services.accounts.identity import users_by_ids
from harmony_portal.services.errors import Invalid
from harmony_portal.services.pq.access_form import full_name as form_name
from harmony_portal.vocabulary import ACCESS_COORDINATOR, SECURITY_OFFICIAL

AGENCY_SIGNER_ROLES = (SECURITY_OFFICIAL, ACCESS_COORDINATOR)
LABELS = {"access_for": "Access for", "supervisor": "Direct supervisor", "agency_signer": "Agency authorized signer"}


@dataclass(frozen=True)
class Named:
    access_for: User
    supervisor: User
    agency_signer: User


def full_name(user: User) -> str:
    """The name as the form prints it (the User ID for an account without one)."""
    return form_name(user) or user.user_id


def _account(session: Session, typed: str) -> User | None:
    typed = (typed or "").strip()
    if not typed or len(typed) > 254:
        return None
    user = find_user_by_email(session, typed) if "@" in typed else find_user(session, typed)
    return user if user is not None and user.is_active else None


def _roles_at(session: Session, user: User, org_id: str | None) -> set[str]:
    return set(session.exec(select(OrgRole.role).where(OrgRole.user_id == user.id,
                                                       OrgRole.organization_id == org_id)))


def name_people(session: Session, filer: User, pq: PQ, access_for: str, supervisor: str,
                agency_signer: str) -> Named:
    """The three accounts typed (User ID or email), each checked; every problem at once.

    Raises:
        Invalid: keyed ``access_for``, ``supervisor``, ``agency_signer``.
    """
    typed = {"access_for": access_for or filer.user_id, "supervisor": supervisor, "agency_signer": agency_signer}
    found: dict[str, User] = {}
    problems: dict[str, str] = {}
    for key, text in typed.items():
        user = _account(session, text)
        if user is None:
            problems[key] = (f"Enter the {LABELS[key]}'s User ID or email." if not (text or "").strip()
                             else f"No active account has the User ID or email {text.strip()!r}.")
            continue
        roles = _roles_at(session, user, pq.organization_id)
        if key == "access_for" and user.id != filer.id and not roles:
            problems[key] = (f"{full_name(user)} has no role at {pq.provider_name}: access is asked for the "
                             "organization's own people.")
        elif key == "supervisor" and not roles:
            problems[key] = (f"{full_name(user)} can't sign for this organization: they hold no role at "
                             f"{pq.provider_name}.")
        elif key == "agency_signer" and not roles & set(AGENCY_SIGNER_ROLES):
            problems[key] = (f"{full_name(user)} can't sign for this organization: the agency's authorized signer "
                             f"holds {SECURITY_OFFICIAL} or {ACCESS_COORDINATOR} at {pq.provider_name}.")
        else:
            found[key] = user
    if "access_for" in found:
        requester = found["access_for"]
        for key in ("supervisor", "agency_signer"):
            if key in found and found[key].id == requester.id:
                problems[key] = f"The requester can't be their own {LABELS[key].lower()}."
    if "supervisor" in found and "agency_signer" in found and found["supervisor"].id == found["agency_signer"].id \
            and "agency_signer" not in problems:
        problems["agency_signer"] = "The agency's authorized signer must be someone other than the direct supervisor."
    if problems:
        raise Invalid(problems)
    return Named(found["access_for"], found["supervisor"], found["agency_signer"])


def users_by_id(session: Session, ids: set[int]) -> dict[int, User]:
    return {u.id: u for u in users_by_ids(session, ids)}


def may_still_sign(session: Session, user: User, role: str, pq: PQ, starter_id: int) -> bool:
    """Whether ``user`` still may sign as ``role`` (roles change while a form goes round)."""
    roles = _roles_at(session, user, pq.organization_id)
    if role == "agency_signer":
        return bool(roles & set(AGENCY_SIGNER_ROLES))
    if role == "requester":
        return bool(roles) or user.id == starter_id
    return bool(roles)
