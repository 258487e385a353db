"""What each official's live Role Requests queue should hold after a change (``live/queues`` sends it).

Read with a fixed number of statements however many officials are told: a request filed at
an organization with 500 officials is one read of its rows, not 500.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from harmony_portal.models import OrgRole, User
from harmony_portal.services.roles.queries import pending_rows
from harmony_portal.services.roles.requests import administrator_ids, orgs_without_official
from harmony_portal.vocabulary import SECURITY_OFFICIAL

Row = dict[str, str]


def _official_orgs(session: Session, user_ids: set[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {uid: set() for uid in user_ids}
    for uid, org in session.exec(select(OrgRole.user_id, OrgRole.organization_id).where(
            col(OrgRole.user_id).in_(user_ids), OrgRole.role == SECURITY_OFFICIAL)):
        found[uid].add(org)
    return found


def who_to_tell(session: Session, org_ids: Iterable[str], also_user_ids: Iterable[int] = ()) -> set[int]:
    """Whose queue may have changed: the Security Officials of ``org_ids``, the help desk when
    one of them has no official (it decides those) or when who decides changed
    (``also_user_ids`` were granted or lost the role: a first official takes an organization
    from the help desk, the last one leaving hands it back), and ``also_user_ids``."""
    org_ids, also = set(org_ids), set(also_user_ids)
    grants = list(session.exec(select(OrgRole.user_id, OrgRole.organization_id).where(
        col(OrgRole.organization_id).in_(org_ids), OrgRole.role == SECURITY_OFFICIAL))) if org_ids else []
    told = also | {uid for uid, _org in grants}
    if also or org_ids - {org for _uid, org in grants}:
        told |= set(administrator_ids(session))
    return told


def queues_of(session: Session, user_ids: Iterable[int]) -> dict[int, list[Row]]:
    """The whole queue of each of these users: what they may decide (never their own), oldest first."""
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    # Ids and flags only: whole users cost more to build than to read, hundreds at a time.
    users = list(session.exec(select(User.id, User.is_admin, User.is_active).where(col(User.id).in_(user_ids))))
    decides = _official_orgs(session, {u.id for u in users})
    desk = {u.id for u in users if u.is_admin and u.is_active}
    if desk:
        unofficial = orgs_without_official(session)
        for uid in desk:
            decides[uid] |= unofficial
    rows_by_org: dict[str, list[Row]] = {}
    for row in pending_rows(session, sorted(set().union(*decides.values()))):  # oldest first already
        rows_by_org.setdefault(row["organization"], []).append(row)
    queues = {}
    for user in users:
        mine = [r for org in decides[user.id] for r in rows_by_org.get(org, ()) if r["user_id"] != str(user.id)]
        queues[user.id] = sorted(mine, key=lambda r: (r["created"], int(r["id"])))
    return queues
