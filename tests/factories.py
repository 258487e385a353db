"""Test data factories, each through the service it stands for.

A factory can only build what the portal itself could reach: accounts via
``signup.create_account`` (the shared password hashed once: argon2 is deliberately
slow), organizations via ``add_organization``, roles via the audited direct grant,
requests via ``request_role``, devices via ``enrol_trusted_device``.
"""

from __future__ import annotations

import itertools

from sqlmodel import Session

from harmony_portal.models import PQ, Organization, OrgRole, PQNote, RoleRequest, User
from harmony_portal.services.accounts import signup
from harmony_portal.services.roles import grants
from harmony_portal.services.roles import requests as roles
from harmony_portal.services.roles.organizations import add_organization
from harmony_portal.services.security import hash_password
from harmony_portal.services.signin import two_factor
from harmony_portal.vocabulary import SECURITY_OFFICIAL, STAFF

PASSWORD = "Glacier-Bay-Kayak-Morning"
_PASSWORD_HASH = hash_password(PASSWORD)
_ANSWER_HASH = hash_password("juneau")
_seq = itertools.count(1)


def user(session: Session, user_id: str | None = None, *, first_name: str = "Test", last_name: str | None = None,
         email: str | None = None, is_admin: bool = False, **fields) -> User:
    n = next(_seq)
    user_id = user_id or f"user{n}"
    return signup.create_account(
        session, user_id=user_id, email=email or f"{user_id}@example.org", first_name=first_name,
        last_name=last_name or f"User{n}", password_hash=_PASSWORD_HASH, is_admin=is_admin,
        challenge_question="What city were you born in?", challenge_answer_hash=_ANSWER_HASH,
        reason="test factory", **fields)


def enrol(session: Session, owner: User, now=None) -> str:
    """A confirmed authenticator; returns its secret."""
    return two_factor.enrol_trusted_device(session, owner, "Phone", reason="test factory", now=now)


def org(session: Session, org_id: str | None = None, name: str | None = None,
        provider_type: str = "Nursing Home") -> Organization:
    n = next(_seq)
    return add_organization(session, org_id or f"ORG{n}", name or f"Organization {n}", provider_type, actor=None)


def grant(session: Session, holder: User, organization: Organization, role: str = SECURITY_OFFICIAL) -> OrgRole:
    return grants.grant_role(session, holder, organization.id, role, actor=None, reason="test factory")


def request(session: Session, requester: User, organization: Organization, role: str = STAFF,
            justification: str = "Needs access for daily assessments.") -> RoleRequest:
    return roles.request_role(session, requester, organization.id, role, justification)



def pq(session: Session, author: User, organization: Organization | None = None, *,
       inquiry_type: str = "General Question", subject: str = "Question about billing codes",
       details: str = "Which code applies to respite care?",
       now=None, **fields) -> PQ:
    """A PQ filed through the service (the author must belong to ``organization``, or be the help desk)."""
    from harmony_portal.services.pq.filing import PQForm, add_pq

    form = PQForm(provider=organization.id if organization else "", inquiry_type=inquiry_type, subject=subject,
                  details=details, **fields)
    return add_pq(session, author, form, now=now)


def scan(session: Session, author: User, on: PQ, *, now=None):
    """The paper path: an Access Request note carrying the signed form's scan (its metadata; no bytes)."""
    import secrets

    from harmony_portal.models import Attachment

    carrier = note(session, author, on, "The signed Access Request form is attached.", note_type="Access Request",
                   now=now)
    row = Attachment(pq_id=on.id, note_id=carrier.id, filename="signed-form.pdf", content_type="application/pdf",
                     size=1000, sha256="0" * 64, storage_key=secrets.token_hex(32), uploaded_by_id=author.id)
    session.add(row)
    session.flush()
    return row


def note(session: Session, author: User, on: PQ, text: str = "Here is more about the question.", *,
         note_type: str = "General", status: str = "Pending", now=None) -> PQNote:
    """A note added through the service."""
    from harmony_portal.services.pq.filing import add_note

    return add_note(session, author, on.id, note_type, status, text, now=now)
