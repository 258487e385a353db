"""Demo organizations, accounts and requests, for a first look at the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from harmony_portal.models import RoleRequest, User, utc_now
from harmony_portal.services.accounts import signup
from harmony_portal.services.errors import NotAllowed
from harmony_portal.services.roles.grants import grant_role
from harmony_portal.services.roles.organizations import add_organization
from harmony_portal.services.security import hash_password
from harmony_portal.services.signin import two_factor
from harmony_portal.settings import get_settings
from harmony_portal.vocabulary import SECURITY_OFFICIAL, STAFF

DEMO_PASSWORD = "Northern-Lights-Demo-2026"  # noqa: S105 - the published demo password

DEMO_ORGANIZATIONS = (
    ("123", "Taiga Nursing Home", "Nursing Home"),
    ("AK-PCS-01", "Denali Personal Care Services", "Personal Care Services (PCS) Agency"),
    ("AK-DDRC-01", "Kenai Developmental Disability Resource Center",
     "Developmental Disability Resource Center (DDRC)"),
)


@dataclass(frozen=True)
class DemoLogin:
    user_id: str
    role: str


# user_id, first, last, email, organization roles
DEMO_PEOPLE = (
    ("so.constant", "Constant", "Pivinski", "constant.pivinski@example.org", [("123", SECURITY_OFFICIAL)]),
    ("so.aditya", "Aditya", "Ayyagari", "aditya.ayyagari@example.org",
     [("123", SECURITY_OFFICIAL), ("AK-PCS-01", SECURITY_OFFICIAL)]),
    ("pamela.cameron", "Pamela", "Cameron", "pamela.cameron@example.org", []),
    ("vj.staff", "Vijay", "Twentyfour", "vijay.twentyfour@example.org", [("123", STAFF)]),
)


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(User)).one() == 0


def _demo_user(session: Session, user_id: str, first: str, last: str, email: str, now: datetime,
               hashes: tuple[str, str]) -> User:
    password_hash, answer_hash = hashes
    return signup.create_account(
        session, user_id=user_id, email=email, first_name=first, last_name=last, password_hash=password_hash,
        challenge_question="What city were you born in?", challenge_answer_hash=answer_hash, is_demo=True,
        reason="demo seed", now=now, city="Anchorage", state="AK", zip_code="99501")


def _enrol(session: Session, user: User, now: datetime) -> None:
    two_factor.enrol_trusted_device(session, user, "Demo authenticator", reason="demo seed", now=now)


def refuse_in_production() -> None:
    """Demo accounts share a published password: production never gets them.

    Raises:
        NotAllowed: the settings count as production (see Settings.is_production).
    """
    if get_settings().is_production:
        raise NotAllowed(f"refusing to seed demo accounts (their password is published) where "
                         f"HARMONY_ENV={get_settings().harmony_env!r} counts as production.")


def seed_demo(session: Session, *, now: datetime | None = None) -> list[DemoLogin]:
    """Seed the demo data. Refuses production and a database that already has accounts."""
    refuse_in_production()
    now = now or utc_now()
    if not is_empty(session):
        raise RuntimeError("the database already has accounts; demo data goes into an empty one only")
    for org_id, name, kind in DEMO_ORGANIZATIONS:
        add_organization(session, org_id, name, kind, actor=None, now=now)
    logins = []
    admin = signup.create_admin(session, "helpdesk.admin", "harmony.helpdesk@example.org", DEMO_PASSWORD,
                                  first_name="Harmony", last_name="Help Desk", is_demo=True, now=now)
    _enrol(session, admin, now)
    logins.append(DemoLogin(admin.user_id, "Help-desk administrator"))
    people = {}
    hashes = (hash_password(DEMO_PASSWORD), hash_password("anchorage"))  # one shared published password
    for user_id, first, last, email, roles in DEMO_PEOPLE:
        user = _demo_user(session, user_id, first, last, email, now, hashes)
        _enrol(session, user, now)
        people[user_id] = user
        for org_id, role in roles:
            grant_role(session, user, org_id, role, actor=None, reason="demo seed", now=now)
        label = ", ".join(f"{role} at {org}" for org, role in roles) or "Provider staff, no roles yet"
        logins.append(DemoLogin(user_id, label))
    session.add(RoleRequest(user_id=people["pamela.cameron"].id, organization_id="123",
                            role="Assessment Coordinator", created_at=now,
                            justification="New assessment coordinator starting this week; needs iQIES access."))
    session.flush()
    return logins
