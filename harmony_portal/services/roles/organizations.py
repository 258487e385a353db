"""Provider organizations."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from harmony_portal.models import Organization, User
from harmony_portal.services import validation
from harmony_portal.services.audit import trail as audit
from harmony_portal.services.errors import Invalid, NotAllowed
from harmony_portal.vocabulary import PROVIDER_TYPES

_ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")


def add_organization(session: Session, org_id: str, name: str, provider_type: str, *,
                     actor: User | None, now: datetime | None = None) -> Organization:
    """Add an organization. ``actor`` None means the command line (an operator)."""
    if actor is not None and not actor.is_admin:
        raise NotAllowed("Only administrators add organizations.")
    problems: dict[str, str] = {}
    org_id = org_id.strip()
    if not _ORG_ID.fullmatch(org_id):
        problems["id"] = "Organization ID must be 1-32 letters, digits or dashes."
    elif session.get(Organization, org_id):
        problems["id"] = f"Organization {org_id} already exists."
    if not name.strip():
        problems["name"] = "Organization name is required."
    elif problem := validation.text_problem("organization_name", name):
        problems["name"] = problem
    if provider_type not in PROVIDER_TYPES:
        problems["provider_type"] = "Provider type must be one of: " + "; ".join(PROVIDER_TYPES) + "."
    if problems:
        raise Invalid(problems)
    org = Organization(id=org_id, name=name.strip(), provider_type=provider_type)
    session.add(org)
    session.flush()
    audit.record(session, "organization.added", actor_id=actor.id if actor else None, organization_id=org.id,
                 now=now, name=org.name)
    return org


def list_organizations(session: Session) -> list[Organization]:
    """Every organization, by name."""
    return list(session.exec(select(Organization).order_by(Organization.name)))


def organization_choices(session: Session, org_ids: list[str] | None = None) -> list[dict[str, str]]:
    """Pickers show an organization as "Name (ID)" everywhere; ``None`` means every organization."""
    # The two columns only: the help desk's pickers list every organization (10,000 at scale).
    query = select(Organization.id, Organization.name).order_by(Organization.name)
    if org_ids is not None:
        query = query.where(col(Organization.id).in_(org_ids))
    return [{"id": org_id, "label": f"{name} ({org_id})"} for org_id, name in session.exec(query)]
