"""Test data factories. Real rows through real services wherever a service exists."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from harmony_portal.models import PQ, Organization, OrgRole, PQNote, RoleRequest, User, utc_now
from harmony_portal.services import two_factor
from harmony_portal.services.security import hash_password

PASSWORD = "Glacier-Bay-Kayak-Morning"
_PASSWORD_HASH = hash_password(PASSWORD)  # hash once: argon2 is deliberately slow
_ANSWER_HASH = hash_password("juneau")
_seq = itertools.count(1)


def user(session: Session, user_id: str | None = None, *, first_name: str = "Test", last_name: str | None = None,
         email: str | None = None, is_admin: bool = False, **fields) -> User:
    n = next(_seq)
    user_id = user_id or f"user{n}"
    row = User(user_id=user_id, user_id_key=user_id.lower(), email=email or f"{user_id}@example.org",
               email_key=(email or f"{user_id}@example.org").lower(), first_name=first_name,
               last_name=last_name or f"User{n}", password_hash=_PASSWORD_HASH, is_admin=is_admin,
               challenge_question="What city were you born in?", challenge_answer_hash=_ANSWER_HASH,
               **fields)
    session.add(row)
    session.flush()
    return row


def enrol(session: Session, owner: User, now=None) -> str:
    """A confirmed authenticator; returns its secret."""
    device, secret = two_factor.begin_device(session, owner, "Phone")
    device.confirmed_at = now or utc_now()
    session.add(device)
    session.flush()
    return secret


def org(session: Session, org_id: str | None = None, name: str | None = None,
        provider_type: str = "Nursing Home") -> Organization:
    n = next(_seq)
    row = Organization(id=org_id or f"ORG{n}", name=name or f"Organization {n}", provider_type=provider_type)
    session.add(row)
    session.flush()
    return row


def grant(session: Session, holder: User, organization: Organization, role: str = "Security Official") -> OrgRole:
    row = OrgRole(user_id=holder.id, organization_id=organization.id, role=role)
    session.add(row)
    session.flush()
    return row


def request(session: Session, requester: User, organization: Organization, role: str = "Staff",
            justification: str = "Needs access for daily assessments.", **fields) -> RoleRequest:
    row = RoleRequest(user_id=requester.id, organization_id=organization.id, role=role,
                      justification=justification, **fields)
    session.add(row)
    session.flush()
    return row


def pq(session: Session, author: User, organization: Organization | None = None, *,
       inquiry_type: str = "General Question", subject: str = "Question about billing codes",
       details: str = "Which code applies to respite care?",
       now=None, **fields) -> PQ:
    """A PQ filed through the service (the author must belong to ``organization``, or be the help desk)."""
    from harmony_portal.services.pq import PQForm, add_pq

    form = PQForm(provider=organization.id if organization else "", inquiry_type=inquiry_type, subject=subject,
                  details=details, **fields)
    return add_pq(session, author, form, now=now)


def note(session: Session, author: User, on: PQ, text: str = "Here is more about the question.", *,
         note_type: str = "General", status: str = "Pending", now=None) -> PQNote:
    """A note added through the service."""
    from harmony_portal.services.pq import add_note

    return add_note(session, author, on.id, note_type, status, text, now=now)
