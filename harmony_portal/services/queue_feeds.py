"""What each official's live Role Requests queue should hold after a change (live.py writes it)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from harmony_portal.services.identity import users_by_ids
from harmony_portal.services.role_queries import decidable_rows, pending_rows
from harmony_portal.services.roles import administrator_ids, decider_ids

Row = dict[str, str]


def patches_for(session: Session, org_ids: Iterable[str]) -> dict[int, dict[str, list[Row]]]:
    """For each official to tell: {organization: the rows they now decide there}.

    Administrators are told about every changed organization even when they don't
    decide it, with no rows: an organization that just got its first Security
    Official leaves the help desk's queue (and one that lost its last comes back).
    """
    org_ids = set(org_ids)
    if not org_ids:
        return {}
    administrators = set(administrator_ids(session))
    patches: dict[int, dict[str, list[Row]]] = {}
    for org in org_ids:
        rows = pending_rows(session, [org])
        deciders = set(decider_ids(session, org))
        for uid in deciders | administrators:
            mine = [r for r in rows if r["user_id"] != str(uid)] if uid in deciders else []
            patches.setdefault(uid, {})[org] = mine
    return patches


def whole_queues(session: Session, user_ids: Iterable[int]) -> dict[int, list[Row]]:
    """The full queue of each of these users (their set of organizations changed)."""
    return {user.id: decidable_rows(session, user) for user in users_by_ids(session, set(user_ids))}
